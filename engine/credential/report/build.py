"""Building the report: evaluate once, then write every page from the decisions and proofs in memory.

The pages come from the engine's values (the evaluation, its decision frame and the proof trees
:class:`credential.proofs.proof.ProofBuilder` builds), never from a decisions file, so the
report does not depend on how proofs are stored on disk.  The site is written into a temporary
folder next to the output and moved into place at the end: an interrupted build leaves no
half-written report.  The same inputs give the same bytes (no clock, no random names, sorted
iteration everywhere).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup

from credential.check import CheckedPolicy
from credential.compile import names as pn
from credential.data.bundle import Bundle
from credential.evaluation.evaluate import Evaluation, Inputs, OnInvalid, evaluate_inputs, load_inputs
from credential.report.charts import ChartWriter, granted_heatmap, granted_over_time, outcome_bars, provider_timeline
from credential.report.proofhtml import MARK, ProofHtml, Units, escape
from credential.version import __version__

OUTCOMES = ("granted", "refused", "undetermined")
PARTNER_LIMIT = 25
_ROOT_SHOWN = {"kind", "outcome", "name", "title", "text", "provider", "source", "cites", "children", "subject"}
_ROOT_SHOWN |= {"as_of", "to_qualify", "role", "lead", "recipient"}
_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ReportSummary:
    """What a build wrote."""

    output: Path
    pages: int
    files: int
    bytes: int
    seconds: float
    providers: int
    decisions: int
    as_of: dt.date
    dates: tuple[dt.date, ...]


def page_name(code: str) -> str:
    """A provider's page file name: its code when that is a plain name, else a digest of it."""
    return f"{code}.html" if _SAFE.match(code) else f"p-{hashlib.sha256(code.encode()).hexdigest()[:16]}.html"


def anchor(subject: str) -> str:
    return "d-" + re.sub(r"[^A-Za-z0-9_-]", "-", subject)


def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("credential.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals.update(marks=MARK, outcomes=OUTCOMES, engine=__version__)
    return env


def build_report(
    output: str | Path,
    policy: str | Path | CheckedPolicy,
    data: str | Path | Bundle,
    *,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    every: str = "year",
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
) -> ReportSummary:
    """Write the report for ``policy`` on ``data`` into the folder ``output`` (replaced if it exists).

    As of ``as_of`` (default today), or with ``start``/``end`` as of ``end`` with a timeline of
    every ``every`` from ``start``.  ``providers``/``subjects`` narrow what the pages show.
    Raises ``PolicyInvalid``/``DataInvalid`` on bad inputs, ``ValueError`` on a bad range and
    ``credential.timeline.UnknownSelection`` on an unknown provider or an unmatched subject.
    """
    t0 = time.perf_counter()
    inputs = load_inputs(policy, data, on_invalid)
    return build_from_inputs(
        output,
        inputs,
        as_of=as_of,
        start=start,
        end=end,
        every=every,
        providers=providers,
        subjects=subjects,
        backend=backend,
        started=t0,
        data_path=None if isinstance(data, Bundle) else Path(data),
    )


def build_from_inputs(
    output: str | Path,
    inputs: Inputs,
    *,
    as_of: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    every: str = "year",
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    backend: str = "auto",
    started: float | None = None,
    data_path: Path | None = None,
) -> ReportSummary:
    from credential.timeline import UnknownSelection, as_of_dates, select_subjects, timeline_of

    t0 = started if started is not None else time.perf_counter()
    if (start is None) != (end is None):
        raise ValueError("a range needs both --from and --to")
    dates: list[dt.date] = []
    if start is not None and end is not None:
        dates = as_of_dates(start, end, every)
        day = end
    else:
        day = as_of or dt.date.today()
    ev = evaluate_inputs(inputs, day, backend=backend)
    codes_all = [str(c) for c in ev.codes]
    if providers:
        unknown = sorted(set(providers) - set(codes_all))
        if unknown:
            raise UnknownSelection(f"no provider with code {', '.join(map(repr, unknown))} in the bundle")
    codes = sorted(set(providers)) if providers else codes_all
    all_subjects = [s for s, _, _ in ev.subjects()]
    chosen = select_subjects(all_subjects, subjects)
    if subjects and not chosen:
        raise UnknownSelection(
            f"no subject matches {', '.join(map(repr, subjects))}; one of: {', '.join(all_subjects)}"
        )
    timeline = (
        timeline_of(inputs, dates, providers=codes, subjects=chosen, backend=backend, evaluations=[ev])
        if dates
        else None
    )

    out = Path(output)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"{out} exists and is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=str(out.parent)))
    try:
        site = _Site(inputs, ev, codes, chosen, timeline, tmp, backend, data_path)
        pages = site.write()
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=str(out.parent)))
            os.replace(out, old / "site")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = [p for p in out.rglob("*") if p.is_file()]
    return ReportSummary(
        out,
        pages,
        len(files),
        sum(p.stat().st_size for p in files),
        time.perf_counter() - t0,
        len(codes),
        len(codes) * len(chosen),
        day,
        tuple(dates),
    )


class _Site:
    def __init__(
        self,
        inputs: Inputs,
        ev: Evaluation,
        codes: list[str],
        subjects: list[str],
        timeline: Any,
        folder: Path,
        backend: str,
        data_path: Path | None,
    ):
        self.inputs = inputs
        self.policy = inputs.policy
        self.ev = ev
        self.codes = codes
        self.subjects = subjects
        self.timeline = timeline
        self.folder = folder
        self.backend = backend
        self.data_path = data_path
        self.env = _env()
        self.charts = ChartWriter(folder / "charts")
        self.units = Units(self.policy)
        self.names = inputs.bundle.provider_names()
        self.index = np.array([ev.positions[c] for c in codes], dtype=np.int64)
        self.pages = 0
        self._link_cache: dict[str, dict[str, str]] = {}
        self.attrs = self._attributes()
        preds = {s: (c, p) for s, c, p in ev.subjects()}
        self.outcome: dict[str, list[str]] = {}
        for s in subjects:
            c, p = preds[s]
            certain = np.asarray(ev.mask(c), dtype=bool)[self.index]
            possible = np.asarray(ev.mask(p), dtype=bool)[self.index]
            col = np.where(certain, 0, np.where(possible, 2, 1))
            self.outcome[s] = [OUTCOMES[int(v)] for v in col]

    # ---- shared page context ------------------------------------------------
    def _attributes(self) -> dict[str, dict[str, str]]:
        frame = self.inputs.bundle.providers
        cols = [c for c in self.policy.attributes if c in frame.columns]
        out: dict[str, dict[str, str]] = {c: {} for c in self.codes}
        wanted = set(self.codes)
        for rec in frame[["code", *cols]].astype(object).itertuples(index=False):
            code = str(rec[0])
            if code in wanted:
                out[code] = {c: _cell(v) for c, v in zip(cols, rec[1:], strict=True)}
        return out

    def context(self, page: str, root: str, title: str) -> dict[str, Any]:
        p = self.policy
        return {
            "page": page,
            "root": root,
            "title": title,
            "as_of": self.ev.as_of.isoformat(),
            "range": (self.timeline.dates[0].isoformat(), self.timeline.dates[-1].isoformat())
            if self.timeline
            else None,
            "policy": {
                "name": p.name,
                "title": p.title,
                "version": p.version,
                "effective": p.effective.isoformat() if p.effective else None,
                "expires": p.expires.isoformat() if p.expires else None,
                "sha256": p.sha256,
                "path": p.path or (p.files[0].path if p.files else ""),
                "files": [
                    {"path": f.path, "sha256": hashlib.sha256(f.text.encode("utf-8")).hexdigest()} for f in p.files
                ],
                "sources": sorted(p.sources.items()),
            },
            "data_name": self.data_path.name if self.data_path is not None else "(in memory)",
        }

    def render(self, template: str, path: str, **ctx: Any) -> None:
        text = self.env.get_template(template).render(**ctx)
        target = self.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        self.pages += 1

    def provider_href(self, code: str, root: str) -> str:
        return f"{root}providers/{page_name(code)}"

    def rule_href(self, kind: str, name: str, root: str) -> str:
        return f"{root}rules/{kind}-{name}.html"

    # ---- the whole site -----------------------------------------------------
    def write(self) -> int:
        assets = resources.files("credential.report").joinpath("templates", "assets")
        (self.folder / "assets").mkdir(parents=True, exist_ok=True)
        for name in ("style.css", "report.js", "table.js"):
            (self.folder / "assets" / name).write_bytes(assets.joinpath(name).read_bytes())
        self.write_overview()
        self.write_table()
        self.write_rules()
        self.write_providers()
        return self.pages

    def _counts(self, subject: str) -> dict[str, int]:
        c = Counter(self.outcome[subject])
        return {o: c[o] for o in OUTCOMES}

    def write_overview(self) -> None:
        root = ""
        creds = [s for s in self.subjects if s.startswith("credential:")]
        forms = [s for s in self.subjects if s.startswith("form:")]
        cred_rows = [
            (s.split(":", 1)[1], self.rule_href("credential", s.split(":", 1)[1], root), self._counts(s)) for s in creds
        ]
        form_rows = [(s.split(":", 1)[1], f"rules/form-{s.split(':')[1]}.html", self._counts(s)) for s in forms]
        charts: dict[str, Any] = {}
        if creds:
            charts["credentials"] = outcome_bars(
                self.charts, {r[0]: r[2] for r in cred_rows}, "credentials", "credential"
            )
        if forms:
            charts["forms"] = outcome_bars(self.charts, {r[0]: r[2] for r in form_rows}, "forms", "form role")
        for attr in ("region", "sector"):
            if attr in self.policy.attributes and creds:
                cells: dict[tuple[str, str], tuple[int, int]] = {}
                for i, code in enumerate(self.codes):
                    a = self.attrs[code].get(attr) or "(not given)"
                    for s in creds:
                        g, n = cells.get((a, s.split(":", 1)[1]), (0, 0))
                        cells[(a, s.split(":", 1)[1])] = (g + (self.outcome[s][i] == "granted"), n + 1)
                charts[attr] = granted_heatmap(self.charts, cells, attr)
        change_rows: list[tuple[str, Counter[str]]] = []
        if self.timeline is not None and creds:
            from credential.timeline import CHANGES

            tl = self.timeline
            series: dict[str, dict[str, int]] = {}
            for j, s in enumerate(tl.subjects):
                if s in creds:
                    series[s.split(":", 1)[1]] = {
                        d.isoformat(): int((tl.outcomes[i, :, j] == 0).sum()) for i, d in enumerate(tl.dates)
                    }
            charts["timeline"] = granted_over_time(self.charts, series)
            by_date: dict[str, Counter[str]] = {}
            for r in tl.changes():
                by_date.setdefault(r.as_of.isoformat(), Counter())[r.change] += 1
            change_rows = [(d.isoformat(), by_date.get(d.isoformat(), Counter())) for d in tl.dates[1:]]
            change_kinds = list(CHANGES)
        else:
            change_kinds = []
        totals = Counter(o for s in self.subjects for o in self.outcome[s])
        bundle = self.inputs.bundle
        rows_of = {
            "providers": len(bundle.providers),
            "observations": len(bundle.observations),
            "statuses": len(bundle.statuses),
            "arrangements": len(bundle.arrangements),
        }
        data_files = [
            {"table": t, "file": f, "rows": rows_of.get(t, ""), "sha256": bundle.digests.get(f, "")}
            for t, f in sorted(bundle.files.items())
        ]
        provenance = None
        if self.data_path is not None and self.data_path.is_dir():
            for name in ("PROVENANCE.md", "README.md"):
                p = self.data_path / name
                if p.is_file():
                    provenance = {"name": name, "text": p.read_text(encoding="utf-8", errors="replace")}
                    break
        self.render(
            "overview.html",
            "index.html",
            **self.context("overview", root, "Overview"),
            n_providers=len(self.codes),
            n_decisions=len(self.codes) * len(self.subjects),
            totals=totals,
            credential_rows=cred_rows,
            form_rows=form_rows,
            charts=charts,
            change_rows=change_rows,
            change_kinds=change_kinds,
            data_files=data_files,
            quarantined=len(bundle.quarantine),
            provenance=provenance,
        )

    def write_table(self) -> None:
        filters = []
        for attr in self.policy.attributes:
            values = sorted({self.attrs[c].get(attr, "") for c in self.codes} - {""})
            if 1 < len(values) <= 40:
                filters.append((attr, values))
        subjects = [{"key": s, "label": s.split(":", 1)[1]} for s in self.subjects]
        rows = [
            {
                "code": code,
                "file": page_name(code),
                "name": self.names.get(code) or "",
                "attrs": self.attrs[code],
                "outcomes": [self.outcome[s][i] for s in self.subjects],
            }
            for i, code in enumerate(self.codes)
        ]
        self.render(
            "providers.html",
            "providers.html",
            **self.context("providers", "", "Providers"),
            filters=filters,
            subjects=subjects,
            rows=rows,
        )

    # ---- rules ----------------------------------------------------------------
    def _truth_lists(self, c: str, p: str, root: str) -> tuple[dict[str, int], dict[str, Markup]]:
        certain = np.asarray(self.ev.mask(c), dtype=bool)[self.index]
        possible = np.asarray(self.ev.mask(p), dtype=bool)[self.index]
        groups = {"pass": certain, "fail": ~possible, "undetermined": possible & ~certain}
        counts = {k: int(v.sum()) for k, v in groups.items()}
        lists = {k: Markup(self._links(np.flatnonzero(v), self.codes, root + "providers/")) for k, v in groups.items()}
        return counts, lists

    def write_rules(self) -> None:
        from credential.diffing.attribution import _walk

        p = self.policy
        used_by: dict[str, list[tuple[str, str]]] = {}
        uses: dict[str, list[tuple[str, str]]] = {}

        def note(owner: str, owner_href: str, conds: list[Any]) -> None:
            seen: list[tuple[str, str]] = []
            for cond in conds:
                if cond is None:
                    continue
                for ref in _walk(cond)[0]:
                    item = (ref.name, self.rule_href(ref.kind, ref.name, "../"))
                    if item not in seen:
                        seen.append(item)
            uses[owner] = seen
            for name, _ in seen:
                used_by.setdefault(name, [])
                if (owner, owner_href) not in used_by[name]:
                    used_by[name].append((owner, owner_href))

        rules = [*p.criteria.values(), *p.credentials.values()]
        for r in rules:
            note(r.name, self.rule_href(r.kind, r.name, "../"), [r.requires, r.unless])
        for f in p.forms.values():
            note(f"form {f.name}", f"../rules/form-{f.name}.html", [f.lead, f.recipient, f.pair])
        index: list[dict[str, Any]] = []
        for r in rules:
            c, pp = pn.rule_preds(r.kind, r.name)
            counts, lists = self._truth_lists(c, pp, "../")
            parts = [{"label": "", "counts": counts, "lists": lists}]
            entry = {
                "kind": r.kind,
                "name": r.name,
                "title": r.title,
                "file": f"{r.kind}-{r.name}.html",
                "where": f"{r.span.path}:{r.span.line}",
                "source": r.span.text,
                "cites": [{"source": ci.source, "citation": ci.citation, "locator": ci.locator} for ci in r.cites],
                "uses": uses.get(r.name, []),
                "used_by": used_by.get(r.name, []),
                "inherits": bool(uses.get(r.name)),
                "parts": parts,
            }
            index.append(entry)
            self.render(
                "rule.html", f"rules/{entry['file']}", **self.context("rules", "../", f"{r.kind} {r.name}"), r=entry
            )
        for f in p.forms.values():
            parts = []
            for role in ("lead", "recipient"):
                c, pp = pn.role_preds(f.name, role)
                counts, lists = self._truth_lists(c, pp, "../")
                parts.append({"label": role, "counts": counts, "lists": lists})
            entry = {
                "kind": "form",
                "name": f.name,
                "title": f.title,
                "file": f"form-{f.name}.html",
                "where": f"{f.span.path}:{f.span.line}",
                "source": f.span.text,
                "cites": [{"source": ci.source, "citation": ci.citation, "locator": ci.locator} for ci in f.cites],
                "uses": uses.get(f"form {f.name}", []),
                "used_by": [],
                "inherits": bool(uses.get(f"form {f.name}")),
                "parts": parts,
            }
            index.append(entry)
            self.render(
                "rule.html", f"rules/{entry['file']}", **self.context("rules", "../", f"form {f.name}"), r=entry
            )
        self.render("rules.html", "rules.html", **self.context("rules", "", "Rules"), rules=index)

    # ---- providers --------------------------------------------------------------
    def _partners(self) -> dict[str, list[dict[str, Any]]]:
        """Per provider, for each form role it is not refused, the providers it may pair with.

        Pairs are read from the model as id columns (a provider's id is its position in the
        sorted codes, so sorting ids sorts codes); each list shows its first ``PARTNER_LIMIT``.
        """
        if not self.policy.forms:
            return {}
        # all N x N candidate pairs: DuckDB's joins (the backends agree; the differential tests check it)
        pev = evaluate_inputs(self.inputs, self.ev.as_of, pairs=True, backend="duckdb")
        n = len(self.ev.codes)
        codes = [str(c) for c in self.ev.codes]
        # per (form, role, kind): the partner ids sorted by (provider, partner), and each provider's
        # (first, count) in them; a list's links are made only for the entries a page shows
        spans: dict[tuple[str, str, str], tuple[Any, dict[int, tuple[int, int]]]] = {}
        for f in sorted(self.policy.forms):
            c, p = pn.pair_preds(f)
            found = {}
            for name, pred in (("granted", c), ("possible", p)):
                cols = pev.model.columns(pred)
                keys = (
                    np.asarray(cols[0], dtype=np.int64) * n + np.asarray(cols[1], dtype=np.int64)
                    if cols
                    else np.zeros(0, dtype=np.int64)
                )
                found[name] = np.unique(keys)
            groups = {"granted": found["granted"], "undetermined": np.setdiff1d(found["possible"], found["granted"])}
            for role in ("lead", "recipient"):
                for kind, keys in groups.items():
                    me, other = (keys // n, keys % n) if role == "lead" else (keys % n, keys // n)
                    order = np.lexsort((other, me))
                    me, other = me[order], other[order]
                    ids, first, count = np.unique(me, return_index=True, return_counts=True)
                    spans[(f, role, kind)] = (
                        other,
                        dict(zip(ids.tolist(), zip(first.tolist(), count.tolist(), strict=True), strict=True)),
                    )

        def partners_of(i: int, form: str, role: str, kind: str) -> tuple[str, int]:
            other, at = spans[(form, role, kind)]
            a, k = at.get(i, (0, 0))
            return (self._links(other[a : a + min(k, PARTNER_LIMIT)], codes), k) if k else ("", 0)

        out: dict[str, list[dict[str, Any]]] = {}
        pos = {c: i for i, c in enumerate(self.codes)}
        model_pos = {c: i for i, c in enumerate(codes)}
        for code in self.codes:
            entries = []
            for form in sorted(self.policy.forms.values(), key=lambda x: x.name):
                for role in ("lead", "recipient"):
                    subject = f"form:{form.name}:{role}"
                    if subject not in self.outcome or self.outcome[subject][pos[code]] == "refused":
                        continue
                    g_html, g_n = partners_of(model_pos[code], form.name, role, "granted")
                    u_html, u_n = partners_of(model_pos[code], form.name, role, "undetermined")
                    entries.append(
                        {
                            "form": form.name,
                            "title": form.title or form.name,
                            "role": role,
                            "limit": PARTNER_LIMIT,
                            "more": max(g_n, u_n) > PARTNER_LIMIT,
                            "granted": Markup(g_html),
                            "n_granted": g_n,
                            "undetermined": Markup(u_html),
                            "n_undetermined": u_n,
                        }
                    )
            out[code] = entries
        return out

    def _links(self, ids: Any, codes: list[str], root: str = "") -> str:
        """Links to providers' pages, as list items (``root`` leads from the page to ``providers/``)."""
        cache = self._link_cache.setdefault(root, {})
        out = []
        for i in ids.tolist() if hasattr(ids, "tolist") else ids:
            c = codes[i]
            hit = cache.get(c)
            if hit is None:
                hit = cache[c] = (
                    f'<li><a href="{root}{page_name(c)}">{escape(c)}</a> {escape(self.names.get(c) or "")}</li>'
                )
            out.append(hit)
        return "".join(out)

    def write_providers(self) -> None:
        # Many short-lived proof trees: the cyclic collector would rescan them again and again
        # (they hold no cycles; reference counting frees them), so it pauses while pages are made.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._write_providers()
        finally:
            if enabled:
                gc.enable()

    def _write_providers(self) -> None:
        import json

        from credential.proofs.proof import ProofBuilder

        partners = self._partners()
        builder = ProofBuilder(self.ev)
        tl = self.timeline
        t_index = {c: i for i, c in enumerate(tl.providers)} if tl is not None else {}
        changes_by: dict[str, list[Any]] = {}
        if tl is not None:
            for r in tl.changes():
                changes_by.setdefault(r.provider, []).append(r)
        template = self.env.get_template("provider.html")
        base = self.context("provider", "../", "")
        shown_subjects = set(self.subjects)
        attr_names = [a for a in self.policy.attributes]
        link = self._rule_link
        for i, code in enumerate(self.codes):
            builder.forget()
            html = ProofHtml(self.units, link, {s for s in shown_subjects if s.startswith("credential:")})
            own = {s.split(":", 1)[1] for s in shown_subjects if s.startswith("credential:")}
            decisions = []
            for s in self.subjects:
                proof = json.loads(_lean(builder, builder.proof_json(s, (code,)), code, own))
                outcome = self.outcome[s][i]
                missing = builder.missing(s, (code,)) if outcome == "undetermined" else []
                kind, _, rest = s.partition(":")
                rule_href = (
                    f"../rules/credential-{rest}.html"
                    if kind == "credential"
                    else f"../rules/form-{rest.split(':')[0]}.html"
                )
                src = proof.get("source") or {}
                decisions.append(
                    {
                        "subject": s,
                        "anchor": anchor(s),
                        "outcome": outcome,
                        "missing": missing,
                        "where": f"{src.get('file', '')}:{src.get('line', '')}",
                        "rule_href": rule_href,
                        "cites": proof.get("cites") or [],
                        "gap": Markup(html.gap(proof["to_qualify"])) if proof.get("to_qualify") else "",
                        "tree": Markup("".join(html.node(c, 1) for c in proof.get("children", []))),
                        "extra": [(k, v) for k, v in proof.items() if k not in _ROOT_SHOWN],
                    }
                )
            timeline = None
            if tl is not None:
                ti = t_index[code]
                cells = [
                    (d.isoformat(), s, OUTCOMES[int(tl.outcomes[di, ti, sj])])
                    for sj, s in enumerate(tl.subjects)
                    for di, d in enumerate(tl.dates)
                ]
                timeline = {
                    "chart": provider_timeline(self.charts, cells),
                    "changes": [
                        {
                            "as_of": r.as_of.isoformat(),
                            "subject": r.subject,
                            "previous": r.previous,
                            "outcome": r.outcome,
                            "change": r.change,
                            "causes": [c.describe() for c in r.causes],
                        }
                        for r in changes_by.get(code, [])
                    ],
                }
            attrs = [(a, self.attrs[code].get(a, "")) for a in attr_names]
            label = f"{self.policy.name} {self.policy.version}"
            p = {
                "code": code,
                "name": self.names.get(code) or "",
                "attrs": attrs,
                "decisions": decisions,
                "rows": Markup("".join(html.summary_row(d) for d in decisions)),
                "sections": Markup("".join(html.section(d, label) for d in decisions)),
                "partners": partners.get(code, []),
                "timeline": timeline,
            }
            text = template.render(**{**base, "title": f"{code} {p['name']}"}, p=p)
            target = self.folder / "providers" / page_name(code)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            self.pages += 1

    def _rule_link(self, kind: str, name: str) -> str | None:
        return f"../rules/{kind}-{name}.html"


def _lean(builder: Any, text: str, code: str, own: set[str]) -> str:
    """A proof's JSON text without the subtrees of the credentials it refers to that the page
    shows in their own sections (the page links to those instead of repeating them).

    The builder writes a rule's subtree for a provider once and embeds the same text wherever the
    rule is referred to, followed by the reference's ``defined_at`` (a subject's own root has
    none), so each is cut out by exact text before the proof is parsed: a form's proof repeats
    its credential chain, most of its bytes.  Without the builder's memo nothing is cut.
    """
    kids = getattr(builder, "_rule_kids", None)
    if not isinstance(kids, dict):
        return text
    for key, kid_text in kids.items():
        if len(key) == 3 and key[0] in own and key[1] == code and len(kid_text) > 2:
            text = text.replace(f'"children": {kid_text}, "defined_at"', '"children": [], "defined_at"')
    return text


def _cell(v: Any) -> str:
    if v is None:
        return ""
    try:
        if v != v:  # NaN / NA
            return ""
    except TypeError:
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if hasattr(v, "date") and callable(v.date):
        return str(v.date().isoformat())
    return str(v)
