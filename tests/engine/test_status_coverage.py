"""Open-world statuses (issue 14 item 8a): without a coverage row for the as-of date, `not STATUS`
is unknown, not true, and the proof says which list is missing; verify re-derives the note."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from credential.engine import run
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.output.records import records_for
from credential.proofs.render import render_text
from credential.proofs.verify import verify_records
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = FIX / "spec_example.cred"
GOLDEN = Path(__file__).parent / "golden"
DAY = dt.date(2016, 4, 1)


def without_coverage(tmp_path: Path) -> Path:
    data = tmp_path / "hand"
    shutil.copytree(FIX / "hand_bundle", data)
    (data / "coverage.csv").unlink()
    return data


def test_no_list_no_clean_record(tmp_path: Path) -> None:
    data = without_coverage(tmp_path)
    ev = evaluate_inputs(load_inputs(POLICY, data), DAY)
    (rec,) = records_for(ev, explain=True, provider="RM3", subject="credential:supporter")
    assert rec.outcome.value == "undetermined"
    assert rec.missing == ["status special_measures_quality"]
    text = render_text(rec.to_json_dict())
    assert "special_measures_quality: unknown (no list of special_measures_quality covers 2016-04-01)" in text
    assert_golden(GOLDEN / "status_uncovered.txt", text + "\n")
    assert_golden(GOLDEN / "status_uncovered.json", json.dumps(rec.proof, indent=2, ensure_ascii=False) + "\n")
    # with the list's coverage the same decision is granted, citing the coverage row
    (covered,) = records_for(
        evaluate_inputs(load_inputs(POLICY, FIX / "hand_bundle"), DAY),
        explain=True,
        provider="RM3",
        subject="credential:supporter",
    )
    assert covered.outcome.value == "granted"
    assert "coverage.csv:2" in render_text(covered.to_json_dict())


def test_an_active_status_is_known_without_coverage(tmp_path: Path) -> None:
    ev = evaluate_inputs(load_inputs(POLICY, without_coverage(tmp_path)), DAY)
    (rec,) = records_for(ev, provider="RW6", subject="credential:supporter")  # in quality special measures
    assert rec.outcome.value == "refused"


def test_the_note_is_verified(tmp_path: Path) -> None:
    result = run(POLICY, without_coverage(tmp_path), [DAY], explain=True)
    records = [r.to_json_dict() for r in result.records]
    assert verify_records(records, result.inputs.policy, result.inputs.bundle).ok
    forged = json.loads(json.dumps(records[0]).replace("no list of special_measures_quality covers", "no list covers"))
    if forged != records[0]:
        assert not verify_records([forged], result.inputs.policy, result.inputs.bundle).ok
    stripped = [json.loads(json.dumps(r).replace(', "note": "no list of', ', "nothing": "no list of')) for r in records]
    assert not verify_records(stripped, result.inputs.policy, result.inputs.bundle).ok
