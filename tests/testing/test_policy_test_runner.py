"""`credential test`: pass/fail per case, the failure report (golden), exit codes, test-file errors."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from credential.cli import cli
from support.golden import assert_golden

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
GOLDEN = HERE / "golden"
TINY = (CASES / "tiny.cred").read_text(encoding="utf-8")


@pytest.fixture
def in_cases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(CASES)
    yield


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["test", *args], catch_exceptions=False)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.usefixtures("in_cases")
def test_passing_file_exits_0() -> None:
    result = run("tiny_two.yaml")
    assert result.exit_code == 0, result.output
    assert "    ok    a good trust is a supporter" in result.stdout
    assert "2 passed, 0 failed: 2 case(s), 4 expectation(s), 1 test(s) in 1 file(s)" in result.stdout


@pytest.mark.usefixtures("in_cases")
def test_failure_report_golden() -> None:
    result = run("failing.yaml")
    assert result.exit_code == 4
    assert_golden(GOLDEN / "failing.txt", result.stdout)
    # expected vs actual, the missing list and a one-line reason from the proof
    assert "ZB2 credential:supporter: expected granted, got refused" in result.stdout
    assert "fails: cqc_overall >= good: requires_improvement >= good" in result.stdout
    wrong_missing = "expected undetermined missing [cqc_well_led], got undetermined missing [cqc_overall]"
    assert wrong_missing in result.stdout


@pytest.mark.usefixtures("in_cases")
def test_failure_report_json() -> None:
    result = run("failing.yaml", "--format", "json")
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert doc["summary"] == {"passed": 1, "failed": 4, "cases": 5, "expectations": 6, "tests": 1, "files": 1}
    by_case = {r["case"]: r for r in doc["results"]}
    check = by_case["wrong about a trust requiring improvement"]["checks"][0]
    assert check == {
        "subject": "credential:supporter",
        "provider": "ZB2",
        "expected": "granted",
        "actual": "refused",
        "ok": False,
        "missing": [],
        "reason": "fails: cqc_overall >= good: requires_improvement >= good",
    }
    missing = by_case["wrong about what is missing"]["checks"][0]
    assert missing["missing"] == ["cqc_overall"] and missing["expected_missing"] == ["cqc_well_led"]
    assert by_case["right about the rating"]["status"] == "pass"


@pytest.mark.usefixtures("in_cases")
def test_failures_only_and_no_coverage() -> None:
    result = run("failing.yaml", "--failures-only", "--no-coverage")
    assert result.exit_code == 4
    assert "right about the rating" not in result.stdout
    assert "wrong about a pair" in result.stdout
    assert "coverage of" not in result.stdout


@pytest.mark.usefixtures("in_cases")
def test_fail_under() -> None:
    assert run("tiny_two.yaml", "--fail-under", "80").exit_code == 0
    low = run("tiny_two.yaml", "--fail-under", "90")
    assert low.exit_code == 4
    assert "coverage of tiny.cred is 80.0%, under --fail-under 90%" in low.stderr
    assert run("tiny_two.yaml", "--fail-under", "90", "--no-coverage").exit_code == 2


def test_inline_data_errors_exit_3_naming_the_test_file(tmp_path: Path) -> None:
    (tmp_path / "tiny.cred").write_text(TINY, encoding="utf-8")
    write(
        tmp_path,
        "bad.yaml",
        """\
        policy: tiny.cred
        as_of: 2016-04-01
        data:
          providers:
            - {code: ZA1, name: A, sector: hospital}
          observations:
            - {code: ZA1, measure: cqc_overall, period_end: 2015-07-01, value: great}
            - {code: ZZ9, measure: cqc_overall, period_end: 2015-07-01, value: good}
        cases:
          - {name: x, provider: ZA1, expect: {credential:supporter: granted}}
        """,
    )
    result = run(str(tmp_path / "bad.yaml"))
    assert result.exit_code == 3
    err = result.stderr
    assert "bad.yaml:3:1: error[test.inputs]: the data of test `bad #1` has errors" in err
    # the cell, in the test file
    assert "bad.yaml:5:36: error[data.not-a-level]: providers row 1: column sector" in err
    assert "bad.yaml:7:" in err and "(value 'great')" in err
    assert "bad.yaml:8:" in err and "error[data.unknown-provider]" in err
    assert result.stdout == ""


def test_path_data_and_policy_errors(tmp_path: Path) -> None:
    broken = TINY.replace("requires cqc_overall >= good", "requires cqc_overal >= good")
    (tmp_path / "broken.cred").write_text(broken, encoding="utf-8")
    write(
        tmp_path,
        "t.yaml",
        """\
        policy: broken.cred
        data: {fixture: nhs}
        cases:
          - {name: x, provider: RM3, expect: {credential:supporter: granted}}
        """,
    )
    result = run(str(tmp_path / "t.yaml"))
    assert result.exit_code == 1
    assert "error[test.inputs]: the policy of test `t #1` has errors" in result.stderr
    assert "error[check.unknown-name]" in result.stderr


def test_malformed_test_files_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tiny.cred").write_text(TINY, encoding="utf-8")
    write(
        tmp_path,
        "bad.yaml",
        """\
        policy: tiny.cred
        as_of: 2016-02-30
        data: {fixture: nhs}
        cases:
          - name: x
            provider: RM3
            expect: {credentials:supporter: granted, credential:partner: maybe}
            expected: 1
        """,
    )
    write(tmp_path, "syntax.yaml", "policy: [unclosed\n")
    result = run(str(tmp_path))
    assert result.exit_code == 2
    err = result.stderr
    for code in ("test.bad-date", "test.bad-subject", "test.bad-outcome", "test.unknown-key", "test.yaml"):
        assert f"error[{code}]" in err, code
    assert "bad.yaml:2:8: error[test.bad-date]: `2016-02-30` is not a date" in err


def test_unknown_names_exit_2_with_suggestions(tmp_path: Path) -> None:
    (tmp_path / "tiny.cred").write_text(TINY, encoding="utf-8")
    write(
        tmp_path,
        "t.yaml",
        """\
        policy: tiny.cred
        as_of: 2016-04-01
        data: {providers: [{code: ZA1, name: A, sector: acute}]}
        cases:
          - {name: x, provider: ZA2, expect: {credential:suporter: granted}}
          - {name: y, expect: {pair:budying:ZA1:ZA3: granted}}
        """,
    )
    result = run(str(tmp_path / "t.yaml"))
    assert result.exit_code == 2
    assert "error[test.unknown-credential]: the policy has no credential `suporter`" in result.stderr
    assert "did you mean `supporter`?" in result.stderr
    assert "error[test.unknown-provider]: the data has no provider `ZA2`" in result.stderr
    assert "error[test.unknown-form]: the policy has no form `budying`" in result.stderr


def test_no_test_files_is_a_usage_error(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "no test files" in result.stderr


def test_yaml_forms_lists_documents_merge_keys_and_default_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file may hold a list of tests or several documents; `<<` merges; cases may set their own date."""
    tests = tmp_path / "policies" / "tests"
    tests.mkdir(parents=True)
    (tmp_path / "policies" / "tiny.cred").write_text(TINY, encoding="utf-8")
    write(
        tests,
        "multi.yml",
        """\
        - policy: ../tiny.cred
          as_of: 2016-04-01
          data: &data
            providers:
              - &acute {code: ZA1, name: A, sector: acute}
              - {<<: *acute, code: ZB2, name: B}
            observations:
              - {code: ZA1, measure: cqc_overall, period_end: 2016-06-01, value: good}
          cases:
            - {name: before the rating, provider: ZA1, expect: {criterion:rated_good: unknown}}
            - {name: after the rating, provider: ZA1, as_of: 2016-07-01, expect: {criterion:rated_good: true}}
        - policy: ../tiny.cred
          as_of: 2016-07-01
          data: *data
          cases:
            - {name: same sector, expect: {pair:buddying:ZA1:ZB2: undetermined}}
        ---
        policy: ../tiny.cred
        data: {providers: [{code: ZA1, name: A, sector: acute}]}
        cases:
          - {name: today, provider: ZA1, expect: {form:buddying:lead: undetermined}}
        """,
    )
    monkeypatch.chdir(tmp_path)
    result = run()  # default: policies/tests under the working directory
    assert result.exit_code == 0, result.output
    assert "4 passed, 0 failed: 4 case(s), 4 expectation(s), 3 test(s) in 1 file(s)" in result.stdout
    assert "(as of 2016-07-01)" in result.stdout
