"""Units: percents shown as percents, numbers with their declared unit, JSON exact plus the unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from credential.policy import load_checked
from credential.proofs.values import show, show_percent
from credential.syntax.format import format_text
from credential.types import NUMBER, PERCENT


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.943463, "94.3463%"),
        (0.78, "78%"),
        (0.781135, "78.1135%"),
        (0.7811354615384615, "78.1135%"),
        (0.07, "7%"),
        (1.0, "100%"),
        (0.0, "0%"),
        (0.00005, "0.005%"),
        (0.000000004, "0%"),
        (0.12345650, "12.3456%"),  # half-even on the fourth decimal
    ],
)
def test_percent_formatting_rule(value: float, text: str) -> None:
    assert show_percent(value) == text
    assert show(value, PERCENT) == text


def test_numbers_show_their_unit() -> None:
    assert show(12.0, NUMBER, "days") == "12 days"
    assert show(1.5, NUMBER, "percentage_points") == "1.5 percentage points"
    assert show(12.0, NUMBER) == "12"
    assert show(None, PERCENT) == "missing"


POLICY = """policy units "Units"
  version "1.0.0"
  effective 2015-04-01

measure ae_4h: percent
measure wait: number in days

attribute beds: number in beds

credential c
  requires ae_4h >= 95% and wait <= 18 and beds > 100
"""


def test_declared_units_are_checked_and_formatted(tmp_path: Path) -> None:
    path = tmp_path / "u.cred"
    path.write_text(POLICY, encoding="utf-8")
    policy, diags = load_checked(path)
    assert policy is not None, diags
    assert policy.units == {"ae_4h": "percent", "wait": "days", "beds": "beds"}
    assert format_text(POLICY, "u.cred") == POLICY
