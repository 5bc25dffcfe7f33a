"""Properties of the parser and the formatter on generated policies."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from credential.syntax import ast, parse_text
from credential.syntax.format import WIDTH, format_text
from support.policies import (
    GeneratedPolicy,
    Style,
    ill_typed_policies,
    policy_asts,
    property_settings,
    rendered,
    well_typed_policies,
)

SETTINGS = property_settings(60)


@SETTINGS
@given(rendered())
def test_parse_format_round_trip(g: GeneratedPolicy) -> None:
    """The messy text parses to its tree; formatting keeps tree and comments, and is idempotent."""
    result = parse_text(g.text)
    assert result.diagnostics == []
    assert result.tree == g.tree
    assert Counter(c.text for c in result.comments) == Counter(g.comments)

    once = format_text(g.text)
    reparsed = parse_text(once)
    assert reparsed.diagnostics == []
    assert reparsed.tree == g.tree
    assert Counter(c.text for c in reparsed.comments) == Counter(g.comments)
    assert format_text(once) == once


@SETTINGS
@given(well_typed_policies(), st.data())
def test_without_comments_output_depends_on_the_tree_only(tree: ast.PolicyFile, data: st.DataObject) -> None:
    messy = data.draw(rendered(st.just(tree), Style(comments=False)))
    plain = data.draw(rendered(st.just(tree), Style(comments=False, breaks=False, parens=False)))
    assert format_text(messy.text) == format_text(plain.text)


@SETTINGS
@given(rendered(policy_asts(), Style(comments=False)))
def test_formatted_lines_follow_the_layout_rules(g: GeneratedPolicy) -> None:
    out = format_text(g.text)
    assert out == "" or (out.endswith("\n") and not out.endswith("\n\n"))
    assert "\n\n\n" not in out and not out.startswith("\n")
    lines = out.split("\n")[:-1]
    for i, line in enumerate(lines):
        assert line == line.rstrip(), "no trailing whitespace"
        indent = len(line) - len(line.lstrip(" "))
        assert indent in (0, 2, 7) and "\t" not in line[:indent]
        if indent == 7 and line[7:].startswith("when "):
            # A preference too long for one line: its condition starts the continuation.
            assert lines[i - 1].startswith("  prefer ")
            assert len(f"{lines[i - 1]} {line[7:]}") > WIDTH or (
                i + 1 < len(lines) and lines[i + 1].startswith(" " * 7)
            )
        elif indent == 7:
            # A continuation starts with the operator, and its first item did not fit above.
            assert line[7:].startswith(("and ", "or "))
            assert len(f"{lines[i - 1]} {line[7:]}") > WIDTH


@property_settings(40)
@given(ill_typed_policies(), st.data())
def test_plain_rendering_round_trips(tree: ast.PolicyFile, data: st.DataObject) -> None:
    g = data.draw(rendered(st.just(tree), Style(comments=False, breaks=False, parens=False)))
    assert parse_text(g.text).tree == tree
    assert parse_text(format_text(g.text)).tree == tree
