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
    """The raw cells of source rows, looked up by (file, row) without per-row pandas indexing."""

    def __init__(self, bundle: Any):
        self.bundle = bundle
        self.tables: dict[str, tuple[dict[int, int], list[str], list[list[Any]]]] = {}
        self.cache: dict[tuple[str, int], dict[str, str]] = {}

    def _table(self, file: str) -> tuple[dict[int, int], list[str], list[list[Any]]] | None:
        if file not in self.tables:
            for table in self.bundle.raw.tables.values():
                if table.file == file:
                    frame = table.frame
                    pos = {int(r): i for i, r in enumerate(frame.index.tolist())}
                    cols = [str(c) for c in frame.columns]
                    data = [frame[c].tolist() for c in frame.columns]
                    self.tables[file] = (pos, cols, data)
                    break
            else:
                return None
        return self.tables[file]

    def values(self, file: str, row: int) -> dict[str, str]:
        key = (file, row)
        if key not in self.cache:
            found = self._table(file)
            if found is None or row not in found[0]:
                raise KeyError(f"{file}:{row}")
            pos, cols, data = found
            i = pos[row]
            self.cache[key] = {
                c: ("" if is_missing(col[i]) else str(col[i])) for c, col in zip(cols, data, strict=True)
            }
        return self.cache[key]


def is_missing(v: Any) -> bool:
    """None, NaN, NA and NaT are missing; anything else (including unhashable values) is not."""
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
