"""Regenerate docs/backtest.md from real runs on the bundled NHS data, and print it.

Run from the repository root: ``PYTHONPATH=engine python3 tests/docs/regen_backtest.py``
(``--print`` only prints).  Two parts:

* **History**: outcome counts of both reference policies at 2017-03-31, 2019-03-31, 2023-03-31
  and 2025-06-30, with the share of undetermined decisions and why, each undetermined decision
  classified by the first of these that its ``missing`` field shows: a CQC rating not yet
  published at the date (the bundle holds only each trust's latest rating), no CQC rating at all,
  stale evidence (an item that says so), no finance figures, an arrangement not known (an empty
  cell of a real event), other missing performance values (no A&E or cancer data in the window,
  or a month not reported).
* **Back-test**: for every takeover since 2014 (an arrangement row with a lead), whether the
  acquirer held ``form:merger_acquisition:lead`` and each tier the day before it took over, on
  the data known then (observations dated on or before that day).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import Counter, defaultdict
from pathlib import Path

from credential.api import evaluate_api
from credential.evaluation.decisions import DecisionRecord

ROOT = Path(__file__).resolve().parents[2]
NHS = ROOT / "fixtures" / "nhs"
POLICIES = ("dalton_2014", "dalton_2017")
DATES = (dt.date(2017, 3, 31), dt.date(2019, 3, 31), dt.date(2023, 3, 31), dt.date(2025, 6, 30))
TIERS = ("supporter", "partner", "group_leader")
REASONS = (
    "CQC rating not yet published",
    "no CQC rating",
    "stale evidence",
    "no finance figures",
    "arrangement not known",
    "performance data missing",
    "other",
)


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


def reason(rec: DecisionRecord, first_rating: dict[str, str]) -> str:
    missing = rec.missing
    if any(m.startswith("cqc_") for m in missing):
        when = first_rating.get(rec.provider)
        if when is None:
            return "no CQC rating"
        if when > rec.as_of:
            return "CQC rating not yet published"
    if any("stale" in m for m in missing):
        return "stale evidence"
    if any("surplus_margin" in m for m in missing):
        return "no finance figures"
    if any("arrangement" in m for m in missing):
        return "arrangement not known"
    if missing:
        return "performance data missing"
    return "other"


def policy(name: str) -> Path:
    return ROOT / "policies" / f"{name}.cred"


def history() -> str:
    first = rated_on()
    lines = [
        "| policy | as of | decisions | granted | refused | undetermined | share undetermined | "
        + " | ".join(REASONS)
        + " |",
        "|---|---|---|---|---|---|---|" + "---|" * len(REASONS),
    ]
    for name in POLICIES:
        result = evaluate_api(policy(name), NHS, list(DATES))
        by_date: dict[str, list[DecisionRecord]] = defaultdict(list)
        for rec in result.records:
            by_date[rec.as_of].append(rec)
        for d in DATES:
            recs = by_date[d.isoformat()]
            outcomes = Counter(r.outcome for r in recs)
            why = Counter(reason(r, first) for r in recs if r.outcome == "undetermined")
            und = outcomes["undetermined"]
            lines.append(
                f"| {name} | {d} | {len(recs)} | {outcomes['granted']} | {outcomes['refused']} | {und} | "
                f"{100 * und / len(recs):.1f}% | " + " | ".join(str(why[k]) for k in REASONS) + " |"
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
                whys.add(reason(lead, first))
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


def document() -> str:
    table, notes = backtest()
    return f"""# Back-test: the reference policies against what happened

Generated by `PYTHONPATH=engine python3 tests/docs/regen_backtest.py` from runs on the bundled
NHS data (`fixtures/nhs/`, see its `PROVENANCE.md`); rerun it after changing a policy or the data.
It is a **back-test**, not a target: the policies were not tuned to it, and the numbers say as
much about what the bundled data lacks as about the policies.

Read every figure with the data's limits in mind:

- **No CQC rating history is bundled.** Each trust has only its latest rating (the February 2026
  "latest ratings" file; three trusts have two). As of an earlier date a trust whose latest rating
  was published later has *no* rating, so its credentials are undetermined ("CQC rating not yet
  published"). This is the main reason the early dates are mostly undetermined.
- There is no finance data, so `financially_resilient` (which `merger_acquisition` asks of its
  lead) is never known: a takeover lead can be refused but never granted on this data.
- A&E is monthly for 2016-04 to 2019-03 and 2021-04 to 2025-07; a window reaching into the gap or
  into a month a trust did not report is missing. Cancer figures exist only for 2025-04 and 2026-01.
- The successions say neither the form nor who led; the bundle records a takeover by an existing
  trust as `merger_acquisition` led by it, a merger into a new organisation with no lead, and the
  group boards with lead (and mostly form and start) not known, which makes some counts unknown.
- The grace period of these policies is the one they had when this was generated; a grace
  period that only protects an existing credential changes the figures for recent acquirers.

## Outcomes by date

Each undetermined decision is counted once, under the first reason its `missing` field shows, in
the order of the columns.

{history()}

## Was the acquirer credentialed when it took over?

For each takeover since 2014, the acquirer's decision for `form:merger_acquisition:lead` (when
refused, the lowest tier it was refused, whose proof says why: before April 2023 most acute trusts
fail `partner` on the 95% A&E standard) and the highest tier it held, each on the day before the
takeover (so the takeover itself is not yet in the data, and only observations dated on or before
that day count). Line = the row of `fixtures/nhs/arrangements.csv`.

{notes}

{table}
"""


def main() -> None:
    text = document()
    if "--print" not in sys.argv:
        (ROOT / "docs" / "backtest.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
