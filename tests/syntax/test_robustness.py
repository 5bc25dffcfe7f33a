"""The parser never raises, on any bytes; whatever parses also formats and round-trips."""

from __future__ import annotations

from collections import Counter

from hypothesis import given

from credential.syntax import parse_source
from credential.syntax.format import format_policy, format_text
from credential.syntax.parser import decode_policy_bytes, parse_text
from support.policies import mutated_texts, noisy_bytes, property_settings


def _parse_bytes(data: bytes) -> None:
    src, diags = decode_policy_bytes("noise.cred", data)
    if diags:
        assert all(d.code.startswith("parse.") and d.is_error for d in diags)
        return
    result = parse_source(src)
    for d in result.diagnostics:
        assert d.code.startswith("parse.") and d.span is not None
    if not result.diagnostics:
        out = format_policy(result)
        assert parse_text(out).tree == result.tree
        assert Counter(c.text for c in parse_text(out).comments) == Counter(c.text for c in result.comments)
        assert format_text(out) == out


@property_settings(100)
@given(noisy_bytes())
def test_parser_never_raises_on_bytes(data: bytes) -> None:
    _parse_bytes(data)


@property_settings(50)
@given(mutated_texts())
def test_parser_never_raises_on_damaged_policies(text: str) -> None:
    _parse_bytes(text.encode("utf-8", "surrogatepass"))


def test_hostile_inputs() -> None:
    for text in [
        "(" * 10_000,
        'policy p "t"\ncriterion c\n  requires ' + "(" * 200 + "x" + ")" * 200,
        "criterion c\n  requires " + " and ".join(["not x"] * 2000),
        "\x00\x01\x02",
        '"unterminated\n#',
        '\ufeffpolicy p "t"\n',
        "criterion c\n  requires " + "not " * 3000 + "x",
    ]:
        _parse_bytes(text.encode("utf-8"))
