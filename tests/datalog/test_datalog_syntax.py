"""Parsing and printing textual Datalog, including the parse/print round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.datalog import (
    Atom,
    BinOp,
    Comparison,
    Const,
    DatalogError,
    Negation,
    Program,
    Rule,
    Var,
    format_program,
    format_rule,
    parse_program,
    parse_rule,
)
from credential.datalog.ir import KEYWORDS


def test_parse_rule_from_the_spec() -> None:
    rule = parse_rule("head(X, y) :- body(X, y), not other(y), y >= 3.")
    X, y = Var("X"), Var("y")
    assert rule == Rule(
        Atom("head", (X, y)),
        (Atom("body", (X, y)), Negation(Atom("other", (y,))), Comparison(">=", y, Const(3))),
    )
    assert format_rule(rule) == "head(X, y) :- body(X, y), not other(y), y >= 3."


def test_facts_constants_and_zero_arity() -> None:
    program = parse_program('edge("a", 1). w(-2.5, 1e-09, true, false, -3). ok(). p() :- ok()')
    assert program.rules[0] == Rule(Atom("edge", (Const("a"), Const(1))))
    assert program.rules[1].head.args == (Const(-2.5), Const(1e-09), Const(True), Const(False), Const(-3))
    assert [type(a.value) for a in program.rules[1].head.args if isinstance(a, Const)] == [
        float,
        float,
        bool,
        bool,
        int,
    ]
    assert program.rules[2] == Rule(Atom("ok"))
    assert program.rules[3] == Rule(Atom("p"), (Atom("ok"),))
    assert all(r.is_fact for r in program.rules[:3])


def test_const_equality_is_typed() -> None:
    assert Const(1) != Const(True) != Const(1.0)
    assert Const(1) != Const(1.0)
    assert len({Const(1), Const(True), Const(1.0)}) == 3


def test_negation_bang_comments_and_optional_dot() -> None:
    text = """
        // a line comment
        a(X) :- b(X), !c(X) /* block
        comment */
        d(X) :- a(X)   // no final dot on either rule
    """
    program = parse_program(text)
    assert program.rules == (
        Rule(Atom("a", (Var("X"),)), (Atom("b", (Var("X"),)), Negation(Atom("c", (Var("X"),))))),
        Rule(Atom("d", (Var("X"),)), (Atom("a", (Var("X"),)),)),
    )


def test_arithmetic_precedence_and_parentheses() -> None:
    rule = parse_rule("p(X + 2 * 3, (X + 2) * 3, X - 1 - 1, X - (1 - 1), -X, X - -1, 8 / 2 / 2) :- q(X).")
    X = Var("X")
    one, two, three = Const(1), Const(2), Const(3)
    assert rule.head.args == (
        BinOp("+", X, BinOp("*", two, three)),
        BinOp("*", BinOp("+", X, two), three),
        BinOp("-", BinOp("-", X, one), one),
        BinOp("-", X, BinOp("-", one, one)),
        BinOp("-", Const(0), X),
        BinOp("-", X, Const(-1)),
        BinOp("/", BinOp("/", Const(8), two), two),
    )
    assert format_rule(rule) == ("p(X + 2 * 3, (X + 2) * 3, X - 1 - 1, X - (1 - 1), 0 - X, X - -1, 8 / 2 / 2) :- q(X).")


def test_all_comparison_operators_and_anonymous() -> None:
    rule = parse_rule("p(X) :- q(X, _), X = 1, X != 2, X < 3, X <= 4, X > 0, X >= 0.")
    assert [c.op for c in rule.body if isinstance(c, Comparison)] == ["=", "!=", "<", "<=", ">", ">="]
    assert rule.body[0] == Atom("q", (Var("X"), Var("_")))


def test_string_escapes() -> None:
    rule = parse_rule(r'p("a\"b", "back\\slash", "nl\n tab\t cr\r", "\u00e9\U0001F600", "é😀") :- q().')
    values = [a.value for a in rule.head.args if isinstance(a, Const)]
    assert values == ['a"b', "back\\slash", "nl\n tab\t cr\r", "é😀", "é😀"]
    assert parse_rule(format_rule(rule)) == rule
    assert format_rule(Rule(Atom("p", (Const("\x00\x7f\u2028"),)))) == 'p("\\u0000\\u007f\\u2028").'


def test_origins_are_printed_and_parsed_back() -> None:
    program = Program(
        (
            Rule(Atom("a", (Const(1),)), origin="policy.credential:3:7"),
            Rule(Atom("b", (Var("X"),)), (Atom("a", (Var("X"),)),)),
            Rule(Atom("c", ()), origin="  spaced // origin: tricky "),
        )
    )
    text = format_program(program)
    assert text == (
        "// origin: policy.credential:3:7\na(1).\nb(X) :- a(X).\n// origin:   spaced // origin: tricky \nc().\n"
    )
    parsed = parse_program(text)
    assert [r.origin for r in parsed.rules] == ["policy.credential:3:7", None, "  spaced // origin: tricky "]
    assert format_program(program, with_origins=False) == "a(1).\nb(X) :- a(X).\nc().\n"
    assert Rule(Atom("a"), origin="x") == Rule(Atom("a"), origin="y")  # origin ignored by equality


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("p(X) :- q(X", 1, 12, "expected ',' or ')'"),
        ("p(X) :- q(X).\nr(X) :- X.", 2, 10, "comparison operator"),
        ('p("abc', 1, 3, "unterminated string"),
        ("p(X) :- q(X) @", 1, 14, "unexpected character"),
        ("p(X) /* open", 1, 6, "unterminated comment"),
        ("p(X) :- not X.", 1, 14, "expected '('"),
        ("p(X) :- q(X) ).", 1, 14, "expected ',' or '.'"),
        ("p(1) )", 1, 6, "expected ':-' or '.'"),
        ('p("\\q")', 1, 4, "bad escape"),
        ("p(12abc)", 1, 3, "malformed number"),
        ("p(1e999)", 1, 3, "out of range"),
        ("not(X) :- q(X).", 1, 1, "predicate name"),
        ("p(true(1))", 1, 7, None),
        ("p(X) :- q(X),", 1, 14, "end of input"),
        ("p(f(X))", 1, 3, "atom"),
    ],
)
def test_parse_errors_carry_line_and_column(text: str, line: int, column: int, fragment: str | None) -> None:
    with pytest.raises(DatalogError) as info:
        parse_program(text)
    err = info.value
    assert err.code == "datalog.parse"
    assert (err.line, err.column) == (line, column), err.message
    assert f"line {line}, column {column}" in err.message
    if fragment:
        assert fragment in err.message


def test_parse_rule_requires_exactly_one_rule() -> None:
    with pytest.raises(DatalogError) as info:
        parse_rule("a(). b().")
    assert info.value.code == "datalog.parse"


def test_invalid_names_are_rejected_by_the_ir() -> None:
    for bad in ("foo-bar", "1abc", "not", "true", ""):
        with pytest.raises(DatalogError) as info:
            Atom(bad)
        assert info.value.code == "datalog.invalid-name"
    with pytest.raises(DatalogError):
        Var("false")
    with pytest.raises(DatalogError) as info:
        Const(float("nan"))
    assert info.value.code == "datalog.invalid-value"
    with pytest.raises(DatalogError):
        Const(None)  # type: ignore[arg-type]


# round trip ---------------------------------------------------------------------------------

_FIRST = "abcxyzABCXYZ_"
_REST = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_"
_names = st.builds(lambda a, b: a + b, st.sampled_from(_FIRST), st.text(_REST, max_size=4)).filter(
    lambda s: s not in KEYWORDS and s != "_"
)
_consts = st.one_of(
    st.text(max_size=6).map(Const),
    st.integers(-(10**20), 10**20).map(Const),
    st.floats(allow_nan=False, allow_infinity=False).map(Const),
    st.booleans().map(Const),
)
_leaves = st.one_of(_names.map(Var), st.just(Var("_")), _consts)
_terms = st.recursive(_leaves, lambda t: st.builds(BinOp, st.sampled_from(["+", "-", "*", "/"]), t, t), max_leaves=6)
_atoms = st.builds(Atom, _names, st.lists(_terms, max_size=3).map(tuple))
_literals = st.one_of(
    _atoms,
    st.builds(Negation, _atoms),
    st.builds(Comparison, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), _terms, _terms),
)
_origins = st.one_of(st.none(), st.text(max_size=12).filter(lambda s: "\n" not in s and "\r" not in s))
_rules = st.builds(Rule, _atoms, st.lists(_literals, max_size=4).map(tuple), _origins)
_programs = st.lists(_rules, max_size=5).map(lambda rs: Program(tuple(rs)))


@settings(max_examples=150, deadline=None)
@given(_programs)
def test_print_parse_round_trip(program: Program) -> None:
    text = format_program(program)
    parsed = parse_program(text)
    assert parsed == program
    assert [r.origin for r in parsed.rules] == [r.origin for r in program.rules]
    assert format_program(parsed) == text
    for rule in program.rules:
        assert parse_rule(format_rule(rule)) == rule
