"""Policy expiry (issue 14 item 7): every command that evaluates refuses an as-of date after the
policy's `expires` (exit 1, naming the policy and the date) unless --allow-expired, which every
decision record then carries; back-tests before expiry need no flag."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.api import evaluate_api, explain_api, verify_api
from credential.cli import cli
from credential.evaluation.evaluate import PolicyExpired
from credential.proofs.store import expand_lines
from support.golden import assert_golden

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
POLICY = "tests/fixtures/time/expired_example.cred"
DATA = "tests/fixtures/hand_bundle"
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the message names the policy by its path relative to here


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_evaluate_after_expiry_is_exit_1_with_a_golden_message() -> None:
    code, out, err = invoke("evaluate", "--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01")
    assert code == 1 and out == ""
    assert_golden(GOLDEN / "expired.txt", err)


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "--format", "jsonl"],
        ["explain", "RM3", "supporter"],
        ["diff", POLICY],
    ],
)
def test_every_evaluating_command_refuses_the_same_way(args: list[str]) -> None:
    base = ["--data", DATA, "--as-of", "2016-04-01"]
    full = [*args, POLICY, *base] if args[0] == "diff" else [*args, "--policy", POLICY, *base]
    code, out, err = invoke(*full)
    assert code == 1 and out == ""
    assert "error[eval.policy-expired]: policy dalton_2014 1.0.0 expired on 2016-03-31" in err
    assert "as of 2016-04-01" in err


def test_back_tests_before_expiry_need_no_flag() -> None:
    code, out, _ = invoke("evaluate", "--policy", POLICY, "--data", DATA, "--as-of", "2016-03-31", "--format", "jsonl")
    assert code == 0
    rec = json.loads(out.splitlines()[0])
    assert "allow_expired" not in rec["policy"] and "expires" not in rec["policy"]


def test_allow_expired_is_recorded_in_every_record_and_verifies(tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    base = ["--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01", "--allow-expired"]
    code, _, _ = invoke("evaluate", *base, "--explain", "--format", "jsonl", "--output", str(out))
    assert code == 0
    records = expand_lines(out.read_text().splitlines())
    assert records and all(r["policy"]["allow_expired"] is True for r in records)
    assert all(r["policy"]["expires"] == "2016-03-31" for r in records)
    # verify needs the same permission, and then holds
    code, _, err = invoke("verify", str(out), "--policy", POLICY, "--data", DATA)
    assert code == 1 and "eval.policy-expired" in err
    code, _, err = invoke("verify", str(out), "--policy", POLICY, "--data", DATA, "--allow-expired")
    assert code == 0, err
    # a record that hides the fact does not verify
    forged = [
        dict(r, policy={k: v for k, v in r["policy"].items() if k not in ("expires", "allow_expired")}) for r in records
    ]
    out.write_text("".join(json.dumps(r) + "\n" for r in forged[:1]))
    code, stdout, _ = invoke("verify", str(out), "--policy", POLICY, "--data", DATA, "--allow-expired")
    assert code == 4 and "policy.expires: missing from the file" in stdout
    # CSV carries it in a column of its own; explain and the table run too
    code, cs, _ = invoke("evaluate", *base, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(cs)))
    assert code == 0 and rows and all(r["policy_expires"] == "2016-03-31" for r in rows)
    code, js, _ = invoke("explain", "RM3", "supporter", *base, "--format", "json")
    assert code == 0 and json.loads(js)["policy"]["allow_expired"] is True


def test_policy_tests_and_diff_take_the_flag(tmp_path: Path) -> None:
    spec = tmp_path / "t.yaml"
    spec.write_text(
        f"name: expired\npolicy: {ROOT / POLICY}\ndata: {ROOT / DATA}\nas_of: 2016-04-01\n"
        "cases:\n  - name: c\n    provider: RM3\n    expect:\n      credential:supporter: granted\n",
        encoding="utf-8",
    )
    code, _, err = invoke("test", str(spec), "--no-coverage")
    assert code == 1 and "eval.policy-expired" in err
    code, _, err = invoke("test", str(spec), "--no-coverage", "--allow-expired")
    assert code == 0, err
    code, _, _ = invoke("diff", POLICY, POLICY, "--data", DATA, "--as-of", "2016-04-01", "--allow-expired")
    assert code == 0


def test_python_api_is_consistent() -> None:
    day = dt.date(2016, 4, 1)
    with pytest.raises(PolicyExpired) as exc:
        evaluate_api(POLICY, DATA, day)
    assert exc.value.diagnostics[0].code == "eval.policy-expired"
    with pytest.raises(PolicyExpired):
        explain_api("RM3", "supporter", POLICY, DATA, day)
    result = evaluate_api(POLICY, DATA, day, explain=True, allow_expired=True)
    assert all(r.policy.allow_expired for r in result.records)
    with pytest.raises(PolicyExpired):
        verify_api(result.records, POLICY, DATA)
    assert verify_api(result.records, POLICY, DATA, allow_expired=True).ok
    assert explain_api("RM3", "supporter", POLICY, DATA, day, allow_expired=True)[0].policy.expires == "2016-03-31"
    assert os.path.exists(FIX / "time" / "expired_example.cred")
