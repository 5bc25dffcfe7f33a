"""``credential verify``: re-check a decisions file against the policy and the data alone.

For every record the verifier re-derives, without the Datalog engine, the whole record it should
be (:mod:`credential.proofs.recompute` gives every value row by row and every truth in Kleene's
logic) and compares it field by field with the record: outcome, missing values, policy and data
digests, provider name, engine version and backend, and with a proof every node (kind, outcome,
text, source, citations, title, value, threshold and the date it took effect, evidence rows and
their cells, children shown, missing values) and the refusal's ``to_qualify``, ``ineligible`` and
``cannot_qualify`` (re-derived by the same counterfactual search on the re-derived values, and
tested on them: the changes grant, and none can be left out).  Any field added, removed or
changed is named with its path.

Over the whole file it checks that the records are exactly the ones ``evaluate`` writes for the
policy, the data and the file's as-of dates (none missing, none duplicated, none the policy and
data do not produce), in ``evaluate``'s order; an empty or truncated file fails.

Records reach :meth:`Verifier.check` one by one from a reader (JSON lines, a JSON array, the
JSON ``explain`` writes); another on-disk layout needs only another reader.  Policy files are
matched by content: the records' policy SHA-256 must be the policy's, and a file named by another
path (``/abs/policies/x.cred`` for ``policies/x.cred``) is the same file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from credential.check import ir
from credential.data.bundle import Bundle
from credential.evaluation.decisions import Truth
from credential.proofs.qualify import Answer, Qualifier, operands
from credential.proofs.recompute import Recompute, k_or
from credential.proofs.store import NodeStore, ProofError, is_compact
from credential.proofs.values import (
    RowIndex,
    cond_unit,
    describe_value,
    json_value,
    judged_labels,
    peer_cutoff,
    peer_json,
    stale_json,
    stale_label,
    trajectory_json,
    value_unit,
)
from credential.version import __version__

OUTCOME = {Truth.TRUE: "granted", Truth.FALSE: "refused", Truth.UNKNOWN: "undetermined"}
BACKENDS = ("pydatalog", "masks", "duckdb")
MAX_DIFFS = 8  # differences reported per record


@dataclass
class Problem:
    line: int
    provider: str
    subject: str
    message: str
    code: str = "verify.record"
    where: str = "line"

    def __str__(self) -> str:
        where = f"{self.where} {self.line}" if self.line > 0 else "file"
        who = f" {self.provider} {self.subject}" if self.provider != "-" else ""
        return f"{where}:{who}: {self.message} [{self.code}]".replace(":: ", ": ")


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    proofs: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def failed_records(self) -> int:
        # a node or row line of a content-addressed file (provider "-") is not a record
        return len({p.line for p in self.problems if p.line > 0 and p.provider != "-"})


@dataclass
class Scope:
    """Which records the file should hold: ``complete`` (every record ``evaluate`` writes for the
    file's dates), optionally of one ``provider`` or ``subject``; ``pairs`` None: as the file shows."""

    complete: bool = True
    provider: str | None = None
    subject: str | None = None
    pairs: bool | None = None


class FormatError(Exception):
    """The file is not one verify reads (CSV, a table, ...): a usage error."""


def _src(span: Any) -> dict[str, Any]:
    return {"file": span.path, "line": span.line, "column": span.column}


def _cites(cites: tuple[ir.Citation, ...]) -> list[dict[str, str]]:
    return [{"source": c.source, "citation": c.citation, "locator": c.locator} for c in cites]


def _select(kind: str, truths: list[Truth], whole: Truth) -> list[int]:
    idx = range(len(truths))
    if kind == "and":
        if whole is Truth.TRUE:
            return list(idx)
        return [i for i in idx if truths[i] is (Truth.FALSE if whole is Truth.FALSE else Truth.UNKNOWN)]
    if kind == "or":
        if whole is Truth.TRUE:
            return [next(i for i in idx if truths[i] is Truth.TRUE)]
        return list(idx) if whole is Truth.FALSE else [i for i in idx if truths[i] is Truth.UNKNOWN]
    return list(idx)


class _RecomputeSource:
    """What the counterfactual search reads, from the independent re-derivation."""

    def __init__(self, rc: Recompute):
        self.rc = rc
        self.policy = rc.policy

    def leaf_truth(self, cond: ir.Cond, args: tuple[str, ...], pair_form: str | None) -> Truth:
        return self.rc.truth(cond, args)

    def node_truth(self, node: ir.Cond | ir.Rule, args: tuple[str, ...], pair_form: str | None) -> Truth:
        if isinstance(node, ir.Rule):
            return self.rc.rule_truth(node, args[0])
        return self.rc.truth(node, args)

    def value(self, v: ir.Value, code: str) -> Any:
        return self.rc.value(v, code)[0]

    def status_value(self, name: str, code: str) -> bool | None:
        return self.rc.status(name, code)[0]

    def stale_of(self, v: ir.Value, code: str) -> tuple[Any, Any, int] | None:
        return self.rc.stale_of(v, code)


class _Dates:
    """The re-derivation of one as-of date: values, truths, the counterfactual search."""

    def __init__(self, policy: ir.CheckedPolicy, bundle: Bundle, as_of: dt.date):
        self.rc = Recompute(policy, bundle, as_of)
        self.qualifier = Qualifier(_RecomputeSource(self.rc))


class Verifier:
    """Expected records, re-derived, compared with the records of a file (fed one by one to ``check``)."""

    def __init__(
        self, policy: ir.CheckedPolicy, bundle: Bundle, scope: Scope | None = None, allow_expired: bool = False
    ):
        self.policy = policy
        self.bundle = bundle
        self.allow_expired = allow_expired
        self.scope = scope or Scope(complete=False)
        self.providers = bundle.provider_names()
        self.rows = RowIndex(bundle)
        self.data = dict(sorted(bundle.digests.items()))
        self.report = VerifyReport()
        self._dates: dict[str, _Dates] = {}
        self._files: dict[str, str] = {}  # the policy's file paths -> the paths the records use
        self._seen: dict[tuple[str, str, str], int] = {}
        self._last: tuple[tuple[str, str, str], int] | None = None
        self._backend: str | None = None
        self._with_proof: tuple[bool, int] | None = None
        self._where = "line"

    def dates(self, as_of: str) -> _Dates:
        if as_of not in self._dates:
            from credential.evaluation.evaluate import check_expiry

            day = dt.date.fromisoformat(as_of)
            check_expiry(self.policy, day, self.allow_expired)  # PolicyExpired unless allowed
            self._dates[as_of] = _Dates(self.policy, self.bundle, day)
        return self._dates[as_of]

    def policy_fields(self, as_of: str) -> dict[str, Any]:
        """The record's ``policy``: past the policy's expiry (allowed) it says so."""
        out: dict[str, Any] = {"name": self.policy.name, "version": self.policy.version, "sha256": self.policy.sha256}
        expires = self.policy.expires.isoformat() if self.policy.expires is not None else None
        if expires is not None and as_of > expires:
            out["expires"] = expires
            out["allow_expired"] = True
        return out

    def problem(self, line: int, rec: dict[str, Any] | None, code: str, message: str) -> None:
        provider = str(rec.get("provider")) if rec else "?"
        subject = str(rec.get("subject")) if rec else "?"
        self.report.problems.append(Problem(line, provider, subject, message, code, self._where))

    def seen(self, line: int, rec: dict[str, Any]) -> None:
        """Count a record as present (one whose proof could not be rebuilt)."""
        key = (str(rec.get("provider")), str(rec.get("subject")), str(rec.get("as_of")))
        self._seen.setdefault(key, line)

    def in_scope(self, rec: dict[str, Any]) -> bool:
        """Whether a record is of the scope's provider and subject (in a file that holds others too)."""
        s = self.scope
        return (s.provider is None or rec.get("provider") == s.provider) and (
            s.subject is None or rec.get("subject") == s.subject
        )

    # ---- one record ---------------------------------------------------------------
    def check(self, line: int, rec: Any) -> None:
        """Compare one record of the file (at ``line``) with the record the policy and data give."""
        self.report.checked += 1
        if not isinstance(rec, dict):
            self.problem(line, None, "verify.not-a-record", "not a decision record (a JSON object)")
            return
        code, subject, as_of = rec.get("provider"), rec.get("subject"), rec.get("as_of")
        if not all(isinstance(x, str) for x in (code, subject, as_of)):
            self.problem(line, rec, "verify.not-a-record", "a decision record needs provider, subject and as_of")
            return
        key = (str(code), str(subject), str(as_of))
        if key in self._seen:
            self.problem(line, rec, "verify.duplicate", f"the same decision as line {self._seen[key]}")
            return
        self._seen[key] = line
        if self.scope.complete and self._last is not None and key < self._last[0]:
            self.problem(
                line, rec, "verify.order", f"out of order: evaluate writes it before line {self._last[1]}'s record"
            )
        self._last = (key, line)
        has_proof = "proof" in rec
        if self._with_proof is None:
            self._with_proof = (has_proof, line)
        elif self._with_proof[0] != has_proof:
            first = self._with_proof[1]
            self.problem(
                line,
                rec,
                "verify.proof-missing" if not has_proof else "verify.proof-extra",
                f"{'no proof, but the record on line ' if not has_proof else 'a proof, but the record on line '}"
                f"{first} {'has one' if not has_proof else 'has none'}: a file has proofs for every record or none",
            )
        if has_proof:
            self.report.proofs += 1
        expected, why = self.expected(key, with_proof=has_proof)
        if expected is None:
            self.problem(line, rec, "verify.unexpected-record", str(why))
            return
        backend = rec.get("backend")
        if self._backend is None and backend in BACKENDS:
            self._backend = str(backend)
        expected["backend"] = self._backend or BACKENDS[0]
        for path, msg in self.diff(rec, expected, "")[:MAX_DIFFS]:
            self.problem(line, rec, _code_of(path), msg)
        if expected.get("outcome") == "refused" and has_proof:
            for msg in self.counterfactual(key):
                self.problem(line, rec, "verify.to-qualify", msg)

    def expected(self, key: tuple[str, str, str], with_proof: bool) -> tuple[dict[str, Any] | None, str | None]:
        """The record the policy and data give for (provider, subject, as_of), or why there is none."""
        code, subject, as_of = key
        if code not in self.providers:
            return None, f"no provider {code!r} in the bundle"
        try:
            d = self.dates(as_of)
        except ValueError:
            return None, f"as_of {as_of!r} is not a date"
        target = self.subject_truth(d.rc, subject, code)
        if target is None:
            return None, f"the policy has no subject {subject!r} for {code}"
        truth, args = target
        if self.scope.complete and self.scope.subject is None and subject.startswith("pair:") and truth is Truth.FALSE:
            return None, "a refused pair: evaluate writes only granted and undetermined pairs"
        out: dict[str, Any] = {
            "provider": code,
            "provider_name": self.providers.get(code),
            "subject": subject,
            "outcome": OUTCOME[truth],
            "as_of": as_of,
            "missing": sorted(self.missing_of(d.rc, subject, args)) if truth is Truth.UNKNOWN else [],
            "policy": self.policy_fields(as_of),
            "data": self.data,
            "engine": __version__,
            "backend": BACKENDS[0],
        }
        if with_proof:
            out["proof"] = self.proof(d, subject, args, truth)
        return out, None

    def subject_truth(self, rc: Recompute, subject: str, code: str) -> tuple[Truth, tuple[str, ...]] | None:
        kind, _, rest = subject.partition(":")
        if kind == "credential" and rest in self.policy.credentials:
            return rc.rule_truth(self.policy.credentials[rest], code), (code,)
        if kind == "form":
            form_name, _, role = rest.partition(":")
            if form_name in self.policy.forms and role in ("lead", "recipient"):
                return rc.role_truth(self.policy.forms[form_name], role, code), (code,)
        if kind == "pair":
            parts = rest.split(":")
            if len(parts) == 3 and parts[0] in self.policy.forms and parts[1] == code and parts[2] in self.providers:
                return rc.pair_truth(self.policy.forms[parts[0]], parts[1], parts[2]), (parts[1], parts[2])
        return None

    # ---- comparing -------------------------------------------------------------------
    def diff(self, got: Any, want: Any, path: str) -> list[tuple[str, str]]:
        """Where ``got`` differs from ``want``: (path, message) for each difference."""
        if isinstance(want, dict):
            if not isinstance(got, dict):
                return [(path, f"{path or 'record'}: {_short(got)} in the file, expected an object")]
            out: list[tuple[str, str]] = []
            if "file" in want and "line" in want and path.rsplit(".", 1)[-1] in ("source", "defined_at"):
                out += self._same_file(got.get("file"), want["file"], path)
                want = {k: v for k, v in want.items() if k != "file"}
                got = {k: v for k, v in got.items() if k != "file"}
            for k, v in want.items():
                sub = f"{path}.{k}" if path else k
                if k not in got:
                    out.append((sub, f"{sub}: missing from the file; the policy and data give {_short(v)}"))
                else:
                    out += self.diff(got[k], v, sub)
            for k in got:
                if k not in want:
                    sub = f"{path}.{k}" if path else k
                    out.append((sub, f"{sub}: {_short(got[k])} in the file, but the policy and data give no {k!r}"))
            return out
        if isinstance(want, list):
            if not isinstance(got, list):
                return [(path, f"{path}: {_short(got)} in the file, expected a list")]
            out = []
            for i, (g, w) in enumerate(zip(got, want, strict=False)):
                out += self.diff(g, w, f"{path}[{i}]")
            if len(got) != len(want):
                out.append((path, f"{path}: {len(got)} item(s) in the file, the policy and data give {len(want)}"))
            return out
        if _same(got, want):
            return []
        return [(path, f"{path}: {_short(got)} in the file, the policy and data give {_short(want)}")]

    def _same_file(self, got: Any, want: str, path: str) -> list[tuple[str, str]]:
        """A policy file named by another path is the same file (the policy digest already matched)."""
        mapped = self._files.get(want)
        if mapped is None and isinstance(got, str) and got not in self._files.values():
            self._files[want] = got
            return []
        if mapped == got:
            return []
        return [(f"{path}.file", f"{path}.file: {_short(got)} in the file, the policy's file is {want!r}")]

    # ---- counterfactual -----------------------------------------------------------------
    def counterfactual(self, key: tuple[str, str, str]) -> list[str]:
        """The re-derived to_qualify, tested on the re-derivation: its changes grant, none can go."""
        code, subject, as_of = key
        d = self.dates(as_of)
        args = self.subject_truth(d.rc, subject, code)
        assert args is not None
        answer = self._answer(d, subject, args[1])
        if not answer.changes:
            return []
        rc = d.rc
        full = {c.vid: c.target for c in answer.changes}
        errs = []
        try:
            rc.value_overrides = full
            if self.subject_truth(rc, subject, code)[0] is not Truth.TRUE:  # type: ignore[index]
                errs.append("to_qualify: making its changes does not grant the decision")
            for c in answer.changes:
                rc.value_overrides = {k: v for k, v in full.items() if k != c.vid}
                if self.subject_truth(rc, subject, code)[0] is Truth.TRUE:  # type: ignore[index]
                    errs.append(f"to_qualify: the decision is granted without changing {c.vid} (not minimal)")
        finally:
            rc.value_overrides = {}
        return errs

    def _answer(self, d: _Dates, subject: str, args: tuple[str, ...]) -> Answer:
        return d.qualifier.qualify(subject, args)

    # ---- the whole file ---------------------------------------------------------------------
    def finish(self) -> VerifyReport:
        """After the last record: the file-level checks (empty, records missing)."""
        if self.report.checked == 0:
            self.report.problems.append(
                Problem(0, "-", "-", "the file holds no decision records", "verify.empty", self._where)
            )
            return self.report
        if self.scope.complete:
            for key in self.expected_keys():
                if key not in self._seen:
                    code, subject, as_of = key
                    self.report.problems.append(
                        Problem(
                            0,
                            code,
                            subject,
                            f"no record of this decision as of {as_of} (the policy and data give one)",
                            "verify.missing-record",
                            "file",
                        )
                    )
        return self.report

    def expected_keys(self) -> list[tuple[str, str, str]]:
        """Every (provider, subject, as_of) evaluate writes for the file's dates, within the scope."""
        s = self.scope
        dates = sorted({k[2] for k in self._seen if _is_date(k[2])})
        pairs = s.pairs if s.pairs is not None else any(k[1].startswith("pair:") for k in self._seen)
        subjects = [f"credential:{n}" for n in self.policy.credentials] + [
            f"form:{f}:{role}" for f in self.policy.forms for role in ("lead", "recipient")
        ]
        out: list[tuple[str, str, str]] = []
        codes = [s.provider] if s.provider is not None else sorted(self.providers)
        for as_of in dates:
            for code in codes:
                for subject in subjects:
                    if s.subject is None or s.subject == subject:
                        out.append((code, subject, as_of))
            if s.subject is not None and s.subject.startswith("pair:"):
                parts = s.subject.split(":")
                out.append((parts[2], s.subject, as_of))
            elif pairs and s.subject is None:
                out += [k for k in self.pair_keys(as_of) if s.provider is None or k[0] == s.provider]
        return out

    def pair_keys(self, as_of: str) -> list[tuple[str, str, str]]:
        rc = self.dates(as_of).rc
        out = []
        codes = sorted(self.providers)
        for name, form in sorted(self.policy.forms.items()):
            leads = [c for c in codes if rc.role_truth(form, "lead", c) is not Truth.FALSE]
            recs = [c for c in codes if rc.role_truth(form, "recipient", c) is not Truth.FALSE]
            for lead in leads:
                for rec in recs:
                    if lead != rec and rc.pair_truth(form, lead, rec) is not Truth.FALSE:
                        out.append((lead, f"pair:{name}:{lead}:{rec}", as_of))
        return out

    # ---- missing values -----------------------------------------------------------------
    def missing_of(self, rc: Recompute, subject: str, args: tuple[str, ...]) -> set[str]:
        out: set[str] = set()
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            self._missing_rule(rc, self.policy.credentials[rest], args[0], out)
        elif kind == "form":
            form_name, _, role = rest.partition(":")
            form = self.policy.forms[form_name]
            self._missing(rc, form.lead if role == "lead" else form.recipient, args, out)
        else:
            form = self.policy.forms[rest.split(":")[0]]
            for role, code in (("lead", args[0]), ("recipient", args[1])):
                if rc.role_truth(form, role, code) is Truth.UNKNOWN:
                    self._missing(rc, form.lead if role == "lead" else form.recipient, (code,), out)
            if form.pair is not None:
                self._missing(rc, form.pair, args, out)
        return out

    def _missing_rule(self, rc: Recompute, rule: ir.Rule, code: str, out: set[str]) -> None:
        if rc.rule_truth(rule, code) is not Truth.UNKNOWN:
            return
        for part in [rule.requires, rule.unless, rule.scope]:
            if part is not None:
                self._missing(rc, part, (code,), out)

    def _missing(self, rc: Recompute, cond: ir.Cond, args: tuple[str, ...], out: set[str]) -> None:
        if rc.truth(cond, args) is not Truth.UNKNOWN:
            return
        pair = len(args) == 2
        if isinstance(cond, ir.CAnd | ir.COr):
            for i in cond.items:
                self._missing(rc, i, args, out)
        elif isinstance(cond, ir.CNot):
            self._missing(rc, cond.item, args, out)
        elif isinstance(cond, ir.CRef):
            self._missing_rule(rc, self.policy.rule(cond.name), rc.code_of(cond.who, args), out)
        elif isinstance(cond, ir.CJudged):
            code = args[0]
            truths = [rc.truth(s, args) for s in cond.scopes]
            out.update(judged_labels(cond, truths, [rc.value(s.value, code)[0] for s in cond.scopes]))
        elif isinstance(cond, ir.CStatus):
            code = rc.code_of(cond.who, args)
            out.add(f"{code}: status {cond.name}" if pair else f"status {cond.name}")
        else:
            for v in operands(cond):
                if isinstance(v, ir.VConst | ir.VParam):
                    continue
                code = rc.code_of(getattr(v, "who", None), args)
                if rc.value(v, code)[0] is None:
                    stale = rc.stale_of(v, code)
                    text = stale_label(describe_value(v), stale[1], stale[2]) if stale else rc.missing_text(v, code)
                    out.add(f"{code}: {text}" if pair else text)

    # ---- the expected proof -----------------------------------------------------------------
    def proof(self, d: _Dates, subject: str, args: tuple[str, ...], truth: Truth) -> dict[str, Any]:
        rc = d.rc
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            rule = self.policy.credentials[rest]
            node = self.rule_node(rc, rule, args[0], root=True)
        elif kind == "form":
            form_name, _, role = rest.partition(":")
            node = self.role_node(rc, self.policy.forms[form_name], role, args[0], root=True)
        else:
            node = self.pair_node(rc, self.policy.forms[rest.split(":")[0]], args)
        node["subject"] = subject
        node["as_of"] = rc.as_of.isoformat()
        if truth is Truth.FALSE:
            answer = self._answer(d, subject, args)
            q = d.qualifier
            node["to_qualify"] = q.items(answer)
            if answer.ineligible:
                node["ineligible"] = [q.ineligible_item(r) for r in answer.ineligible]
            if answer.reason is not None:
                node["cannot_qualify"] = answer.reason
        return node

    def rule_node(
        self, rc: Recompute, rule: ir.Rule, code: str, root: bool = False, ref: ir.CRef | None = None
    ) -> dict[str, Any]:
        t = rc.rule_truth(rule, code)
        node: dict[str, Any] = {
            "kind": rule.kind,
            "outcome": OUTCOME[t] if root else t.value,
            "name": rule.name,
            "title": rule.title,
            "text": (ref.text or ref.name) if ref is not None else rule.name,
            "provider": code,
            "source": _src(ref.span if ref is not None else rule.span),
            "cites": _cites(rule.cites),
        }
        args = (code,)
        scope_node: dict[str, Any] | None = None
        if rule.scope is not None:  # a scoped criterion: its scope first; outside it, nothing else
            applies = rc.truth(rule.scope, args)
            scope_node = {
                "kind": "scope",
                "outcome": applies.value,
                "text": f"applies to {rule.scope.text}",
                "source": _src(rule.scope.span),
                "cites": [],
                "children": [self.cond_node(rc, rule.scope, args)],
            }
            if applies is Truth.FALSE:
                node["children"] = [scope_node]
                if ref is not None:
                    node["defined_at"] = _src(rule.span)
                return node
            body = [rc.truth(rule.requires, args)]
            if rule.unless is not None:
                body.append(rc.truth(rule.unless, args))
            t = k_or(body)
        if rule.unless is None:
            node["children"] = [self.cond_node(rc, rule.requires, args)]
        else:
            req_t = rc.truth(rule.requires, args)
            wav_t = rc.truth(rule.unless, args)
            if t is Truth.TRUE:
                chosen = [0] if req_t is Truth.TRUE else [0, 1]
            elif t is Truth.FALSE:
                chosen = [0, 1]
            else:
                chosen = [i for i, x in enumerate((req_t, wav_t)) if x is Truth.UNKNOWN]
            parts = [rule.requires, rule.unless]
            node["children"] = [
                {
                    "kind": "unless",
                    "outcome": t.value,
                    "text": f"{rule.requires.text} unless {rule.unless.text}",
                    "source": _src(rule.unless.span),
                    "cites": [],
                    "waived": t is Truth.TRUE and req_t is not Truth.TRUE,
                    "children": [self.cond_node(rc, parts[i], args) for i in chosen],
                }
            ]
        if scope_node is not None:
            node["children"] = [scope_node, *node["children"]]
        if ref is not None:
            node["defined_at"] = _src(rule.span)
        return node

    def role_node(self, rc: Recompute, form: ir.Form, role: str, code: str, root: bool = False) -> dict[str, Any]:
        t = rc.role_truth(form, role, code)
        cond = form.lead if role == "lead" else form.recipient
        return {
            "kind": "role",
            "outcome": OUTCOME[t] if root else t.value,
            "name": form.name,
            "title": form.title,
            "role": role,
            "text": f"{form.name} {role}",
            "provider": code,
            "source": _src(form.lead_span if role == "lead" else form.recipient_span),
            "cites": _cites(form.cites),
            "children": [self.cond_node(rc, cond, (code,))],
        }

    def pair_node(self, rc: Recompute, form: ir.Form, args: tuple[str, ...]) -> dict[str, Any]:
        lead, rec = args
        t = rc.pair_truth(form, lead, rec)
        parts: list[tuple[Truth, Any]] = [
            (rc.role_truth(form, "lead", lead), lambda: self.role_node(rc, form, "lead", lead)),
            (rc.role_truth(form, "recipient", rec), lambda: self.role_node(rc, form, "recipient", rec)),
        ]
        # the pair condition is part of the proof only when neither role is refused
        if form.pair is not None and all(p[0] is not Truth.FALSE for p in parts):
            pair = form.pair
            parts.append((rc.truth(pair, args), lambda: self.cond_node(rc, pair, args)))
        chosen = _select("and", [p[0] for p in parts], t)
        return {
            "kind": "pair",
            "outcome": OUTCOME[t],
            "name": form.name,
            "title": form.title,
            "text": f"{form.name}: {lead} leads, {rec} receives",
            "lead": lead,
            "recipient": rec,
            "source": _src(form.pair_span),
            "cites": _cites(form.cites),
            "children": [parts[i][1]() for i in chosen],
        }

    def cond_node(self, rc: Recompute, cond: ir.Cond, args: tuple[str, ...]) -> dict[str, Any]:
        if isinstance(cond, ir.CRef):
            return self.rule_node(rc, self.policy.rule(cond.name), rc.code_of(cond.who, args), ref=cond)
        t = rc.truth(cond, args)
        node: dict[str, Any]
        if isinstance(cond, ir.CAnd | ir.COr | ir.CNot):
            kind = "and" if isinstance(cond, ir.CAnd) else "or" if isinstance(cond, ir.COr) else "not"
            items = list(cond.items) if isinstance(cond, ir.CAnd | ir.COr) else [cond.item]
            chosen = _select(kind, [rc.truth(i, args) for i in items], t)
            return {
                "kind": kind,
                "outcome": t.value,
                "text": cond.text,
                "source": _src(cond.span),
                "cites": [],
                "children": [self.cond_node(rc, items[i], args) for i in chosen],
            }
        if isinstance(cond, ir.CJudged):
            code = args[0]
            judged: dict[str, Any] = {
                "kind": "judged",
                "outcome": t.value,
                "text": cond.text,
                "source": _src(cond.span),
                "cites": [],
                "applies": [
                    n for n, s in zip(cond.criteria, cond.scopes, strict=True) if rc.truth(s, args) is Truth.TRUE
                ],
                "value": {s.value.text: json_value(rc.value(s.value, code)[0]) for s in cond.scopes},
            }
            if t is Truth.UNKNOWN:
                labels: set[str] = set()
                self._missing(rc, cond, args, labels)
                judged["missing"] = sorted(labels)
            judged["children"] = []
            return judged
        pair = len(args) == 2
        if isinstance(cond, ir.CStatus):
            code = rc.code_of(cond.who, args)
            value, rows = rc.status(cond.name, code)
            node = {
                "kind": "status",
                "outcome": t.value,
                "text": cond.text,
                "source": _src(cond.span),
                "cites": [],
                "value": json_value(value),
                "evidence": self.evidence(rows),
            }
            if pair:
                node["provider"] = code
            if value is None and not rc.covering(cond.name):
                from credential.proofs.proof import uncovered_note

                node["note"] = uncovered_note(cond.name, rc.as_of)
            if t is Truth.UNKNOWN:
                node["missing"] = [f"{code}: status {cond.name}" if pair else f"status {cond.name}"]
            node["children"] = []
            return node
        ops = operands(cond)
        left = ops[0]
        lcode = rc.code_of(getattr(left, "who", None), args)
        lv, lrows = rc.value(left, lcode)
        rows = set(lrows)
        node = {
            "kind": "arrangement" if isinstance(cond, ir.CArr) else "comparison",
            "outcome": t.value,
            "text": cond.text,
            "source": _src(cond.span),
            "cites": [],
            "op": cond.op
            if isinstance(cond, ir.CCompare)
            else "in"
            if isinstance(cond, ir.CIn)
            else (">=" if isinstance(cond, ir.CArr) else "="),
            "value": json_value(lv, left.type),
        }
        unit = cond_unit(self.policy, cond)
        if unit is not None:
            node["unit"] = unit
        if pair:
            node["provider"] = lcode
        threshold: dict[str, Any]
        if isinstance(cond, ir.CCompare):
            right = cond.right
            rcode = rc.code_of(getattr(right, "who", None), args)
            rv, rrows = rc.value(right, rcode)
            rows |= rrows
            if isinstance(right, ir.VConst):
                threshold = {"text": right.text or str(right.value), "value": json_value(right.value, right.type)}
            elif isinstance(right, ir.VParam):
                value, since = rc.param(right.name)
                threshold = {
                    "text": right.name,
                    "value": json_value(value, right.type),
                    "param": right.name,
                    "since": since.isoformat() if since else None,
                }
                trajectory = trajectory_json(self.policy.params[right.name], rc.as_of)
                if trajectory is not None:
                    threshold["trajectory"] = trajectory
            else:
                threshold = {"text": describe_value(right), "value": json_value(rv, right.type)}
                if pair:
                    threshold["provider"] = rcode
        elif isinstance(cond, ir.CIn):
            threshold = {"in": list(cond.members)}
        elif isinstance(cond, ir.CBool):
            threshold = {"value": True}
        else:
            assert isinstance(cond, ir.CArr)
            threshold = {"value": 1}
            if isinstance(cond.within, ir.VParam):
                value, since = rc.param(cond.within.name)
                threshold.update(
                    within=json_value(value), param=cond.within.name, since=since.isoformat() if since else None
                )
        if isinstance(cond, ir.CCompare) and isinstance(cond.left, ir.VPeer):
            node["peer"] = self.peer(rc, cond, cond.left, args)
        node["threshold"] = threshold
        node["evidence"] = self.evidence(rows)
        stale: dict[str, Any] = {}
        for v in ops:
            if isinstance(v, ir.VConst | ir.VParam):
                continue
            s = rc.stale_of(v, rc.code_of(getattr(v, "who", None), args))
            if s is not None:
                stale[describe_value(v)] = stale_json(s[0], v.type, s[1], s[2])
        if stale:
            node["stale"] = stale
        if isinstance(cond, ir.CArr) and cond.held is not None:
            node["grace"] = self.grace(rc, cond.held, lcode, rows)
        if isinstance(cond, ir.CCompare) and isinstance(cond.left, ir.VWindow) and cond.left.func == "pooled":
            num, den = rc.pooled_counts(cond.left, rc.code_of(cond.left.who, args))
            node["counts"] = (
                None if den is None else {"numerator": num, "denominator": den, "minimum": rc.minimum(cond.left)}
            )
        if t is Truth.UNKNOWN:
            out: set[str] = set()
            self._missing(rc, cond, args, out)
            node["missing"] = sorted(out)
        node["children"] = []
        return node

    def peer(self, rc: Recompute, cond: ir.CCompare, v: ir.VPeer, args: tuple[str, ...]) -> dict[str, Any]:
        """A peer comparison's group, size and cut-off, counted again provider by provider."""
        _position, base, group, size = rc.peer(v, rc.code_of(v.who, args))
        threshold: Any = None
        if isinstance(cond.right, ir.VConst):
            threshold = cond.right.value
        elif isinstance(cond.right, ir.VParam):
            threshold = rc.param(cond.right.name)[0]
        members = rc.peer_members(v, group) if group is not None else []
        cutoff = peer_cutoff(v.func, cond.op, threshold, members)
        return peer_json(v, base, group, size, cutoff, value_unit(self.policy, v.base))

    def grace(self, rc: Recompute, credential: str, code: str, rows: set[tuple[str, int]]) -> dict[str, Any]:
        """A grace condition's arrangements: each one's start and the credential's decision then."""
        names = {Truth.TRUE: "granted", Truth.FALSE: "refused", Truth.UNKNOWN: "undetermined"}
        out = []
        for file, row in sorted(rows):
            try:
                start = self.bundle.row_values(file, row).get("start") or None
            except KeyError:
                start = None
            held = names[rc.held_truth(credential, code, dt.date.fromisoformat(start))] if start else "undetermined"
            out.append({"file": file, "row": row, "start": start, "held": held})
        return {"credential": credential, "arrangements": out}

    def evidence(self, rows: set[tuple[str, int]]) -> list[dict[str, Any]]:
        out = []
        for file, row in sorted(rows):
            try:
                values = self.rows.values(file, row)
            except KeyError:
                values = {}
            out.append({"file": file, "row": row, "values": values})
        return out


def _is_date(s: str) -> bool:
    try:
        dt.date.fromisoformat(s)
    except ValueError:
        return False
    return True


_FIELD_CODES = {
    "outcome": "verify.outcome",
    "missing": "verify.missing",
    "policy": "verify.policy",
    "data": "verify.data-digest",
    "engine": "verify.engine",
    "backend": "verify.backend",
    "provider_name": "verify.provider-name",
    "as_of": "verify.record",
}


def _code_of(path: str) -> str:
    head = path.split(".", 1)[0].split("[", 1)[0]
    if head == "policy":
        return "verify.policy-digest" if path.startswith("policy.sha256") else "verify.policy"
    if head == "proof":
        rest = path[len("proof") :]
        if rest.startswith((".to_qualify", ".ineligible", ".cannot_qualify")):
            return "verify.to-qualify"
        return "verify.proof-missing" if rest == "" else "verify.proof"
    return _FIELD_CODES.get(head, "verify.record")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)), abs(float(b)))
    return type(a) is type(b) and bool(a == b)


def _short(v: Any, limit: int = 80) -> str:
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- readers: decisions files as (line, record) -------------------------------------------


def read_records(lines: Iterable[str]) -> Iterator[tuple[int, Any, str | None]]:
    """The records of a decisions file as (line, record, error): JSON lines, the JSON array of
    ``evaluate --format json`` (one record per line), or the JSON ``explain --format json`` writes.

    Raises :class:`FormatError` for a file that is none of these (CSV, a table, ...).
    """
    it = iter(lines)
    head: list[str] = []
    for line in it:
        head.append(line)
        if line.strip():
            break
    first = head[-1].lstrip() if head else ""
    if not first:
        return
    if first.startswith("{"):
        try:
            json.loads(first)
        except ValueError:
            # an indented object (explain --format json): the whole text is one document
            yield from _document("".join([*head, *it]), len(head))
            return
        yield from _jsonl(head, it)
        return
    if first.startswith("["):
        yield from _array(head, it)
        return
    if first.startswith("provider,"):
        raise FormatError("it is CSV, which holds no proofs")
    raise FormatError("it is not JSON (is it the table view?)")


def _jsonl(head: list[str], it: Iterator[str]) -> Iterator[tuple[int, Any, str | None]]:
    prev: tuple[int, str] | None = None
    for n, line in enumerate(_chain(head, it), start=1):
        if prev is not None:
            yield _parse(*prev, last=False)
        prev = (n, line) if line.strip() else None
    if prev is not None:
        yield _parse(*prev, last=True)


def _chain(head: list[str], it: Iterator[str]) -> Iterator[str]:
    yield from head
    yield from it


def _parse(n: int, line: str, last: bool) -> tuple[int, Any, str | None]:
    try:
        rec = json.loads(line)
    except ValueError as exc:
        if last and not line.endswith("\n"):
            return n, None, "verify.truncated: the file ends inside a record"
        return n, None, f"verify.not-json: not a JSON record ({exc})"
    return n, rec, None


def _array(head: list[str], it: Iterator[str]) -> Iterator[tuple[int, Any, str | None]]:
    text_lines = list(_chain(head, it))
    try:
        doc = json.loads("".join(text_lines))
    except ValueError as exc:
        yield len(text_lines), None, f"verify.truncated: not a complete JSON array ({exc})"
        return
    if not isinstance(doc, list):
        yield 1, doc, None
        return
    # evaluate writes one record per line: report lines where the layout is that; else positions
    lines = [i for i, line in enumerate(text_lines, start=1) if line.strip() not in ("[", "]", "[]")]
    positions = lines if len(lines) == len(doc) else list(range(1, len(doc) + 1))
    for pos, rec in zip(positions, doc, strict=True):
        yield pos, rec, None


def _document(text: str, start: int) -> Iterator[tuple[int, Any, str | None]]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        yield start, None, f"verify.truncated: not a complete JSON document ({exc})"
        return
    for i, rec in enumerate(doc if isinstance(doc, list) else [doc], start=1):
        yield i, rec, None


def verify_lines(
    lines: Iterable[str],
    policy: ir.CheckedPolicy,
    bundle: Bundle,
    scope: Scope | None = None,
    allow_expired: bool = False,
) -> VerifyReport:
    """Verify a decisions file given as lines (``scope``: which records it should hold).

    A record as of a date after the policy's ``expires`` raises ``PolicyExpired`` unless
    ``allow_expired`` (then the record must say it was allowed)."""
    v = Verifier(policy, bundle, scope, allow_expired)
    store = NodeStore()  # the nodes and rows of a content-addressed file (credential.proofs.store)
    for n, rec, error in read_records(lines):
        if error is not None:
            code, _, msg = error.partition(": ")
            v.report.checked += 1
            v.problem(n, rec if isinstance(rec, dict) else None, code, msg)
            if rec is None:
                continue
            v.report.checked -= 1
        if isinstance(rec, dict) and rec.get("kind") in ("node", "row") and "provider" not in rec:
            try:
                store.add(rec)
            except ProofError as exc:
                v.report.problems.append(Problem(n, "-", "-", exc.message, exc.code, v._where))
            continue
        if isinstance(rec, dict) and is_compact(rec.get("proof")):
            if not v.in_scope(rec):
                continue  # a record of another provider or subject: only those asked for are checked
            try:
                rec = {**rec, "proof": store.expand(rec["proof"], str(rec.get("provider")))}
            except ProofError as exc:
                v.report.checked += 1
                v.report.proofs += 1
                v.problem(n, rec, exc.code, exc.message)
                v.seen(n, rec)  # the record is there, its proof is not sound: not also "missing"
                continue
        v.check(n, rec)
    return v.finish()


def verify_records(
    records: Iterable[dict[str, Any]],
    policy: ir.CheckedPolicy,
    bundle: Bundle,
    scope: Scope | None = None,
    allow_expired: bool = False,
) -> VerifyReport:
    """Verify records given as data (by default each on its own: ``Scope(complete=False)``)."""
    v = Verifier(policy, bundle, scope or Scope(complete=False), allow_expired)
    for n, rec in enumerate(records, start=1):
        v.check(n, rec)
    return v.finish()


__all__ = ["FormatError", "Problem", "Scope", "Verifier", "VerifyReport", "verify_lines", "verify_records"]
