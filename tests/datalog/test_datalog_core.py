"""The Datalog core on every backend: existential variables in negation, arithmetic in body atoms,
and bounded evaluation (``datalog.limit``)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from credential.datalog import DatalogError, Limits, evaluate

BACKENDS = ["pydatalog", "duckdb"]


def rows(facts: dict[str, list[tuple[Any, ...]]], text: str, backend: str, pred: str = "r") -> set[tuple[Any, ...]]:
    return evaluate(facts, text, backend=backend)[pred]


@pytest.mark.parametrize("backend", BACKENDS)
def test_named_variable_only_in_a_negation_is_existential(backend: str) -> None:
    facts = {"p": [(1,), (2,), (3,)], "q": [(1, 5), (3, 7)]}
    named = rows(facts, "r(X) :- p(X), not q(X, Y).", backend)
    anonymous = rows(facts, "r(X) :- p(X), not q(X, _).", backend)
    assert named == anonymous == {(2,)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_existential_variable_means_equal_arguments(backend: str) -> None:
    facts = {"p": [(1,), (2,), (3,)], "q": [(1, 5, 5), (2, 5, 6)]}
    # no Y with q(X, Y, Y): 1 has one (5, 5); 2 has only (5, 6); 3 has none
    assert rows(facts, "r(X) :- p(X), not q(X, Y, Y).", backend) == {(2,), (3,)}
    # two `_` are two variables: any row at all
    assert rows(facts, "r(X) :- p(X), not q(X, _, _).", backend) == {(3,)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_existential_in_two_negations_must_be_bound(backend: str) -> None:
    with pytest.raises(DatalogError) as info:
        evaluate({"p": [(1,)]}, "r(X) :- p(X), not q(X, Y), not s(Y).", backend=backend)
    assert info.value.code == "datalog.unsafe-variable"
    assert "variable Y" in info.value.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_arithmetic_in_body_atoms(backend: str) -> None:
    facts = {"p": [(1,), (2,), (3,)], "q": [(2, "a"), (4, "b"), (7, "c")]}
    assert rows(facts, "r(X) :- p(X), q(X * 2, _).", backend) == {(1,), (2,)}
    assert rows(facts, "r(X, L) :- q(X + 1, L), p(X).", backend) == {(1, "a"), (3, "b")}  # order free
    assert rows(facts, "r(X) :- p(X), not q(X + 1, _).", backend) == {(2,)}  # no q(3, _)
    assert rows(facts, "r(X) :- p(X), q(X / 0, _).", backend) == set()  # undefined derives nothing


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("r(Y) :- q(X + 1, Y).", "variable X in arithmetic in q(...)"),
        ("r(X) :- p(X), not q(X + Y, _).", "variable Y in arithmetic in `not q(...)`"),
        ("r(X) :- p(X), q(X + _, 1).", "anonymous variable _"),
    ],
)
def test_unbound_arithmetic_is_an_unsafe_variable_not_a_parse_error(backend: str, text: str, fragment: str) -> None:
    with pytest.raises(DatalogError) as info:
        evaluate({"p": [(1,)], "q": [(2, 1)]}, text, backend=backend)
    assert info.value.code == "datalog.unsafe-variable"
    assert fragment in info.value.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_unbounded_recursion_hits_the_round_limit(backend: str) -> None:
    with pytest.raises(DatalogError) as info:
        evaluate({"n": [(0,)]}, "n(X + 1) :- n(X).", backend=backend, limits=Limits(max_rounds=40))
    assert info.value.code == "datalog.limit"
    assert "40 rounds" in info.value.message and "n" in info.value.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_unbounded_recursion_hits_the_time_limit(backend: str) -> None:
    started = time.monotonic()
    with pytest.raises(DatalogError) as info:
        evaluate({"n": [(0,)]}, "n(X + 1) :- n(X).", backend=backend, limits=Limits(timeout=1.0))
    assert info.value.code == "datalog.limit"
    assert "time limit" in info.value.message
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("backend", BACKENDS)
def test_bounded_arithmetic_recursion_reaches_its_fixpoint(backend: str) -> None:
    got = evaluate({"n": [(0,)]}, "n(X + 1) :- n(X), X < 5.", backend=backend, limits=Limits(max_rounds=50))
    assert got["n"] == {(i,) for i in range(6)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_recursion_without_arithmetic_ends_on_its_own(backend: str) -> None:
    edges = [(i, (i + 1) % 30) for i in range(30)]  # a cycle: the closure has 900 pairs
    got = evaluate({"e": edges}, "t(X, Y) :- e(X, Y). t(X, Z) :- t(X, Y), e(Y, Z).", backend=backend)
    assert len(got["t"]) == 900


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        Limits(max_rounds=0)
    with pytest.raises(ValueError):
        Limits(timeout=0)
