"""The value domain (str, int, float, bool) and its semantics, the same for every backend.

- ``int`` and ``float`` are one numeric kind: ``1 = 1.0`` holds, ``1 < 1.5`` holds. ``bool`` is its
  own kind, distinct from numbers (``true != 1``), and ``str`` is a third kind.
- ``=`` holds when kinds agree and values are equal; ``!=`` is its negation. ``< <= > >=`` compare
  numbers numerically, strings by code point and booleans with ``false < true``; across kinds they
  are false.
- Arithmetic is defined on numbers only: ``int op int`` is an ``int`` for ``+ - *``; ``/`` is true
  division (a ``float``); anything else is *undefined* (a non-number operand, division by zero, a
  non-finite result). An undefined value makes every comparison false and derives nothing.
- Floats must be finite.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Final, cast

from .columns import Columns
from .errors import DatalogError
from .ir import Value, check_value, is_identifier

__all__ = [
    "UNDEFINED",
    "Row",
    "Undefined",
    "arith",
    "compare",
    "kind",
    "normalize_facts",
    "normalize_value",
    "transpose",
    "typed_row",
]

Row = tuple[Value, ...]
_PLAIN_TYPES: Final = frozenset({str, int, float, bool})
_ORDER: Final[dict[str, Callable[[Any, Any], object]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Undefined:
    """The result of undefined arithmetic: equal to nothing, not even itself."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0x5EED

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = Undefined()


def kind(value: object) -> str:
    """``'b'`` for bool, ``'n'`` for int/float, ``'s'`` for str, ``'?'`` otherwise."""
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int | float):
        return "n"
    if isinstance(value, str):
        return "s"
    return "?"


def compare(op: str, a: object, b: object) -> bool:
    """``a op b`` under the Datalog semantics (see the module docstring)."""
    ka, kb = kind(a), kind(b)
    if ka == "?" or kb == "?":
        return False
    same = ka == kb and a == b
    if op == "=":
        return same
    if op == "!=":
        return not same
    if ka != kb:
        return False
    return bool(_ORDER[op](a, b))


def arith(op: str, a: object, b: object) -> Value | Undefined:
    """``a op b`` for numbers; ``UNDEFINED`` when the result is not defined."""
    if kind(a) != "n" or kind(b) != "n":
        return UNDEFINED
    assert isinstance(a, int | float) and isinstance(b, int | float)
    result: int | float
    try:
        if op == "+":
            result = a + b
        elif op == "-":
            result = a - b
        elif op == "*":
            result = a * b
        elif op == "/":
            if b == 0:
                return UNDEFINED
            result = a / b
        else:
            raise ValueError(f"unknown arithmetic operator {op!r}")
    except (OverflowError, ZeroDivisionError):
        return UNDEFINED
    if isinstance(result, float) and not math.isfinite(result):
        return UNDEFINED
    return result


def normalize_value(value: object) -> Value:
    """Map numpy scalars and other numbers onto str/int/float/bool; reject everything else."""
    if type(value) in _PLAIN_TYPES:
        return check_value(value)
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return check_value(item())
    if isinstance(value, bool | str):
        return check_value(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return check_value(float(value))
    return check_value(value)


def _normalize_column(column: Sequence[object]) -> Sequence[Value] | None:
    """None if the column is already clean (the common case, checked without a Python loop)."""
    types = set(map(type, column))
    if types <= _PLAIN_TYPES:
        if float in types:
            floats = cast(Sequence[float], column if types == {float} else [v for v in column if type(v) is float])
            if not all(map(math.isfinite, floats)):
                raise DatalogError("datalog.invalid-value", "non-finite floats are not Datalog values")
        return None
    return [normalize_value(v) for v in column]


def transpose(rows: Sequence[Sequence[object]], arity: int) -> list[list[object]]:
    """Columns of equal-length rows (``itemgetter`` per column: about 3x faster than ``zip(*rows)``)."""
    return [list(map(itemgetter(j), rows)) for j in range(arity)]


def normalize_facts(
    facts: Mapping[str, Iterable[Sequence[object]] | Columns],
) -> tuple[dict[str, list[Row] | Columns], dict[str, int]]:
    """Validate facts; return rows as tuples of plain values (or checked ``Columns``), and arities.

    Raises ``datalog.invalid-name``, ``datalog.invalid-value`` or ``datalog.arity-mismatch``.
    """
    out: dict[str, list[Row] | Columns] = {}
    arities: dict[str, int] = {}
    for pred, rows_in in facts.items():
        if not is_identifier(pred):
            raise DatalogError("datalog.invalid-name", f"{pred!r} is not a valid predicate name")
        if isinstance(rows_in, Columns):
            rows_in.validate()
            if rows_in:
                arities[pred] = rows_in.arity
            out[pred] = rows_in
            continue
        rows = cast(list[tuple[object, ...]], rows_in if type(rows_in) is list else list(rows_in))
        if set(map(type, rows)) - {tuple}:
            rows = [r if type(r) is tuple else tuple(r) for r in rows]
        if rows:
            lengths = set(map(len, rows))
            if len(lengths) > 1:
                raise DatalogError(
                    "datalog.arity-mismatch",
                    f"facts for predicate {pred} have several arities: {sorted(lengths)}",
                )
            arity = lengths.pop()
            arities[pred] = arity
            columns = transpose(rows, arity)
            fixed = [_normalize_column(c) for c in columns]
            if any(f is not None for f in fixed):
                rows = list(zip(*(c if f is None else f for c, f in zip(columns, fixed, strict=True)), strict=True))
        out[pred] = cast(list[Row], rows)
    return out, arities


def typed_row(row: Sequence[object]) -> tuple[tuple[str, object], ...]:
    """A key under which rows are equal exactly when the Datalog semantics says they are."""
    return tuple((kind(v), v) for v in row)
