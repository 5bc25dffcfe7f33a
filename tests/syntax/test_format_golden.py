"""Golden files: ``golden/X.cred`` formats to ``golden/X.cred.formatted``.

Run ``pytest --update-goldens`` (which sets ``UPDATE_GOLDENS=1``) to rewrite the expected
outputs, then review the diff.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from credential.syntax import parse_text
from credential.syntax.format import format_text

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(GOLDEN.glob("*.cred"), key=lambda p: p.name)


def comments(text: str) -> Counter[str]:
    return Counter(c.text for c in parse_text(text).comments)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    out = format_text(text, str(path))
    expected_path = path.with_name(path.name + ".formatted")
    if os.environ.get("UPDATE_GOLDENS"):
        expected_path.write_text(out, encoding="utf-8")
    assert expected_path.exists(), f"missing {expected_path.name}: run pytest --update-goldens"
    assert out == expected_path.read_text(encoding="utf-8"), (
        f"{path.name} formats differently from {expected_path.name}: run pytest --update-goldens and review the diff"
    )
    # The golden outputs are themselves canonical and say the same as their inputs.
    assert format_text(out) == out
    assert parse_text(out).tree == parse_text(text).tree
    assert comments(out) == comments(text)


def test_the_spec_example_is_already_canonical() -> None:
    path = GOLDEN / "spec_example.cred"
    text = path.read_text(encoding="utf-8")
    assert format_text(text) == text


def test_goldens_exist() -> None:
    assert len(CASES) >= 5
