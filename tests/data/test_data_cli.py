"""``credential validate``: exit codes, diagnostics, JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

validate = pytest.importorskip("credential.cli.validate")
pytest.importorskip("credential.policy")

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "policies" / "dalton_2014.cred"
NHS = REPO / "fixtures" / "nhs"


@pytest.fixture
def policy() -> str:
    if not POLICY.exists():
        pytest.skip("reference policy not written yet")
    return str(POLICY)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(validate.command, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_valid_bundle_exits_0(policy: str) -> None:
    code, out, _err = run("--policy", policy, "--data", str(NHS))
    assert code == 0
    assert out.startswith("valid: 202 providers")


def _broken(tmp_path: Path) -> Path:
    for name in ("providers.csv", "statuses.csv", "arrangements.csv"):
        (tmp_path / name).write_bytes((NHS / name).read_bytes())
    obs = (NHS / "observations.csv").read_text().splitlines()
    obs.insert(1, "RM3,ae_4h,2016-01-31,92,,,,")
    obs.insert(1, "RM3,cqc_nope,2016-01-31,1,,,,")
    (tmp_path / "observations.csv").write_text("\n".join(obs) + "\n")
    return tmp_path


def test_data_errors_exit_3(policy: str, tmp_path: Path) -> None:
    code, _out, err = run("--policy", policy, "--data", str(_broken(tmp_path)))
    assert code == 3
    assert "observations.csv:3: error[data.out-of-range]: column value: percent value above 1 (value '92')" in err
    assert "observations.csv:2: warning[data.undeclared-measure]" in err
    assert "= help: percent values are fractions: write 0.92 for 92%" in err


def test_quarantine_accepts_the_rest(policy: str, tmp_path: Path) -> None:
    code, out, _err = run("--policy", policy, "--data", str(_broken(tmp_path)), "--on-invalid", "quarantine")
    assert code == 0
    assert "quarantined observations.csv:3: data.out-of-range" in out
    assert "1 row(s) quarantined" in out


def test_json_report(policy: str, tmp_path: Path) -> None:
    code, out, _err = run("--policy", policy, "--data", str(_broken(tmp_path)), "--format", "json")
    assert code == 3
    report = json.loads(out)
    assert report["valid"] is False
    assert {(d["file"], d["row"], d["code"]) for d in report["diagnostics"]} >= {
        ("observations.csv", 3, "data.out-of-range")
    }
    code, out, _err = run("--policy", policy, "--data", str(NHS), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["valid"] and report["rows"]["providers"] == 202
    assert set(report["digests"]) == {
        "providers.csv",
        "observations.csv",
        "statuses.csv",
        "arrangements.csv",
        "coverage.csv",
    }


def test_unreadable_bundle_exits_3(policy: str, tmp_path: Path) -> None:
    (tmp_path / "providers.csv").write_bytes(b"code,name\nRM3,\xff\n")
    code, _out, err = run("--policy", policy, "--data", str(tmp_path))
    assert code == 3 and "error[data.encoding]" in err
    # a bundle path that does not exist is a usage error (exit 2, docs/cli.md), named
    code, _out, err = run("--policy", policy, "--data", str(tmp_path / "nothing"))
    assert code == 2 and "usage.missing-file" in err and "nothing" in err


def test_policy_errors_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cred"
    bad.write_text("this is not a policy\n")
    code, _out, _err = run("--policy", str(bad), "--data", str(NHS))
    assert code == 1


def test_usage_errors_exit_2() -> None:
    code, _out, _err = run("--on-invalid", "ignore")
    assert code == 2
