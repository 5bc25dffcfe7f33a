"""Evidence age (issue 14 item 4): evidence older than its `max age` is stale; the decision is
undetermined and `missing` names the value, its evidence date and the limit; with `stale may
refuse` a stale value can make a comparison false, never true.  Backends agree; proofs verify."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.data.asof import subtract_months
from credential.engine import run
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.output.records import records_for
from credential.output.render import render
from credential.proofs.render import render_text
from credential.proofs.verify import verify_records
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "time"
POLICY = FIX / "age.cred"
DATA = FIX / "age_bundle"
GOLDEN = Path(__file__).parent / "golden"
DAY = dt.date(2026, 12, 4)


def decisions(day: dt.date = DAY) -> dict[tuple[str, str], tuple[str, list[str]]]:
    ev = evaluate_inputs(load_inputs(POLICY, DATA), day)
    return {(r.provider, r.subject.split(":")[1]): (r.outcome.value, r.missing) for r in records_for(ev)}


def test_recent_evidence_counts() -> None:
    d = decisions()
    assert {s: d[("ZS1", s)][0] for s in ("rated", "not_failing", "well_led", "access")} == dict.fromkeys(
        ("rated", "not_failing", "well_led", "access"), "granted"
    )


def test_stale_evidence_is_undetermined_naming_value_date_and_limit() -> None:
    d = decisions()
    assert d[("ZS2", "rated")] == ("undetermined", ["cqc_overall (stale: evidence of 2018-06-01, max age 5 years)"])
    assert d[("ZS4", "well_led")] == (
        "undetermined",
        ["cqc_well_led (stale: evidence of 2018-06-01, max age 5 years)"],
    )
    # a window is stale when its newest observation is older than the limit
    assert d[("ZS5", "access")] == (
        "undetermined",
        ["mean ae_4h over 12 months (stale: evidence of 2026-03-31, max age 6 months)"],
    )


def test_the_same_evidence_counted_before_it_aged() -> None:
    d = decisions(dt.date(2023, 5, 31))  # 2018-06-01 is within five years of this date
    assert d[("ZS2", "rated")] == ("granted", [])
    assert d[("ZS3", "rated")] == ("refused", [])


def test_stale_evidence_may_refuse_but_never_grant() -> None:
    d = decisions()
    assert d[("ZS3", "rated")] == ("refused", [])  # a stale Inadequate rating is still the latest word
    # the comparison it would pass is unknown, not true
    assert d[("ZS3", "not_failing")][0] == "undetermined"
    # without `stale may refuse` (well-led) a stale value is only missing
    assert d[("ZS4", "well_led")][0] == "undetermined"


def test_a_comparison_sets_its_own_limit() -> None:
    d = decisions()
    assert d[("ZS4", "well_led_ever")] == ("granted", [])  # `, max age 10 years` on the comparison


def test_proofs_show_stale_evidence() -> None:
    ev = evaluate_inputs(load_inputs(POLICY, DATA), DAY)
    for code, subject, name in (("ZS3", "rated", "refused"), ("ZS2", "rated", "undetermined")):
        (rec,) = records_for(ev, explain=True, provider=code, subject=f"credential:{subject}")
        assert_golden(GOLDEN / f"stale_{name}.txt", render_text(rec.to_json_dict()) + "\n")
        assert_golden(GOLDEN / f"stale_{name}.json", json.dumps(rec.proof, indent=2, ensure_ascii=False) + "\n")
    (rec,) = records_for(ev, explain=True, provider="ZS3", subject="credential:rated")
    assert rec.proof is not None
    leaf = rec.proof["children"][0]
    assert leaf["stale"] == {"cqc_overall": {"value": "inadequate", "date": "2018-06-01", "max_age": "5 years"}}


@pytest.mark.parametrize("day", [DAY, dt.date(2023, 5, 31)])
def test_backends_agree_and_proofs_verify(day: dt.date) -> None:
    results = {b: run(POLICY, DATA, [day], explain=True, backend=b) for b in ("pydatalog", "duckdb", "masks")}
    texts = {b: render(r, "jsonl").replace(f'"backend": "{b}"', '"backend": "?"') for b, r in results.items()}
    assert texts["pydatalog"] == texts["duckdb"] == texts["masks"]
    base = results["pydatalog"]
    report = verify_records([r.to_json_dict() for r in base.records], base.inputs.policy, base.inputs.bundle)
    assert report.ok, report.problems[:3]


def test_a_forged_stale_field_does_not_verify() -> None:
    result = run(POLICY, DATA, [DAY], explain=True)
    rec = next(r.to_json_dict() for r in result.records if r.provider == "ZS3" and r.subject == "credential:rated")
    text = json.dumps(rec).replace('"date": "2018-06-01"', '"date": "2022-06-01"')
    report = verify_records([json.loads(text)], result.inputs.policy, result.inputs.bundle)
    assert not report.ok


LEVELS = ("inadequate", "requires_improvement", "good", "outstanding")


@settings(max_examples=40, deadline=None)
@given(
    level=st.sampled_from(LEVELS),
    age_months=st.integers(0, 120),
    op=st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
    threshold=st.sampled_from(LEVELS),
    refuses=st.booleans(),
)
@pytest.mark.slow
def test_three_valued_semantics_of_stale_evidence(
    tmp_path_factory: pytest.TempPathFactory, level: str, age_months: int, op: str, threshold: str, refuses: bool
) -> None:
    """Fresh evidence compares as usual; stale evidence is unknown, or with `stale may refuse`
    false where the stale value fails the comparison, and never true."""
    tmp = tmp_path_factory.mktemp("age")
    policy = tmp / "p.cred"
    policy.write_text(
        'policy p "P"\n  version "1"\n  effective 2015-04-01\n\n'
        "scale rating: inadequate < requires_improvement < good < outstanding\n"
        "measure m: rating\n  max age 3 years\n" + ("  stale may refuse\n" if refuses else "") + "\n"
        f"credential c\n  requires m {op} {threshold}\n",
        encoding="utf-8",
    )
    data = tmp / "d"
    data.mkdir()
    (data / "providers.csv").write_text("code,name\nZZ1,Invented\n", encoding="utf-8")
    day = dt.date(2026, 12, 4)
    observed = subtract_months(day, age_months)  # stale from 36 months: dated on or before as-of - 3 years
    (data / "observations.csv").write_text(
        f"code,measure,period_end,value\nZZ1,m,{observed.isoformat()},{level}\n", encoding="utf-8"
    )
    (rec,) = [r for r in run(policy, data, [day]).records]
    holds = {
        "=": LEVELS.index(level) == LEVELS.index(threshold),
        "!=": LEVELS.index(level) != LEVELS.index(threshold),
        "<": LEVELS.index(level) < LEVELS.index(threshold),
        "<=": LEVELS.index(level) <= LEVELS.index(threshold),
        ">": LEVELS.index(level) > LEVELS.index(threshold),
        ">=": LEVELS.index(level) >= LEVELS.index(threshold),
    }[op]
    stale = age_months >= 36
    if not stale:
        assert rec.outcome.value == ("granted" if holds else "refused")
    elif refuses and not holds:
        assert rec.outcome.value == "refused"
    else:
        assert rec.outcome.value == "undetermined"
        assert rec.missing == [f"m (stale: evidence of {observed.isoformat()}, max age 3 years)"]
