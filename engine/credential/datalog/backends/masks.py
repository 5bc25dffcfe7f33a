"""The ``masks`` backend: programs over one dense integer key, evaluated as numpy boolean arrays.

A compiled policy is, on a plain run, almost entirely predicates of one provider: ``c_n(P) :-
c_a(P), c_b(P)``, ``p_n(P) :- provider(P), not c_a(P)``, ``c_n(P) :- v_x(P, X), X >= 2``, with
providers as integer ids ``0..N-1``.  Such a predicate is a boolean array over the ids: a
conjunction is ``&``, alternative rules ``|``, negation ``~``, and a value atom with comparisons
is one vectorised comparison over its fact columns, scattered onto the ids.

The backend accepts a program only in that fragment (:func:`supports`, checked before anything
runs): every derived predicate unary, non-recursive, each rule's body made of atoms on the head's
variable (positive or negated), value atoms ``v(P, X)`` whose variable ``X`` is compared with
constants or with a one-row parameter, and parameter atoms.  Anything else raises
``datalog.unsupported``, and ``auto`` uses DuckDB.  Comparisons follow ``values.py`` exactly:
kinds must agree (``true != 1``), ``int``/``float`` compare as numbers (refused beyond 2**53,
where numpy would round), strings by code point.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from ..columns import Columns
from ..errors import DatalogError
from ..ir import Const, Program, Term, Var
from ..limits import DEFAULT_LIMITS, Limits
from ..plan import AntiJoin, Bind, Component, Filter, PlannedRule, Scan, arities, plan_program
from ..values import Row

__all__ = ["BACKEND_FACTORY", "MasksBackend", "supports"]

_EXACT = 2**53
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


class Unsupported(Exception):
    """The program or its facts are outside the fragment this backend evaluates."""


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int | float):
        return "n"
    return "s"


def _array_kind(a: np.ndarray) -> str:
    return {"b": "b", "i": "n", "f": "n", "O": "s"}[a.dtype.kind]


def _as_columns(rows: Sequence[Row] | Columns, arity: int) -> tuple[np.ndarray, ...]:
    if isinstance(rows, Columns):
        return rows.arrays
    out: list[np.ndarray] = []
    for j in range(arity):
        values = [r[j] for r in rows]
        kinds = {_kind(v) for v in values}
        if len(kinds) > 1 or {type(v) for v in values} == {int, float}:
            raise Unsupported("a fact column mixes kinds")
        if kinds == {"s"}:
            column = np.empty(len(values), dtype=object)
            column[:] = values
        else:
            column = np.array(values)
        out.append(column)
    return tuple(out)


def _compare(op: str, column: np.ndarray, value: object) -> np.ndarray:
    """``column[i] op value`` for every row, under the Datalog semantics."""
    ka, kb = _array_kind(column), _kind(value)
    if ka != kb:
        return np.full(len(column), op == "!=", dtype=bool)
    if ka == "n":
        big = isinstance(value, int) and abs(value) > _EXACT
        if big or (column.dtype.kind == "i" and len(column) and int(np.abs(column).max()) > _EXACT):
            raise Unsupported("integers beyond 2**53 compared with numpy")
    if op == "=":
        out = column == value
    elif op == "!=":
        out = column != value
    elif op == "<":
        out = column < value
    elif op == "<=":
        out = column <= value
    elif op == ">":
        out = column > value
    else:
        out = column >= value
    return np.asarray(out, dtype=bool)


class _Evaluator:
    def __init__(
        self,
        facts: Mapping[str, Sequence[Row] | Columns],
        arity: Mapping[str, int],
        params: set[str],
        keyed: set[str],
    ) -> None:
        self.facts = facts
        self.arity = arity
        self.params = params
        self.columns: dict[str, tuple[np.ndarray, ...]] = {}
        self.masks: dict[str, np.ndarray] = {}
        size = 0
        for pred in keyed:
            if facts.get(pred):
                first = self.fact_columns(pred)[0]
                if len(first):
                    size = max(size, int(first.max()) + 1)
        self.size = size

    def fact_columns(self, pred: str) -> tuple[np.ndarray, ...]:
        if pred not in self.columns:
            rows = self.facts.get(pred, [])
            self.columns[pred] = _as_columns(rows, self.arity.get(pred, 0)) if rows else ()
        return self.columns[pred]

    def mask(self, pred: str) -> np.ndarray:
        if pred not in self.masks:
            out = np.zeros(self.size, dtype=bool)
            cols = self.fact_columns(pred)
            if cols and len(cols[0]):
                out[cols[0]] = True
            self.masks[pred] = out
        return self.masks[pred]

    def param(self, pred: str) -> object | None:
        """The one value of a one-row, one-column fact (None when it has no row)."""
        rows = self.facts.get(pred, [])
        if len(rows) > 1:
            raise Unsupported(f"{pred}: a parameter with several rows")
        if not rows:
            return None
        return (rows.rows() if isinstance(rows, Columns) else list(rows))[0][0]

    def rule(self, planned: PlannedRule) -> np.ndarray:
        key = planned.head.args[0]
        assert isinstance(key, Var)
        out = np.ones(self.size, dtype=bool)
        params: dict[str, object] = {}
        values: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # value variable -> (ids, values)
        filters: list[Filter] = []
        for step in planned.steps:
            if isinstance(step, Scan) and step.atom.args == (key,):
                out &= self.mask(step.atom.pred)
            elif isinstance(step, Scan) and len(step.atom.args) == 1:
                (var,) = step.atom.args
                value = self.param(step.atom.pred)
                if value is None:
                    return np.zeros(self.size, dtype=bool)
                assert isinstance(var, Var)
                params[var.name] = value
            elif isinstance(step, Scan):
                ids, column = self.fact_columns(step.atom.pred) or (np.zeros(0, np.int64), np.zeros(0))
                var = step.atom.args[1]
                assert isinstance(var, Var)
                values[var.name] = (ids, column)
            elif isinstance(step, AntiJoin):
                out &= ~self.mask(step.atom.pred)
            elif isinstance(step, Filter):
                filters.append(step)
            elif isinstance(step, Bind):  # ``X = c`` planned as a binding: the value atom then matches c
                filters.append(Filter("=", Var(step.var), step.expr))
        for name, (ids, column) in values.items():
            keep = np.ones(len(ids), dtype=bool)
            for f in filters:
                keep &= self.filter(f, name, column, params)
            hit = np.zeros(self.size, dtype=bool)
            hit[ids[keep]] = True
            out &= hit
        return out

    def filter(self, f: Filter, name: str, column: np.ndarray, params: Mapping[str, object]) -> np.ndarray:
        def side(term: Term) -> tuple[str, object]:
            if isinstance(term, Var) and term.name == name:
                return "this", column
            if isinstance(term, Var) and term.name in params:
                return "fixed", params[term.name]
            if isinstance(term, Var):
                return "other", None  # another value's variable
            assert isinstance(term, Const)
            return "fixed", term.value

        (lk, left), (rk, right) = side(f.left), side(f.right)
        if lk == "this" and rk == "fixed":
            return _compare(f.op, column, right)
        if rk == "this" and lk == "fixed":
            return _compare(_FLIP[f.op], column, left)
        if "this" not in (lk, rk):  # a filter on another value's variable: not this one's
            return np.ones(len(column), dtype=bool)
        raise Unsupported("a comparison of two values")  # pragma: no cover - refused by _check


def _check(components: Sequence[Component], facts: Mapping[str, Sequence[Row] | Columns]) -> tuple[set[str], set[str]]:
    """Raise ``Unsupported`` unless every rule is in the fragment and every keyed fact has
    non-negative integer keys; return (the parameter predicates, the predicates read by key)."""
    params: set[str] = set()
    keyed: set[str] = set()
    derived = {p for c in components for r in c.rules for p in [r.head.pred]}
    for comp in components:
        if comp.recursive:
            raise Unsupported("recursion")
        for planned in comp.rules:
            if planned.never:
                continue
            head = planned.head
            if len(head.args) != 1 or not isinstance(head.args[0], Var) or not planned.steps:
                raise Unsupported(f"{head.pred}: not a rule of one key variable")
            key = head.args[0]
            value_vars: dict[str, str] = {}
            param_vars: set[str] = set()
            bound: dict[str, Term] = {}
            for step in planned.steps:
                if isinstance(step, Scan | AntiJoin):
                    args = step.atom.args
                    if any(not isinstance(a, Var) for a in args):
                        raise Unsupported("a constant in an atom")
                    if args[:1] == (key,):
                        keyed.add(step.atom.pred)
                    if args == (key,):
                        continue
                    names = [a.name for a in args if isinstance(a, Var)]
                    if isinstance(step, Scan) and len(args) == 1 and step.atom.pred not in derived:
                        if names[0] in param_vars or names[0] in value_vars:
                            raise Unsupported("a variable shared by two atoms")
                        params.add(step.atom.pred)
                        param_vars.add(names[0])
                    elif isinstance(step, Scan) and len(args) == 2 and args[0] == key and args[1] != key:
                        if step.atom.pred in derived:
                            raise Unsupported("a derived predicate with a value")
                        if names[1] in param_vars or names[1] in value_vars:
                            raise Unsupported("a variable shared by two atoms")
                        value_vars[names[1]] = step.atom.pred
                    else:
                        raise Unsupported(f"{step.atom.pred}: an atom not on the key")
                elif isinstance(step, Filter):
                    names = [t.name for t in (step.left, step.right) if isinstance(t, Var)]
                    if any(not isinstance(t, Var | Const) for t in (step.left, step.right)):
                        raise Unsupported("arithmetic")
                    if sum(n in value_vars for n in names) != 1 or any(
                        n not in value_vars and n not in param_vars for n in names
                    ):
                        raise Unsupported("a comparison that is not one value against constants or parameters")
                elif isinstance(step, Bind) and isinstance(step.expr, Const | Var):
                    bound[step.var] = step.expr
                else:
                    raise Unsupported("a binding")
            for var, expr in bound.items():  # ``X = e`` must constrain a value by a constant or a parameter
                sides = {var} | ({expr.name} if isinstance(expr, Var) else set())
                values_in = len(sides & set(value_vars))
                if values_in != 1 or len(sides - set(value_vars) - param_vars) != 0:
                    raise Unsupported("a binding that is not a value's equality")
    if any(facts.get(p) and len(facts[p]) > 1 for p in params):
        raise Unsupported("a parameter with several rows")
    for pred in keyed - derived:
        rows = facts.get(pred)
        if not rows:
            continue
        first = rows.arrays[0] if isinstance(rows, Columns) else [r[0] for r in rows]
        if isinstance(first, np.ndarray):
            ok = first.dtype.kind == "i" and (
                not len(first) or (int(first.min()) >= 0 and int(first.max()) < 50_000_000)
            )
        else:
            ok = all(type(v) is int and 0 <= v < 50_000_000 for v in first)
        if not ok:
            raise Unsupported(f"{pred}: keys are not small non-negative integers")
    return params, keyed


def supports(program: Program, facts: Mapping[str, Sequence[Row] | Columns]) -> bool:
    """Whether this backend evaluates ``program`` over ``facts`` (checked without evaluating)."""
    try:
        _check(plan_program(program), facts)
    except Unsupported:
        return False
    return True


class _Relations(Mapping[str, set[Row]]):
    """The model: masks for derived predicates, the given facts for the rest."""

    def __init__(self, ev: _Evaluator, derived: set[str], preds: Sequence[str]) -> None:
        self._ev = ev
        self._derived = derived
        self._preds = list(dict.fromkeys(preds))
        self._sets: dict[str, set[Row]] = {}

    def __getitem__(self, pred: str) -> set[Row]:
        if pred not in self._sets:
            if pred not in self._preds:
                raise KeyError(pred)
            self._sets[pred] = set(zip(*(c.tolist() for c in self.columns(pred)), strict=True))
        return self._sets[pred]

    def __iter__(self) -> Iterator[str]:
        return iter(self._preds)

    def __len__(self) -> int:
        return len(self._preds)

    def __contains__(self, pred: object) -> bool:
        return pred in self._preds

    def columns(self, pred: str) -> tuple[np.ndarray, ...]:
        if pred in self._derived:
            return (np.flatnonzero(self._ev.mask(pred)).astype(np.int64),)
        return self._ev.fact_columns(pred)

    def masks(self, preds: Sequence[str], size: int) -> np.ndarray:
        out = np.zeros((len(preds), size), dtype=bool)
        for i, pred in enumerate(preds):
            if pred in self._derived or (self._ev.arity.get(pred) == 1 and pred not in self._ev.params):
                mask = self._ev.mask(pred)
                n = min(size, len(mask))
                out[i, :n] = mask[:n]
            else:
                cols = self.columns(pred)
                if cols and len(cols[0]):
                    out[i, np.asarray(cols[0], dtype=np.int64)] = True
        return out

    def masks_minus(self, pairs: Sequence[tuple[str, str]], size: int) -> np.ndarray:
        both = self.masks([p for pair in pairs for p in pair], size)
        out: np.ndarray = both[0::2] & ~both[1::2]
        return out


class MasksBackend:
    """Evaluate a one-key program as numpy boolean arrays (see the module docstring)."""

    name = "masks"
    columnar = True

    def run(
        self, program: Program, facts: Mapping[str, Sequence[Row] | Columns], limits: Limits = DEFAULT_LIMITS
    ) -> Mapping[str, set[Row]]:
        # the fragment is non-recursive: every program in it ends after one pass per stratum
        components = plan_program(program)
        try:
            params, keyed = _check(components, facts)
            ev = _Evaluator(facts, arities(program, facts), params, keyed)
            derived: set[str] = set()
            for comp in components:
                for pred in comp.preds:
                    if not any(r.head.pred == pred for r in comp.rules):
                        continue  # a fact predicate no rule derives: served as given
                    mask = np.zeros(ev.size, dtype=bool)
                    for planned in comp.rules:
                        if planned.head.pred == pred and not planned.never:
                            mask |= ev.rule(planned)
                    if facts.get(pred):
                        mask |= ev.mask(pred)
                    ev.masks[pred] = mask
                    derived.add(pred)
            return _Relations(ev, derived, [*ev.arity])
        except Unsupported as e:
            raise DatalogError("datalog.unsupported", f"the masks backend cannot evaluate this program: {e}") from e


BACKEND_FACTORY = MasksBackend
