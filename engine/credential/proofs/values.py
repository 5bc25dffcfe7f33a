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
    """Per-provider (value, evidence) of one derived value (an ``asof.Derived``), cached."""

    def __init__(self, derived: Any):
        self.derived = derived
        self.values: dict[str, Any] = derived.to_dict()

    def get(self, code: str) -> tuple[Any, list[tuple[str, int]]]:
        if code not in self.values:
            return None, []
        return self.values[code], self.derived.evidence_of(code)
