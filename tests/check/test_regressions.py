"""Checker inputs that once raised instead of reporting (found by the hypothesis properties)."""

from __future__ import annotations

from credential.check import check_files
from credential.syntax import parse_text


def test_window_over_a_measure_of_unknown_type_is_reported_not_raised() -> None:
    text = (
        'policy p "t"\n  version "1"\n  effective 2015-01-01\n'
        "measure android: order\n"
        "credential c\n  requires mean android over 3 months >= 1\n"
    )
    result = parse_text(text, "t.cred")
    policy, diags = check_files(result.tree, [], [result.source], "t.cred")
    assert policy is None
    assert [d.code for d in diags if d.is_error] == ["check.unknown-name"]
