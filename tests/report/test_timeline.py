"""`credential timeline`: dates, change marks, causes, formats, selection, and the one-pass contract."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential import api
from credential.cli import cli
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.output.records import records_for
from credential.timeline import (
    UnknownSelection,
    add_months,
    as_of_dates,
    build_timeline,
    parse_date,
    select_subjects,
    timeline_of,
)
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = FIX / "spec_example.cred"
DATA = FIX / "hand_bundle"
GOLDEN = Path(__file__).resolve().parent / "golden"
RANGE = ["--from", "2015-01-01", "--to", "2016-04-01", "--every", "quarter"]


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_parse_date_forms() -> None:
    assert parse_date("2025-06-30") == dt.date(2025, 6, 30)
    assert parse_date("today", today=dt.date(2026, 1, 2)) == dt.date(2026, 1, 2)
    assert parse_date("2025-Q1") == dt.date(2025, 3, 31)
    assert parse_date("2024q4") == dt.date(2024, 12, 31)
    for bad in ("2025-13-01", "30/06/2025", "2025-Q5", "", "2025-6-3"):
        with pytest.raises(ValueError, match="accepted"):
            parse_date(bad)


def test_as_of_dates_steps_and_includes_the_end() -> None:
    assert as_of_dates(dt.date(2016, 1, 1), dt.date(2018, 6, 1), "year") == [
        dt.date(2016, 1, 1),
        dt.date(2017, 1, 1),
        dt.date(2018, 1, 1),
        dt.date(2018, 6, 1),
    ]
    q = as_of_dates(dt.date(2025, 3, 31), dt.date(2025, 12, 31), "quarter")
    assert q == [dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 9, 30), dt.date(2025, 12, 31)]
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert as_of_dates(dt.date(2020, 1, 1), dt.date(2020, 1, 1)) == [dt.date(2020, 1, 1)]
    with pytest.raises(ValueError, match="before it starts"):
        as_of_dates(dt.date(2020, 1, 2), dt.date(2020, 1, 1))
    with pytest.raises(ValueError, match="--every"):
        as_of_dates(dt.date(2020, 1, 1), dt.date(2021, 1, 1), "week")


def test_outcomes_equal_separate_evaluations() -> None:
    """The one-pass timeline decides exactly what an evaluation at each date decides."""
    tl = build_timeline(POLICY, DATA, dt.date(2015, 1, 1), dt.date(2016, 4, 1), "quarter")
    inputs = load_inputs(POLICY, DATA)
    by_date: dict[str, dict[tuple[str, str], str]] = {}
    for d in tl.dates:
        recs = records_for(evaluate_inputs(inputs, d))
        by_date[d.isoformat()] = {(r.provider, r.subject): r.outcome.value for r in recs}
    assert len(tl.rows) == sum(len(v) for v in by_date.values())
    for row in tl.rows:
        assert row.outcome == by_date[row.as_of.isoformat()][(row.provider, row.subject)]


def test_every_change_is_marked_with_a_cause() -> None:
    tl = build_timeline(POLICY, DATA, dt.date(2015, 1, 1), dt.date(2016, 4, 1), "quarter")
    changes = tl.changes()
    assert changes
    for r in changes:
        assert r.previous is not None
        assert r.causes, r
        if r.change == "gained":
            assert r.outcome == "granted" and r.previous != "granted"
        elif r.change == "lost":
            assert (r.previous, r.outcome) == ("granted", "refused")
        elif r.change == "became undetermined":
            assert r.outcome == "undetermined"
    # RXH leaves financial special measures at the end of 2015: it stops qualifying as a franchise recipient
    lost = [r for r in changes if r.provider == "RXH" and r.change == "lost"]
    assert [(r.subject, r.as_of.isoformat()) for r in lost] == [("form:management_franchise:recipient", "2016-01-01")]
    (cause,) = lost[0].causes
    assert (cause.text, cause.before, cause.after, cause.value_before, cause.value_after) == (
        "special_measures_finance",
        "true",
        "false",
        True,
        False,
    )
    # the first date has no previous outcome and no change
    first = [r for r in tl.rows if r.as_of == tl.dates[0]]
    assert all(r.previous is None and not r.change for r in first)


def test_kept_in_grace(tmp_path: Path) -> None:
    """Granted, then the requirement fails inside the grace period: kept in grace, naming the waiver."""
    bundle = tmp_path / "bundle"
    shutil.copytree(DATA, bundle)
    with open(bundle / "observations.csv", "a", encoding="utf-8") as fh:
        fh.write("RTH,surplus_pct,2015-03-31,0.01\n")
    tl = build_timeline(POLICY, bundle, dt.date(2015, 7, 1), dt.date(2015, 10, 1), "quarter", providers=["RTH"])
    rows = {(r.subject, r.as_of.isoformat()): r for r in tl.rows}
    before, after = rows[("credential:partner", "2015-07-01")], rows[("credential:partner", "2015-10-01")]
    assert (before.outcome, before.in_grace) == ("granted", False)
    assert (after.outcome, after.in_grace, after.change) == ("granted", True, "kept in grace")
    assert [c.rule for c in after.causes] == ["criterion:financially_sound"]
    assert after.causes[0].after == "false"


def test_selection_and_errors() -> None:
    subjects = ["credential:partner", "credential:supporter", "form:buddying:lead", "form:buddying:recipient"]
    assert select_subjects(subjects, ["partner"]) == ["credential:partner"]
    assert select_subjects(subjects, ["form:*:lead"]) == ["form:buddying:lead"]
    assert select_subjects(subjects, []) == subjects
    inputs = load_inputs(POLICY, DATA)
    tl = timeline_of(inputs, [dt.date(2016, 1, 1)], providers=["RTH"], subjects=["credential:*"])
    assert {r.provider for r in tl.rows} == {"RTH"}
    assert {r.subject for r in tl.rows} == {"credential:partner", "credential:supporter", "credential:group_leader"}
    with pytest.raises(UnknownSelection, match="ZZZ"):
        timeline_of(inputs, [dt.date(2016, 1, 1)], providers=["ZZZ"])
    with pytest.raises(UnknownSelection, match="nothing_like_this"):
        timeline_of(inputs, [dt.date(2016, 1, 1)], subjects=["nothing_like_this"])


def test_api_matches_cli_jsonl() -> None:
    tl = api.timeline_api(dt.date(2015, 1, 1), dt.date(2016, 4, 1), "quarter", POLICY, DATA)
    code, out, _ = invoke("timeline", "--policy", str(POLICY), "--data", str(DATA), *RANGE, "--format", "jsonl")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [r.to_json_dict() for r in tl.rows]


def test_formats_agree_and_golden() -> None:
    base = ["timeline", "--policy", "spec_example.cred", "--data", "hand_bundle", *RANGE, "--changes-only"]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(FIX)
        code, table, _ = invoke(*base)
        _, jl, _ = invoke(*base, "--format", "jsonl")
        _, cs, _ = invoke(*base, "--format", "csv")
    assert code == 0
    assert_golden(GOLDEN / "timeline_changes.txt", table)
    records = [json.loads(line) for line in jl.splitlines()]
    rows = list(csv.DictReader(io.StringIO(cs)))
    assert [(r["provider"], r["subject"], r["as_of"], r["change"]) for r in rows] == [
        (x["provider"], x["subject"], x["as_of"], x["change"]) for x in records
    ]
    assert all(x["change"] for x in records)


def test_cli_usage_errors(tmp_path: Path) -> None:
    base = ["timeline", "--policy", str(POLICY), "--data", str(DATA)]
    code, _, err = invoke(*base, "--from", "2016-01-01", "--to", "2015-01-01")
    assert code == 2 and "before it starts" in err
    code, _, err = invoke(*base, "--from", "yesterday", "--to", "2015-01-01")
    assert code == 2 and "accepted" in err
    code, _, err = invoke(*base, *RANGE, "--provider", "NOPE")
    assert code == 2 and "NOPE" in err
    code, _, err = invoke(*base, *RANGE, "--subject", "form:nope:*")
    assert code == 2 and "no subject matches" in err
    out = tmp_path / "tl.csv"
    code, _, err = invoke(*base, *RANGE, "--format", "csv", "--output", str(out))
    assert code == 0 and out.read_text(encoding="utf-8").startswith("provider,provider_name,subject,as_of")
    assert "changes" in err


def test_a_stale_value_is_shown_as_stale_not_missing(tmp_path: Path) -> None:
    """A rating past its max age is still in the data: the cause shows it, its date and the limit."""
    policy = tmp_path / "stale.cred"
    text = POLICY.read_text(encoding="utf-8")
    policy.write_text(
        text.replace("measure cqc_overall: rating\n", "measure cqc_overall: rating\n  max age 12 months\n", 1)
    )
    tl = build_timeline(
        policy, DATA, dt.date(2016, 4, 1), dt.date(2016, 10, 1), "quarter", providers=["RM3"], subjects=["supporter"]
    )
    (row,) = tl.changes()
    assert (row.previous, row.outcome, row.change) == ("granted", "undetermined", "became undetermined")
    (cause,) = [c for c in row.causes if c.text == "cqc_overall >= good"]
    assert (cause.before, cause.after, cause.value_before) == ("true", "unknown", "outstanding")
    assert cause.value_after == "outstanding (stale: evidence of 2015-07-01, max age 1 year)"
    assert "(outstanding → outstanding (stale: evidence of 2015-07-01, max age 1 year))" in cause.describe()
