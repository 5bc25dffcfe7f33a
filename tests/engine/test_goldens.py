"""Golden files for what users see: compiled Datalog, decision tables, explanations (text and JSON)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
COMMON = ["--policy", "spec_example.cred", "--data", "hand_bundle"]


@pytest.fixture(autouse=True)
def in_fixtures() -> Iterator[None]:
    cwd = os.getcwd()
    os.chdir(FIX)
    try:
        yield
    finally:
        os.chdir(cwd)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_compiled_datalog_golden() -> None:
    code, out = invoke("compile", "spec_example.cred", "--emit", "datalog")
    assert code == 0
    assert_golden(GOLDEN / "spec_example.dl", out)


def test_compiled_json_golden() -> None:
    code, out = invoke("compile", "spec_example.cred", "--emit", "json")
    assert code == 0
    assert_golden(GOLDEN / "spec_example.compiled.json", out)


def test_table_golden() -> None:
    code, out = invoke("evaluate", *COMMON, "--as-of", "2016-04-01")
    assert code == 0
    assert_golden(GOLDEN / "table_2016-04-01.txt", out)


EXPLAINED = [
    ("granted", "RM3", "credential:group_leader", "2016-04-01"),
    ("refused", "R0A", "credential:partner", "2016-04-01"),
    ("undetermined", "RXH", "credential:partner", "2016-04-01"),
    ("waived", "RTH", "credential:partner", "2016-04-01"),
    ("param_step", "RAE", "credential:group_leader", "2024-06-30"),
    ("pair", "RM3", "pair:acquisition:RM3:RW6", "2016-04-01"),
    ("pair_undetermined", "RM3", "pair:joint_venture:RM3:R0A", "2016-04-01"),
    ("role_refused", "RXH", "form:management_franchise:lead", "2016-04-01"),
]


@pytest.mark.parametrize(("label", "code", "subject", "as_of"), EXPLAINED)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explain_golden(label: str, code: str, subject: str, as_of: str, fmt: str) -> None:
    rc, out = invoke("explain", code, subject, *COMMON, "--as-of", as_of, "--format", fmt)
    assert rc == 0
    assert_golden(GOLDEN / f"explain_{label}.{'txt' if fmt == 'text' else 'json'}", out)
