"""The pyDatalog backend -- the only module of the project that imports pyDatalog.

How it respects the measured pyDatalog 0.22.4 findings (docs/architecture.md):

- **No text is compiled.** Rules are built directly as ``pyEngine`` clauses (``Var``, ``Const``,
  ``Literal``, ``Clause``); constants and fact values are Python values inside ``Const``. Nothing goes
  through ``pyDatalog.load`` or ``ask(text)`` (which ``exec``), nor through ``pyParser.Term``, which
  turns the *strings* ``"True"``/``"False"`` into booleans.
- **Facts** are asserted with ``pyEngine.assert_`` (what ``pyDatalog.assert_fact`` does after its
  parser layer; about 7x faster here).
- **Isolation**: a fresh ``Logic()`` per evaluation, and a fresh empty one afterwards to free memory.
- ``Float_Precision = None`` (no float rounding); predicates are prefixed ``p_``; booleans are tagged
  ``("\\x00bool", b)`` so that ``True`` and ``1`` stay apart, and untagged on read-back.
- Every predicate is declared up front, so negating a never-defined predicate is just true.
- Comparisons and arithmetic call the shared semantics (``credential.datalog.values``) through
  pyEngine's callable operations; undefined arithmetic yields a value equal to nothing, and a guard
  literal ``V == V`` after each arithmetic binding drops it.
- Components are evaluated in dependency order. A non-recursive predicate is one query with free
  arguments; its rows are then asserted as facts (its rules retracted) if later components read it,
  so they read an indexed table instead of re-deriving it.
- Recursion is driven semi-naively (``_drive``): pyDatalog's own tabled recursion was found to loop
  for ever on some programs, inside compiled code that no timeout can interrupt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import count
from typing import Any

from pyDatalog import pyEngine
from pyDatalog.Logic import Logic

from ..ir import BinOp, Const, Program, Term, Var
from ..limits import DEFAULT_LIMITS, Deadline, Limits
from ..plan import AntiJoin, Bind, Component, Filter, PlannedRule, Scan, arities, plan_program
from ..values import Row, arith, compare

__all__ = ["BACKEND_FACTORY", "PyDatalogBackend"]

_PREFIX = "p_"
_BOOL_TAG = "\x00bool"


def _enc(value: object) -> object:
    return (_BOOL_TAG, value) if type(value) is bool else value


def _dec(value: object) -> object:
    return value[1] if type(value) is tuple else value


def _comparison(op: str) -> Callable[[object, object], bool]:
    def run(a: object, b: object) -> bool:
        return compare(op, _dec(a), _dec(b))

    run.__name__ = f"compare_{op}"
    return run


def _arithmetic(op: str) -> Callable[[object, object], object]:
    def run(a: object, b: object) -> object:
        return arith(op, _dec(a), _dec(b))

    run.__name__ = f"arith_{op}"
    return run


_COMPARE = {op: _comparison(op) for op in ("=", "!=", "<", "<=", ">", ">=")}
_ARITH = {op: _arithmetic(op) for op in ("+", "-", "*", "/")}
_NATIVE = {"=": "==", "!=": "!="}


def _term(term: Term) -> Any:
    if isinstance(term, Var):
        return pyEngine.Var(term.name)
    if isinstance(term, Const):
        return pyEngine.Const(_enc(term.value))
    return pyEngine.Operation(
        pyEngine.Const(None), _ARITH[term.op], pyEngine.VarTuple([_term(term.left), _term(term.right)])
    )


def _body(rule: PlannedRule, delta: tuple[int, str] | None = None) -> list[Any]:
    """The clause body; ``delta = (i, name)`` reads step ``i`` (a scan, moved first) from ``name``."""
    steps = list(enumerate(rule.steps))
    if delta is not None:
        steps.insert(0, steps.pop(delta[0]))
    out: list[Any] = []
    for i, step in steps:
        if isinstance(step, Scan):
            name = delta[1] if delta is not None and i == delta[0] else _PREFIX + step.atom.pred
            out.append(pyEngine.Literal(name, [_term(a) for a in step.atom.args]))
        elif isinstance(step, Bind):
            var = pyEngine.Var(step.var)
            out.append(pyEngine.Literal("==", [var, _term(step.expr)]))
            if step.may_be_undefined:
                out.append(pyEngine.Literal("==", [var, var]))  # false for an undefined value
        elif isinstance(step, Filter):
            if step.op in _NATIVE and not isinstance(step.left, BinOp) and not isinstance(step.right, BinOp):
                out.append(pyEngine.Literal(_NATIVE[step.op], [_term(step.left), _term(step.right)]))
            else:
                test = pyEngine.Operation(
                    pyEngine.Const(None),
                    _COMPARE[step.op],
                    pyEngine.VarTuple([_term(step.left), _term(step.right)]),
                )
                out.append(pyEngine.Literal("==", [test, pyEngine.Const(True)]))
        elif isinstance(step, AntiJoin):
            out.append(pyEngine.Literal("~" + _PREFIX + step.atom.pred, [_term(a) for a in step.atom.args]))
    return out


def _decode(rows: list[tuple[object, ...]]) -> set[Row]:
    return {tuple(_dec(v) for v in r) if any(type(v) is tuple for v in r) else r for r in rows}  # type: ignore[misc]


class PyDatalogBackend:
    """Evaluate with pyDatalog: it joins rule bodies; recursion is driven in semi-naive rounds."""

    name = "pydatalog"

    def run(
        self, program: Program, facts: Mapping[str, Sequence[Row]], limits: Limits = DEFAULT_LIMITS
    ) -> dict[str, set[Row]]:
        Logic()  # fresh, thread-local state
        pyEngine.Float_Precision = None
        self._deadline = Deadline(limits)
        try:
            return self._run(program, facts)
        finally:
            Logic()  # drop this evaluation's state

    def _run(self, program: Program, facts: Mapping[str, Sequence[Row]]) -> dict[str, set[Row]]:
        components = plan_program(program)
        rows: dict[str, list[tuple[object, ...]]] = {p: list(r) for p, r in facts.items()}
        arity = arities(program, rows)
        for comp in components:
            for planned in comp.rules:
                if planned.is_ground_fact:
                    values = tuple(a.value for a in planned.head.args if isinstance(a, Const))
                    rows.setdefault(planned.head.pred, []).append(values)

        preds: dict[str, Any] = {}
        for name, n in arity.items():
            pred = pyEngine.Pred(_PREFIX + name, n)
            pred.prearity = n
            pyEngine.insert(pred)
            preds[name] = pred

        for name, fact_rows in rows.items():
            if fact_rows:
                self._assert_facts(preds[name], fact_rows, encode=True)

        derived: dict[str, list[PlannedRule]] = {}
        for comp in components:
            for planned in comp.rules:
                if not planned.is_ground_fact and not planned.never:
                    derived.setdefault(planned.head.pred, []).append(planned)
        last_reader: dict[str, int] = {}  # index of the last component whose rules read each predicate
        for i, comp in enumerate(components):
            for planned in comp.rules:
                for step in planned.steps:
                    if isinstance(step, Scan | AntiJoin):
                        last_reader[step.atom.pred] = i

        result: dict[str, set[Row]] = {}
        for i, comp in enumerate(components):
            if not any(derived.get(name) for name in comp.preds):
                continue
            self._deadline.check(comp.preds)
            if comp.recursive:
                found_by_pred = self._drive(comp, derived, preds, rows)
            else:
                found_by_pred = self._query_predicate(comp, derived, arity)
            for name, found in found_by_pred.items():
                if not comp.recursive and last_reader.get(name, -1) > i:  # materialise for later readers
                    given = {tuple(map(_enc, r)) for r in rows.get(name, ())}
                    self._assert_facts(preds[name], [r for r in found if r not in given], encode=False)
                result[name] = _decode(list(found))
        for name in [*arity, *rows]:
            if name not in result:
                result[name] = set(rows.get(name, ()))  # type: ignore[arg-type]
        return result

    def _query_predicate(
        self, comp: Component, derived: Mapping[str, list[PlannedRule]], arity: Mapping[str, int]
    ) -> dict[str, list[tuple[object, ...]]]:
        """A non-recursive predicate: one pyDatalog query per predicate."""
        (name,) = comp.preds
        clauses = []
        for planned in derived[name]:
            head = pyEngine.Literal(_PREFIX + name, [_term(a) for a in planned.head.args])
            clause = pyEngine.Clause(head, _body(planned))
            pyEngine.assert_(clause)
            clauses.append(clause)
        found = self._ask(_PREFIX + name, arity[name])
        for clause in clauses:
            pyEngine.retract(clause)
        return {name: found}

    def _drive(
        self,
        comp: Component,
        derived: Mapping[str, list[PlannedRule]],
        preds: Mapping[str, Any],
        rows: Mapping[str, Sequence[tuple[object, ...]]],
    ) -> dict[str, list[tuple[object, ...]]]:
        """Recursion: semi-naive rounds in which pyDatalog only evaluates non-recursive bodies.

        pyDatalog 0.22.4's own tabled recursion loops for ever on some programs, inside compiled code
        where no timeout can interrupt it (measured: ``r(W, 2.5) :- r(_, W). r(W, W) :- r(X, W),
        X = 2.5. r(X, Y) :- e(X, Y).`` and ``r(1, 2) :- s(). r(W, W) :- r(W, C), C = 2.
        s() :- r(_, _).``). Each round runs every rule once per recursive atom, that atom reading the
        previous round's new rows (moved first in the body, so the small delta drives the join).
        """
        members = set(comp.preds)
        rules = [r for name in comp.preds for r in derived.get(name, [])]
        known = {name: {tuple(map(_enc, r)) for r in rows.get(name, ())} for name in comp.preds}
        first = [(rule, None) for rule in rules]
        later = [
            (rule, i)
            for rule in rules
            for i, step in enumerate(rule.steps)
            if isinstance(step, Scan) and step.atom.pred in members
        ]
        plans: list[tuple[PlannedRule, int | None]] = list(first)
        new: dict[str, set[tuple[object, ...]]] = {}
        for round_no in count():
            self._deadline.check(comp.preds, round_no)
            deltas: dict[str, Any] = {}  # predicate -> this round's delta predicate (last round's news)
            if round_no:
                for name in comp.preds:
                    deltas[name] = pyEngine.Pred(f"d{round_no}_{name}", preds[name].arity)
                    deltas[name].prearity = preds[name].arity
                    pyEngine.insert(deltas[name])
                    self._assert_facts(deltas[name], list(new[name]), encode=False)
            new = {name: set() for name in comp.preds}
            for rule, i in plans:
                delta = None
                if i is not None:
                    step = rule.steps[i]
                    assert isinstance(step, Scan)
                    delta = (i, deltas[step.atom.pred].name)
                for row in self._query(rule, delta):
                    if row not in known[rule.head.pred]:
                        new[rule.head.pred].add(row)
            for delta_pred in deltas.values():
                pyEngine.remove(delta_pred)
            if not any(new.values()):
                break
            for name, fresh in new.items():
                known[name] |= fresh
                self._assert_facts(preds[name], list(fresh), encode=False)
            plans = list(later)
            if not plans:
                break
        return {name: list(found) for name, found in known.items()}

    @staticmethod
    def _query(rule: PlannedRule, delta: tuple[int, str] | None) -> list[tuple[object, ...]]:
        """The head rows one rule derives from the facts asserted now."""
        head = pyEngine.Literal("q_", [_term(a) for a in rule.head.args])
        clause = pyEngine.Clause(head, _body(rule, delta))
        pyEngine.assert_(clause)
        try:
            return PyDatalogBackend._ask("q_", len(rule.head.args))
        finally:
            pyEngine.retract(clause)

    @staticmethod
    def _ask(name: str, arity: int) -> list[tuple[object, ...]]:
        query = pyEngine.Literal(name, [pyEngine.Var(f"Q{k}") for k in range(arity)])
        answer = query.ask()
        if answer is True:  # a zero-arity predicate that holds
            return [()]
        return list(answer) if answer else []

    @staticmethod
    def _assert_facts(pred: Any, rows: Sequence[tuple[object, ...]], encode: bool) -> None:
        const, literal, clause, assert_ = pyEngine.Const, pyEngine.Literal, pyEngine.Clause, pyEngine.assert_
        if encode and any(type(v) is bool for r in rows for v in r):
            for r in rows:
                assert_(clause(literal(pred, [const(_enc(v)) for v in r]), []))
        else:
            for r in rows:
                assert_(clause(literal(pred, [const(v) for v in r]), []))


BACKEND_FACTORY = PyDatalogBackend
