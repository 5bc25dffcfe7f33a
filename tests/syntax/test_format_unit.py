"""The formatter's rules, one at a time (and regressions found while writing it)."""

from __future__ import annotations

import pytest

from credential.check import check_files
from credential.diagnostics import DiagnosticError
from credential.syntax import ast, parse_text
from credential.syntax.format import format_cond, format_policy, format_string, format_text

HEADER = 'policy p "t"\n  version "1"\n  effective 2015-01-01\n'


def fmt_cond(cond: str) -> str:
    """The formatted condition of `criterion c requires COND`."""
    out = format_text(f"criterion c\n  requires {cond}\n")
    assert out.startswith("criterion c\n  requires ")
    return out[len("criterion c\n  requires ") : -1]


@pytest.mark.parametrize(
    ("written", "formatted"),
    [
        ("a and (b or c)", "a and (b or c)"),
        ("(a and b) or c", "a and b or c"),
        ("a or (b and c)", "a or b and c"),
        ("((a))", "a"),
        ("a and (b and (c))", "a and b and c"),
        ("(a or b) or (c or d)", "a or b or c or d"),
        ("not (a)", "not a"),
        ("not(a and b)", "not (a and b)"),
        ("not (a or b) and c", "not (a or b) and c"),
        ("not not a", "not not a"),
        ("not (not a)", "not not a"),
        ("x>=3", "x >= 3"),
        ("x  !=  -3", "x != -3"),
        ("x in(a ,b)", "x in (a, b)"),
        ("all of a ,b,c>=good", "all of a, b, c >= good"),
        ("any of a,b in(x)", "any of a, b in (x)"),
        ("lead . x=recipient.x", "lead.x = recipient.x"),
        ("mean  m  over  4  quarters >= 92%", "mean m over 4 quarters >= 92%"),
        (
            "count arrangements led as f started within 2 years<3",
            "count arrangements led as f started within 2 years < 3",
        ),
        ("receives   arrangement", "receives arrangement"),
        ("leads arrangement started within grace", "leads arrangement started within grace"),
        ("x = 007 and y = -0.50% and z = 1.0", "x = 007 and y = -0.50% and z = 1.0"),
        ('t = "a\\x"', 't = "ax"'),
        ("d = 2015-01-01 or b = yes or b != no", "d = 2015-01-01 or b = yes or b != no"),
    ],
)
def test_conditions(written: str, formatted: str) -> None:
    assert fmt_cond(written) == formatted


def test_string_escapes() -> None:
    assert format_string('a "b" \\ c\nd\te') == '"a \\"b\\" \\\\ c\\nd\\te"'
    text = 'source s "tab\there \\q \\" \\\\"\n'
    out = format_text(text)
    assert out == 'source s "tab\\there q \\" \\\\"\n'
    assert parse_text(out).tree == parse_text(text).tree


def test_format_cond_of_unflattened_trees() -> None:
    """Trees not built by the parser print so that they parse back to the flattened tree."""
    a, b, c = (ast.Bare(ast.Ref(ast.Ident(n))) for n in "abc")
    assert format_cond(ast.And((ast.And((a, b)), c))) == "a and b and c"
    assert format_cond(ast.And((ast.Or((a, b)), c))) == "(a or b) and c"
    assert format_cond(ast.Not(ast.Not(ast.Or((a, b))))) == "not not (a or b)"


def test_declarations_layout() -> None:
    text = (
        'policy   p   "t"\n expires 2020-01-01\n effective 2015-01-01\n version "1"\n'
        "measure a:number\nmeasure b : percent\nattribute c: one of x,y\nattribute d: yes / no\n"
        "scale s: lo<hi\nparam p1 = 3\nparam p2 = 4\n    from 2016-01-01=5\nparam p3 = lo\n"
        'status s1\nstatus s2 "T"\nuse "x.cred"\nuse "y.cred"\n'
        'criterion k "K"\n    requires a>1\ncredential l\n requires k\n'
    )
    assert format_text(text) == (
        'policy p "t"\n  version "1"\n  effective 2015-01-01\n  expires 2020-01-01\n\n'
        "measure a: number\nmeasure b: percent\n\nattribute c: one of x, y\nattribute d: yes/no\n\n"
        "scale s: lo < hi\n\nparam p1 = 3\nparam p2 = 4\n  from 2016-01-01 = 5\nparam p3 = lo\n\n"
        'status s1\nstatus s2 "T"\n\nuse "x.cred"\nuse "y.cred"\n\n'
        'criterion k "K"\n  requires a > 1\n\ncredential l\n  requires k\n'
    )


def test_blank_lines_between_grouped_declarations_go() -> None:
    assert format_text('source a "x"\n\n\nsource b "y"\n') == 'source a "x"\nsource b "y"\n'


def test_breaking_long_conditions() -> None:
    long_and = " and ".join(f"measure_number_{i} >= 1" for i in range(8))
    out = format_text(f"criterion c\n  unless {long_and}\n")
    lines = out.splitlines()
    assert lines[1].startswith("  unless measure_number_0 >= 1 and ")
    assert all(line.startswith("       and ") for line in lines[2:])
    assert all(len(line) <= 100 for line in lines)
    # Breaking is only before the top-level operator.
    nested = "not (" + long_and + ")"
    assert format_text(f"criterion c\n  requires {nested}\n") == f"criterion c\n  requires {nested}\n"


def test_comments_kept_in_place() -> None:
    text = (
        "# top\n"
        'policy p "t" # header\n'
        '  version "1"\n'
        "  # before effective\n"
        "  effective 2015-01-01\n"
        "\n"
        "# about c\n"
        "criterion c\n"
        "  requires a and # inner\n"
        "     b  # last\n"
        "  # under c\n"
        "# end\n"
    )
    assert format_text(text) == (
        "# top\n"
        'policy p "t"  # header\n'
        '  version "1"\n'
        "  # before effective\n"
        "  effective 2015-01-01\n"
        "\n"
        "# about c\n"
        "criterion c\n"
        "  # inner\n"
        "  requires a and b  # last\n"
        "  # under c\n"
        "# end\n"
    )


def test_comment_only_and_empty_files() -> None:
    assert format_text("") == ""
    assert format_text("\n\n   \n") == ""
    assert format_text("  # a\n\n\n# b\n") == "# a\n\n# b\n"


def test_crlf_and_tabs() -> None:
    text = 'policy p "t"\r\n\tversion "1"\r\n\teffective 2015-01-01  # x\r\n'
    assert format_text(text) == 'policy p "t"\n  version "1"\n  effective 2015-01-01  # x\n'


def test_unparsable_text_raises() -> None:
    with pytest.raises(DiagnosticError) as info:
        format_text("criterion c\n  requires (a\n", "bad.cred")
    assert info.value.diagnostics[0].code.startswith("parse.")
    with pytest.raises(DiagnosticError):
        format_policy(parse_text("policy"))


# ---- regressions in the parser and the checker found by the generators ------------------


def test_hash_inside_string_with_escaped_quote_is_not_a_comment() -> None:
    result = parse_text('source a "x # y" # real\nsource b "a\\" # q"\n')
    assert [c.text for c in result.comments] == ["# real"]
    assert format_text('source b "a\\" # q"\n') == 'source b "a\\" # q"\n'


def test_param_value_may_be_a_level_name() -> None:
    result = parse_text("param floor = good\n  from 2020-01-01 = outstanding\n")
    assert result.diagnostics == []
    decl = result.tree.decls[0]
    assert isinstance(decl, ast.ParamDecl)
    assert decl.value == ast.Ref(ast.Ident("good"))
    assert decl.steps[0].value == ast.Ref(ast.Ident("outstanding"))


def test_bad_date_in_a_condition_is_reported() -> None:
    text = HEADER + "attribute founded: date\ncriterion c\n  requires founded < 2015-02-30\n"
    text += "credential k\n  requires c\n"
    result = parse_text(text)
    policy, diags = check_files(result.tree, [], [result.source])
    assert policy is None
    assert [d.code for d in diags if d.is_error] == ["check.bad-date"]
