"""The shipped policy tests pass with full coverage, and the docs' example is a real, passing test file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from credential.cli import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped() -> tuple[int, dict[str, Any]]:
    """One run of `credential test policies/tests` (the slow part: three evaluations on the real data)."""
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        args = ["test", "policies/tests", "--format", "json", "--fail-under", "100"]
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(cwd)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.slow
def test_every_case_passes(shipped: tuple[int, dict[str, Any]]) -> None:
    code, doc = shipped
    assert code == 0
    assert doc["summary"]["failed"] == 0
    assert doc["summary"]["passed"] >= 70
    names = {Path(f).name for f in doc["files"]}
    assert names >= {"dalton_2014.yaml", "dalton_2017.yaml", "nhs_fixture.yaml", "dalton_2014_example.yaml"}
    assert any(r["data"] == "fixture nhs" for r in doc["results"])


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["dalton_2014", "dalton_2017"])
def test_full_coverage(shipped: tuple[int, dict[str, Any]], policy: str) -> None:
    _, doc = shipped
    (cov,) = [c for c in doc["coverage"] if c["policy"] == policy]
    for kind in ("criterion", "credential", "role", "clause", "node"):
        k = cov["kinds"][kind]
        assert (k["made_true"], k["made_false"]) == (k["parts"], k["parts"]), (policy, kind, k)
    assert cov["rule_percent"] == 100.0
    assert cov["never_true"] == [] and cov["never_false"] == []
    assert cov["lines_never_exercised"] == {} and cov["lines_partly_exercised"] == {}
    # every form has three roles
    assert cov["kinds"]["role"]["parts"] == 3 * {"dalton_2014": 9, "dalton_2017": 10}[policy]


def test_docs_example_is_the_shipped_file() -> None:
    """docs/policy-tests.md shows policies/tests/dalton_2014_example.yaml verbatim (the run above runs it)."""
    doc = (ROOT / "docs" / "policy-tests.md").read_text(encoding="utf-8")
    example = (ROOT / "policies" / "tests" / "dalton_2014_example.yaml").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    assert example in blocks
