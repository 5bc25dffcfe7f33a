"""The public entry points: ``evaluate`` and ``evaluate_program``, returning a ``Model``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .backend import get_backend
from .checks import check_program
from .columns import Columns
from .ir import Program, Value
from .limits import DEFAULT_LIMITS, Limits
from .syntax import parse_program
from .values import Row, normalize_facts, typed_row

__all__ = ["Facts", "Model", "evaluate", "evaluate_program"]

Facts = Mapping[str, Iterable[Sequence[object]] | Columns]


@dataclass(frozen=True)
class Model:
    """The computed model: every predicate (given and derived) mapped to its rows.

    Python sets cannot hold both ``(True,)`` and ``(1,)`` (they are equal in Python); evaluation keeps
    them apart, and ``holds`` compares by kind (``holds("p", 1)`` is false when only ``p(true)`` holds).
    """

    relations: Mapping[str, set[Row]]
    _typed: dict[str, set[tuple[tuple[str, object], ...]]] = field(default_factory=dict, compare=False, repr=False)

    def get(self, pred: str) -> set[Row]:
        """The rows of ``pred`` (empty for an unknown predicate). Do not mutate."""
        return self.relations.get(pred, set())

    def columns(self, pred: str) -> tuple[np.ndarray, ...]:
        """The rows of ``pred`` as one numpy array per argument, in no particular order.

        A backend that evaluates in columns (DuckDB) answers without building Python tuples;
        otherwise the set is transposed.  An empty or unknown predicate gives empty arrays.
        """
        reader = getattr(self.relations, "columns", None)
        if reader is not None and pred in self.relations:
            out: tuple[np.ndarray, ...] = reader(pred)
            return out
        rows = self.get(pred)
        if not rows:
            return ()
        arity = len(next(iter(rows)))
        return tuple(_array([r[j] for r in rows]) for j in range(arity))

    def masks(self, preds: Sequence[str], size: int) -> np.ndarray:
        """For predicates whose first argument is an integer id in ``range(size)``: a boolean matrix,
        row ``i`` true at the ids that are a first argument of ``preds[i]`` (one query on DuckDB)."""
        reader = getattr(self.relations, "masks", None)
        if reader is not None and all(p in self.relations for p in preds):
            found: np.ndarray = reader(preds, size)
            return found
        out = np.zeros((len(preds), size), dtype=bool)
        for i, pred in enumerate(preds):
            cols = self.columns(pred)
            if cols and len(cols[0]):
                out[i, np.asarray(cols[0], dtype=np.int64)] = True
        return out

    def masks_minus(self, pairs: Sequence[tuple[str, str]], size: int) -> np.ndarray:
        """Like ``masks``, row ``i`` for the ids in the first of ``pairs[i]`` that are not in the second
        (on DuckDB an anti-join inside the database, so only the difference comes back)."""
        reader = getattr(self.relations, "masks_minus", None)
        if reader is not None and all(a in self.relations and b in self.relations for a, b in pairs):
            found: np.ndarray = reader(pairs, size)
            return found
        both = self.masks([p for pair in pairs for p in pair], size)
        out: np.ndarray = both[0::2] & ~both[1::2]
        return out

    def holds(self, pred: str, *args: Value) -> bool:
        """True if ``pred(args...)`` is in the model (values compared as Datalog does)."""
        rows = self.relations.get(pred)
        if not rows or args not in rows:
            return False
        typed = self._typed.get(pred)
        if typed is None:
            typed = self._typed[pred] = {typed_row(r) for r in rows}
        return typed_row(args) in typed


def _array(values: list[object]) -> np.ndarray:
    kinds = set(map(type, values))
    if len(kinds) == 1 and kinds <= {bool, int, float}:
        return np.array(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _as_program(rules: Program | str | Iterable[str]) -> Program:
    if isinstance(rules, Program):
        return rules
    if isinstance(rules, str):
        return parse_program(rules)
    program = Program()
    for text in rules:
        program = program + parse_program(text)
    return program


_CHECKED: dict[tuple[int, tuple[tuple[str, int], ...]], Program] = {}


def evaluate_program(
    program: Program, facts: Facts, backend: str = "pydatalog", limits: Limits = DEFAULT_LIMITS
) -> Model:
    """Check ``program`` against ``facts`` (arity, safety, stratification), then evaluate it within ``limits``."""
    rows, arities = normalize_facts(facts)
    key = (id(program), tuple(sorted(arities.items())))
    if _CHECKED.get(key) is not program:  # the grace period evaluates one program on many dates
        check_program(program, arities)
        if len(_CHECKED) >= 8:
            _CHECKED.pop(next(iter(_CHECKED)))
        _CHECKED[key] = program
    engine = get_backend(backend)
    if not getattr(engine, "columnar", False):
        rows = {p: r.rows() if isinstance(r, Columns) else r for p, r in rows.items()}
    relations = engine.run(program, rows, limits=limits)
    missing = [p for p in (*program.predicates(), *rows) if p not in relations]
    if missing:
        relations = dict(relations)
        for pred in missing:
            relations[pred] = set()
    return Model(relations)


def evaluate(
    facts: Facts, rules: Program | str | Iterable[str], backend: str = "pydatalog", limits: Limits = DEFAULT_LIMITS
) -> dict[str, set[Row]]:
    """Evaluate rules (a ``Program``, or Datalog texts) over facts; every predicate's rows."""
    return dict(evaluate_program(_as_program(rules), facts, backend, limits).relations)
