"""Datalog programs with known models, run on every backend."""

from __future__ import annotations

import pytest

from credential.datalog import Model, evaluate, evaluate_program, parse_program

BACKENDS = ["pydatalog", "duckdb"]

CHAIN = [("a", "b"), ("b", "c"), ("c", "d")]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(facts: dict[str, list[tuple[object, ...]]], text: str, backend: str) -> dict[str, set[tuple[object, ...]]]:
    return evaluate(facts, text, backend=backend)


def test_join(backend: str) -> None:
    out = run(
        {"parent": [("ann", "bob"), ("bob", "cy"), ("bob", "di"), ("cy", "ed")]},
        "grandparent(X, Z) :- parent(X, Y), parent(Y, Z).",
        backend,
    )
    assert out["grandparent"] == {("ann", "cy"), ("ann", "di"), ("bob", "ed")}
    assert out["parent"] == {("ann", "bob"), ("bob", "cy"), ("bob", "di"), ("cy", "ed")}


def test_transitive_closure_left_and_right_recursive(backend: str) -> None:
    edges = [*CHAIN, ("d", "b")]  # with a cycle
    expected = {(x, y) for x in "abcd" for y in "bcd" if x != "a" or y != "a"}
    left = run({"edge": edges}, "path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), edge(Y, Z).", backend)
    right = run({"edge": edges}, "path(X, Y) :- edge(X, Y). path(X, Z) :- edge(X, Y), path(Y, Z).", backend)
    both = run({"edge": edges}, "path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), path(Y, Z).", backend)
    assert left["path"] == right["path"] == both["path"] == expected


def test_same_generation(backend: str) -> None:
    par = [("b1", "a"), ("b2", "a"), ("c1", "b1"), ("c2", "b2"), ("c3", "b2"), ("d1", "c3")]
    text = """
        person(X) :- par(X, _).
        person(Y) :- par(_, Y).
        sg(X, X) :- person(X).
        sg(X, Y) :- sg(XP, YP), par(X, XP), par(Y, YP).
    """
    out = run({"par": par}, text, backend)
    people = {"a", "b1", "b2", "c1", "c2", "c3", "d1"}
    gens = [{"a"}, {"b1", "b2"}, {"c1", "c2", "c3"}, {"d1"}]
    expected = {(x, y) for g in gens for x in g for y in g}
    assert out["sg"] == expected
    assert out["person"] == {(p,) for p in people}


def test_stratified_negation_over_recursion(backend: str) -> None:
    text = """
        reach(X) :- start(X).
        reach(Y) :- reach(X), edge(X, Y).
        node(X) :- edge(X, _).
        node(Y) :- edge(_, Y).
        unreach(X) :- node(X), not reach(X).
        sink(X) :- node(X), !edge(X, _).
        lonely_unreached(X) :- unreach(X), not sink(X).
    """
    out = run({"start": [("a",)], "edge": [*CHAIN, ("x", "y"), ("y", "x"), ("z", "a")]}, text, backend)
    assert out["reach"] == {("a",), ("b",), ("c",), ("d",)}
    assert out["unreach"] == {("x",), ("y",), ("z",)}
    assert out["sink"] == {("d",)}
    assert out["lonely_unreached"] == {("x",), ("y",), ("z",)}


def test_mutual_recursion(backend: str) -> None:
    text = """
        even(0).
        even(Y) :- odd(X), succ(X, Y).
        odd(Y) :- even(X), succ(X, Y).
    """
    out = run({"succ": [(i, i + 1) for i in range(6)]}, text, backend)
    assert out["even"] == {(0,), (2,), (4,), (6,)}
    assert out["odd"] == {(1,), (3,), (5,)}


def test_negation_of_undefined_predicate_is_true(backend: str) -> None:
    out = run({"n": [(1,), (2,)]}, "m(X) :- n(X), not ghost(X). k() :- not ghost2().", backend)
    assert out["m"] == {(1,), (2,)}
    assert out["k"] == {()}
    assert out["ghost"] == set() and out["ghost2"] == set()


def test_comparisons_including_float_precision(backend: str) -> None:
    facts: dict[str, list[tuple[object, ...]]] = {
        "w": [(1.000000001,), (1.0,), (0.999999999,), (2,)],
        "s": [("apple",), ("banana",), ("cherry",)],
    }
    text = """
        gt(X) :- w(X), X > 1.0.
        ge(X) :- w(X), X >= 1.
        lt(X) :- w(X), X < 1.0.
        le(X) :- w(X), X <= 1.0.
        eq(X) :- w(X), X = 1.
        ne(X) :- w(X), X != 1.
        sl(X, Y) :- s(X), s(Y), X < Y.
        tiny(X) :- w(X), X - 1.0 > 0.0000000005.
    """
    out = run(facts, text, backend)
    assert out["gt"] == {(1.000000001,), (2,)}
    assert out["ge"] == {(1.000000001,), (1.0,), (2,)}
    assert out["lt"] == {(0.999999999,)}
    assert out["le"] == {(0.999999999,), (1.0,)}
    assert out["eq"] == {(1.0,)}
    assert out["ne"] == {(1.000000001,), (0.999999999,), (2,)}
    assert out["sl"] == {("apple", "banana"), ("apple", "cherry"), ("banana", "cherry")}
    assert out["tiny"] == {(1.000000001,), (2,)}
    assert {type(v) for (v,) in out["gt"]} == {float, int}


def test_cross_kind_comparisons_are_false(backend: str) -> None:
    facts: dict[str, list[tuple[object, ...]]] = {"v": [(1,), ("1",), (True,), (2.5,)]}
    text = """
        lt_num(X) :- v(X), X < 3.
        lt_str(X) :- v(X), X < "2".
        not_one(X) :- v(X), X != 1.
        is_true(X) :- v(X), X = true.
        bool_order(X) :- v(X), X > false.
    """
    out = run(facts, text, backend)
    assert out["lt_num"] == {(1,), (2.5,)}
    assert out["lt_str"] == {("1",)}
    assert {repr(r) for r in out["not_one"]} == {"('1',)", "(True,)", "(2.5,)"}
    assert [type(v) for (v,) in out["is_true"]] == [bool]
    assert [type(v) for (v,) in out["bool_order"]] == [bool]


def test_arithmetic(backend: str) -> None:
    text = """
        next(X, Y) :- n(X), Y = X + 1.
        double(X, X * 2) :- n(X).
        half(X, X / 2) :- n(X).
        inv(X, 1 / X) :- n(X).
        prec(X, X + 2 * 3, (X + 2) * 3, X - 1 - 1, X - (1 - 1)) :- n(X), X = 1.
        neg(X, -X, 0 - X, X * -2) :- n(X), X = 2.
        big(X) :- n(X), X * 2 > 5.
        consecutive(X, Y) :- n(X), n(Y), Y = X + 1.
        via_atom(X) :- n(X), n(X + 1).
        top(X) :- n(X), not n(X + 1).
        mixed(X + 0.5) :- n(X), X = 3.
        stringy(Y) :- s(X), Y = X + 1.
    """
    out = run({"n": [(0,), (1,), (2,), (3,)], "s": [("a",)]}, text, backend)
    assert out["next"] == {(0, 1), (1, 2), (2, 3), (3, 4)}
    assert out["double"] == {(0, 0), (1, 2), (2, 4), (3, 6)}
    assert out["half"] == {(0, 0.0), (1, 0.5), (2, 1.0), (3, 1.5)}
    assert all(type(h) is float for _, h in out["half"])
    assert out["inv"] == {(1, 1.0), (2, 0.5), (3, 1 / 3)}  # 1 / 0 is undefined: no row
    assert out["prec"] == {(1, 7, 9, -1, 1)}
    assert out["neg"] == {(2, -2, -2, -4)}
    assert out["big"] == {(3,)}
    assert out["consecutive"] == {(0, 1), (1, 2), (2, 3)}
    assert out["via_atom"] == {(0,), (1,), (2,)}
    assert out["top"] == {(3,)}
    assert out["mixed"] == {(3.5,)}
    assert out["stringy"] == set()
    assert all(type(v) is int for row in out["double"] for v in row)


def test_bounded_recursion_with_arithmetic(backend: str) -> None:
    out = run({}, "count(0). count(Y) :- count(X), X < 5, Y = X + 1.", backend)
    assert out["count"] == {(i,) for i in range(6)}


def test_zero_arity(backend: str) -> None:
    text = """
        has_edges() :- edge(_, _).
        no_flag() :- not flag().
        both() :- has_edges(), flag().
        neither() :- not has_edges().
    """
    out = run({"edge": [("a", "b")], "flag": [()]}, text, backend)
    assert out["has_edges"] == {()}
    assert out["no_flag"] == set()
    assert out["both"] == {()}
    assert out["neither"] == set()
    out = run({"edge": []}, text, backend)
    assert out["has_edges"] == set() and out["no_flag"] == {()} and out["neither"] == {()}


def test_value_types_round_trip(backend: str) -> None:
    facts: dict[str, list[tuple[object, ...]]] = {
        "v": [("s", "text"), ("i", 42), ("f", 2.5), ("b", True), ("b0", False), ("neg", -7), ("big", 2**40)]
    }
    out = run(facts, "copy(K, V) :- v(K, V).", backend)
    got = {k: v for k, v in out["copy"]}
    assert got == {"s": "text", "i": 42, "f": 2.5, "b": True, "b0": False, "neg": -7, "big": 2**40}
    assert {k: type(v) for k, v in got.items()} == {
        "s": str,
        "i": int,
        "f": float,
        "b": bool,
        "b0": bool,
        "neg": int,
        "big": int,
    }


def test_bools_and_ints_do_not_join(backend: str) -> None:
    text = "j(X) :- p(X), q(X). jn(X) :- p(X), not q(X). jf(X) :- q(X), f(X)."
    out = run({"p": [(True,), (0,)], "q": [(1,), (False,)], "f": [(1.0,)]}, text, backend)
    assert out["j"] == set()
    assert {(type(x), x) for (x,) in out["jn"]} == {(bool, True), (int, 0)}
    assert out["jf"] == {(1,)}  # int and float are one numeric kind


def test_reserved_python_names_as_predicates(backend: str) -> None:
    out = run({"type": [("a",)], "license": [("a",)]}, "class(X) :- type(X), license(X), not len(X).", backend)
    assert out["class"] == {("a",)}


def test_strings_that_look_like_variables_or_bools(backend: str) -> None:
    values = [("X",), ("True",), ("False",), ("_",), ("None",), ("",), ('quote " and \\ back',)]
    out = run({"s": values}, 'same(X) :- s(X), X = "True". up(X) :- s(X), X = "X".', backend)
    assert out["s"] == set(values)
    assert out["same"] == {("True",)}
    assert out["up"] == {("X",)}
    assert all(type(v) is str for (v,) in out["s"])


def test_facts_in_program_and_given_facts_merge(backend: str) -> None:
    text = 'p("a"). p(1 + 1). p(X) :- q(X). r(X, "k", 3) :- p(X).'
    out = run({"p": [("z",)], "q": [("y",)], "unused": [(1, 2)]}, text, backend)
    assert out["p"] == {("a",), (2,), ("z",), ("y",)}
    assert out["r"] == {(x, "k", 3) for (x,) in out["p"]}
    assert out["unused"] == {(1, 2)}


def test_repeated_variables_and_constants_in_body(backend: str) -> None:
    out = run({"e": [(1, 1), (1, 2), (2, 2), (3, 1)]}, "loop(X) :- e(X, X). from1(Y) :- e(1, Y).", backend)
    assert out["loop"] == {(1,), (2,)}
    assert out["from1"] == {(1,), (2,)}


def test_equality_bindings(backend: str) -> None:
    text = 'a(Y) :- n(X), Y = X. b(Y) :- n(X), X = Y. c(Y) :- Y = "k". d(X, Y) :- n(X), Y = X, Z = Y + 1, Z > 2.'
    out = run({"n": [(1,), (2,)]}, text, backend)
    assert out["a"] == out["b"] == {(1,), (2,)}
    assert out["c"] == {("k",)}
    assert out["d"] == {(2, 2)}


def test_duplicate_facts_are_one(backend: str) -> None:
    out = run({"e": [(1,), (1,), (1.0,)]}, "f(X) :- e(X).", backend)
    assert out["f"] == {(1,)}
    assert len(out["e"]) == 1


def test_empty_program_returns_facts(backend: str) -> None:
    out = run({"e": [(1, "a")], "empty": []}, [], backend)  # type: ignore[arg-type]
    assert out == {"e": {(1, "a")}, "empty": set()}


def test_model_api(backend: str) -> None:
    program = parse_program("r(X) :- p(X), not q(X).")
    model = evaluate_program(program, {"p": [(True,), (2,), ("a",)], "q": [(2,)]}, backend=backend)
    assert isinstance(model, Model)
    assert model.holds("r", True)
    assert not model.holds("r", 1)  # bool and int are different values
    assert model.holds("r", "a") and not model.holds("r", 2)
    assert model.holds("p", 2.0)  # 2 == 2.0
    assert model.get("r") == {(True,), ("a",)}
    assert model.get("nothing") == set()
    assert not model.holds("nothing", 1)
    assert set(model.relations) == {"p", "q", "r"}


def test_evaluations_are_isolated_across_threads_and_calls(backend: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    text = "path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), edge(Y, Z). far(X) :- node(X), not path(0, X)."

    def job(n: int) -> set[tuple[object, ...]]:
        facts: dict[str, list[tuple[object, ...]]] = {
            "edge": [(i, i + 1) for i in range(n)],
            "node": [(i,) for i in range(n + 3)],
        }
        return run(facts, text, backend)["far"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(job, [3, 5, 7, 9, 3, 5, 7, 9]))
    assert results == [{(0,), (n + 1,), (n + 2,)} for n in [3, 5, 7, 9, 3, 5, 7, 9]]
    # nothing leaks from one evaluation into the next
    assert run({"edge": [(0, 1)]}, "p(X) :- edge(X, _).", backend) == {"p": {(0,)}, "edge": {(0, 1)}}
