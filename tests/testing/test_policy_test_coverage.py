"""Coverage numbers on a small policy, worked out by hand (tests/testing/cases/tiny.cred).

tiny.cred has 1 criterion, 1 credential, 3 roles (buddying lead, recipient, pair),
5 clauses (rated_good requires, supporter requires, buddying lead/recipient/pair) and 10
condition nodes:

    line 12  cqc_overall >= good                                  (rated_good)
    line 15  and, rated_good, not, special_measures               (supporter)
    line 19  supporter                                            (buddying lead)
    line 20  or, cqc_overall <= requires_improvement, special_measures  (recipient)
    line 21  lead.sector = recipient.sector                       (pair)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli
from credential.evaluation.decisions import Truth
from credential.testing import load_tests, run_tests
from credential.testing.coverage import line_ranges

CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(autouse=True)
def in_cases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(CASES)
    yield


def coverage_json(name: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["test", name, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (cov,) = json.loads(result.stdout)["coverage"]
    assert isinstance(cov, dict)
    return cov


def test_two_providers_no_pairs() -> None:
    """ZA1 (good) and ZB2 (requires improvement), one evaluation, no pair named.

    ZA1: rated_good T, supporter T, lead T, recipient F.   ZB2: F, F, F, T.
    Neither is in special measures, so `not special_measures` is true for both (never
    false) and both `special_measures` nodes are false for both (never true).  The pair
    is never observed: its role, clause and node are neither true nor false.
    """
    cov = coverage_json("tiny_two.yaml")
    kinds = cov["kinds"]
    assert isinstance(kinds, dict)
    assert (cov["evaluations"], cov["provider_observations"], cov["pair_observations"]) == (1, 2, 0)
    got = {k: (v["parts"], v["made_true"], v["made_false"], v["percent"]) for k, v in kinds.items()}
    assert got == {
        "criterion": (1, 1, 1, 100.0),
        "credential": (1, 1, 1, 100.0),
        "role": (3, 2, 2, 66.67),  # (2 + 2) / 6
        "clause": (5, 4, 4, 80.0),  # (4 + 4) / 10
        "node": (10, 7, 8, 75.0),  # (7 + 8) / 20
    }
    assert cov["rule_percent"] == 80.0  # (2 + 2 + 4) / 10
    assert cov["lines_never_exercised"] == {"tiny.cred": [21]}
    assert cov["lines_partly_exercised"] == {"tiny.cred": [15, 20]}
    never_true = {(p["kind"], p["label"], p["source"]["line"]) for p in cov["never_true"]}  # type: ignore[attr-defined]
    assert never_true == {
        ("role", "buddying:pair", 21),
        ("node", "status `special_measures`", 15),
        ("node", "status `special_measures`", 20),
        ("node", "comparison `lead.sector = recipient.sector`", 21),
    }
    never_false = {(p["kind"], p["label"]) for p in cov["never_false"]}  # type: ignore[attr-defined]
    assert never_false == {
        ("role", "buddying:pair"),
        ("node", "not `not special_measures`"),
        ("node", "comparison `lead.sector = recipient.sector`"),
    }


def test_pairs_and_unknowns() -> None:
    """Adds pairs (ZA1, ZB2) and (ZA1, ZC3); ZC3 has no rating, so it is observed as unknown.

    (ZA1, ZB2): both roles hold, both acute: the pair holds.  (ZA1, ZC3): the recipient
    role is unknown, so the pair is a candidate and its condition is evaluated: acute =
    community is false, so the pair is refused.  Every role is now made true and false;
    only `special_measures` (twice, never true) and `not special_measures` (never false)
    stay uncovered.
    """
    cov = coverage_json("tiny_pairs.yaml")
    kinds = cov["kinds"]
    assert isinstance(kinds, dict)
    assert (cov["evaluations"], cov["provider_observations"], cov["pair_observations"]) == (1, 3, 2)
    got = {k: (v["made_true"], v["made_false"], v["percent"]) for k, v in kinds.items()}
    assert got == {
        "criterion": (1, 1, 100.0),
        "credential": (1, 1, 100.0),
        "role": (3, 3, 100.0),
        "clause": (5, 5, 100.0),
        "node": (8, 9, 85.0),
    }
    parts = {(p["kind"], p["label"]): p for p in cov["parts"]}  # type: ignore[attr-defined]
    assert {k: parts[("criterion", "rated_good")][k] for k in ("true", "false", "unknown")} == {
        "true": 1,
        "false": 1,
        "unknown": 1,
    }
    assert {k: parts[("role", "buddying:pair")][k] for k in ("true", "false", "unknown")} == {
        "true": 1,
        "false": 1,
        "unknown": 0,
    }
    assert cov["lines_never_exercised"] == {}


def test_api_counts_match_cli() -> None:
    result = run_tests(load_tests([Path("tiny_pairs.yaml")]))
    assert result.ok and result.coverage is not None
    (pc,) = result.coverage.values()
    assert round(pc.rule_percent(), 2) == 100.0
    never_true = [p.label for p in pc.never(Truth.TRUE)]
    assert never_true == ["status `special_measures`", "status `special_measures`"]


def test_line_ranges() -> None:
    assert line_ranges([3, 4, 5, 9, 11, 12]) == "3-5, 9, 11-12"
    assert line_ranges([]) == ""
