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
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

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
DATE_PATTERN = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-[0-9]{2}-[0-9]{2}"  # no year 0000

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


@dataclass(frozen=True)
class Encoded:
    """A column as its distinct present values and, for each cell, the position of its value
    among them (-1 for a missing cell).  Checks and parsers work on the distinct values (a
    column of three million cells often holds a few thousand) and map the answers back with
    :meth:`expand`."""

    codes: np.ndarray
    """int32, one per cell: the index into ``uniques``, -1 where the cell is missing."""
    uniques: pa.Array
    """The distinct present values (``large_string``), in order of first appearance."""

    def expand(self, per_unique: np.ndarray, missing: object) -> np.ndarray:
        """Per cell: ``per_unique[code]``, and ``missing`` where the cell is missing."""
        out = np.empty(len(per_unique) + 1, dtype=per_unique.dtype)
        out[:-1] = per_unique
        out[-1] = missing
        cells: np.ndarray = out[self.codes]  # code -1 takes the last slot: ``missing``
        return cells

    def series(self) -> pd.Series:
        """The distinct values as a ``str`` Series (a RangeIndex)."""
        return pd.Series(pd.array(pa.chunked_array([self.uniques]), dtype="str"))


_MEMO_SIZE = 64
"""How many encodings (and parsed columns) one validation keeps: enough for every column of a
bundle, so that building the typed bundle finds what the checks computed."""


class _Memo:
    """What one validation computes per column: encodings and parsed cells, keyed by the
    identity of the column's Arrow array (which the memo keeps alive, so ids are not reused)."""

    def __init__(self) -> None:
        self.encoded: list[tuple[pa.ChunkedArray, Encoded]] = []
        self.results: list[tuple[pa.ChunkedArray, str, np.ndarray]] = []

    def get(self, arr: pa.ChunkedArray, key: str) -> np.ndarray | None:
        for a, k, result in self.results:
            if a is arr and k == key:
                return result
        return None

    def put(self, arr: pa.ChunkedArray, key: str, result: np.ndarray) -> None:
        self.results.append((arr, key, result))
        del self.results[:-_MEMO_SIZE]


_memo: _Memo | None = None


@contextlib.contextmanager
def memo() -> Iterator[None]:
    """Within this block, a column is encoded once and parsed once per parser (validation
    parses a column for several checks and again to build the typed bundle)."""
    global _memo
    outer = _memo
    _memo = _Memo() if outer is None else outer
    try:
        yield
    finally:
        _memo = outer


_RUNS_MIN = 1 << 16
"""Columns at least this long are checked for runs of equal cells (see :func:`_dictionary_encode`)."""


def _run_starts(whole: pa.Array) -> np.ndarray:
    """Positions where a run of equal cells starts (every missing cell starts its own run)."""
    n = len(whole)
    differs = pc.fill_null(pc.not_equal(whole.slice(1), whole.slice(0, n - 1)), True)
    starts = np.ones(n, dtype=bool)
    starts[1:] = np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool)
    return np.flatnonzero(starts)


def _dictionary_encode(whole: pa.Array) -> Encoded:
    """``pc.dictionary_encode``, as an :class:`Encoded`.  A long column in runs of equal cells (a
    file sorted by provider, say) is encoded by its runs' first cells and the codes repeated:
    comparing neighbours is cheaper than hashing every cell, and the result is the same (a value
    first appears at the start of a run, so the distinct values come in the same order)."""
    n = len(whole)
    if n >= _RUNS_MIN and len(_run_starts(whole.slice(0, _RUNS_MIN))) * 4 <= _RUNS_MIN:
        starts = _run_starts(whole)
        if len(starts) * 4 <= n:
            d = pc.dictionary_encode(whole.take(pa.array(starts)))
            heads = np.asarray(pc.fill_null(d.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int32)
            return Encoded(np.repeat(heads, np.diff(np.append(starts, n))), d.dictionary)
    d = pc.dictionary_encode(whole)
    codes = np.asarray(pc.fill_null(d.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int32)
    return Encoded(codes, d.dictionary)


def _whole(arr: pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)


def _encode_arrow(arr: pa.ChunkedArray) -> Encoded:
    if _memo is not None:
        for a, enc in _memo.encoded:
            if a is arr:
                return enc
    enc = _dictionary_encode(_whole(arr))
    if _memo is not None:
        _memo.encoded.append((arr, enc))
        del _memo.encoded[:-_MEMO_SIZE]
    return enc


def encode(s: pd.Series) -> Encoded:
    """The distinct values of a ``str`` Series and each cell's position among them."""
    return _encode_arrow(as_arrow(s))


def _per_cell(s: pd.Series, key: str, fn: Callable[[Encoded], np.ndarray]) -> np.ndarray:
    """``fn`` evaluated on the column's distinct values and expanded to its cells, memoised."""
    arr = as_arrow(s)
    if _memo is not None:
        hit = _memo.get(arr, key)
        if hit is not None:
            return hit
    out = fn(_encode_arrow(arr))
    if _memo is not None:
        _memo.put(arr, key, out)
    return out


def _match(values: pa.Array, pattern: str) -> np.ndarray:
    m = pc.match_substring_regex(values, pattern=f"^(?:{pattern})$")
    return np.asarray(pc.fill_null(m, False).to_numpy(zero_copy_only=False), dtype=bool)


def fullmatch(s: pd.Series, pattern: str) -> pd.Series:
    """True where the cell matches ``pattern`` entirely (False for missing cells)."""
    if s.empty:
        return pd.Series(np.zeros(0, dtype=bool), index=s.index)
    out = _per_cell(s, f"match:{pattern}", lambda e: e.expand(_match(e.uniques, pattern), False))
    return pd.Series(out, index=s.index)


def isin(s: pd.Series, values: Collection[str]) -> pd.Series:
    """True where the cell is one of ``values`` (False for missing cells), as ``Series.isin``."""
    if s.empty:
        return pd.Series(np.zeros(0, dtype=bool), index=s.index)
    ordered = sorted(set(values))
    value_set = pa.array(ordered, type=pa.large_string())

    def inside(enc: Encoded) -> np.ndarray:
        found = pc.is_in(enc.uniques, value_set=value_set).to_numpy(zero_copy_only=False)
        return enc.expand(np.asarray(found, dtype=bool), False)

    return pd.Series(_per_cell(s, "isin:" + "\x1f".join(ordered), inside), index=s.index)


def is_code(s: pd.Series) -> pd.Series:
    return fullmatch(s, CODE_PATTERN)


def _numbers(values: pa.Array) -> np.ndarray:
    ok = _match(values, NUMBER_PATTERN)
    masked = pc.if_else(pa.array(ok), values, pa.scalar(None, pa.large_string()))
    try:
        parsed = pc.cast(masked, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # pragma: no cover - the pattern only admits parseable text
        text = pd.Series(values.to_pylist(), dtype=object)
        parsed = pd.to_numeric(text.where(ok), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out = np.array(parsed, dtype=float)
    out[~np.isfinite(out)] = np.nan
    return out


def parse_number(s: pd.Series) -> pd.Series:
    """float64 Series; NaN where missing or not a finite decimal."""
    if s.empty:
        return pd.Series(np.zeros(0, dtype=float), index=s.index)
    out = _per_cell(s, "number", lambda e: e.expand(_numbers(e.uniques), np.nan))
    return pd.Series(out, index=s.index)


def _dates(values: pa.Array) -> np.ndarray:
    ok = _match(values, DATE_PATTERN)
    masked = pc.if_else(pa.array(ok), values, pa.scalar(None, pa.large_string()))
    try:
        days = pc.cast(masked, pa.date32())
        parsed = pc.cast(days, pa.timestamp("s")).to_numpy(zero_copy_only=False)
        return np.asarray(parsed, dtype=DATE_DTYPE)
    except pa.ArrowInvalid:
        # Some value is shaped like a date but is not one (2015-02-29): value by value.
        text = pd.Series(values.to_pylist(), dtype=object)
        dates = pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce")
        result: np.ndarray = dates.to_numpy(dtype="datetime64[us]").astype(DATE_DTYPE)
        return result


def parse_date(s: pd.Series) -> pd.Series:
    """datetime64[s] Series; NaT where missing or not a real ISO ``YYYY-MM-DD`` date."""
    if s.empty:
        return pd.Series(np.zeros(0, dtype=DATE_DTYPE), index=s.index)
    out = _per_cell(s, "date", lambda e: e.expand(_dates(e.uniques), np.datetime64("NaT", "s")))
    return pd.Series(out, index=s.index)


def _bools(values: pa.Array) -> np.ndarray:
    """int8 per value: 1 for a yes word, 0 for a no word, -1 for anything else."""
    low = pc.utf8_lower(values)
    out = np.full(len(values), -1, dtype=np.int8)
    yes = pc.is_in(low, value_set=pa.array(TRUE_WORDS, type=pa.large_string()))
    no = pc.is_in(low, value_set=pa.array(FALSE_WORDS, type=pa.large_string()))
    out[np.asarray(yes.to_numpy(zero_copy_only=False), dtype=bool)] = 1
    out[np.asarray(no.to_numpy(zero_copy_only=False), dtype=bool)] = 0
    return out


def parse_bool(s: pd.Series) -> pd.Series:
    """Nullable boolean Series; NA where missing or not one of yes/no/true/false/1/0."""
    if s.empty:
        return pd.Series(pd.array([], dtype="boolean"), index=s.index)
    flags = _per_cell(s, "bool", lambda e: e.expand(_bools(e.uniques), -1))
    values = pd.arrays.BooleanArray(flags == 1, flags < 0)
    return pd.Series(values, index=s.index)


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


def _python_objects(values: pa.Array, t: ValueType) -> np.ndarray:
    """An object array of runtime Python values for each of ``values``, None where invalid."""
    s = pd.Series(pd.array(pa.chunked_array([values], type=values.type), dtype="str"))
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
        out[:] = s.to_numpy(dtype=object)
    else:  # pragma: no cover - durations are not data types
        raise TypeError(f"no data representation for {t}")
    return out


def python_values(s: pd.Series, t: ValueType, where: np.ndarray | None = None) -> np.ndarray:
    """An object array of runtime Python values (float, bool, date, str) with None for missing
    (or malformed) cells; with ``where`` (a boolean mask), for those cells only.  Each distinct
    cell is converted once: equal cells share one Python object."""
    enc = encode(s) if len(s) else Encoded(np.zeros(0, dtype=np.int32), pa.array([], type=pa.large_string()))
    objects = _python_objects(enc.uniques, t)
    codes = enc.codes if where is None else enc.codes[where]
    full = np.empty(len(objects) + 1, dtype=object)
    full[:-1] = objects
    full[-1] = None
    out: np.ndarray = full[codes]
    return out


def to_date(value: dt.date | pd.Timestamp | np.datetime64) -> np.datetime64:
    """A date as the scalar the bundle's date columns compare with."""
    return np.datetime64(pd.Timestamp(value).date(), "s")
