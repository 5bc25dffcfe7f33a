"""A grace period that only protects (issue 14 item 3): `held C at start of arrangement led ...`
keeps a credential held when the arrangement started, never confers one, ends with the
arrangement or the period, and is unknown when the start is unknown.  All backends agree and
every proof verifies."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential.data.synthetic import generate_bundle, write_bundle
from credential.engine import run
from credential.evaluation.decisions import Outcome
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.output.records import records_for
from credential.output.render import render
from credential.policy import load_policy
from credential.proofs.render import render_text
from credential.proofs.verify import verify_lines, verify_records
from credential.resources import bundled_data_path, reference_policy_path
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "time"
POLICY = FIX / "grace.cred"
DATA = FIX / "grace_bundle"
GOLDEN = Path(__file__).parent / "golden"
IN_GRACE = dt.date(2026, 6, 30)  # A&E has dipped to 70% (standard 78%) since March 2026
AFTER = dt.date(2028, 1, 2)  # more than 24 months after the arrangements started (2026-01-01)


def outcomes(day: dt.date, data: Path = DATA, backend: str = "pydatalog") -> dict[str, str]:
    ev = evaluate_inputs(load_inputs(POLICY, data), day, backend=backend)
    return {r.provider: r.outcome.value for r in records_for(ev, subject="credential:partner")}


def test_held_at_start_and_dips_is_kept_in_grace_then_lost_after_the_period() -> None:
    assert outcomes(dt.date(2025, 12, 31))["ZA1"] == "granted"  # on its own merits before
    assert outcomes(IN_GRACE)["ZA1"] == "granted"  # dipped, but kept in grace
    assert outcomes(AFTER)["ZA1"] == "refused"  # the period is over


def test_never_held_is_refused() -> None:
    assert outcomes(IN_GRACE)["ZA2"] == "refused"


def test_an_arrangement_that_ended_early_ends_the_grace() -> None:
    assert outcomes(IN_GRACE)["ZA3"] == "refused"


def test_a_rating_is_never_excused_and_buddying_gives_no_grace() -> None:
    day = outcomes(IN_GRACE)
    assert day["ZA5"] == "refused"  # rated Requires improvement since April 2026: not excusable
    assert day["ZA6"] == "refused"  # only management contracts give grace in this policy


def test_unknown_start_gives_an_unknown_grace_never_a_guess() -> None:
    inputs = load_inputs(POLICY, DATA)
    arr = inputs.bundle.arrangements
    arr.loc[arr["lead"] == "ZA1", "start"] = pd.NaT  # as an empty `start` cell reads
    ev = evaluate_inputs(inputs, IN_GRACE)
    (rec,) = records_for(ev, explain=True, provider="ZA1", subject="credential:partner")
    assert rec.outcome is Outcome.UNDETERMINED
    assert any("held partner" in m for m in rec.missing), rec.missing
    assert "started on an unknown date, partner undetermined then" in render_text(rec.to_json_dict())


def test_proofs_show_the_arrangement_its_start_and_the_credential_then() -> None:
    ev = evaluate_inputs(load_inputs(POLICY, DATA), IN_GRACE)
    for code, name in (("ZA1", "kept"), ("ZA2", "never_held")):
        (rec,) = records_for(ev, explain=True, provider=code, subject="credential:partner")
        assert_golden(GOLDEN / f"grace_{name}.txt", render_text(rec.to_json_dict()) + "\n")
        assert_golden(GOLDEN / f"grace_{name}.json", json.dumps(rec.proof, indent=2, ensure_ascii=False) + "\n")
    (kept,) = records_for(ev, explain=True, provider="ZA1", subject="credential:partner")
    grace = json.dumps(kept.proof)
    assert '"grace": {"credential": "partner", "arrangements": [{"file": "arrangements.csv", "row": 2' in grace
    assert '"start": "2026-01-01", "held": "granted"' in grace


@pytest.mark.parametrize("day", [dt.date(2026, 1, 15), IN_GRACE, AFTER])
def test_backends_agree_and_every_proof_verifies(day: dt.date) -> None:
    results = {b: run(POLICY, DATA, [day], explain=True, backend=b) for b in ("pydatalog", "duckdb", "masks")}
    texts = {b: render(r, "jsonl").replace(f'"backend": "{b}"', '"backend": "?"') for b, r in results.items()}
    assert texts["pydatalog"] == texts["duckdb"] == texts["masks"]
    # the file as written (content-addressed proofs: node and row lines before the records that use them)
    lines = render(results["pydatalog"], "jsonl").splitlines(keepends=True)
    report = verify_lines(lines, results["pydatalog"].inputs.policy, results["pydatalog"].inputs.bundle)
    assert report.ok, report.problems[:3]
    assert report.checked == report.proofs == len(results["pydatalog"].records) > 0


def test_a_forged_held_outcome_does_not_verify() -> None:
    result = run(POLICY, DATA, [IN_GRACE], explain=True)
    rec = next(r.to_json_dict() for r in result.records if r.provider == "ZA2" and r.subject == "credential:partner")
    text = json.dumps(rec).replace('"held": "refused"', '"held": "granted"')
    assert text != json.dumps(rec)
    report = verify_records([json.loads(text)], result.inputs.policy, result.inputs.bundle)
    assert not report.ok and ".grace.arrangements[0].held" in str(report.problems[0])


def test_issue_example_taking_on_a_trust_turns_no_refusal_into_a_grant(tmp_path: Path) -> None:
    """RTF leading RAE under a management contract from 2026-09-01, added to the bundled data."""
    data = tmp_path / "nhs"
    shutil.copytree(bundled_data_path(), data)
    with open(data / "arrangements.csv", "a", encoding="utf-8") as fh:
        fh.write("RTF,RAE,management_contract,2026-09-01,,\n")  # no parties column value: lead and recipient
    day = dt.date(2026, 12, 4)
    for policy in (reference_policy_path(), reference_policy_path().with_name("dalton_2017.cred")):
        before = run(policy, bundled_data_path(), [day]).frame
        after = run(policy, data, [day]).frame
        joined = before.merge(after, on=["provider", "subject"], suffixes=("_before", "_after"))
        assert len(joined) == len(before) == len(after)
        gained = joined[(joined["outcome_before"] != "granted") & (joined["outcome_after"] == "granted")]
        assert gained.empty, gained[["provider", "subject", "outcome_before"]].to_string()


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), day=st.dates(dt.date(2015, 6, 1), dt.date(2019, 6, 1)))
def test_reference_policy_on_generated_bundles_backends_agree_and_verify(
    tmp_path_factory: pytest.TempPathFactory, seed: int, day: dt.date
) -> None:
    """The reference policy (grace, evidence ages, status coverage) on generated bundles with
    arrangements: pyDatalog, DuckDB and masks give the same records and every proof verifies."""
    policy = load_policy(reference_policy_path())
    path = tmp_path_factory.mktemp("gen") / "b"
    write_bundle(generate_bundle(40, seed, spec=policy.bundle_spec()), path, "csv")
    results = {b: run(policy, path, [day], explain=True, backend=b) for b in ("pydatalog", "duckdb", "masks")}
    texts = {b: render(r, "jsonl").replace(f'"backend": "{b}"', '"backend": "?"') for b, r in results.items()}
    assert texts["pydatalog"] == texts["duckdb"] == texts["masks"]
    base = results["pydatalog"]
    report = verify_records([r.to_json_dict() for r in base.records], base.inputs.policy, base.inputs.bundle)
    assert report.ok, report.problems[:3]
