"""Static checks: every error code, stratification, and checks running before any backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from credential.datalog import (
    DEFAULT_LIMITS,
    DatalogError,
    Limits,
    Program,
    check_program,
    evaluate,
    find_errors,
    get_backend,
    parse_program,
    register_backend,
    stratify,
)


def code_of(text: str, facts: Mapping[str, list[tuple[object, ...]]] | None = None) -> str:
    with pytest.raises(DatalogError) as info:
        evaluate(facts or {}, text)
    return info.value.code


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("p(X) :- q(Y).", "variable X in the head"),
        ("p(X).", "variable X in the head"),
        ("p(X) :- q(X), not r(Y), not s(Y).", "variable Y in `not r(...)`"),  # in two negations
        ("p(X) :- q(X), not r(X, Y), Y > 1.", "variable Y in `not r(...)`"),  # also in a comparison
        ("p(X, Y) :- q(X), not r(X, Y).", "variable Y in the head"),
        ("p(X) :- q(X), not r(X + Y).", "variable Y in arithmetic in `not r(...)`"),
        ("p(X) :- q(X), Y > 1.", "variable Y in a comparison"),
        ("p(_) :- q(X).", "anonymous variable _ in the head"),
        ("p(X) :- q(X), r(Y + 1).", "variable Y in arithmetic in r(...)"),
        ("p(X) :- q(X), X < _.", "anonymous variable _ in a comparison"),
        ("p(X) :- X = Y, Y = X.", "variable X in the head"),
        ("p(X + Y) :- q(X).", "variable Y in the head"),
        ("p(X) :- q(X), not r(X + _).", "anonymous variable _"),
    ],
)
def test_unsafe_variables(text: str, fragment: str) -> None:
    with pytest.raises(DatalogError) as info:
        evaluate({}, text)
    assert info.value.code == "datalog.unsafe-variable"
    assert fragment in info.value.message


def test_equality_binds_variables() -> None:
    for text in (
        "p(Y) :- q(X), Y = X + 1.",
        "p(Z) :- q(X), Z = Y * 2, Y = X + 1.",  # order does not matter
        "p(Y) :- q(X), X + 1 = Y.",
        'p(Y) :- Y = "const".',
        "p(X) :- q(X), not r(X, _).",  # _ in a negation is existential
        "p(X) :- q(X), not r(X, Y).",  # so is a variable that occurs in one negated atom only
        "p(X) :- q(X), not r(X, Y, Y).",
        "p(X) :- q(X + 1), s(X).",
    ):
        check_program(parse_program(text))


def test_unsafe_error_mentions_origin() -> None:
    program = parse_program("// origin: pol.credential:4:2\np(X) :- q(Y).")
    with pytest.raises(DatalogError) as info:
        check_program(program)
    assert info.value.origin == "pol.credential:4:2"
    assert "pol.credential:4:2" in info.value.message


def test_arity_mismatch_in_rules_and_facts() -> None:
    assert code_of("p(X) :- q(X). p(X, Y) :- q(X), q(Y).") == "datalog.arity-mismatch"
    assert code_of("p(X) :- q(X).", {"q": [(1, 2)]}) == "datalog.arity-mismatch"
    assert code_of("", {"q": [(1, 2), (1,)]}) == "datalog.arity-mismatch"
    with pytest.raises(DatalogError) as info:
        evaluate({"q": [(1, 2)]}, "p(X) :- q(X).")
    assert "predicate q" in info.value.message and "arity 1" in info.value.message


@pytest.mark.parametrize(
    ("text", "cycle"),
    [
        ("a(X) :- d(X), not b(X). b(X) :- d(X), not a(X).", "a -> not b -> not a"),
        ("p(X) :- d(X), not p(X).", "p -> not p"),
        ("a() :- not b(). b() :- c(). c() :- a().", "a -> not b -> c -> a"),
        ("a() :- c(). c() :- not b(). b() :- a().", "c -> not b -> a -> c"),
    ],
)
def test_unstratifiable_names_the_cycle(text: str, cycle: str) -> None:
    with pytest.raises(DatalogError) as info:
        stratify(parse_program(text))
    assert info.value.code == "datalog.unstratifiable"
    assert cycle in info.value.message
    assert code_of(text) == "datalog.unstratifiable"


def test_stratify_levels() -> None:
    program = parse_program(
        """
        reach(Y) :- reach(X), edge(X, Y).
        reach(X) :- start(X).
        unreach(X) :- node(X), not reach(X).
        report(X) :- unreach(X), not vip(X).
        vip(X) :- boss(X).
        """
    )
    assert stratify(program) == [
        ["boss", "edge", "node", "reach", "start", "vip"],
        ["report", "unreach"],
    ]
    assert stratify(parse_program("a() :- not b(). b() :- not c(). c() :- d().")) == [
        ["c", "d"],
        ["b"],
        ["a"],
    ]
    assert stratify(Program()) == []


def test_parse_error_code() -> None:
    assert code_of("p(X) :- ") == "datalog.parse"


def test_invalid_facts() -> None:
    assert code_of("", {"bad-name": [(1,)]}) == "datalog.invalid-name"
    assert code_of("", {"p": [(None,)]}) == "datalog.invalid-value"
    assert code_of("", {"p": [(float("inf"),)]}) == "datalog.invalid-value"
    assert code_of("", {"p": [(object(),)]}) == "datalog.invalid-value"


def test_numpy_values_are_normalised() -> None:
    np = pytest.importorskip("numpy")
    out = evaluate(
        {"p": [(np.int64(3), np.float64(2.5), np.bool_(True), np.str_("s"))]},
        "q(A, B, C, D) :- p(A, B, C, D).",
    )
    ((a, b, c, d),) = out["q"]
    assert (type(a), type(b), type(c), type(d)) == (int, float, bool, str)


def test_unknown_backend() -> None:
    with pytest.raises(DatalogError) as info:
        get_backend("prolog")
    assert info.value.code == "datalog.unknown-backend"


def test_find_errors_reports_everything() -> None:
    program = parse_program("p(X) :- q(Y). q(X, Y) :- r(X, Y). a() :- not a().")
    codes = sorted(e.code for e in find_errors(program))
    assert codes == ["datalog.arity-mismatch", "datalog.unsafe-variable", "datalog.unstratifiable"]


class _Recorder:
    name = "recorder"
    calls = 0

    def run(
        self, program: Program, facts: Mapping[str, Sequence[tuple[object, ...]]], limits: Limits = DEFAULT_LIMITS
    ) -> dict[str, set[tuple[object, ...]]]:
        _Recorder.calls += 1
        return {}


def test_checks_run_before_the_backend() -> None:
    register_backend("recorder", _Recorder)
    for text in ("p(X) :- q(Y).", "a() :- not a().", "p(X) :- q(X). p(X, Y) :- q(X, Y)."):
        with pytest.raises(DatalogError):
            evaluate({}, text, backend="recorder")
    assert _Recorder.calls == 0
    assert evaluate({"q": [(1,)]}, "p(X) :- q(X).", backend="recorder") == {"p": set(), "q": set()}
    assert _Recorder.calls == 1


def test_duckdb_integer_limits() -> None:
    text = "sq(X * X) :- n(X)."
    assert evaluate({"n": [(2**40,)]}, text)["sq"] == {(2**80,)}  # Python ints grow
    with pytest.raises(DatalogError) as info:
        evaluate({"n": [(2**40,)]}, text, backend="duckdb")
    assert info.value.code == "datalog.runtime"
    with pytest.raises(DatalogError) as info:
        evaluate({"n": [(2**70,)]}, "m(X) :- n(X).", backend="duckdb")
    assert info.value.code == "datalog.invalid-value"
