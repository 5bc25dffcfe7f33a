"""Parquet output, SARIF, JUnit, dates, selection and colour (docs/cli.md)."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import jsonschema
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.cli import cli
from credential.dates import parse_date, parse_dates, parse_range, quarter_end, quarter_start
from credential.errors import UsageError
from credential.proofs.store import expand_lines
from credential.testing.select import keyword_matcher

ROOT = Path(__file__).resolve().parents[2]
BASE = ["--policy", str(ROOT / "tests/fixtures/spec_example.cred"), "--data", str(ROOT / "tests/fixtures/hand_bundle")]


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_parquet_is_byte_stable_and_reads_back(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for out in (a, b):
        code, _, err = invoke("evaluate", *BASE, "--as-of", "2016-04-01", "--explain", "--format", "parquet",
                              "--output", str(out))  # fmt: skip
        assert code == 0, err
    assert a.read_bytes() == b.read_bytes()
    table = pq.read_table(a)
    code, jsonl, _ = invoke("evaluate", *BASE, "--as-of", "2016-04-01", "--explain", "--format", "jsonl")
    records = expand_lines(jsonl.splitlines())  # parquet holds self-contained proofs
    assert table.num_rows == len(records)
    rows = table.to_pylist()
    assert [(r["provider"], r["subject"], r["outcome"]) for r in rows] == [
        (r["provider"], r["subject"], r["outcome"]) for r in records
    ]
    assert rows[0]["as_of"] == dt.date(2016, 4, 1)
    assert json.loads(rows[0]["proof"]) == records[0]["proof"]
    counts = dict(duckdb.sql(f"select outcome, count(*) from '{a}' group by 1").fetchall())
    assert sum(counts.values()) == len(records)


SARIF_REQUIRED = {  # the required properties of SARIF 2.1.0's sarifLog, run, tool, result, message, region
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {"driver": {"type": "object", "required": ["name"]}},
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "properties": {
                                            "physicalLocation": {
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "region": {
                                                        "properties": {
                                                            "startLine": {"type": "integer", "minimum": 1},
                                                            "startColumn": {"type": "integer", "minimum": 1},
                                                        }
                                                    }
                                                },
                                            }
                                        }
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_check_sarif_has_the_required_structure() -> None:
    bad = ROOT / "tests/syntax/recovery/several_errors.cred"
    code, out, _ = invoke("check", "--format", "sarif", str(bad))
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, SARIF_REQUIRED)
    results = doc["runs"][0]["results"]
    assert len(results) == 6 and {r["ruleId"] for r in results} == {"parse.unexpected-token", "check.unknown-name"}
    rules = [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)


def test_junit_report(tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    code, _, err = invoke("test", str(ROOT / "policies/tests/dalton_2014_example.yaml"), "--no-coverage",
                          "--junit", str(out))  # fmt: skip
    assert code == 0, err
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    cases = root.findall("./testsuite/testcase")
    assert root.tag == "testsuites" and int(root.get("tests", "0")) == len(cases) > 0
    assert root.get("failures") == "0" and not root.findall(".//failure")


def test_list_and_k_select_cases() -> None:
    path = str(ROOT / "policies/tests/dalton_2014_example.yaml")
    code, out, _ = invoke("test", path, "--list")
    everything = out.splitlines()
    word = max(everything[0].split("::")[-1].split(), key=len)
    code, out, _ = invoke("test", path, "--list", "-k", f"not {word}")
    assert code == 0 and everything[0] not in out.splitlines() and len(out.splitlines()) < len(everything)


def test_dates() -> None:
    today = dt.date(2026, 1, 2)
    assert parse_date("today", today=today) == today
    assert parse_date("2025-06-30") == dt.date(2025, 6, 30)
    assert parse_date(dt.datetime(2025, 6, 30, 23, 59)) == dt.date(2025, 6, 30)
    assert parse_date("2025Q1", quarters=True) == dt.date(2025, 3, 31)
    assert parse_dates("2024Q3..2025Q1") == [dt.date(2024, 9, 30), dt.date(2024, 12, 31), dt.date(2025, 3, 31)]
    assert parse_range("2025Q2", "2025Q2") == (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    for bad in ("2025Q1", "30/06/2025", "2025-02-30", "", 20250630):
        with pytest.raises(UsageError) as exc:
            parse_date(bad)  # type: ignore[arg-type]
        assert exc.value.code == "usage.bad-date"
        assert "accepted: `today`, an ISO date (2025-06-30)" in exc.value.message
    with pytest.raises(UsageError):
        parse_dates("2025Q2..2025Q1")


def test_quarter_range_on_evaluate_and_selection() -> None:
    code, out, _ = invoke("evaluate", *BASE, "--as-of", "2016Q1..2016Q2", "--provider", "R0A",
                          "--subject", "partner", "--format", "jsonl")  # fmt: skip
    assert code == 0
    assert [(json.loads(x)["as_of"], json.loads(x)["subject"]) for x in out.splitlines()] == [
        ("2016-03-31", "credential:partner"),
        ("2016-06-30", "credential:partner"),
    ]


def test_no_colour_when_piped_or_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from credential.cli.progress import colourise, use_colour

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())  # type: ignore[arg-type]
    assert "\x1b[" in colourise("x: error[parse.io]: y")
    code, _, err = invoke("check", str(ROOT / "tests/syntax/recovery/several_errors.cred"))
    assert code == 1 and "\x1b[" not in err  # not a terminal


def test_pairs_show_in_the_table() -> None:
    code, out, _ = invoke("evaluate", *BASE, "--as-of", "2016-04-01", "--pairs")
    assert code == 0 and "eligible or undetermined pairs:" in out and "granted" in out


def test_progress_on_a_terminal_only() -> None:
    import io

    from credential.cli.progress import Progress
    from credential.engine import run

    result = run(BASE[1], BASE[3], [dt.date(2016, 4, 1)], explain=True)
    stream = io.StringIO()
    with Progress(stream, enabled=True) as progress:
        progress.step("evaluating as of 2016-04-01")
        progress.track_proofs(result)
        result.proof_texts(0, len(result.frame))
    shown = stream.getvalue()
    assert "evaluating as of 2016-04-01" in shown and "proofs" in shown  # the bar itself: click, on a terminal
    quiet = io.StringIO()
    with Progress(quiet) as progress:  # a StringIO is not a terminal
        assert not progress.enabled
        progress.step("x")
        progress.track_proofs(result)
    assert quiet.getvalue() == ""


def test_a_pair_subject_needs_pairs() -> None:
    code, _, err = invoke("evaluate", *BASE, "--as-of", "2016-04-01", "--subject", "pair:buddying:*")
    assert code == 2 and "--pairs" in err
    code, out, _ = invoke("evaluate", *BASE, "--as-of", "2016-04-01", "--pairs", "--subject", "pair:buddying:*",
                          "--format", "jsonl")  # fmt: skip
    assert code == 0 and out and all(json.loads(x)["subject"].startswith("pair:buddying:") for x in out.splitlines())


def _failing_tests(tmp_path: Path) -> Path:
    text = (ROOT / "policies/tests/dalton_2014_example.yaml").read_text(encoding="utf-8")
    text = text.replace("../dalton_2014.cred", str(ROOT / "policies/dalton_2014.cred"))
    text = text.replace("credential:supporter: refused", "credential:supporter: granted")  # now wrong
    text = text.replace("{pair:buddying:ZA1:ZB2: granted}", "{pair:buddying:ZA1:ZB2: refused}")  # wrong too
    path = tmp_path / "failing.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_exitfirst_verbose_and_junit_failures(tmp_path: Path) -> None:
    path = _failing_tests(tmp_path)
    code, out, _ = invoke("test", str(path), "--no-coverage", "-v")
    assert code == 4 and "2 failed" in out and "ok ZA1 credential:group_leader: granted" in out
    code, out, _ = invoke("test", str(path), "--no-coverage", "-x", "--junit", str(tmp_path / "j.xml"))
    assert code == 4 and "1 failed" in out and "stopped at the first failure" in out
    root = ET.fromstring((tmp_path / "j.xml").read_text(encoding="utf-8"))
    (failure,) = root.findall(".//failure")
    assert "ZB2 credential:supporter: expected granted, got refused" in (failure.text or "")
    code, out, _ = invoke("test", str(path), "--no-coverage", "--format", "json", "-k", "buddy and not requires")
    doc = json.loads(out)
    assert code == 4 and [r["case"] for r in doc["results"]] == ["the two may buddy (same sector)"]


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 30)))
def test_every_iso_date_round_trips_and_quarters_tile_the_year(d: dt.date) -> None:
    assert parse_date(d.isoformat()) == d
    q = (d.month - 1) // 3 + 1
    assert quarter_start(d.year, q) <= d <= quarter_end(d.year, q)
    assert quarter_end(d.year, q) + dt.timedelta(days=1) == (
        quarter_start(d.year, q + 1) if q < 4 else dt.date(d.year + 1, 1, 1)
    )
    assert parse_dates(f"{d.year}Q{q}") == [quarter_end(d.year, q)]


WORDS = st.sampled_from(["partner", "lead", "RM3", "fixture"])


@settings(max_examples=60, deadline=None)
@given(WORDS, WORDS, st.text(alphabet="abcdRM3leadpartnerfixture:: ", max_size=40))
def test_k_expressions_mean_what_they_say(a: str, b: str, case: str) -> None:
    has = lambda w: w.lower() in case.lower()  # noqa: E731
    assert keyword_matcher(a)(case) == has(a)
    assert keyword_matcher(f"not {a}")(case) == (not has(a))
    assert keyword_matcher(f"{a} and not {b}")(case) == (has(a) and not has(b))
    assert keyword_matcher(f"({a} or {b}) and {a}")(case) == has(a)
