"""Looking up derived values and their evidence rows for proofs, and showing values to people."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal
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


def show_percent(value: float) -> str:
    """A fraction as a percent: exactly ×100, rounded half-even to at most 4 decimals, trailing
    zeros dropped (0.943463 is `94.3463%`, 0.78 is `78%`, 0.7811354 is `78.1135%`)."""
    shifted = Decimal(repr(float(value))) * 100
    q = shifted.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN).normalize()
    text = format(q, "f")
    return ("0" if text in ("-0", "") else text) + "%"


def unit_words(unit: str) -> str:
    """A declared unit as text (`percentage_points` reads `percentage points`)."""
    return unit.replace("_", " ")


def show(value: Any, t: ValueType | None = None, unit: str | None = None) -> str:
    """A value as a person reads it: a percent as a percent (see :func:`show_percent`), a number
    with its declared unit (`12 days`), levels and members by name, dates ISO."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if (isinstance(t, PercentType) or unit == "percent") and isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return "missing"
        return show_percent(value)
    if isinstance(value, int | float) and unit:
        return f"{value:.6g} {unit_words(unit)}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(t, DateType) and isinstance(value, str):
        return value
    return str(value)


def value_unit(policy: ir.CheckedPolicy, v: ir.Value) -> str | None:
    """The unit of a value: `percent` for a percent, a number's declared unit, None otherwise
    (a count of observations or arrangements, a level, a date, text, yes/no)."""
    if isinstance(v.type, PercentType):
        return "percent"
    if not isinstance(v.type, NumberType):
        return None
    if isinstance(v, ir.VLatest) or (isinstance(v, ir.VWindow) and v.func != "count"):
        return policy.units.get(v.measure)
    if isinstance(v, ir.VAttr):
        return policy.units.get(v.name)
    return None


def cond_unit(policy: ir.CheckedPolicy, cond: ir.Cond) -> str | None:
    """The unit both sides of a comparison are in (the first side's that has one)."""
    if not isinstance(cond, ir.CCompare):
        return None
    return value_unit(policy, cond.left) or value_unit(policy, cond.right)


def judged_labels(cond: ir.CJudged, truths: list[Any], values: list[Any]) -> list[str]:
    """The missing labels of an undetermined ``judged by``: each scope attribute that is missing,
    or, when none is, that no listed criterion applies to the provider's values."""
    unknown = [describe_value(s.value) for s, t in zip(cond.scopes, truths, strict=True) if t.value == "unknown"]
    if unknown:
        return sorted(set(unknown))
    shown = sorted({f"{describe_value(s.value)} {show(v)}" for s, v in zip(cond.scopes, values, strict=True)})
    return [f"{cond.text}: none applies to {', '.join(shown)}"]


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
    if isinstance(v, ir.VPeer):
        return f"{v.func} of {describe_value(v.base)} among {v.among}"
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


def missing_text(v: ir.Value, denominator: float | None, minimum: float | None) -> str:
    """How a missing value is named: in the policy's words, and for a pooled rate whose
    denominators sum to less than its minimum, with that sum and the minimum."""
    base = describe_value(v)
    if (
        isinstance(v, ir.VWindow)
        and v.func == "pooled"
        and minimum is not None
        and denominator is not None
        and denominator < minimum
    ):
        return f"{base}: {denominator:g} counted, fewer than the minimum {minimum:g}"
    return base


_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def peer_cutoff(func: str, op: str, threshold: Any, members: list[tuple[float, float]]) -> float | None:
    """The value a member of the peer group needs to pass ``position op threshold``: the lowest
    value among the members that pass when higher values pass (``percentile >= 75%``, ``rank <=
    10``), the highest when lower values do; None for ``=``/``!=``, an unknown threshold, or when
    no member passes.  ``members``: (value, position) of every member whose position is known."""
    test = _OPS.get(op)
    if test is None or threshold is None:
        return None
    passing = [base for base, position in members if test(position, float(threshold))]
    if not passing:
        return None
    higher = (func == "percentile") == (op in (">", ">="))
    return min(passing) if higher else max(passing)


def peer_json(v: ir.VPeer, base: Any, group: Any, size: Any, cutoff: float | None, unit: str | None) -> dict[str, Any]:
    """What a proof shows of a peer-relative value: the provider's value, its group (the attribute
    and its value) and the group's size, and the cut-off value (None: none applies)."""
    return {
        "of": describe_value(v.base),
        "base": json_value(base, v.base.type),
        "among": v.among,
        "group": group,
        "size": None if size is None else int(size),
        "cutoff": json_value(cutoff, v.base.type),
        "unit": unit,
    }


def trajectory_json(p: ir.Param, as_of: dt.date) -> dict[str, Any] | None:
    """A param on a trajectory on ``as_of``: its two anchors (value and date); None otherwise."""
    t = p.trajectory_at(as_of)
    if t is None:
        return None
    return {
        "from": {"value": json_value(t.start, p.type), "date": t.start_date.isoformat()},
        "to": {"value": json_value(t.end, p.type), "date": t.end_date.isoformat()},
    }


def peer_need(minimum: float | None) -> float:
    """The smallest peer group a position is known from: 2, or the policy's minimum if larger."""
    return max(2.0, minimum if minimum is not None else 0.0)


def peer_missing_text(v: ir.VPeer, base: Any, group: Any, size: Any, minimum: float | None) -> str:
    """How a missing peer-relative value is named: its own value or group attribute when that is
    missing, else the group, its size and the smallest size it is known from."""
    if base is None:
        return describe_value(v.base)
    if group is None:
        return v.among
    return f"{describe_value(v)}: {int(size)} with {v.among} {group}, fewer than {peer_need(minimum):g}"


class DerivedIndex:
    """Per-provider (value, evidence) of one derived value (an ``asof.Derived``), indexed once."""

    def __init__(self, derived: Any):
        self.values: dict[str, Any] = derived.to_dict()
        self.minimum: float | None = getattr(derived.request, "minimum", None)
        self.denominators: dict[str, float] = {}
        self.numerators: dict[str, float] = {}
        if "denominator" in derived.values.columns:
            frame = derived.values[derived.values["denominator"].notna()]
            codes = frame["code"].astype(str).tolist()
            self.denominators = dict(zip(codes, frame["denominator"].astype(float).tolist(), strict=True))
            self.numerators = dict(zip(codes, frame["numerator"].astype(float).tolist(), strict=True))
        self.peer: dict[str, tuple[Any, Any, Any]] = {}  # code -> (base, group, size)
        self.groups: dict[str, list[tuple[float, float]]] = {}  # group -> (base, position) of members
        if "size" in derived.values.columns:
            frame = derived.values
            for code, value, base, group, size in zip(
                frame["code"].astype(str).tolist(),
                frame["value"].astype(object).tolist(),
                frame["base"].astype(object).tolist(),
                frame["group"].astype(object).tolist(),
                frame["size"].astype(object).tolist(),
                strict=True,
            ):
                base, group, size = (None if is_missing(x) else x for x in (base, group, size))
                self.peer[code] = (None if base is None else float(base), group, size)
                if group is not None and base is not None and not is_missing(value):
                    self.groups.setdefault(str(group), []).append((float(base), float(value)))
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

    def peer_block(self, v: ir.VPeer, code: str, op: str | None, threshold: Any, unit: str | None) -> dict[str, Any]:
        """The ``peer`` block of a comparison of ``v`` for ``code`` (see :func:`peer_json`)."""
        base, group, size = self.peer.get(code, (None, None, None))
        members = self.groups.get(str(group), []) if group is not None else []
        cutoff = peer_cutoff(v.func, op, threshold, members) if op is not None else None
        return peer_json(v, base, group, size, cutoff, unit)

    def counts(self, code: str) -> dict[str, Any] | None:
        """A pooled rate's counts for ``code`` as a proof shows them (None when not known)."""
        if code not in self.denominators:
            return None
        return {"numerator": self.numerators[code], "denominator": self.denominators[code], "minimum": self.minimum}

    def missing_text(self, v: ir.Value, code: str) -> str:
        """The label of ``v`` missing for ``code`` (see :func:`missing_text`)."""
        if isinstance(v, ir.VPeer):
            return peer_missing_text(v, *self.peer.get(code, (None, None, None)), self.minimum)
        return missing_text(v, self.denominators.get(code), self.minimum)


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
