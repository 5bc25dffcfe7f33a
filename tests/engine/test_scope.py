"""`applies to` scopes and `judged by`: outcomes, proofs, missing, to_qualify on every backend."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli
from credential.engine import run
from credential.output.render import render
from credential.policy import load_checked
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
AS_OF = dt.date(2026, 2, 1)
ARGS = ["--policy", str(FIX / "scoped.cred"), "--data", str(FIX / "scoped_bundle"), "--as-of", AS_OF.isoformat()]

EXPECTED = {
    ("RA1", "credential:partner"): ("granted", []),
    ("RA2", "credential:partner"): ("refused", []),
    ("RC1", "credential:partner"): ("granted", []),  # A&E not applicable, urgent response applies and is met
    ("RX9", "credential:partner"): (
        "undetermined",
        ["judged by meets_ae, meets_response: none applies to sector ambulance"],
    ),
    ("RZ1", "credential:partner"): ("undetermined", ["sector", "urgent_response"]),  # no sector: scopes unknown
    ("RC1", "credential:rated_partner"): ("refused", []),
    ("RX9", "credential:rated_partner"): (
        "undetermined",
        ["judged by meets_ae, meets_response: none applies to sector ambulance"],
    ),
}


def _strip(text: str) -> list[dict[str, object]]:
    return [{k: v for k, v in json.loads(line).items() if k != "backend"} for line in text.splitlines()]


@pytest.mark.parametrize("backend", ["pydatalog", "duckdb", "masks"])
def test_outcomes_on_every_backend(backend: str) -> None:
    result = run(FIX / "scoped.cred", FIX / "scoped_bundle", [AS_OF], backend=backend)
    got = {(r.provider, r.subject): (r.outcome.value, r.missing) for r in result.records}
    for key, want in EXPECTED.items():
        assert got[key] == want, key
    ref = run(FIX / "scoped.cred", FIX / "scoped_bundle", [AS_OF], backend="pydatalog", explain=True)
    other = run(FIX / "scoped.cred", FIX / "scoped_bundle", [AS_OF], backend=backend, explain=True)
    assert _strip(render(other, "jsonl")) == _strip(render(ref, "jsonl"))


def test_batch_missing_lists_agree_with_the_proofs(tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    res = CliRunner().invoke(cli, ["evaluate", *ARGS, "--format", "csv", "--output", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert any(
        line.startswith("RZ1,") and ",credential:partner,undetermined,2026-02-01,sector;urgent_response," in line
        for line in lines
    )
    assert any(
        ',credential:partner,undetermined,2026-02-01,"judged by meets_ae, meets_response: none' in x for x in lines
    )


def test_proofs_verify_and_read_as_not_applicable(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "d.jsonl"
    res = runner.invoke(cli, ["evaluate", *ARGS, "--explain", "--format", "jsonl", "--output", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["verify", str(out), *ARGS[:4]])
    assert res.exit_code == 0, res.output
    text = "".join(
        runner.invoke(cli, ["explain", code, "credential:partner", *ARGS]).stdout for code in ("RC1", "RA2", "RX9")
    )
    assert "– meets_ae — Acute trusts meet A&E: not applicable to community" in text
    assert "(gap 8 percentage points)" in text
    assert_golden(GOLDEN / "scoped_explain.txt", text)
    res = runner.invoke(cli, ["explain", "RC1", "credential:partner", *ARGS, "--format", "json"])
    proof = json.loads(res.stdout)["proof"]
    meets_ae = proof["children"][0]["children"][0]
    assert [c["kind"] for c in meets_ae["children"]] == ["scope"]
    assert meets_ae["outcome"] == "true" and meets_ae["children"][0]["outcome"] == "false"
    assert_golden(GOLDEN / "scoped_explain_RC1.json", res.stdout)


def test_compiled_program_is_pinned() -> None:
    res = CliRunner().invoke(cli, ["compile", str(FIX / "scoped.cred")])
    assert res.exit_code == 0
    assert_golden(GOLDEN / "scoped.datalog", res.stdout.replace(str(FIX), "tests/fixtures"))


def test_scope_and_judged_by_are_checked(tmp_path: Path) -> None:
    base = (FIX / "scoped.cred").read_text(encoding="utf-8")
    cases = {
        "applies to ae_4h in (acute)": "check.type-mismatch",  # a measure, not an attribute
        "applies to sector in (acute, hospital)": "check.unknown-name",
        "applies to region in (acute)": "check.unknown-name",
    }
    for clause, code in cases.items():
        path = tmp_path / "p.cred"
        path.write_text(base.replace("applies to sector in (acute)", clause, 1), encoding="utf-8")
        _, diags = load_checked(path)
        assert code in [d.code for d in diags if d.is_error], (clause, [d.headline() for d in diags])
    path = tmp_path / "q.cred"
    path.write_text(
        base.replace("judged by meets_ae, meets_response", "judged by meets_ae, rated_good"), encoding="utf-8"
    )
    _, diags = load_checked(path)
    assert [d.code for d in diags if d.is_error] == ["check.missing-clause"]
    path.write_text(
        base.replace(
            "  applies to sector in (acute)\n", "  applies to sector in (acute)\n  applies to sector in (community)\n"
        ),
        encoding="utf-8",
    )
    _, diags = load_checked(path)
    assert [d.code for d in diags if d.is_error] == ["check.bad-clause"]
