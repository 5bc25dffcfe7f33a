"""Looking up derived values and their evidence rows for proofs, and showing values to people."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from credential.check import ir
from credential.types import (
    DateType,
    Duration,
    NumberType,
    PercentType,
    ValueType,
)


def json_value(value: Any, t: ValueType | None = None) -> Any:
    """A runtime value as JSON (dates ISO, durations as text, NaN/NA as null)."""
    if value is None:
        return None
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if isinstance(t, NumberType | PercentType) and value == int(value) and abs(value) < 1e15:
            return value
        return value
    if isinstance(value, int):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


def show(value: Any, t: ValueType | None = None) -> str:
    """A value as a person reads it: percents as fractions (the data's own form)."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(t, DateType) and isinstance(value, str):
        return value
    return str(value)


def describe_value(v: ir.Value) -> str:
    """What a value is, in the policy's words (for `missing` lists and gaps)."""
    if v.text and not isinstance(v, ir.VConst):
        return v.text
    if isinstance(v, ir.VAttr):
        return f"{v.who + '.' if v.who else ''}{v.name}"
    if isinstance(v, ir.VLatest):
        return f"{v.who + '.' if v.who else ''}{v.measure}"
    if isinstance(v, ir.VWindow):
        return f"{v.func} {v.measure} over {Duration(v.months)}"
    if isinstance(v, ir.VArrCount):
        return v.text or f"count arrangements {'led' if v.role == 'lead' else 'received'}"
    if isinstance(v, ir.VParam):
        return v.name
    return v.text or str(v.value)


def age_text(months: int) -> str:
    """A max age as people write it: whole years in years, anything else in months."""
    if months % 12 == 0:
        n = months // 12
        return f"{n} year{'s' if n != 1 else ''}"
    return f"{months} month{'s' if months != 1 else ''}"


def stale_label(text: str, date: Any, max_age_months: int) -> str:
    """The ``missing`` label of stale evidence: the value, its evidence date and the limit."""
    limit = age_text(max_age_months)
    if date is None:
        return f"{text} (stale: no evidence within max age {limit})"
    return f"{text} (stale: evidence of {date.isoformat()}, max age {limit})"


def stale_json(value: Any, t: Any, date: Any, max_age_months: int) -> dict[str, Any]:
    """What a proof shows of a stale operand: the value it would have, its date, the limit."""
    return {
        "value": json_value(value, t),
        "date": date.isoformat() if date is not None else None,
        "max_age": age_text(max_age_months),
    }


class DerivedIndex:
    """Per-provider (value, evidence) of one derived value (an ``asof.Derived``), indexed once."""

    def __init__(self, derived: Any):
        self.values: dict[str, Any] = derived.to_dict()
        ev = derived.evidence
        self.evidence: dict[str, list[tuple[str, int]]] = {}
        for code, file, row in zip(
            ev["code"].astype(str).tolist(), ev["file"].astype(str).tolist(), ev["row"].tolist(), strict=True
        ):
            self.evidence.setdefault(code, []).append((file, int(row)))

    def get(self, code: str) -> tuple[Any, list[tuple[str, int]]]:
        if code not in self.values:
            return None, []
        return self.values[code], self.evidence.get(code, [])


class RowIndex:
    """The raw cells of source rows, looked up by (file, row) without per-row pandas indexing.

    Text columns stay in Arrow and a cell becomes a Python string only when a proof cites its
    row, so a batch's proofs do not hold every cell of the bundle as Python objects; rows are
    found by binary search in the (sorted) row numbers.  ``cache`` keeps the rows already shown
    (a proof writer clears it between blocks).
    """

    def __init__(self, bundle: Any):
        self.bundle = bundle
        self.tables: dict[str, tuple[Any, list[str], list[Any]] | None] = {}
        self.cache: dict[tuple[str, int], dict[str, str]] = {}

    def _table(self, file: str) -> tuple[Any, list[str], list[Any]] | None:
        if file not in self.tables:
            self.tables[file] = None
            for table in self.bundle.raw.tables.values():
                if table.file == file:
                    self.tables[file] = _row_table(table.frame)
                    break
        return self.tables[file]

    def values(self, file: str, row: int) -> dict[str, str]:
        key = (file, row)
        if key not in self.cache:
            found = self._table(file)
            i = None if found is None else _position(found[0], row)
            if found is None or i is None:
                raise KeyError(f"{file}:{row}")
            _, cols, data = found
            self.cache[key] = {c: _cell(col, i) for c, col in zip(cols, data, strict=True)}
        return self.cache[key]


def _row_table(frame: pd.DataFrame) -> tuple[Any, list[str], list[Any]]:
    import numpy as np
    import pyarrow as pa

    rows = np.asarray(frame.index.to_numpy(), dtype=np.int64)
    index: Any = rows if bool((np.diff(rows) > 0).all()) else {int(r): i for i, r in enumerate(rows.tolist())}
    data: list[Any] = []
    for c in frame.columns:
        column = frame[c]
        arrow = None
        if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(column.dtype):
            with_arrow = pa.array(column)
            arrow = with_arrow.combine_chunks() if isinstance(with_arrow, pa.ChunkedArray) else with_arrow
        data.append(arrow if arrow is not None else column.tolist())
    return index, [str(c) for c in frame.columns], data


def _position(index: Any, row: int) -> int | None:
    if isinstance(index, dict):
        found: int | None = index.get(row)
        return found
    import numpy as np

    i = int(np.searchsorted(index, row))
    return i if i < len(index) and int(index[i]) == row else None


def _cell(column: Any, i: int) -> str:
    v = column[i].as_py() if not isinstance(column, list) else column[i]
    return "" if is_missing(v) else str(v)


def is_missing(v: Any) -> bool:
    """None, NaN, NA and NaT are missing; anything else (including unhashable values) is not."""
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
