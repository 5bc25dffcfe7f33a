"""Vectorised parsing of raw string cells into typed values.

Each parser takes a ``str`` Series (NA = missing) and returns a Series aligned with it in
which a cell that is missing *or* malformed is NA; callers tell the two apart with
``raw.notna() & parsed.isna()``.  pyarrow does the work (a million cells in tens of
milliseconds); the syntax accepted is fixed by the regular expressions below, so every
reader of the bundle agrees on what a valid cell is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credential.types import (
    BoolType,
    DateType,
    EnumType,
    NumberType,
    PercentType,
    ScaleType,
    TextType,
    ValueType,
)

CODE_PATTERN = r"[A-Z0-9]{3,5}"
NUMBER_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

TRUE_WORDS = ("yes", "true", "1")
FALSE_WORDS = ("no", "false", "0")

DATE_DTYPE = "datetime64[s]"


def as_arrow(s: pd.Series) -> pa.ChunkedArray:
    """The cells of a ``str`` Series as a pyarrow ``large_string`` array (null = missing)."""
    native = getattr(s.array, "_pa_array", None)
    if native is None:
        native = pa.chunked_array([pa.array(s.astype(object).where(s.notna(), None).tolist(), type=pa.large_string())])
    elif not isinstance(native, pa.ChunkedArray):
        native = pa.chunked_array([native])
    if native.type != pa.large_string():
        native = native.cast(pa.large_string())
    return native


_memo: list[tuple[pa.ChunkedArray, str, np.ndarray]] | None = None


@contextlib.contextmanager
def memo() -> Iterator[None]:
    """Within this block, matching the same column against the same pattern is done once
    (validation parses a column for several checks)."""
    global _memo
    outer = _memo
    _memo = [] if outer is None else outer
    try:
        yield
    finally:
        _memo = outer


def fullmatch(s: pd.Series, pattern: str) -> pd.Series:
    """True where the cell matches ``pattern`` entirely (False for missing cells)."""
    if s.empty:
        return pd.Series(np.zeros(0, dtype=bool), index=s.index)
    arr = as_arrow(s)
    if _memo is not None:
        for a, p, result in _memo:
            if a is arr and p == pattern:
                return pd.Series(result, index=s.index)
    m = pc.match_substring_regex(arr, pattern=f"^(?:{pattern})$")
    out = np.asarray(pc.fill_null(m, False).to_numpy(zero_copy_only=False), dtype=bool)
    if _memo is not None:
        _memo.append((arr, pattern, out))
        del _memo[:-16]
    return pd.Series(out, index=s.index)


def is_code(s: pd.Series) -> pd.Series:
    return fullmatch(s, CODE_PATTERN)


def parse_number(s: pd.Series) -> pd.Series:
    """float64 Series; NaN where missing or not a finite decimal."""
    ok = fullmatch(s, NUMBER_PATTERN)
    arr = as_arrow(s)
    masked = pc.if_else(pa.array(ok.to_numpy()), arr, pa.scalar(None, pa.large_string()))
    try:
        values = pc.cast(masked, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # pragma: no cover - the pattern only admits parseable text
        values = pd.to_numeric(s.where(ok), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out = np.array(values, dtype=float)
    out[~np.isfinite(out)] = np.nan
    return pd.Series(out, index=s.index)


def parse_date(s: pd.Series) -> pd.Series:
    """datetime64[s] Series; NaT where missing or not a real ISO ``YYYY-MM-DD`` date."""
    ok = fullmatch(s, DATE_PATTERN)
    arr = as_arrow(s)
    masked = pc.if_else(pa.array(ok.to_numpy()), arr, pa.scalar(None, pa.large_string()))
    try:
        days = pc.cast(masked, pa.date32())
        values = pc.cast(days, pa.timestamp("s")).to_numpy(zero_copy_only=False)
        return pd.Series(np.asarray(values, dtype=DATE_DTYPE), index=s.index)
    except pa.ArrowInvalid:
        # Some cell is shaped like a date but is not one (2015-02-29): cell by cell.
        parsed = pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce")
        return pd.Series(parsed.to_numpy(dtype="datetime64[us]").astype(DATE_DTYPE), index=s.index)


def parse_bool(s: pd.Series) -> pd.Series:
    """Nullable boolean Series; NA where missing or not one of yes/no/true/false/1/0."""
    low = s.str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[low.isin(TRUE_WORDS).to_numpy(dtype=bool)] = True
    out[low.isin(FALSE_WORDS).to_numpy(dtype=bool)] = False
    return out


def levels_of(t: ValueType) -> tuple[str, ...] | None:
    if isinstance(t, ScaleType):
        return t.levels
    if isinstance(t, EnumType):
        return t.members
    return None


def is_valid(s: pd.Series, t: ValueType) -> pd.Series:
    """True where a present cell is a valid value of ``t`` (False for missing cells)."""
    if isinstance(t, NumberType):
        return parse_number(s).notna()
    if isinstance(t, PercentType):
        v = parse_number(s)
        return v.notna() & (v >= 0) & (v <= 1)
    if isinstance(t, BoolType):
        return parse_bool(s).notna().astype(bool)
    if isinstance(t, DateType):
        return parse_date(s).notna()
    levels = levels_of(t)
    if levels is not None:
        return s.isin(levels).astype(bool) & s.notna()
    return s.notna()


def typed_column(s: pd.Series, t: ValueType) -> pd.Series:
    """A validated column in its runtime dtype: Float64, boolean, datetime64[s] or string."""
    if isinstance(t, NumberType | PercentType):
        return parse_number(s).astype("Float64")
    if isinstance(t, BoolType):
        return parse_bool(s)
    if isinstance(t, DateType):
        return parse_date(s)
    return s.astype("string")


def python_values(s: pd.Series, t: ValueType) -> np.ndarray:
    """An object array of runtime Python values (float, bool, date, str) with None for missing."""
    out = np.empty(len(s), dtype=object)
    out[:] = None
    if isinstance(t, NumberType | PercentType):
        v = parse_number(s).to_numpy()
        ok = ~np.isnan(v)
        out[ok] = v[ok].astype(object)
    elif isinstance(t, BoolType):
        b = parse_bool(s)
        ok = b.notna().to_numpy(dtype=bool)
        out[ok] = b[ok].to_numpy(dtype=bool).astype(object)
    elif isinstance(t, DateType):
        d = parse_date(s)
        ok = d.notna().to_numpy()
        out[ok] = d[ok].dt.date.to_numpy(dtype=object)
    elif isinstance(t, TextType) or levels_of(t) is not None:
        ok = s.notna().to_numpy()
        out[ok] = s[ok].to_numpy(dtype=object)
    else:  # pragma: no cover - durations are not data types
        raise TypeError(f"no data representation for {t}")
    return out


def to_date(value: dt.date | pd.Timestamp | np.datetime64) -> np.datetime64:
    """A date as the scalar the bundle's date columns compare with."""
    return np.datetime64(pd.Timestamp(value).date(), "s")
