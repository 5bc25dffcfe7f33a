"""Relations in columns: facts handed to a backend and models read back without per-row Python.

A :class:`Columns` is one relation as a tuple of equal-length numpy arrays, one per argument,
each of a single Datalog kind: ``object`` arrays of ``str``, ``int64``, ``float64`` (finite) or
``bool``.  Backends that work on columns (DuckDB) take the arrays as they are; the others
receive the same relation as Python tuples (``Columns.rows``), so the semantics cannot differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .errors import DatalogError
from .ir import Value

__all__ = ["Columns", "column_kind"]

_DTYPE_KIND = {"b": "b", "i": "i", "f": "f", "O": "s"}


def column_kind(array: np.ndarray) -> str:
    """The Datalog kind of a column: ``b``, ``i``, ``f`` or ``s``."""
    return _DTYPE_KIND[array.dtype.kind]


class Columns:
    """One relation as columns (numpy arrays of one kind each); immutable once made."""

    __slots__ = ("arrays", "length")

    def __init__(self, arrays: Sequence[Any], length: int | None = None) -> None:
        out: list[np.ndarray] = []
        for a in arrays:
            arr = np.asarray(a)
            if arr.ndim != 1:
                raise DatalogError("datalog.invalid-value", "a fact column must be one-dimensional")
            if arr.dtype.kind == "U":
                arr = arr.astype(object)
            elif arr.dtype.kind in "iu":
                if arr.dtype.kind == "u" and len(arr) and int(arr.max()) > 2**63 - 1:
                    raise DatalogError("datalog.invalid-value", "integer does not fit in 64 bits")
                arr = arr.astype(np.int64, copy=False)
            elif arr.dtype.kind == "f":
                arr = arr.astype(np.float64, copy=False)
            if arr.dtype.kind not in _DTYPE_KIND:
                raise DatalogError("datalog.invalid-value", f"a fact column of dtype {arr.dtype} is not a Datalog kind")
            out.append(arr)
        lengths = {len(a) for a in out}
        if len(lengths) > 1:
            raise DatalogError("datalog.arity-mismatch", f"fact columns of different lengths: {sorted(lengths)}")
        self.arrays: tuple[np.ndarray, ...] = tuple(out)
        self.length = lengths.pop() if lengths else (length or 0)

    @property
    def arity(self) -> int:
        return len(self.arrays)

    def __len__(self) -> int:
        return self.length

    def __bool__(self) -> bool:
        return self.length > 0

    def __iter__(self) -> Iterator[tuple[Value, ...]]:
        return iter(self.rows())

    def rows(self) -> list[tuple[Value, ...]]:
        """The relation as Python tuples (numpy scalars become str/int/float/bool)."""
        if not self.arrays:
            return [()] * min(self.length, 1)
        return list(zip(*(a.tolist() for a in self.arrays), strict=True))

    def validate(self) -> None:
        """Raise ``datalog.invalid-value`` unless every column holds one Datalog kind of value."""
        for a in self.arrays:
            if a.dtype.kind == "f" and not bool(np.isfinite(a).all()):
                raise DatalogError("datalog.invalid-value", "non-finite floats are not Datalog values")
            if a.dtype.kind == "O" and len(a):
                import pandas as pd

                if pd.api.types.infer_dtype(a, skipna=False) != "string":
                    raise DatalogError("datalog.invalid-value", "an object fact column must hold only strings")

    def take(self, mask: np.ndarray) -> Columns:
        """The rows where ``mask`` (a boolean array) is true."""
        return Columns([a[mask] for a in self.arrays], int(mask.sum()))

    def first_in(self, keep: set[Any] | frozenset[Any]) -> Columns:
        """The rows whose first argument is in ``keep``."""
        if not self.arrays:
            return self
        first = self.arrays[0]
        if first.dtype.kind == "O":
            return self.take(np.fromiter((v in keep for v in first), dtype=bool, count=self.length))
        return self.take(np.isin(first, np.array(sorted(keep), dtype=first.dtype)))
