"""docs/backtest.md is what tests/docs/regen_backtest.py writes, and the script's pure helpers.

The whole page is regenerated from real runs on the bundled data (both reference policies at
four dates, the takeover back-test, the policy diff at each date, the timeline commands of the
worked examples): minutes on a loaded machine, so that comparison is a slow test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from credential.timeline import Cause

ROOT = Path(__file__).resolve().parents[2]


def _regen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regen_backtest", ROOT / "tests" / "docs" / "regen_backtest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("regen_backtest", module)
    spec.loader.exec_module(module)
    return module


regen = _regen()


def test_month_runs() -> None:
    assert regen.month_runs([]) == "none"
    assert regen.month_runs(["2025-04"]) == "2025-04"
    assert regen.month_runs(["2025-04", "2026-01"]) == "2025-04 and 2026-01"
    months = ["2016-11", "2016-12", "2017-01", "2019-03", "2021-04", "2021-05", "2021-05"]
    assert regen.month_runs(months) == "2016-11 to 2017-01, 2019-03 and 2021-04 to 2021-05"


FIRST = {"RAA": "2019-05-10"}


@pytest.mark.parametrize(
    ("missing", "provider", "as_of", "expected"),
    [
        (["cqc_overall"], "RAA", "2017-03-31", "CQC rating not yet published"),
        (["cqc_overall"], "RBB", "2017-03-31", "no CQC rating"),
        (["cqc_overall (stale: evidence of 2019-05-10, max age 5 years)"], "RAA", "2025-06-30", "stale evidence"),
        (
            ["judged by meets_access_standards: none applies to sector mental_health"],
            "RAA",
            "2025-06-30",
            "no standard applies",
        ),
        (["status special_measures_finance"], "RAA", "2025-06-30", "status not known"),
        (["min surplus_margin over 2 years"], "RAA", "2025-06-30", "no finance figures"),
        (["receives arrangement as chain_group"], "RAA", "2025-06-30", "arrangement not known"),
        (
            ["pooled cancer_31d over 12 months (minimum min_cancer_patients)"],
            "RAA",
            "2025-06-30",
            "performance data missing",
        ),
        ([], "RAA", "2025-06-30", "other"),
        # the first reason in the order of the columns wins
        (["status special_measures_quality", "cqc_well_led"], "RAA", "2017-03-31", "CQC rating not yet published"),
    ],
)
def test_reason_of_an_undetermined_decision(missing: list[str], provider: str, as_of: str, expected: str) -> None:
    assert regen.reason(missing, provider, as_of, FIRST) == expected
    assert expected in regen.REASONS


def _cause(before: str, after: str, v0: object, v1: object, text: str = "cqc_overall >= good") -> Cause:
    return Cause("criterion:rated_good_overall", text, "p.cred:1", before, after, v0, v1)


def test_kind_of_move() -> None:
    assert regen.kind_of_move(_cause("unknown", "true", None, "good")) == "a value became known"
    assert regen.kind_of_move(_cause("true", "unknown", "good", "good")) == "the same value, no longer usable (stale)"
    assert regen.kind_of_move(_cause("true", "unknown", "good", None)) == "the value is missing now"
    assert regen.kind_of_move(_cause("true", "unknown", "good", None), stale=True) == "the value is stale now"
    shown = "good (stale: evidence of 2019-08-01, max age 5 years)"  # as the timeline shows a stale value
    assert regen.kind_of_move(_cause("true", "unknown", "good", shown)) == "the value is stale now"
    assert regen.kind_of_move(_cause("true", "false", 0.9, 0.9)) == "the same value, the standard changed"
    assert regen.kind_of_move(_cause("true", "false", "good", "requires_improvement")) == "the value changed"
    assert regen.kind_of_move(_cause("false", "true", None, None, text="")) == "the rule's truth changed"


def test_is_stale_reads_the_decision_missing_items() -> None:
    c = _cause("true", "unknown", "good", None)
    assert regen.is_stale(c, ["cqc_overall (stale: evidence of 2019-08-01, max age 5 years)"])
    assert not regen.is_stale(c, ["cqc_safe (stale: evidence of 2019-08-01, max age 5 years)"])
    assert not regen.is_stale(c, ["cqc_overall"])


@pytest.mark.slow
def test_backtest_page_is_current() -> None:
    """The committed page equals a fresh regeneration (run the script to update it)."""
    page = (ROOT / "docs" / "backtest.md").read_text(encoding="utf-8")
    assert regen.document() == page, f"docs/backtest.md is stale: run {regen.REGEN}"
