"""``credential verify`` as a command: formats it reads, files it refuses, exit codes, policies named by other paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = str(FIX / "spec_example.cred")
DATA = str(FIX / "hand_bundle")
BASE = ["--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01"]
CHECK = ["--policy", POLICY, "--data", DATA]


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def evaluated(tmp_path: Path, *extra: str, name: str = "d.jsonl") -> Path:
    out = tmp_path / name
    code, _, err = invoke("evaluate", *BASE, "--output", str(out), *extra)
    assert code == 0, err
    return out


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("explain", [True, False])
def test_what_evaluate_writes_verifies(tmp_path: Path, fmt: str, explain: bool) -> None:
    out = evaluated(tmp_path, "--format", fmt, "--pairs", *(["--explain"] if explain else []))
    code, stdout, err = invoke("verify", str(out), *CHECK)
    assert (code, stdout) == (0, ""), stdout
    items = json.loads(out.read_text()) if fmt == "json" else [json.loads(x) for x in out.read_text().splitlines()]
    n = sum(1 for x in items if "provider" in x)  # records (with --explain the proof nodes are lines too)
    assert f"verified {n} record(s), {n if explain else 0} with proofs: {n} hold, 0 do not" in err


def test_the_same_policy_named_by_another_path_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIX)
    out = tmp_path / "rel.jsonl"
    base = ["--data", "hand_bundle", "--as-of", "2016-04-01"]
    assert (
        invoke(
            "evaluate", "--policy", "spec_example.cred", *base, "--explain", "--format", "jsonl", "--output", str(out)
        )[0]
        == 0
    )
    first = json.loads(out.read_text().splitlines()[0])  # a proof node: the first record's come before it
    assert first["kind"] in ("node", "row") and '"file": "spec_example.cred"' in out.read_text()
    code, stdout, _ = invoke(
        "verify", str(out), "--policy", str(FIX / "spec_example.cred"), "--data", str(FIX / "hand_bundle")
    )
    assert (code, stdout) == (0, "")
    # and the other way round
    out2 = tmp_path / "abs.jsonl"
    invoke(
        "evaluate",
        "--policy",
        str(FIX / "spec_example.cred"),
        *base,
        "--explain",
        "--format",
        "jsonl",
        "--output",
        str(out2),
    )
    code, stdout, _ = invoke("verify", str(out2), "--policy", "spec_example.cred", "--data", "hand_bundle")
    assert (code, stdout) == (0, "")


def test_another_policy_with_the_same_name_does_not_verify(tmp_path: Path) -> None:
    out = evaluated(tmp_path, "--format", "jsonl", "--explain")
    other = tmp_path / "spec_example.cred"
    other.write_text((FIX / "spec_example.cred").read_text().replace("surplus_pct >= 0%", "surplus_pct >= 1%"))
    code, stdout, _ = invoke("verify", str(out), "--policy", str(other), "--data", DATA)
    assert code == 4
    assert "[verify.policy-digest]" in stdout


def test_explain_json_verifies_with_its_provider_and_subject(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(invoke("explain", "R0A", "partner", *BASE, "--format", "json")[1])
    code, stdout, _ = invoke("verify", str(one), *CHECK, "--provider", "R0A", "--subject", "partner")
    assert (code, stdout) == (0, "")
    every = tmp_path / "every.json"
    every.write_text(invoke("explain", "R0A", *BASE, "--format", "json")[1])
    assert invoke("verify", str(every), *CHECK, "--provider", "R0A")[0] == 0
    # without saying so, the file lacks every other provider's records
    code, stdout, err = invoke("verify", str(every), *CHECK)
    assert code == 4
    assert "[verify.missing-record]" in stdout and "more records missing" in stdout and "missing from the file" in err


def test_a_refused_pair_from_explain_verifies(tmp_path: Path) -> None:
    pair = tmp_path / "pair.json"
    pair.write_text(invoke("explain", "RXH", "pair:acquisition:RXH:RW6", *BASE, "--format", "json")[1])
    assert json.loads(pair.read_text())["outcome"] == "refused"
    code, stdout, _ = invoke("verify", str(pair), *CHECK, "--subject", "pair:acquisition:RXH:RW6")
    assert (code, stdout) == (0, "")


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_files_without_proofs_are_a_usage_error(tmp_path: Path, fmt: str) -> None:
    out = evaluated(tmp_path, "--format", fmt, name=f"d.{fmt}")
    code, _, err = invoke("verify", str(out), *CHECK)
    assert code == 2
    assert "[verify.format]" in err and "Traceback" not in err


def test_empty_and_truncated_files_fail_with_4(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, stdout, err = invoke("verify", str(empty), *CHECK)
    assert code == 4
    assert "[verify.empty]" in stdout and "holds none" in err
    out = evaluated(tmp_path, "--format", "jsonl", "--explain")
    text = out.read_text()
    records = [i for i, line in enumerate(text.splitlines(keepends=True)) if line.startswith('{"provider"')]
    cut = sum(len(line) for line in text.splitlines(keepends=True)[: records[len(records) // 2]]) + 40
    out.write_text(text[:cut])  # inside a record, half of them written
    code, stdout, _ = invoke("verify", str(out), *CHECK)
    assert code == 4
    assert "[verify.truncated]" in stdout and "[verify.missing-record]" in stdout


def test_pairs_can_be_required(tmp_path: Path) -> None:
    out = evaluated(tmp_path, "--format", "jsonl", "--pairs")
    lines = out.read_text().splitlines(keepends=True)
    without = tmp_path / "no_pairs.jsonl"
    without.write_text("".join(line for line in lines if '"subject": "pair:' not in line))
    assert len(without.read_text().splitlines()) < len(lines)
    assert invoke("verify", str(without), *CHECK)[0] == 0  # a run without --pairs writes exactly this
    code, stdout, _ = invoke("verify", str(without), *CHECK, "--pairs")
    assert code == 4
    assert "pair:" in stdout and "[verify.missing-record]" in stdout
