"""One bad policy per diagnostic code, with its full expected text and JSON output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli
from support.golden import assert_golden

CASES = Path(__file__).parent / "cases"
GOLDEN = Path(__file__).parent / "golden"
FILES = sorted(p.name for p in CASES.glob("*.cred") if not p.name.endswith(".lib.cred"))


def run_check(name: str, fmt: str) -> tuple[int, str]:
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(CASES)
    try:
        result = runner.invoke(cli, ["check", "--format", fmt, name], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    out = result.stdout if fmt == "json" else result.stderr
    return result.exit_code, out


@pytest.mark.parametrize("name", FILES)
def test_text_golden(name: str) -> None:
    code, out = run_check(name, "text")
    expected_code = name.removesuffix(".cred").split(".empty")[0]
    assert f"[{expected_code}]" in out, out
    assert_golden(GOLDEN / f"{name}.txt", f"exit {code}\n{out}")


@pytest.mark.parametrize("name", FILES)
def test_json_golden(name: str) -> None:
    code, out = run_check(name, "json")
    data = json.loads(out)
    expected_code = name.removesuffix(".cred").split(".empty")[0]
    assert expected_code in {d["code"] for d in data}
    assert all(set(d) >= {"code", "severity", "message", "help"} for d in data)
    assert_golden(GOLDEN / f"{name}.json", f"exit {code}\n{out}")


@pytest.mark.parametrize("name", FILES)
def test_exit_code(name: str) -> None:
    code, out = run_check(name, "text")
    only_warnings = "error[" not in out
    assert code == (0 if only_warnings else 1)
