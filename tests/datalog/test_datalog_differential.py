"""Differential test: every backend agrees with a tiny naive-fixpoint oracle on random programs.

Programs are stratified and safe by construction: predicates live on levels; a rule reads positive
atoms of lower levels (and, for recursive predicates, of its own level), negates only lower levels, and
only non-recursive predicates put arithmetic in their heads, so every model is finite. The engine gets
each rule body shuffled (to exercise scheduling); the oracle evaluates bodies in generation order.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.datalog import (
    Atom,
    BinOp,
    BodyLiteral,
    Comparison,
    Const,
    Negation,
    Program,
    Rule,
    Term,
    Var,
    evaluate,
)

BACKENDS = ["pydatalog", "duckdb"]
VALUES: list[Any] = [0, 1, 2, 3, -1, "a", "b", True, False, 2.5, 1.0]
EDB = {"e1": 1, "e2": 2, "e3": 2}
VARS = ["X", "Y", "Z", "W"]
ARITH = ["+", "-", "*", "/"]
CMP = ["=", "!=", "<", "<=", ">", ">="]

# ------------------------------------------------------------------ the oracle

TV = tuple[str, Any]  # a typed value: ("b", bool) | ("n", int/float) | ("s", str)


def tv(v: Any) -> TV:
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int | float):
        return ("n", v)
    return ("s", v)


def o_arith(op: str, a: TV | None, b: TV | None) -> TV | None:
    if a is None or b is None or a[0] != "n" or b[0] != "n":
        return None
    x, y = a[1], b[1]
    if op == "/":
        if y == 0:
            return None
        r = x / y
    else:
        r = x + y if op == "+" else x - y if op == "-" else x * y
    if isinstance(r, float) and not math.isfinite(r):
        return None
    return ("n", r)


def o_cmp(op: str, a: TV | None, b: TV | None) -> bool:
    if a is None or b is None:
        return False
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if a[0] != b[0]:
        return False
    x, y = a[1], b[1]
    return bool(x < y if op == "<" else x <= y if op == "<=" else x > y if op == ">" else x >= y)


def o_eval(term: Term, env: dict[str, TV]) -> TV | None:
    if isinstance(term, Var):
        return env[term.name]
    if isinstance(term, Const):
        return tv(term.value)
    return o_arith(term.op, o_eval(term.left, env), o_eval(term.right, env))


def o_match(atom: Atom, row: tuple[TV, ...], env: dict[str, TV]) -> dict[str, TV] | None:
    out = dict(env)
    for arg, val in zip(atom.args, row, strict=True):
        if isinstance(arg, Var):
            if arg.name == "_":
                continue
            if arg.name in out:
                if out[arg.name] != val:
                    return None
            else:
                out[arg.name] = val
        elif isinstance(arg, Const) and tv(arg.value) != val:
            return None
    return out


def o_rule(head: Atom, body: list[BodyLiteral], db: dict[str, set[tuple[TV, ...]]]) -> set[tuple[TV, ...]]:
    envs: list[dict[str, TV]] = [{}]
    for lit in body:
        nxt: list[dict[str, TV]] = []
        for env in envs:
            if isinstance(lit, Atom):
                for row in db.get(lit.pred, set()):
                    m = o_match(lit, row, env)
                    if m is not None:
                        nxt.append(m)
            elif isinstance(lit, Negation):
                if not any(o_match(lit.atom, row, env) is not None for row in db.get(lit.atom.pred, set())):
                    nxt.append(env)
            elif isinstance(lit.left, Var) and lit.op == "=" and lit.left.name not in env:
                value = o_eval(lit.right, env)
                if value is not None:
                    nxt.append({**env, lit.left.name: value})
            elif isinstance(lit.right, Var) and lit.op == "=" and lit.right.name not in env:
                value = o_eval(lit.left, env)
                if value is not None:
                    nxt.append({**env, lit.right.name: value})
            elif o_cmp(lit.op, o_eval(lit.left, env), o_eval(lit.right, env)):
                nxt.append(env)
        envs = nxt
    out: set[tuple[TV, ...]] = set()
    for env in envs:
        values = [o_eval(a, env) for a in head.args]
        if all(v is not None for v in values):
            out.add(tuple(v for v in values if v is not None))
    return out


def oracle(
    facts: dict[str, list[tuple[Any, ...]]], levels: list[list[tuple[Atom, list[BodyLiteral]]]]
) -> dict[str, set[tuple[TV, ...]]]:
    db: dict[str, set[tuple[TV, ...]]] = {p: {tuple(map(tv, r)) for r in rows} for p, rows in facts.items()}
    for rules in levels:
        for head, _ in rules:
            db.setdefault(head.pred, set())
        changed = True
        while changed:
            changed = False
            for head, body in rules:
                new = o_rule(head, body, db) - db[head.pred]
                if new:
                    db[head.pred] |= new
                    changed = True
    return db


# ------------------------------------------------------------------ the generator


@st.composite
def terms(draw: st.DrawFn, bound: list[str], arith: bool, depth: int = 1) -> Term:
    choices = ["var", "const"] if bound else ["const"]
    if arith and depth > 0:
        choices.append("op")
    kind = draw(st.sampled_from(choices))
    if kind == "var":
        return Var(draw(st.sampled_from(bound)))
    if kind == "const":
        return Const(draw(st.sampled_from(VALUES)))
    return BinOp(
        draw(st.sampled_from(ARITH)),
        draw(terms(bound, arith, depth - 1)),
        draw(terms(bound, arith, depth - 1)),
    )


@st.composite
def cases(
    draw: st.DrawFn,
) -> tuple[dict[str, list[tuple[Any, ...]]], Program, list[list[tuple[Atom, list[BodyLiteral]]]]]:
    value = st.sampled_from(VALUES)
    facts = {p: draw(st.lists(st.tuples(*[value] * n), max_size=7)) for p, n in EDB.items()}
    preds: list[tuple[str, int, int, str]] = []  # name, arity, level, kind
    for level in range(1, draw(st.integers(1, 3)) + 1):
        for j in range(draw(st.integers(1, 2))):
            preds.append((f"r{level}{j}", draw(st.integers(0, 2)), level, "rec"))
        if draw(st.booleans()):
            preds.append((f"m{level}", draw(st.integers(1, 2)), level, "arith"))
    levels: list[list[tuple[Atom, list[BodyLiteral]]]] = []
    rules: list[Rule] = []
    for level in range(1, max(p[2] for p in preds) + 1):
        level_rules: list[tuple[Atom, list[BodyLiteral]]] = []
        for name, arity, lv, kind in (p for p in preds if p[2] == level):
            lower = [(p, n) for p, n in EDB.items()] + [(p[0], p[1]) for p in preds if p[2] < lv]
            same = [(p[0], p[1]) for p in preds if p[2] == lv and p[3] == "rec"] if kind == "rec" else []
            for _ in range(draw(st.integers(1, 2))):
                body: list[BodyLiteral] = []
                bound: list[str] = []
                for _ in range(draw(st.integers(1, 3))):
                    pred, n = draw(st.sampled_from(lower + same))
                    args: list[Term] = []
                    for _ in range(n):
                        c = draw(st.sampled_from(["var", "var", "var", "anon", "const"]))
                        if c == "var":
                            v = draw(st.sampled_from(VARS))
                            args.append(Var(v))
                            if v not in bound:
                                bound.append(v)
                        elif c == "anon":
                            args.append(Var("_"))
                        else:
                            args.append(Const(draw(value)))
                    body.append(Atom(pred, tuple(args)))
                for i in range(draw(st.integers(0, 3))):
                    extra = draw(st.sampled_from(["neg", "cmp", "bind"]))
                    if extra == "neg":
                        pred, n = draw(st.sampled_from(lower))
                        neg_args: list[Term] = []
                        for _ in range(n):
                            # "exist": a named variable that occurs in this negated atom only (existential;
                            # it may occur twice here, meaning the two arguments are equal)
                            kinds = ["var", "anon", "const", "exist"] if bound else ["anon", "const", "exist"]
                            c = draw(st.sampled_from(kinds))
                            neg_args.append(
                                Var(draw(st.sampled_from(bound)))
                                if c == "var"
                                else Var("_")
                                if c == "anon"
                                else Var(f"E{i}")
                                if c == "exist"
                                else Const(draw(value))
                            )
                        body.append(Negation(Atom(pred, tuple(neg_args))))
                    elif extra == "cmp":
                        body.append(
                            Comparison(draw(st.sampled_from(CMP)), draw(terms(bound, True)), draw(terms(bound, True)))
                        )
                    else:
                        new = f"B{i}"
                        expr = draw(terms(bound, kind == "arith"))
                        body.append(
                            Comparison("=", Var(new), expr) if draw(st.booleans()) else Comparison("=", expr, Var(new))
                        )
                        bound.append(new)
                head_args: list[Term] = []
                for _ in range(arity):
                    if kind == "arith" and bound and draw(st.booleans()):
                        head_args.append(draw(terms(bound, True)))
                    elif bound and draw(st.integers(0, 4)):
                        head_args.append(Var(draw(st.sampled_from(bound))))
                    else:
                        head_args.append(Const(draw(value)))
                head = Atom(name, tuple(head_args))
                level_rules.append((head, body))
                shuffled = draw(st.permutations(body))
                rules.append(Rule(head, tuple(shuffled)))
        levels.append(level_rules)
    return facts, Program(tuple(rules)), levels


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=120, deadline=None)
@given(case=cases())
def test_backends_agree_with_naive_oracle(backend: str, case: Any) -> None:
    facts, program, levels = case
    expected = oracle(facts, levels)
    got = evaluate(facts, program, backend=backend)
    assert set(got) == set(expected)
    for pred, rows in expected.items():
        plain = {tuple(v for _, v in row) for row in rows}
        assert got[pred] == plain, pred
        for row in got[pred]:
            assert tuple(map(tv, row)) in rows, (pred, row)
