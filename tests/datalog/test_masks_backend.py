"""The masks backend: the same models as pyDatalog on its fragment, and a coded refusal outside it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.datalog import DatalogError, evaluate
from credential.datalog.backends.masks import supports
from credential.datalog.columns import Columns
from credential.datalog.syntax import parse_program

VALUES: dict[str, st.SearchStrategy[Any]] = {
    "int": st.integers(-3, 3),
    "float": st.sampled_from([-1.5, 0.0, 0.5, 1.0, 2.0, 2.5]),
    "str": st.sampled_from(["", "a", "b", "ab", "é"]),
    "bool": st.booleans(),
}
OPS = ["=", "!=", "<", "<=", ">", ">="]


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    return repr(value)


@st.composite
def fragment(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    n = draw(st.integers(1, 25))
    ids = list(range(n))
    facts: dict[str, Any] = {"provider": Columns([np.arange(n, dtype=np.int64)])}
    for u in range(2):
        facts[f"a{u}"] = [(i,) for i in draw(st.sets(st.sampled_from(ids)))]
    kinds = [draw(st.sampled_from(sorted(VALUES))) for _ in range(3)]
    for v, kind in enumerate(kinds):
        rows = draw(st.lists(st.tuples(st.sampled_from(ids), VALUES[kind]), max_size=2 * n))
        facts[f"v{v}"] = rows
    param_kind = draw(st.sampled_from(sorted(VALUES)))
    if draw(st.booleans()):
        facts["param0"] = [(draw(VALUES[param_kind]),)]
    rules: list[str] = []
    derived: list[str] = []
    for d in range(draw(st.integers(1, 6))):
        for _ in range(draw(st.integers(1, 2))):  # one or two rules: an alternative
            body = ["provider(P)"]
            for _ in range(draw(st.integers(0, 3))):
                choice = draw(st.integers(0, 4))
                unary = draw(st.sampled_from(["a0", "a1", *derived]))
                if choice == 0:
                    body.append(f"{unary}(P)")
                elif choice == 1:
                    body.append(f"not {unary}(P)")
                elif choice == 2:
                    v = draw(st.integers(0, 2))
                    var = f"X{len(body)}"
                    const = draw(VALUES[draw(st.sampled_from(sorted(VALUES)))])
                    body.append(f"v{v}(P, {var}), {var} {draw(st.sampled_from(OPS))} {_literal(const)}")
                elif choice == 3:
                    v = draw(st.integers(0, 2))
                    var, par = f"X{len(body)}", f"T{len(body)}"
                    body.append(f"v{v}(P, {var}), param0({par}), {var} {draw(st.sampled_from(OPS))} {par}")
                else:
                    body.append(f"v{draw(st.integers(0, 2))}(P, _)")
            rules.append(f"d{d}(P) :- {', '.join(body)}.")
        derived.append(f"d{d}")
    return facts, "\n".join(rules)


@settings(max_examples=150, deadline=None)
@given(fragment())
def test_masks_backend_equals_pydatalog_on_its_fragment(case: tuple[dict[str, Any], str]) -> None:
    facts, text = case
    assert supports(parse_program(text), facts), text
    expected = evaluate(facts, text, "pydatalog")
    got = evaluate(facts, text, "masks")
    assert set(got) == set(expected)
    for pred in expected:
        assert got[pred] == expected[pred], (pred, text)


@pytest.mark.parametrize(
    "text",
    [
        "path(X, Y) :- edge(X, Y).",  # a derived predicate of two keys
        "r(X) :- e(X), r(X).",  # recursion
        "r(X) :- v(X, A), v(X, B), A < B.",  # two values compared with each other
        "r(X) :- v(X, A), A + 1 > 2.",  # arithmetic
        "r(X) :- e(X), not v(X, _).",  # a negated value atom
        'r("a") :- e(_).',  # a constant head
    ],
)
def test_outside_the_fragment_is_refused_with_a_code(text: str) -> None:
    facts: dict[str, Any] = {"edge": [(1, 2)], "e": [(1,)], "v": [(1, 2), (1, 3)]}
    assert not supports(parse_program(text), facts)
    with pytest.raises(DatalogError) as err:
        evaluate(facts, text, "masks")
    assert err.value.code == "datalog.unsupported"


def test_integers_beyond_exact_floats_are_refused_not_rounded() -> None:
    facts = {"p": [(0,)], "v": [(0, 2**53 + 1)]}
    with pytest.raises(DatalogError):
        evaluate(facts, "r(X) :- p(X), v(X, A), A > 9007199254740992.0.", "masks")
    assert evaluate(facts, "r(X) :- p(X), v(X, A), A > 9007199254740992.0.", "pydatalog")["r"] == {(0,)}
