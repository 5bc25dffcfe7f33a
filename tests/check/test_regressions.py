"""Checker inputs that once raised instead of reporting (found by the hypothesis properties)."""

from __future__ import annotations

from pathlib import Path

import pytest

from credential.check import check_files
from credential.policy import load_checked
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


@pytest.mark.parametrize("name", ["a\x00b.cred", "x" * 5000 + ".cred"], ids=["nul-byte", "name-too-long"])
def test_a_use_path_no_file_can_have_is_reported_not_raised(tmp_path: Path, name: str) -> None:
    # found by test_load_checked_never_raises: resolving a name with a NUL byte raised ValueError
    path = tmp_path / "p.cred"
    path.write_text(f'policy p "t"\n  version "1"\n  effective 2015-01-01\n\nuse "{name}"\n', encoding="utf-8")
    policy, diags = load_checked(path)
    assert policy is None
    errors = [d for d in diags if d.is_error]
    assert [(d.code, d.span.line if d.span else None) for d in errors] == [("check.use-not-found", 5)]
    assert errors[0].message.endswith("(not a usable file name)")
