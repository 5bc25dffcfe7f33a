"""Regenerate docs/backtest.md from real runs on the bundled NHS data, and print it.

Run from the repository root: ``PYTHONPATH=engine python3 tests/docs/regen_backtest.py``
(``--print`` only prints; ``--check`` writes nothing and exits 1 when docs/backtest.md differs
from what it would write).  Every number and every trust named in the page comes from these
runs, so the page can be regenerated after any change to the policies or the data.  Parts:

* **History**: outcome counts of both reference policies at 2017-03-31, 2019-03-31, 2023-03-31
  and 2025-06-30, with the share of undetermined decisions and why, each undetermined decision
  classified by the first of these that its ``missing`` field shows: a CQC rating not yet
  published at the date (the bundle holds only each trust's latest rating), no CQC rating at all,
  stale evidence (an item that says so), no finance figures, an arrangement not known (an empty
  cell of a real event), other missing performance values (no A&E or cancer data in the window,
  or a month not reported).
* **Movements**: the same four dates as a timeline of each policy
  (:func:`credential.timeline.timeline_of`, the machinery of ``credential timeline``, on the
  evaluations the history already made): per credential and form role the outcomes at each date
  and the changes between consecutive dates, the rules that caused them (the timeline's
  attribution), worked examples of the largest movements with the real output of the
  ``credential timeline`` command that shows them, and where the two policies differ at each date
  (:func:`credential.diffing.diff.diff_policies`, the machinery of ``credential diff``).
* **Back-test**: for every takeover since 2014 (an arrangement row with a lead), whether the
  acquirer held ``form:merger_acquisition:lead`` and each tier the day before it took over, on
  the data known then (observations dated on or before that day).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import os
import re
import shlex
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from credential.api import evaluate_api
from credential.check import CheckedPolicy
from credential.cli import cli
from credential.diffing.diff import diff_policies
from credential.evaluation.decisions import DecisionRecord
from credential.timeline import CHANGES, OUTCOMES, Cause, Timeline, TimelineRow, timeline_of

ROOT = Path(__file__).resolve().parents[2]
NHS = ROOT / "fixtures" / "nhs"
POLICIES = ("dalton_2014", "dalton_2017")
DATES = (dt.date(2017, 3, 31), dt.date(2019, 3, 31), dt.date(2023, 3, 31), dt.date(2025, 6, 30))
TIERS = ("supporter", "partner", "group_leader")
REASONS = (
    "CQC rating not yet published",
    "no CQC rating",
    "stale evidence",
    "no standard applies",
    "status not known",
    "no finance figures",
    "arrangement not known",
    "performance data missing",
    "other",
)
CHANGE_MARK = {
    "gained": "G",
    "lost": "L",
    "kept in grace": "K",
    "became undetermined": "U",
    "became refused": "R",
}
REGEN = "PYTHONPATH=engine python3 tests/docs/regen_backtest.py"
TOP_CAUSES = 8
EXAMPLES = 2


def rows(name: str) -> list[dict[str, str]]:
    with (NHS / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def rated_on() -> dict[str, str]:
    """Each trust's earliest CQC publication date in the bundle."""
    out: dict[str, str] = {}
    for r in rows("observations.csv"):
        if r["measure"] == "cqc_overall":
            out[r["code"]] = min(out.get(r["code"], r["period_end"]), r["period_end"])
    return out


def reason(missing: Sequence[str], provider: str, as_of: str, first_rating: dict[str, str]) -> str:
    """The first of :data:`REASONS` that an undetermined decision's ``missing`` items show."""
    if any(m.startswith("cqc_") for m in missing):
        when = first_rating.get(provider)
        if when is None:
            return "no CQC rating"
        if when > as_of:
            return "CQC rating not yet published"
    if any("stale" in m for m in missing):
        return "stale evidence"
    if any(m.startswith("judged by") for m in missing):
        return "no standard applies"
    if any(m.startswith("status ") for m in missing):
        return "status not known"
    if any("surplus_margin" in m for m in missing):
        return "no finance figures"
    if any("arrangement" in m for m in missing):
        return "arrangement not known"
    if missing:
        return "performance data missing"
    return "other"


def policy(name: str) -> Path:
    return ROOT / "policies" / f"{name}.cred"


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@dataclass
class Run:
    """One policy evaluated at :data:`DATES`: the decision records and the timeline of the same evaluations."""

    name: str
    records: list[DecisionRecord]
    timeline: Timeline
    missing: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    @property
    def checked(self) -> CheckedPolicy:
        return self.timeline.inputs.policy


def run_policy(name: str) -> Run:
    result = evaluate_api(policy(name), NHS, list(DATES))
    tl = timeline_of(result.inputs, list(DATES), evaluations=result.evaluations)
    run = Run(name, result.records, tl)
    run.missing = {(r.provider, r.subject, r.as_of): list(r.missing) for r in run.records if r.missing}
    counts = Counter((r.as_of, r.outcome.value) for r in run.records)
    for day, by_outcome in tl.counts().items():  # the timeline and the records are the same evaluations
        assert all(counts[(day, o)] == by_outcome[o] for o in OUTCOMES), (name, day)
    return run


def history(runs: Sequence[Run]) -> str:
    first = rated_on()
    lines = [
        "| policy | as of | decisions | granted | refused | undetermined | share undetermined | "
        + " | ".join(REASONS)
        + " |",
        "|---|---|---|---|---|---|---|" + "---|" * len(REASONS),
    ]
    for run in runs:
        by_date: dict[str, list[DecisionRecord]] = defaultdict(list)
        for rec in run.records:
            by_date[rec.as_of].append(rec)
        for d in DATES:
            recs = by_date[d.isoformat()]
            outcomes = Counter(r.outcome.value for r in recs)
            why = Counter(reason(r.missing, r.provider, r.as_of, first) for r in recs if r.outcome == "undetermined")
            und = outcomes["undetermined"]
            lines.append(
                f"| {run.name} | {d} | {len(recs)} | {outcomes['granted']} | {outcomes['refused']} | {und} | "
                f"{100 * und / len(recs):.1f}% | " + " | ".join(str(why[k]) for k in REASONS) + " |"
            )
    return "\n".join(lines)


def periods() -> list[tuple[dt.date, dt.date]]:
    return list(itertools.pairwise(DATES))


def period_name(d0: dt.date, d1: dt.date) -> str:
    return f"{d0} → {d1}"


def by_subject(run: Run) -> str:
    """Per subject: outcomes at each date and the changes between consecutive dates."""
    tl = run.timeline
    head = (
        "| subject | "
        + " | ".join(f"{d} G/R/U" for d in DATES)
        + " | "
        + " | ".join(period_name(a, b) for a, b in periods())
        + " |"
    )
    lines = [head, "|---|" + "---|" * (len(DATES) + len(periods()))]
    changes: dict[tuple[str, dt.date], Counter[str]] = defaultdict(Counter)
    for r in tl.changes():
        changes[(r.subject, r.as_of)][r.change] += 1
    totals: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for j, subject in enumerate(tl.subjects):
        cells = []
        for i in range(len(DATES)):
            n = Counter(int(v) for v in tl.outcomes[i, :, j])
            cells.append(" / ".join(str(n[k]) for k in range(len(OUTCOMES))))
        moved = []
        for _, d1 in periods():
            c = changes[(subject, d1)]
            totals[d1].update(c)
            moved.append(" ".join(f"{CHANGE_MARK[k]} {c[k]}" for k in CHANGES if c[k]) or "—")
        lines.append(f"| `{subject}` | " + " | ".join(cells) + " | " + " | ".join(moved) + " |")
    total_cells = []
    for i in range(len(DATES)):
        n = Counter(int(v) for v in tl.outcomes[i].ravel())
        total_cells.append(" / ".join(str(n[k]) for k in range(len(OUTCOMES))))
    lines.append(
        "| all | "
        + " | ".join(total_cells)
        + " | "
        + " | ".join(
            " ".join(f"{CHANGE_MARK[k]} {totals[d1][k]}" for k in CHANGES if totals[d1][k]) or "—"
            for _, d1 in periods()
        )
        + " |"
    )
    return "\n".join(lines)


def is_stale(c: Cause, missing: Sequence[str]) -> bool:
    """Whether the decision's ``missing`` items say that a value the cause reads is stale."""
    words = set(re.findall(r"\w+", c.text))
    return any("stale" in m and m.split(" ", 1)[0] in words for m in missing)


def kind_of_move(c: Cause, stale: bool = False) -> str:
    """What happened to the value a cause reads, in words (``stale``: the decision's missing items
    say the value is stale now)."""
    if c.text == "":
        return "the rule's truth changed"
    if c.before == "unknown" and c.after != "unknown":
        return "a value became known" if c.value_before is None else "a value became usable"
    if c.after == "unknown":
        if stale or (isinstance(c.value_after, str) and "(stale:" in c.value_after):
            return "the value is stale now"
        if c.value_after is None:
            return "the value is missing now"
        if c.value_after == c.value_before:
            return "the same value, no longer usable (stale)"
        return "the value is not usable now"
    if c.value_before == c.value_after:
        return "the same value, the standard changed"
    return "the value changed"


@dataclass
class CauseGroup:
    """The changes between two dates caused by one rule whose conditions moved one way."""

    rule: str
    before: str
    after: str
    how: str
    rows: list[TimelineRow] = field(default_factory=list)
    conditions: dict[str, str] = field(default_factory=dict)
    """Each condition of the rule that moved this way (its text → its ``file:line``)."""

    @property
    def providers(self) -> set[str]:
        return {r.provider for r in self.rows}

    def changes(self) -> Counter[str]:
        return Counter(r.change for r in self.rows)


def cause_groups(run: Run, day: dt.date) -> list[CauseGroup]:
    """The causes of the changes at ``day`` (from the date before), largest first: a change with
    several causes is in the group of each."""
    groups: dict[tuple[str, ...], CauseGroup] = {}
    for r in run.timeline.changes():
        if r.as_of != day:
            continue
        missing = run.missing.get((r.provider, r.subject, r.as_of.isoformat()), [])
        for c in r.causes:
            how = kind_of_move(c, is_stale(c, missing))
            key = (c.rule, c.before, c.after, how)
            g = groups.setdefault(key, CauseGroup(c.rule, c.before, c.after, how))
            g.conditions.setdefault(c.text, c.source)
            if not g.rows or g.rows[-1] is not r:
                g.rows.append(r)
    return sorted(groups.values(), key=lambda g: (-len(g.providers), -len(g.rows), g.rule, g.before, g.after, g.how))


def conditions_text(g: CauseGroup) -> str:
    texts = [f"`{t}`" if t else "(the rule as a whole)" for t in g.conditions]
    lines = sorted({src.rpartition(":")[2] for src in g.conditions.values() if src})
    where = next(iter(g.conditions.values()), "").rpartition(":")[0]
    return (
        ", ".join(texts[:3])
        + (f" and {len(texts) - 3} more" if len(texts) > 3 else "")
        + (f" (`{where}:{', '.join(lines)}`)" if where else "")
    )


def causes_table(run: Run) -> str:
    out: list[str] = []
    for d0, d1 in periods():
        groups = cause_groups(run, d1)
        n_changes = sum(1 for r in run.timeline.changes() if r.as_of == d1)
        out.append(f"**{period_name(d0, d1)}** ({n_changes} changed decisions, {len(groups)} distinct causes)\n")
        if not groups:
            out.append("No decision changed.\n")
            continue
        out.append("| rule | conditions that moved | truth | what happened | trusts | decisions |")
        out.append("|---|---|---|---|---|---|")
        for g in groups[:TOP_CAUSES]:
            ch = g.changes()
            detail = ", ".join(f"{ch[k]} {k}" for k in CHANGES if ch[k])
            out.append(
                f"| `{g.rule}` | {conditions_text(g)} | {g.before} → {g.after} | {g.how} | "
                f"{len(g.providers)} | {len(g.rows)} ({detail}) |"
            )
        rest = groups[TOP_CAUSES:]
        if rest:
            out.append(
                f"\n{len(rest)} further causes, each naming at most {max(len(g.providers) for g in rest)} trusts: "
                "the commands below list them all."
            )
        out.append("")
    return "\n".join(out)


def rule_of(checked: CheckedPolicy, rule_id: str) -> tuple[str | None, list[tuple[str, str]]]:
    """A rule's title and citations (the source's text and the locator) from its id in a cause."""
    kind, _, rest = rule_id.partition(":")
    if kind == "form":
        form = checked.forms[rest.partition(":")[0]]
        return form.title, [(c.citation, c.locator) for c in form.cites]
    rule = checked.rule(rest)
    return rule.title, [(c.citation, c.locator) for c in rule.cites]


def console(command: str) -> str:
    """The real output of a ``credential`` command, run from the repository root, as a console block."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, shlex.split(command)[1:], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    out = "\n".join(line.rstrip() for line in (result.stdout + result.stderr).rstrip("\n").splitlines())
    return f"```console\n$ {command}\n{out}\n```"


def example_row(group: CauseGroup) -> TimelineRow:
    """The decision a worked example follows: a credential tier if the cause moved one (lowest first)."""

    def rank(r: TimelineRow) -> tuple[int, str, str]:
        tier = r.subject.partition(":")[2]
        if r.subject.startswith("credential:") and tier in TIERS:
            return (TIERS.index(tier), r.provider, r.subject)
        return (len(TIERS), r.provider, r.subject)

    return min(group.rows, key=rank)


def show_percent(v: Any) -> str:
    from credential.proofs.values import show_percent as percent

    return percent(v) if isinstance(v, int | float) else str(v)


def show_value(v: Any) -> str:
    from credential.proofs.values import show

    return show(v)


def examples(run: Run) -> tuple[str, list[str]]:
    """Worked examples of the largest movements (one per period at most), and the trusts they follow."""
    candidates: list[tuple[CauseGroup, dt.date, dt.date]] = []
    for d0, d1 in periods():
        groups = cause_groups(run, d1)
        if groups:
            candidates.append((groups[0], d0, d1))
    candidates.sort(key=lambda t: (-len(t[0].providers), -len(t[0].rows), t[2]))
    out: list[str] = []
    codes: list[str] = []
    for group, d0, d1 in candidates[:EXAMPLES]:
        row = example_row(group)
        codes.append(row.provider)
        title, cites = rule_of(run.checked, group.rule)
        cause = next(
            c
            for c in row.causes
            if (c.rule, c.before, c.after) == (group.rule, group.before, group.after) and c.text in group.conditions
        )
        others = [c for c in row.causes if c is not cause]
        what = f"`{cause.text}`" if cause.text else "its truth"
        out.append(
            f"**{row.provider_name or row.provider} ({row.provider}), `{row.subject}`, {period_name(d0, d1)}: "
            f"{row.previous} → {row.outcome} ({row.change}).** The largest cause of this period "
            f"({len(group.providers)} trusts, {len(group.rows)} decisions): in `{group.rule}`"
            + (f' ("{title}")' if title else "")
            + f", at `{cause.source}`, {what} went {cause.before} → {cause.after} for this trust "
            f"({show_value(cause.value_before)} → {show_value(cause.value_after)}, as the timeline shows it): "
            f"{group.how}."
            + (f" The same change names {len(others)} further condition(s) of this decision." if others else "")
        )
        if cites:
            out.append("\nThe rule cites:\n")
            out.extend(f'- {citation}: "{locator}"' for citation, locator in cites)
        out.append(
            "\nThe yearly timeline of this decision over the period (real output; the year in which it moved, "
            "and every step in between, with its causes and the trust's values):\n"
        )
        out.append(
            console(
                f"credential timeline --policy {rel(policy(run.name))} --from {d0} --to {d1} --every year "
                f"--provider {row.provider} --subject {row.subject} --changes-only"
            )
        )
        out.append("")
    return "\n".join(out), codes


def policy_diffs() -> str:
    """Where the two reference policies differ at each date (``credential diff`` at each date)."""
    old, new = POLICIES
    lines = [
        f"| as of | decisions ({old}) | decisions ({new}) | changed | changed, forms added or removed aside | "
        "causes (changed decisions naming each) |",
        "|---|---|---|---|---|---|",
    ]
    for d in DATES:
        result = diff_policies(policy(old), policy(new), NHS, d)
        labels = {
            dc.id: dc.label + (f" ({dc.status})" if dc.status in ("added", "removed") else "")
            for dc in result.declarations
        }
        catalogue = {dc.id for dc in result.declarations if dc.kind == "form" and dc.status in ("added", "removed")}
        aside = sum(1 for c in result.changes if not {cause.declaration for cause in c.causes} <= catalogue)
        counted = sorted(result.by_cause().items(), key=lambda kv: (-kv[1], kv[0]))
        causes = "; ".join(f"`{labels.get(k, k)}` {v}" for k, v in counted if v) or "—"
        lines.append(
            f"| {d} | {result.decisions_old} | {result.decisions_new} | {len(result.changes)} | {aside} | {causes} |"
        )
    return "\n".join(lines)


def takeovers() -> list[dict[str, str]]:
    out = []
    for line, r in enumerate(rows("arrangements.csv"), start=2):
        if r["form"] == "merger_acquisition":
            r = dict(r, line=str(line))
            out.append(r)
    return out


def backtest() -> tuple[str, str]:
    events = takeovers()
    led = [e for e in events if e["lead"]]
    days = sorted({dt.date.fromisoformat(e["start"]) - dt.timedelta(days=1) for e in led})
    first = rated_on()
    names = {r["code"]: r["name"] for r in rows("providers.csv")}
    decided: dict[tuple[str, str, str, str], DecisionRecord] = {}
    for name in POLICIES:
        for rec in evaluate_api(policy(name), NHS, days).records:
            decided[(name, rec.provider, rec.subject, rec.as_of)] = rec
    head = (
        "| line | took over | acquirer | day before | "
        + " | ".join(f"{p}: lead | {p}: tier" for p in POLICIES)
        + " | why not decided |"
    )
    lines = [head, "|---|---|---|---|" + "---|---|" * len(POLICIES) + "---|"]
    tally: Counter[tuple[str, str]] = Counter()
    for e in led:
        day = (dt.date.fromisoformat(e["start"]) - dt.timedelta(days=1)).isoformat()
        taken = " ".join(c for c in e["parties"].split() if c != e["lead"])
        cells = []
        whys: set[str] = set()
        for name in POLICIES:
            lead = decided[(name, e["lead"], "form:merger_acquisition:lead", day)]
            tally[(name, lead.outcome)] += 1
            outcome = {t: decided[(name, e["lead"], f"credential:{t}", day)].outcome for t in TIERS}
            held = [t for t in TIERS if outcome[t] == "granted"]
            tier = held[-1] if held else "none"
            open_ = [t for t in TIERS if outcome[t] == "undetermined"]
            if open_ and not held:
                tier = f"none ({open_[0]} undetermined)"
            refused = [t for t in TIERS if outcome[t] == "refused"]
            if lead.outcome == "refused":
                lowest = refused[0] if refused else "foundation trust, capacity or finance"
                cells += [f"refused ({lowest})", tier]
            else:
                cells += [lead.outcome, tier]
            if lead.outcome == "undetermined":
                whys.add(reason(lead.missing, lead.provider, lead.as_of, first))
        rating = first.get(e["lead"])
        why = "; ".join(sorted(whys))
        if "CQC rating not yet published" in whys and rating:
            why += f" (first rating in the bundle: {rating})"
        lines.append(
            f"| {e['line']} | {e['start']}: {taken} | {e['lead']} {names.get(e['lead'], '')} | {day} | "
            + " | ".join(cells)
            + f" | {why or '—'} |"
        )
    merged = [e for e in events if not e["lead"]]
    summary = "\n".join(
        f"- `{name}`: " + ", ".join(f"{o} {tally[(name, o)]}" for o in ("granted", "refused", "undetermined"))
        for name in POLICIES
    )
    notes = (
        f"{len(led)} takeovers by an existing trust; "
        f"{len(merged)} mergers into a new organisation ({', '.join(e['parties'] for e in merged)}) "
        "had no acquirer and are not in the table.\n\n" + summary
    )
    return "\n".join(lines), notes


def month_runs(months: Sequence[str]) -> str:
    """Months ``YYYY-MM`` as runs: ``2016-04 to 2019-03 and 2021-04 to 2025-07``."""
    ms = sorted(set(months))
    if not ms:
        return "none"

    def index(m: str) -> int:
        return int(m[:4]) * 12 + int(m[5:7]) - 1

    runs: list[list[str]] = []
    for m in ms:
        if runs and index(m) == index(runs[-1][-1]) + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    parts = [r[0] if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in runs]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def param_text(runs: Sequence[Run], name: str) -> str:
    """A param's value in the reference policies (each policy's when they differ)."""
    values = {run.name: show_value(run.checked.params[name].default) for run in runs if name in run.checked.params}
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    return ", ".join(f"{v} in `{k}`" for k, v in values.items())


def limits(runs: Sequence[Run]) -> str:
    obs = rows("observations.csv")
    months: dict[str, list[str]] = defaultdict(list)
    ratings: Counter[str] = Counter()
    for r in obs:
        months[r["measure"]].append(r["period_end"][:7])
        if r["measure"] == "cqc_overall":
            ratings[r["code"]] += 1
    published = sorted(r["period_end"] for r in obs if r["measure"] == "cqc_overall")
    several = sum(1 for n in ratings.values() if n > 1)
    statuses = rows("statuses.csv")
    covered = sorted({r["status"] for r in rows("coverage.csv")})
    declared = sorted({s for run in runs for s in run.checked.statuses})
    open_world = [s for s in declared if s not in covered]
    finance = sum(1 for r in obs if r["measure"] == "surplus_margin")
    arrangements = rows("arrangements.csv")
    no_lead = sum(1 for r in arrangements if not r["lead"])
    no_form = sum(1 for r in arrangements if not r["form"])
    no_start = sum(1 for r in arrangements if not r["start"])
    ae = month_runs(months["ae_4h"])
    cancer = month_runs(months["cancer_62d"])
    reading = sorted(
        {f"`{r.name}`" for run in runs for r in run.checked.criteria.values() if "surplus_margin" in r.requires.text}
    )
    finance_line = (
        "- **There is no finance data** (`surplus_margin`), so the criteria that read it ("
        + (", ".join(reading) or "none")
        + ") are never known: a decision that needs one of them can be refused but never granted on this data."
        if not finance
        else f"- Finance figures (`surplus_margin`): {finance} observations."
    )
    standard = runs[0].checked.params.get("ae_standard")
    ae_line = ""
    if standard is not None:
        steps = ", ".join(f"{show_percent(v)} from {d}" for d, v in standard.steps)
        same = all(
            (run.checked.params[k].default, run.checked.params[k].steps) == (standard.default, standard.steps)
            for run in runs
            for k in ["ae_standard"]
            if k in run.checked.params
        )
        ae_line = (
            " The A&E standard (`ae_standard`"
            + ("" if same else f" of `{runs[0].name}`")
            + f") is {show_percent(standard.default)}"
            + (f", then {steps}" if steps else "")
            + ": a trust's truth can change with the standard in force while its figure does not."
        )
    return f"""- **No CQC rating history is bundled.** Each trust has only its latest rating (the February 2026
  "latest ratings" file, published {published[0]} to {published[-1]}; {several} trusts have more than
  one). As of an earlier date a trust whose latest rating was published later has *no* rating, so
  its credentials are undetermined ("CQC rating not yet published"): the main reason the early
  dates are mostly undetermined, and a limit of the back-test, not a finding about the trusts.
- **Ratings go stale.** A rating older than `rating_max_age` ({param_text(runs, "rating_max_age")}) is no
  evidence of a grant, and operational figures older than `performance_max_age`
  ({param_text(runs, "performance_max_age")}) neither (the `max age` of the measures): by the later dates
  many of the same latest ratings are too old. A stale value cannot grant (the decision is
  undetermined, "stale evidence"); a measure declared `stale may refuse` may still refuse on it.
- **A rating carried over from a predecessor** is not the trust's own: `statuses.csv` holds
  {len(statuses)} `rating_from_predecessor` rows derived from the successions, and `coverage.csv`
  declares {", ".join(f"`{c}`" for c in covered) or "no status"} complete from its start; the other
  statuses ({", ".join(f"`{s}`" for s in open_world) or "none"}) have no list and no coverage row, so
  they are unknown (open world, "status not known") wherever a decision needs them to be false.
{finance_line}
- A&E (`ae_4h`) is monthly for {ae}; cancer (`cancer_62d`) for {cancer}. Rates are pooled over
  their window and count only with enough patients or attendances (`min_cancer_patients`
  {param_text(runs, "min_cancer_patients")}, `min_ae_attendances` {param_text(runs, "min_ae_attendances")}): a
  window reaching into a gap, a month a trust did not report, or too few patients is missing
  ("performance data missing").{ae_line}
- Standards apply to sectors (`applies to`, `judged by`): a trust of a sector that no
  operational standard judges cannot show operational performance, so the tiers that ask for it
  are undetermined ("no standard applies").
- The successions say neither the form nor who led; the bundle records a takeover by an existing
  trust as `merger_acquisition` led by it, a merger into a new organisation with no lead, and the
  group boards with lead, form or start often not known ({no_lead} of {len(arrangements)} rows
  have no lead, {no_form} no form, {no_start} no start), which makes some counts unknown.
- The grace period (`grace_period` {param_text(runs, "grace_period")}) only **protects** a tier the
  lead already held on the day an arrangement started (`held partner at start of arrangement led
  ...`): it never grants a tier a trust did not hold, and an arrangement whose start is not known
  gives an unknown grace."""


def document() -> str:
    runs = [run_policy(name) for name in POLICIES]
    table, notes = backtest()
    sections: list[str] = []
    commands: list[str] = []
    for run in runs:
        text, codes = examples(run)
        sections.append(
            f"""### `{run.name}`

Outcomes at each date as granted / refused / undetermined, and the changes from the date before:
G gained, L lost, K kept in grace, U became undetermined, R became refused (the marks of
`credential timeline`).

{by_subject(run)}

The rules that caused the moves: a cause is a condition of a rule whose truth changed
between the two dates, the way the decision changed (the attribution of `credential timeline`);
a changed decision with several causes counts under each. The {TOP_CAUSES} causes reaching the
most trusts in each period (one row per rule and way its conditions moved):

{causes_table(run)}
#### Worked examples: the largest movements

{text}"""
        )
        for code in codes[:1]:
            commands.append(
                f"credential timeline --policy {rel(policy(run.name))} --from {DATES[0]} --to {DATES[-1]} "
                f"--every year --provider {code} --changes-only"
            )
    old, new = POLICIES
    commands.append(f"credential diff {rel(policy(old))} {rel(policy(new))} --as-of {DATES[1]}")
    command_block = "```sh\n" + "\n".join(dict.fromkeys(commands)) + "\n```"
    movement = "\n".join(sections)
    return f"""# Back-test: the reference policies against what happened

Generated by `PYTHONPATH=engine python3 tests/docs/regen_backtest.py` from runs on the bundled
NHS data (`fixtures/nhs/`, see its `PROVENANCE.md`); rerun it after changing a policy or the data
(`--check` says whether this page is current; `tests/docs/test_backtest.py` runs it). Every number
and every trust named below comes from those runs.
It is a **back-test**, not a target: the policies were not tuned to it, and the numbers say as
much about what the bundled data lacks as about the policies.

Read every figure with the data's limits in mind:

{limits(runs)}

## Outcomes by date

Each undetermined decision is counted once, under the first reason its `missing` field shows, in
the order of the columns: a CQC rating not yet published at the date, no CQC rating at all, stale
evidence, no operational standard applies to the trust's sector, a status with no list (not
known), no finance figures, an arrangement's form, lead or start not known, and other missing
performance figures.

{history(runs)}

## How outcomes moved, {DATES[0].year} to {DATES[-1].year}, and which rules moved them

The same four dates, as the timeline of each policy: the decisions of the table above (the same
evaluations), each compared with the same decision at the date before and marked, with its
causes, exactly as `credential timeline` marks and attributes them (see [report.md](report.md)).
These are net moves between the four dates; a decision that moved and moved back in between is
not counted. A cause whose value "became known" is mostly a rating published between the two
dates (no rating history is bundled), one "stale now" a rating that outlived `rating_max_age`
(the value is still in the data, shown with its date and the limit), and
"the standard changed" a figure judged against a new standard in force.

{movement}
### Seeing the rows yourself

`credential timeline` steps from `--from` by `--every`: the four dates above are all among its
yearly steps from {DATES[0]} to {DATES[-1]}. Each timeline line below gives every change of the
trust of a worked example, year by year, with its causes (`--format csv` or `jsonl` for
machines; without `--provider` every trust). `credential diff` compares the two reference
policies at one date: which decisions differ and which edited rule caused each (see
[policy-diff.md](policy-diff.md)).

{command_block}

### Where the two policies differ at each date

`credential diff {rel(policy(old))} {rel(policy(new))} --as-of DATE` at each date: the decisions that
differ, and how many of them name each changed declaration. Most of them are the form catalogue
(a form dropped or added changes every trust's decision of it, to or from `absent`); the next
column leaves those aside.

{policy_diffs()}

## Was the acquirer credentialed when it took over?

For each takeover since 2014, the acquirer's decision for `form:merger_acquisition:lead` (when
refused, the lowest tier it was refused, whose proof says why) and the highest tier it held, each
on the day before the takeover (so the takeover itself is not yet in the data, and only
observations dated on or before that day count). Line = the row of `fixtures/nhs/arrangements.csv`.
"Why not decided" names the reason an undetermined lead decision shows; "CQC rating not yet
published" means that no rating of the acquirer published before the event is in the bundle
(its first one is given), not that the CQC had not rated it.

{notes}

{table}
"""


def main() -> int:
    text = document()
    target = ROOT / "docs" / "backtest.md"
    if "--check" in sys.argv:
        if target.read_text(encoding="utf-8") != text:
            print(f"docs/backtest.md is stale: run {REGEN}", file=sys.stderr)
            return 1
        return 0
    if "--print" not in sys.argv:
        target.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
