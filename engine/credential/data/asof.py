"""Values as of a date: what each provider's attribute, measure, status or arrangement count is.

:func:`derive` answers a set of :data:`ValueRequest` for every provider of a bundle at once,
with pandas group operations (no Python loop over rows or providers), and keeps for each
answer the rows it rests on (``file``, ``row``) as evidence.  The rules follow the language
spec:

* a measure's value is its latest observation dated on or before the as-of date;
* a window of N months ending on the as-of date holds observations dated *after*
  ``subtract_months(as_of, N)`` and on or before ``as_of`` (the start is excluded);
* a status or arrangement is active when ``start <= as_of`` and ``end`` is empty or after
  ``as_of``;
* open world for statuses: a status's list is complete only over the periods the bundle's
  ``coverage`` table declares for it (same interval rule); outside them a provider with no
  active row is *unknown*, not inactive (:func:`status_covered`);
* missing, never a guess: an empty cell, no observation, an empty window's mean/min/max,
  or a quarantined row that could have changed the answer, all give ``None``.

Evidence for a missing value names the rows that made it missing (quarantined rows, or the
observation with the empty cell), so explanations can say why.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credential.data.bundle import Bundle
from credential.data.parse import DATE_DTYPE, Encoded, as_arrow, encode, parse_number, to_date
from credential.types import (
    BoolType,
    DateType,
    NumberType,
    PercentType,
    ScaleType,
    TextType,
    ValueType,
)

Value = float | str | bool | dt.date
"""A runtime value (see :mod:`credential.types`)."""


@dataclass(frozen=True)
class AttributeValue:
    """The provider's attribute ``name`` (missing when empty or quarantined)."""

    name: str


@dataclass(frozen=True)
class LatestMeasure:
    """The latest observation of ``measure`` dated on or before the as-of date; with
    ``max_age_months``, stale (missing, see :attr:`Derived.stale`) when that observation is dated
    on or before ``subtract_months(as_of, max_age_months)``."""

    measure: str
    max_age_months: int | None = None


@dataclass(frozen=True)
class WindowAggregate:
    """``mean|min|max|count|pooled`` of ``measure`` over the ``months`` ending on the as-of date.

    ``pooled`` is sum(numerator) / sum(denominator) of the window's rows: missing when the window
    is empty, a row lacks its counts, the denominators sum to 0, or (with ``minimum``) they sum
    to less than ``minimum``.  Its :class:`Derived` also has ``numerator`` and ``denominator``
    columns: the sums where every row has its counts (NA otherwise).
    """

    agg: Literal["mean", "min", "max", "count", "pooled"]
    measure: str
    months: int
    max_age_months: int | None = None
    """The window must hold an observation dated after ``subtract_months(as_of, max_age_months)``
    (its newest observation recent enough), else the aggregate is stale."""
    minimum: float | None = None


@dataclass(frozen=True)
class StatusActive:
    """Whether ``status`` is active on the as-of date (None when a quarantined row could change it)."""

    status: str


@dataclass(frozen=True)
class ArrangementCount:
    """How many arrangements active on the as-of date the provider is in, in ``role``;
    optionally only of ``form`` and only those started within ``within_months``."""

    role: Literal["lead", "recipient"]
    form: str | None = None
    within_months: int | None = None
    held: str | None = None
    """The grace condition: count only arrangements led on whose start date the lead held
    this credential (``HeldAt``); an unknown start or an undetermined credential then is unknown."""


@dataclass(frozen=True)
class PeerPosition:
    """A provider's position among its peer group: the providers with its value of the attribute
    ``among`` whose ``base`` value is known on the as-of date (missing and stale values excluded).

    ``percentile``: SQL's ``PERCENT_RANK``, (members strictly below) / (size - 1), 0 the lowest and
    1 the highest; ``rank``: 1 + (members strictly above), 1 the highest.  Ties share a position
    (pandas ``rank(method="min")``).  Missing when the provider's ``base`` or ``among`` is missing,
    or its group has fewer than 2 members (with ``minimum``, fewer than ``minimum``).  Its
    :class:`Derived` also has the columns ``base`` (the provider's value), ``group`` (its value of
    ``among``) and ``size`` (how many members the group has), each NA where not known."""

    func: Literal["percentile", "rank"]
    base: AttributeValue | LatestMeasure | WindowAggregate | ArrangementCount
    among: str
    minimum: float | None = None


HeldAt = Callable[[str, dt.date, np.ndarray], np.ndarray]
"""``held_at(credential, date, pids)``: the decision of ``credential`` as of ``date`` for the
providers ``pids`` (ids of this bundle), aligned with them (0 refused, 1 granted, 2 undetermined),
decided without grace."""


ValueRequest = AttributeValue | LatestMeasure | WindowAggregate | StatusActive | ArrangementCount | PeerPosition


def subtract_months(d: dt.date, months: int) -> dt.date:
    """``d`` minus ``months`` calendar months, the day clamped to the month's end
    (2016-08-31 minus 6 months is 2016-02-29)."""
    total = d.year * 12 + (d.month - 1) - months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


# --------------------------------------------------------------------------- result


@dataclass
class Derived:
    """One request's answer for every provider of the bundle.

    ``values`` has columns ``code`` and ``value`` (one row per provider, sorted by code;
    ``value`` in a nullable dtype: ``Float64`` for numbers, percents and counts, ``boolean``,
    ``string`` for text and levels, ``datetime64[s]`` for dates; NA = missing).
    ``evidence`` has columns ``code`` (string), ``file`` (category), ``row`` (int64), sorted.
    """

    request: ValueRequest
    as_of: dt.date
    values: pd.DataFrame
    _evidence: pd.DataFrame | Callable[[], pd.DataFrame] = field(repr=False)
    """The evidence frame, or a function that builds it: only proofs read evidence, so a
    plain run never builds it (see :attr:`evidence`)."""
    _positions: dict[str, int] | None = field(default=None, repr=False)
    _evidence_index: dict[str, np.ndarray] | None = field(default=None, repr=False)
    stale: np.ndarray | None = field(default=None, repr=False)
    """With a max age: which providers' evidence is stale (by position); their ``values`` are NA."""
    stale_values: pd.Series | None = field(default=None, repr=False)
    """With a max age: the value each stale provider would have were its evidence recent enough
    (the dtype of ``values``; NA elsewhere)."""
    evidence_date: np.ndarray | None = field(default=None, repr=False)
    """With a max age: each provider's newest evidence date (``datetime64[s]``, NaT: none)."""

    def stale_of(self, code: str) -> tuple[Value | None, dt.date | None] | None:
        """(stale value, its evidence date or None) when this provider's evidence is stale."""
        if self.stale is None or self.stale_values is None or self.evidence_date is None:
            return None
        i = self._pos()[code]
        if not bool(self.stale[i]):
            return None
        date = self.evidence_date[i]
        return _python(self.stale_values.iloc[i]), (None if np.isnat(date) else pd.Timestamp(date).date())

    @property
    def evidence(self) -> pd.DataFrame:
        """Columns ``code`` (string), ``file`` (category), ``row`` (int64), sorted; built on first use."""
        if callable(self._evidence):
            self._evidence = self._evidence()
        return self._evidence

    def _pos(self) -> dict[str, int]:
        if self._positions is None:
            self._positions = {str(c): i for i, c in enumerate(self.values["code"])}
        return self._positions

    def value_of(self, code: str) -> Value | None:
        """The value for one provider as a Python value, None when missing."""
        return _python(self.values["value"].iloc[self._pos()[code]])

    def evidence_of(self, code: str) -> list[tuple[str, int]]:
        """The rows this provider's value rests on, as (file, row), sorted."""
        if self._evidence_index is None:
            self._evidence_index = {str(k): v for k, v in self.evidence.groupby("code", sort=False).indices.items()}
        idx = self._evidence_index.get(code)
        if idx is None:
            return []
        sub = self.evidence.iloc[idx]
        return [(str(f), int(r)) for f, r in zip(sub["file"], sub["row"], strict=True)]

    def to_dict(self) -> dict[str, Value | None]:
        return {str(c): _python(v) for c, v in zip(self.values["code"], self.values["value"], strict=True)}

    def frame(self) -> pd.DataFrame:
        """``code``, ``value``, ``evidence`` (a list of (file, row) per provider)."""
        ev = {c: self.evidence_of(c) for c in self._pos()} if len(self.evidence) else {}
        out = self.values.copy()
        out["evidence"] = [ev.get(str(c), []) for c in out["code"]]
        return out


def _python(v: object) -> Value | None:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating) and np.isnan(v):
        return None
    if isinstance(v, np.datetime64):
        return None if np.isnat(v) else pd.Timestamp(v).date()
    if isinstance(v, pd.Timestamp):
        day: dt.date = v.date()
        return day
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | float | np.integer | np.floating):
        return float(v)
    if isinstance(v, dt.date):
        return v
    return str(v)


# --------------------------------------------------------------------------- preparation


def _codes(bundle: Bundle) -> pd.Index:
    key = ("codes",)
    if key not in bundle._cache:
        bundle._cache[key] = pd.Index(bundle.provider_codes, dtype=object)
    idx = bundle._cache[key]
    assert isinstance(idx, pd.Index)
    return idx


_CODE_FORMS: dict[int, tuple[pd.Index, pa.Array, pd.Series]] = {}


def _code_forms(codes: pd.Index) -> tuple[pa.Array, pd.Series]:
    """The bundle's provider codes as a pyarrow lookup set and as a ``string`` Series (built once)."""
    hit = _CODE_FORMS.get(id(codes))
    if hit is not None and hit[0] is codes:
        return hit[1], hit[2]
    arr = pa.array(np.asarray(codes, dtype=object), type=pa.large_string())
    series = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr])), dtype="string")
    _CODE_FORMS.clear()
    _CODE_FORMS[id(codes)] = (codes, arr, series)
    return arr, series


def _value_set(codes: pd.Index) -> pa.Array:
    return _code_forms(codes)[0]


def _pid(codes: pd.Index, s: pd.Series) -> np.ndarray:
    """Provider index of each code (-1: not a provider, or missing), by a pyarrow hash lookup."""
    if len(s) == 0:
        return np.zeros(0, dtype=np.int64)
    value_set = _value_set(codes)
    found = pc.index_in(as_arrow(s), value_set=value_set)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _table_pid(bundle: Bundle, table: str, column: str) -> np.ndarray:
    """``_pid`` of a column of one of the bundle's tables, computed once per bundle."""
    key = ("pid", table, column)
    cached = bundle._cache.get(key)
    if not isinstance(cached, np.ndarray):
        cached = _pid(_codes(bundle), getattr(bundle, table)[column])
        bundle._cache[key] = cached
    return cached


def _table_files(bundle: Bundle, table: str) -> pd.Categorical:
    """The ``file`` column of one of the bundle's tables as a categorical, built once per bundle."""
    key = ("files", table)
    cached = bundle._cache.get(key)
    if not isinstance(cached, pd.Categorical):
        cached = pd.Categorical(getattr(bundle, table)["file"].astype(str))
        bundle._cache[key] = cached
    return cached


def _measure_type(bundle: Bundle, measure: str) -> ValueType:
    try:
        return bundle.spec.measures[measure]
    except KeyError:
        raise KeyError(f"measure {measure!r} is not declared by the policy") from None


OBSERVATION_ENCODINGS = ("code", "measure", "value")
"""Columns of ``bundle.observations`` whose :class:`~credential.data.parse.Encoded` form (of the
cells as written, one code per row of the table) validation leaves in ``bundle._cache`` under
``("encoded", "observations", column)``: it has computed them anyway, and the derivation then
works on a few thousand distinct cells instead of millions of rows."""


def _encoded(bundle: Bundle, column: str) -> Encoded | None:
    """The encoded ``column`` of the observations: validation's, else (a text column) computed here."""
    key = ("encoded", "observations", column)
    hit = bundle._cache.get(key)
    if isinstance(hit, Encoded):
        return hit
    if column == "value":  # the bundle holds runtime values, not the cells: only validation knows them
        return None
    s = bundle.observations[column]
    enc = encode(s) if len(s) else Encoded(np.zeros(0, dtype=np.int32), pa.array([], type=pa.large_string()))
    bundle._cache[key] = enc
    return enc


def _observation_index(bundle: Bundle) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Once per bundle: the observation rows of each measure and each row's provider index.

    Returns ``(rows by measure, pid per row, the period end and row columns as numpy arrays)``;
    a row whose code is not a provider has pid -1.  One pass over the table serves every
    measure: rows are ordered by their measure's code with a stable sort of small integers (a
    radix sort), and each distinct provider code is looked up once.
    """
    key = ("obs-index",)
    cached = bundle._cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    obs = bundle.observations
    measure = _encoded(bundle, "measure")
    assert measure is not None
    names = [str(m) for m in measure.uniques.to_pylist()]
    small = np.int8 if len(names) < 127 else np.int16 if len(names) < 32767 else np.int64
    mcodes = measure.codes.astype(small)
    order = np.argsort(mcodes, kind="stable")  # a missing measure (-1) sorts first and belongs to none
    bounds = np.searchsorted(mcodes[order], np.arange(len(names) + 1))
    by_measure = {m: order[bounds[i] : bounds[i + 1]] for i, m in enumerate(names)}
    code = _encoded(bundle, "code")
    assert code is not None
    found = pc.index_in(code.uniques, value_set=_value_set(_codes(bundle)))
    per_code = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    pid = code.expand(per_code, -1)
    columns = {
        "pe": obs["period_end"].to_numpy(dtype=DATE_DTYPE),
        "row": obs["row"].to_numpy(dtype=np.int64),
    }
    out = (by_measure, pid, columns)
    bundle._cache[key] = out
    return out


def _observation_files(bundle: Bundle) -> pd.Categorical:
    """The observations' ``file`` column as a categorical (evidence only: built on first use)."""
    key = ("obs-files",)
    cached = bundle._cache.get(key)
    if not isinstance(cached, pd.Categorical):
        cached = pd.Categorical(bundle.observations["file"])
        bundle._cache[key] = cached
    return cached


@dataclass(frozen=True)
class _Observations:
    """One measure's observations, sorted by (pid, pe, row), as numpy arrays of equal length."""

    idx: np.ndarray
    """Each row's position in ``bundle.observations``."""
    pid: np.ndarray
    pe: np.ndarray
    """datetime64[s]"""
    row: np.ndarray
    num: np.ndarray
    """float: the values for aggregation (a scale's levels as ranks), NaN when missing"""
    numer: np.ndarray
    denom: np.ndarray
    """float: each row's numerator and denominator (NaN when not given)"""

    def values(self, bundle: Bundle, sel: np.ndarray, t: ValueType) -> np.ndarray:
        """The runtime values (object, None when missing) of the rows ``sel``, as they are (a
        scale's levels read from their ranks when every present cell is a level)."""
        cells = _encoded(bundle, "value")
        if isinstance(t, ScaleType) and cells is not None:
            ranks = self.num[sel]
            missing = np.isnan(ranks)
            if not (missing & (cells.codes[self.idx[sel]] >= 0)).any():
                levels = np.array([*t.levels, None], dtype=object)
                by_rank: np.ndarray = levels[np.where(missing, len(t.levels), ranks).astype(np.int64)]
                return by_rank
        out: np.ndarray = bundle.observations["value"].to_numpy(dtype=object)[self.idx[sel]]
        return out

    def evidence(self, bundle: Bundle, sel: np.ndarray) -> pd.DataFrame:
        """``pid``, ``file`` (categorical), ``row`` of the rows ``sel`` (positions in these arrays)."""
        files = _observation_files(bundle)
        return pd.DataFrame(
            {
                "pid": self.pid[sel],
                "file": pd.Categorical.from_codes(np.asarray(files.codes)[self.idx[sel]], categories=files.categories),
                "row": self.row[sel],
            }
        )


def _observations(bundle: Bundle, measure: str) -> _Observations:
    """One measure's observations of the bundle's providers, sorted by (pid, pe, row)."""
    key = ("obs", measure)
    cached = bundle._cache.get(key)
    if isinstance(cached, _Observations):
        return cached
    t = _measure_type(bundle, measure)
    by_measure, pid_all, columns = _observation_index(bundle)
    idx = by_measure.get(measure, np.zeros(0, dtype=np.int64))
    pid = pid_all[idx]
    known = pid >= 0
    if not known.all():  # rows of codes that are not providers are left out (copied only if any)
        idx, pid = idx[known], pid[known]
    pe = columns["pe"][idx]
    row = columns["row"][idx]
    if not _sorted_by(pid, pe.view(np.int64), row):
        order = np.lexsort((row, pe.view(np.int64), pid))
        idx, pid, pe, row = idx[order], pid[order], pe[order], row[order]
    cells = _encoded(bundle, "value")
    if cells is not None:  # each distinct cell converted once (for every measure of its kind)
        kind = ("numeric_cells", "number") if isinstance(t, NumberType | PercentType) else ("numeric_cells", repr(t))
        per_cell = bundle._cache.get(kind)
        if not isinstance(per_cell, np.ndarray):
            per_cell = np.append(_numeric_cells(cells, t), np.nan)  # the last for a missing cell (code -1)
            bundle._cache[kind] = per_cell
        num = per_cell[cells.codes[idx]]
    else:
        num = _numeric(bundle.observations["value"].to_numpy(dtype=object)[idx], t)
    counts = [
        bundle.observations[c].to_numpy(dtype=float)[idx] if c in bundle.observations else np.full(len(idx), np.nan)
        for c in ("numerator", "denominator")
    ]
    out = _Observations(idx, pid, pe, row, num, counts[0], counts[1])
    bundle._cache[key] = out
    return out


def _numeric_cells(cells: Encoded, t: ValueType) -> np.ndarray:
    """:func:`_numeric` of the runtime values of the distinct cells ``cells.uniques`` (as
    validation converts them: :func:`credential.data.parse.python_values`)."""
    if isinstance(t, NumberType | PercentType):
        return np.asarray(parse_number(cells.series()).to_numpy(dtype=float), dtype=float)
    if isinstance(t, ScaleType):
        found = pc.index_in(cells.uniques, value_set=pa.array(list(t.levels), type=pa.large_string()))
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=float)
    return np.full(len(cells.uniques), np.nan)


def _no_values(n: int, t: ValueType) -> np.ndarray:
    """``n`` missing values: NaN in a float array for numbers (what :func:`_typed` makes of
    Python floats and None), None in an object array otherwise."""
    if isinstance(t, NumberType | PercentType):
        return np.full(n, np.nan)
    values = np.empty(n, dtype=object)
    values[:] = None
    return values


def _groups(pid: np.ndarray) -> np.ndarray:
    """Where each run of equal (sorted) provider ids starts: True at the first row of a run."""
    starts = np.ones(len(pid), dtype=bool)
    starts[1:] = pid[1:] != pid[:-1]
    return starts


def _sorted_by(*keys: np.ndarray, strict: bool = False) -> bool:
    """Whether rows are already in lexicographic order of ``keys`` (checked in one pass); with
    ``strict``, also whether no two rows are equal on every key."""
    if len(keys[0]) < 2:
        return True
    undecided = np.ones(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        step = np.diff(key)
        if (undecided & (step < 0)).any():
            return False
        undecided &= step == 0
    return not (strict and undecided.any())


def _numeric(v: np.ndarray, t: ValueType) -> np.ndarray:
    """Values as floats for aggregation (a scale's levels as their rank); NaN when missing."""
    if isinstance(t, NumberType | PercentType):
        return np.array(v, dtype=float)  # None -> NaN
    if isinstance(t, ScaleType):
        return level_ranks(v, t.levels)
    return np.full(len(v), np.nan)


def level_ranks(v: np.ndarray, levels: Sequence[str]) -> np.ndarray:
    """Each value's rank among ``levels`` as a float; NaN for a missing or unknown value."""
    try:
        found = pc.index_in(pa.array(v, type=pa.string()), value_set=pa.array(list(levels), type=pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all strings: one by one
        ranks = {level: float(i) for i, level in enumerate(levels)}
        return np.fromiter((ranks.get(x, np.nan) if isinstance(x, str) else np.nan for x in v), float, len(v))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=float)


def _wild(s: pd.Series) -> np.ndarray:
    return np.asarray(s.isna().to_numpy(), dtype=bool)


def _spread(codes: pd.Index, code_col: pd.Series, mask: np.ndarray) -> tuple[np.ndarray, bool]:
    """Providers hit by the selected quarantined rows: (pids, whether a row hits everyone)."""
    sel = code_col[mask]
    wildcard = bool(sel.isna().any())
    pids = _pid(codes, sel)
    return np.unique(pids[pids >= 0]), wildcard


def _typed(values: np.ndarray, t: ValueType | str) -> pd.Series:
    """An object array of Python values (None = missing), or for numbers and counts a float
    array (NaN = missing), in the result's nullable dtype."""
    if t == "count" or isinstance(t, NumberType | PercentType):
        try:  # None -> NaN -> NA, without a Python conversion per value
            return pd.Series(pd.array(np.array(values, dtype=float), dtype="Float64"))
        except (TypeError, ValueError):
            pass
    s = pd.Series(values, dtype=object)
    if t == "count" or isinstance(t, NumberType | PercentType):
        return s.astype("Float64")
    if isinstance(t, BoolType):
        return s.astype("boolean")
    if isinstance(t, DateType):
        return pd.Series(pd.to_datetime(s.where(s.notna(), None)).to_numpy(dtype="datetime64[us]").astype(DATE_DTYPE))
    try:  # str and None only: straight to Arrow (what astype("string") gives, without its checks per value)
        arrow = pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return s.astype("string")
    return pd.Series(pd.array(pa.chunked_array([arrow]), dtype="string"))


Evidence = Callable[[], list[pd.DataFrame]]
"""The parts of a request's evidence (frames of ``pid``, ``file``, ``row``), built on demand."""


def _result(
    request: ValueRequest,
    as_of: dt.date,
    codes: pd.Index,
    values: np.ndarray | pd.Series,
    t: ValueType | str,
    evidence: Evidence,
) -> Derived:
    """``values``: Python values or floats (see :func:`_typed`), or a Series already typed."""
    _arr, code_strings = _code_forms(codes)
    typed = values if isinstance(values, pd.Series) else _typed(values, t)
    vals = pd.DataFrame({"code": code_strings, "value": typed})
    return Derived(request, as_of, vals, lambda: _evidence_frame(codes, evidence()))


def _evidence_frame(codes: pd.Index, evidence: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts as one frame: ``code``, ``file`` (categories sorted by name), ``row``; sorted by
    (provider, file, row), each row once."""
    _arr, code_strings = _code_forms(codes)
    parts = [e[["pid", "file", "row"]] for e in evidence if len(e)]
    if not parts:
        return pd.DataFrame(
            {
                "code": pd.Series([], dtype="string"),
                "file": pd.Categorical([]),
                "row": pd.Series([], dtype="int64"),
            }
        )
    from pandas.api.types import union_categoricals

    # categories sorted by name
    files = union_categoricals([_categorical(e["file"]) for e in parts], sort_categories=True)
    pid = np.concatenate([e["pid"].to_numpy(dtype=np.int64) for e in parts])
    f = np.asarray(files.codes, dtype=np.int64)
    row = np.concatenate([e["row"].to_numpy(dtype=np.int64) for e in parts])
    if not _sorted_by(pid, f, row, strict=True):  # (one part is usually in order already, each row once)
        key = pd.DataFrame({"pid": pid, "f": f, "row": row})
        key = key.drop_duplicates().sort_values(["pid", "f", "row"], kind="stable")
        pid, f, row = (key[c].to_numpy(dtype=np.int64) for c in ("pid", "f", "row"))
    return pd.DataFrame(
        {
            "code": code_strings.take(pid).reset_index(drop=True),
            "file": pd.Categorical.from_codes(f, categories=files.categories),
            "row": row,
        }
    )


def _categorical(s: pd.Series) -> pd.Categorical:
    """File names as a categorical with plain ``object`` categories (so that parts can be united)."""
    c = pd.Categorical(s) if isinstance(s.dtype, pd.CategoricalDtype) else pd.Categorical(s.astype(str))
    return pd.Categorical.from_codes(c.codes, categories=pd.Index([str(x) for x in c.categories], dtype=object))


def _q_evidence(q: pd.DataFrame, mask: np.ndarray, code_col: str, codes: pd.Index, hit: np.ndarray) -> pd.DataFrame:
    """Evidence rows for quarantined rows, one per provider they made missing."""
    sel = q[mask]
    if sel.empty or not len(hit):
        return pd.DataFrame({"pid": [], "file": [], "row": []})
    pids = _pid(codes, sel[code_col])
    hit_set = np.zeros(len(codes), dtype=bool)
    hit_set[hit] = True
    rows = []
    wild = sel[code_col].isna().to_numpy()
    direct = (pids >= 0) & ~wild
    if direct.any():
        keep = direct & hit_set[np.where(pids >= 0, pids, 0)]
        rows.append(
            pd.DataFrame(
                {
                    "pid": pids[keep],
                    "file": sel["file"].astype(str).to_numpy()[keep],
                    "row": sel["row"].to_numpy()[keep],
                }
            )
        )
    if wild.any():
        w = sel[wild]
        rep = np.repeat(hit, len(w))
        rows.append(
            pd.DataFrame(
                {
                    "pid": rep,
                    "file": np.tile(w["file"].astype(str).to_numpy(dtype=object), len(hit)),
                    "row": np.tile(w["row"].to_numpy(dtype=np.int64), len(hit)),
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({"pid": [], "file": [], "row": []})


def pid_of(codes: pd.Index, code: str) -> int:
    """The provider index of one code (-1: not a provider)."""
    return int(_pid(codes, pd.Series([code], dtype="string"))[0])


def _hit_mask(n: int, pids: np.ndarray, wildcard: bool) -> np.ndarray:
    hit = np.ones(n, dtype=bool) if wildcard else np.zeros(n, dtype=bool)
    hit[pids] = True
    return hit


# --------------------------------------------------------------------------- requests


def _attribute(bundle: Bundle, req: AttributeValue, as_of: dt.date) -> Derived:
    codes = _codes(bundle)
    p = bundle.providers
    if req.name not in p.columns or req.name in ("file", "row"):
        raise KeyError(f"attribute {req.name!r} is not declared by the policy")
    t: ValueType = bundle.spec.attributes.get(req.name, TextType())
    pid = _table_pid(bundle, "providers", "code")
    col = p[req.name]
    present = col.notna().to_numpy(dtype=bool)
    qp = bundle.quarantine.providers
    qev = pd.DataFrame(
        {
            "pid": _pid(codes, qp["code"]),
            "file": qp["file"].astype(str).to_numpy(dtype=object),
            "row": qp["row"].to_numpy(),
        }
    )
    values: np.ndarray | pd.Series
    text = isinstance(col.dtype, pd.StringDtype) and not isinstance(t, NumberType | PercentType | BoolType | DateType)
    if text or (isinstance(col.dtype, pd.BooleanDtype) and isinstance(t, BoolType)):
        # Each provider's cell taken by position (the row of its code, or none: missing), in
        # the column's own dtype, which is the result's: no Python object per cell.
        source = np.full(len(codes), -1, dtype=np.int64)
        source[pid[present]] = np.flatnonzero(present)
        source[qev["pid"].to_numpy(dtype=np.int64)] = -1
        if text:
            taken = as_arrow(col).take(pa.array(source, mask=source < 0))
            values = pd.Series(pd.array(pa.chunked_array([taken.combine_chunks()]), dtype="string"))
        else:
            values = pd.Series(col.array.take(source, allow_fill=True))
    else:
        values = np.empty(len(codes), dtype=object)
        values[:] = None
        if isinstance(t, DateType):
            py = col.dt.date.to_numpy(dtype=object)
        else:
            py = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
        values[pid[present]] = py[present]
        if len(qev):
            values[qev["pid"].to_numpy(dtype=np.int64)] = None

    def evidence() -> list[pd.DataFrame]:
        rows = pd.DataFrame({"pid": pid, "file": _table_files(bundle, "providers"), "row": p["row"].to_numpy()})
        return [rows, qev]

    return _result(req, as_of, codes, values, t, evidence)


def _with_age(d: Derived, months: int | None, as_of: dt.date, newest: np.ndarray) -> Derived:
    """Mark evidence older than ``months`` on ``as_of`` stale: its value moves to ``stale_values``.

    ``newest``: each provider's newest evidence date (``datetime64[s]``, NaT: no evidence), which
    must be after ``subtract_months(as_of, months)``."""
    if months is None:
        return d
    cutoff = to_date(subtract_months(as_of, months))
    stale = np.isnat(newest) | (newest <= cutoff)
    values = d.values["value"]
    known = values.notna().to_numpy(dtype=bool)
    stale &= known  # a value missing anyway (no evidence, an empty cell, quarantine) stays plain missing
    keep = pd.Series(~stale)
    d.stale_values = values.where(~keep, pd.NA) if len(values) else values.copy()
    d.values = d.values.assign(value=values.where(keep, pd.NA))
    d.stale = stale
    d.evidence_date = newest
    return d


def _newest(n: int, pid: np.ndarray, pe: np.ndarray) -> np.ndarray:
    """Each provider's newest date among rows (``pid``, ``pe``), NaT where it has none."""
    out = np.full(n, np.datetime64("NaT"), dtype=DATE_DTYPE)
    if len(pid):
        secs = pe.astype(np.int64)
        best = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(best, pid, secs)
        has = best > np.iinfo(np.int64).min
        out[has] = best[has].astype(DATE_DTYPE)
    return out


def _latest(bundle: Bundle, req: LatestMeasure, as_of: dt.date) -> Derived:
    codes = _codes(bundle)
    n = len(codes)
    t = _measure_type(bundle, req.measure)
    obs = _observations(bundle, req.measure)
    asof = to_date(as_of)
    # The rows dated on or before as_of, still sorted by (pid, pe, row): a provider's rows are one
    # run, its latest date is the run's last, and the rows at that date end the run.
    sel = np.flatnonzero(obs.pe <= asof)
    pid, pe = obs.pid[sel], obs.pe[sel]
    starts = _groups(pid)
    ends = np.ones(len(pid), dtype=bool)
    ends[:-1] = starts[1:]
    latest_pid, latest_pe = pid[ends], pe[ends]
    at = pe == latest_pe[np.cumsum(starts) - 1]  # at the provider's latest date
    first = at.copy()  # the first row at it (the lowest row number)
    first[1:] &= starts[1:] | ~at[:-1]
    values = _no_values(n, t)
    if values.dtype == object:
        values[pid[first]] = obs.values(bundle, sel[first], t)
    else:  # numbers: the floats the runtime values are (None is NaN)
        values[pid[first]] = obs.num[sel[first]]

    # A quarantined row of this measure dated on or after the latest (or undated) could be the latest.
    q = bundle.quarantine.observations
    quarantined: list[pd.DataFrame] = []
    if len(q):
        qpe = q["period_end"].to_numpy(dtype=DATE_DTYPE)
        m = (_wild(q["measure"]) | (q["measure"] == req.measure).fillna(False).to_numpy(dtype=bool)) & (
            np.isnat(qpe) | (qpe <= asof)
        )
        if m.any():
            # Compare as integer seconds: no observation = -inf, an undated quarantined row = +inf.
            lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
            latest_arr = np.full(n, lo, dtype=np.int64)
            latest_arr[latest_pid] = latest_pe.astype(np.int64)
            q_sec = np.where(np.isnat(qpe), hi, qpe.astype(np.int64))
            qmax = np.full(n, lo, dtype=np.int64)
            wild = _wild(q["code"])
            qpids = _pid(codes, q["code"])
            direct = m & ~wild & (qpids >= 0)
            np.maximum.at(qmax, qpids[direct], q_sec[direct])
            if (m & wild).any():
                qmax = np.maximum(qmax, q_sec[m & wild].max())
            hit_ids = np.flatnonzero((qmax > lo) & (qmax >= latest_arr))
            values[hit_ids] = None
            quarantined.append(_q_evidence(q, m, "code", codes, hit_ids))
    d = _result(req, as_of, codes, values, t, lambda: [obs.evidence(bundle, sel[at]), *quarantined])
    return _with_age(d, req.max_age_months, as_of, _newest(n, latest_pid, latest_pe))


def _window(bundle: Bundle, req: WindowAggregate, as_of: dt.date) -> Derived:
    codes = _codes(bundle)
    n = len(codes)
    t = _measure_type(bundle, req.measure)
    if req.agg not in ("mean", "min", "max", "count", "pooled"):
        raise ValueError(f"unknown aggregate {req.agg!r}")
    if req.agg == "pooled" and not isinstance(t, PercentType):
        raise ValueError(f"pooled {req.measure} ({t}) is not defined")
    if req.agg == "mean" and not isinstance(t, NumberType | PercentType):
        raise ValueError(f"mean of {req.measure} ({t}) is not defined")
    if req.agg in ("min", "max") and not isinstance(t, NumberType | PercentType | ScaleType):
        raise ValueError(f"{req.agg} of {req.measure} ({t}) is not defined")
    obs = _observations(bundle, req.measure)
    asof = to_date(as_of)
    start = to_date(subtract_months(as_of, req.months))
    sel = np.flatnonzero((obs.pe > start) & (obs.pe <= asof))  # sorted by (pid, pe, row)
    pid = obs.pid[sel]
    values = _no_values(n, t)
    denominators: np.ndarray | None = None
    numerators: np.ndarray | None = None
    if req.agg == "count":
        values = np.bincount(pid, minlength=n).astype(float)
        out_t: ValueType | str = "count"
    elif req.agg == "pooled":
        values, numerators, denominators = _pooled(obs, sel, pid, n, req.minimum)
        out_t = t
    else:
        num = obs.num[sel]
        starts = np.flatnonzero(_groups(pid))
        if len(starts):
            has_missing = np.logical_or.reduceat(np.isnan(num), starts)
            # pandas' grouped aggregate (its summation for the mean), one group per provider in id order
            agg = getattr(pd.Series(num).groupby(pid, sort=True), req.agg)()
            ok = ~has_missing
            pids = pid[starts][ok]
            nums = agg.to_numpy(dtype=float)[ok]
            if isinstance(t, ScaleType):
                levels = np.array(t.levels, dtype=object)
                values[pids] = levels[nums.astype(np.int64)]
            else:
                values[pids] = nums
        out_t = t
    q = bundle.quarantine.observations
    quarantined: list[pd.DataFrame] = []
    if len(q):
        qpe = q["period_end"].to_numpy(dtype=DATE_DTYPE)
        m = (_wild(q["measure"]) | (q["measure"] == req.measure).fillna(False).to_numpy(dtype=bool)) & (
            np.isnat(qpe) | ((qpe > start) & (qpe <= asof))
        )
        if m.any():
            pids_hit, wildcard = _spread(codes, q["code"], m)
            hit = np.flatnonzero(_hit_mask(n, pids_hit, wildcard))
            values[hit] = None
            if denominators is not None and numerators is not None:
                denominators[hit] = np.nan
                numerators[hit] = np.nan
            quarantined.append(_q_evidence(q, m, "code", codes, hit))
    result = _result(req, as_of, codes, values, out_t, lambda: [obs.evidence(bundle, sel), *quarantined])
    if denominators is not None and numerators is not None:
        result.values["numerator"] = pd.array(numerators, dtype="Float64")  # NaN becomes NA
        result.values["denominator"] = pd.array(denominators, dtype="Float64")
    return _with_age(result, req.max_age_months, as_of, _newest(n, pid, obs.pe[sel]))


def _pooled(
    obs: _Observations, sel: np.ndarray, pid: np.ndarray, n: int, minimum: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled rates, numerator and denominator sums per provider (NaN: not known) of the rows ``sel``."""
    values = np.full(n, np.nan)
    numerators = np.full(n, np.nan)
    denominators = np.full(n, np.nan)
    starts = np.flatnonzero(_groups(pid))
    if not len(starts):
        return values, numerators, denominators
    nu, de = obs.numer[sel], obs.denom[sel]
    incomplete = np.logical_or.reduceat(np.isnan(nu) | np.isnan(de), starts)
    # math.fsum-like accuracy is not needed: counts are whole numbers well below 2**53
    sum_n = np.add.reduceat(np.nan_to_num(nu), starts)
    sum_d = np.add.reduceat(np.nan_to_num(de), starts)
    pids = pid[starts]
    complete = ~incomplete
    numerators[pids[complete]] = sum_n[complete]
    denominators[pids[complete]] = sum_d[complete]
    ok = complete & (sum_d > 0)
    if minimum is not None:
        ok &= sum_d >= minimum
    values[pids[ok]] = sum_n[ok] / sum_d[ok]
    return values, numerators, denominators


def _status(bundle: Bundle, req: StatusActive, as_of: dt.date) -> Derived:
    codes = _codes(bundle)
    n = len(codes)
    asof = to_date(as_of)
    st = bundle.statuses
    of_status = (st["status"] == req.status).fillna(False).to_numpy(dtype=bool)
    pid = _table_pid(bundle, "statuses", "code")[of_status]
    st = st[of_status]
    start = st["start"].to_numpy(dtype=DATE_DTYPE)
    end = st["end"].to_numpy(dtype=DATE_DTYPE)
    active = (start <= asof) & (np.isnat(end) | (end > asof))
    frame = pd.DataFrame(
        {"pid": pid, "file": st["file"].astype(str).to_numpy(dtype=object), "row": st["row"].to_numpy()}
    )
    frame = frame[pid >= 0]
    active = active[pid >= 0]
    is_active = np.zeros(n, dtype=bool)
    is_active[frame["pid"].to_numpy(dtype=np.int64)[active]] = True
    unknown = np.zeros(n, dtype=bool)
    # Evidence: the active rows when active; otherwise every (inactive) row of the status.
    ev = frame[active | ~is_active[frame["pid"].to_numpy(dtype=np.int64)]]
    evidence: list[pd.DataFrame] = [ev]
    q = bundle.quarantine.statuses
    if len(q):
        qs, qe = q["start"].to_numpy(dtype=DATE_DTYPE), q["end"].to_numpy(dtype=DATE_DTYPE)
        m = (
            (_wild(q["status"]) | (q["status"] == req.status).fillna(False).to_numpy(dtype=bool))
            & (np.isnat(qs) | (qs <= asof))
            & (np.isnat(qe) | (qe > asof))
        )
        if m.any():
            pids_hit, wildcard = _spread(codes, q["code"], m)
            hit = _hit_mask(n, pids_hit, wildcard) & ~is_active
            hit_ids = np.flatnonzero(hit)
            unknown[hit_ids] = True
            evidence.append(_q_evidence(q, m, "code", codes, hit_ids))
    covering = covering_rows(bundle, req.status, as_of)
    if len(covering):  # the list that says "not active" is evidence of the providers it clears
        cleared = np.flatnonzero(~is_active & ~unknown)
        evidence.append(
            pd.DataFrame(
                {
                    "pid": np.repeat(cleared, len(covering)),
                    "file": np.tile(covering["file"].astype(str).to_numpy(dtype=object), len(cleared)),
                    "row": np.tile(covering["row"].to_numpy(dtype=np.int64), len(cleared)),
                }
            )
        )
    else:  # open world: no list covers the date, so no row means "not known", not "not active"
        unknown |= ~is_active
    # true, false, or missing (NA) where a quarantined row could have made it active
    values = pd.Series(pd.arrays.BooleanArray(is_active & ~unknown, unknown))
    return _result(req, as_of, codes, values, BoolType(), lambda: evidence)


def covering_rows(bundle: Bundle, status: str, as_of: dt.date) -> pd.DataFrame:
    """The ``coverage`` rows (``file``, ``row``) whose period covers ``as_of`` for ``status``."""
    cov = bundle.coverage
    if not len(cov):
        return cov[["file", "row"]]
    asof = to_date(as_of)
    start = cov["start"].to_numpy(dtype=DATE_DTYPE)
    end = cov["end"].to_numpy(dtype=DATE_DTYPE)
    m = (cov["status"] == status).fillna(False).to_numpy(dtype=bool) & (start <= asof) & (np.isnat(end) | (end > asof))
    return cov[m][["file", "row"]]


def status_covered(bundle: Bundle, status: str, as_of: dt.date) -> bool:
    """Whether a list of ``status`` is declared complete on ``as_of`` (``coverage`` table)."""
    return len(covering_rows(bundle, status, as_of)) > 0


def _held(bundle: Bundle, req: ArrangementCount, as_of: dt.date, held_at: HeldAt | None) -> Derived:
    """The grace condition's value: arrangements led, active on ``as_of`` (of the form, started
    within the period), whose lead held ``req.held`` as of the arrangement's start.

    Missing (unknown) where no arrangement certainly counts but one might: its start is empty
    (so whether it is active or in the period is not known), or the credential was undetermined
    on its start date, or a quarantined row could be one.  Without ``held_at`` (deciding as of a
    start date) every count is 0: grace does not chain."""
    assert req.held is not None
    codes = _codes(bundle)
    n = len(codes)
    asof = to_date(as_of)
    cutoff = to_date(subtract_months(as_of, req.within_months)) if req.within_months is not None else None
    a = bundle.arrangements
    start = a["start"].to_numpy(dtype=DATE_DTYPE)
    end = a["end"].to_numpy(dtype=DATE_DTYPE)
    running = np.isnat(end) | (end > asof)
    if req.form is not None:
        running &= (a["form"] == req.form).fillna(False).to_numpy(dtype=bool)
    in_period = (start <= asof) & ((start > cutoff) if cutoff is not None else True)
    undated = np.isnat(start)
    pid = _table_pid(bundle, "arrangements", "lead")
    cand = running & (in_period | undated) & (pid >= 0)
    kept = np.zeros(n, dtype=np.int64)
    maybe = np.zeros(n, dtype=bool)
    if held_at is not None:
        rows = np.flatnonzero(cand)
        maybe[pid[rows[undated[rows]]]] = True
        dated = rows[~undated[rows]]
        for day in np.unique(start[dated]):
            at = dated[start[dated] == day]
            truth = held_at(req.held, pd.Timestamp(day).date(), pid[at])
            np.add.at(kept, pid[at][truth == 1], 1)
            maybe[pid[at][truth == 2]] = True
    values = kept.astype(float)
    values[maybe & (kept == 0)] = np.nan
    frame = pd.DataFrame(
        {"pid": pid[cand], "file": _table_files(bundle, "arrangements")[cand], "row": a["row"].to_numpy()[cand]}
    )
    evidence: list[pd.DataFrame] = [frame]
    q = bundle.quarantine.arrangements
    if len(q) and held_at is not None:
        qs, qe = q["start"].to_numpy(dtype=DATE_DTYPE), q["end"].to_numpy(dtype=DATE_DTYPE)
        could_start = np.isnat(qs) | ((qs <= asof) & ((qs > cutoff) if cutoff is not None else True))
        m = could_start & (np.isnat(qe) | (qe > asof))
        if req.form is not None:
            m &= _wild(q["form"]) | (q["form"] == req.form).fillna(False).to_numpy(dtype=bool)
        if m.any():
            pids_hit, wildcard = _spread(codes, q["lead"], m)
            hit_ids = np.flatnonzero(_hit_mask(n, pids_hit, wildcard) & (kept == 0))
            values[hit_ids] = np.nan
            evidence.append(_q_evidence(q, m, "lead", codes, hit_ids))
    return _result(req, as_of, codes, values, "count", lambda: evidence)


def _arrangements(bundle: Bundle, req: ArrangementCount, as_of: dt.date) -> Derived:
    """Arrangements active on the as-of date with the provider in ``req.role``.

    A row with an empty (not known) ``start``, ``form`` or role cell is *uncertain*: when it could
    be counted for a provider (an empty cell matching either way), that provider's count is
    unknown, as for a quarantined row.  An empty role cell can only be one of the row's
    ``parties`` (any provider when the row lists none), never the provider in the other role.
    """
    if req.role not in ("lead", "recipient"):
        raise ValueError(f"role must be 'lead' or 'recipient', not {req.role!r}")
    codes = _codes(bundle)
    n = len(codes)
    asof = to_date(as_of)
    cutoff = to_date(subtract_months(as_of, req.within_months)) if req.within_months is not None else None
    a = bundle.arrangements
    start = a["start"].to_numpy(dtype=DATE_DTYPE)
    end = a["end"].to_numpy(dtype=DATE_DTYPE)
    no_start = np.isnat(start)
    start_ok = (start <= asof) & ((start > cutoff) if cutoff is not None else True)
    open_ = np.isnat(end) | (end > asof)
    form_known = np.ones(len(a), dtype=bool)
    form_ok = np.ones(len(a), dtype=bool)
    if req.form is not None:
        form_known = a["form"].notna().to_numpy(dtype=bool)
        form_ok = (a["form"] == req.form).fillna(False).to_numpy(dtype=bool)
    role_known = a[req.role].notna().to_numpy(dtype=bool)
    pid = _table_pid(bundle, "arrangements", req.role)
    mask = open_ & start_ok & ~no_start & form_ok & role_known
    sel = mask & (pid >= 0)
    files = _table_files(bundle, "arrangements")
    frame = pd.DataFrame({"pid": pid[sel], "file": files[sel], "row": a["row"].to_numpy()[sel]})
    values = np.bincount(frame["pid"].to_numpy(dtype=np.int64), minlength=n).astype(float)
    evidence: list[pd.DataFrame] = [frame]
    # Rows that could be counted had their empty cells one value or another.
    could = open_ & (start_ok | no_start) & (form_ok | ~form_known) & ~mask
    if could.any():
        unknown: list[np.ndarray] = []
        other = "recipient" if req.role == "lead" else "lead"
        other_codes = a[other]
        parties = a["parties"] if "parties" in a.columns else pd.Series(pd.NA, index=a.index, dtype="string")
        row_col = a["row"].to_numpy()
        for i in np.flatnonzero(could):
            if role_known[i]:
                who, determined = pid[i : i + 1][pid[i : i + 1] >= 0], True
            else:
                listed, other_cell = parties.iloc[i], other_codes.iloc[i]
                taken = None if other_cell is None or other_cell is pd.NA else str(other_cell)
                if listed is None or listed is pd.NA:  # any organisation but the other
                    who, determined = np.arange(n, dtype=np.int64), False
                    if taken is not None:
                        who = who[who != pid_of(codes, taken)]
                else:
                    candidates = [c for c in str(listed).split() if c != taken]
                    found = _pid(codes, pd.Series(candidates, dtype="string"))
                    who, determined = found[found >= 0], len(candidates) == 1
            if not len(who):
                continue
            part = pd.DataFrame(
                {
                    "pid": who,
                    "file": pd.Categorical.from_codes(np.full(len(who), files.codes[i]), categories=files.categories),
                    "row": np.full(len(who), row_col[i], dtype=np.int64),
                }
            )
            evidence.append(part)
            if determined and not no_start[i] and form_known[i]:
                values[who] += 1  # the one candidate, and nothing else unknown: counted
            else:
                unknown.append(who)
        if unknown:
            values[np.unique(np.concatenate(unknown))] = None
    q = bundle.quarantine.arrangements
    if len(q):
        qs, qe = q["start"].to_numpy(dtype=DATE_DTYPE), q["end"].to_numpy(dtype=DATE_DTYPE)
        could_start = np.isnat(qs) | ((qs <= asof) & ((qs > cutoff) if cutoff is not None else True))
        m = could_start & (np.isnat(qe) | (qe > asof))
        if req.form is not None:
            m &= _wild(q["form"]) | (q["form"] == req.form).fillna(False).to_numpy(dtype=bool)
        if m.any():
            pids_hit, wildcard = _spread(codes, q[req.role], m)
            hit_ids = np.flatnonzero(_hit_mask(n, pids_hit, wildcard))
            values[hit_ids] = None
            evidence.append(_q_evidence(q, m, req.role, codes, hit_ids))
    return _result(req, as_of, codes, values, "count", lambda: evidence)


def peer_positions(
    func: str, base: np.ndarray, group: pd.Series, minimum: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """(positions, group sizes) of every provider: ``base`` floats (NaN missing), ``group`` the
    provider's group (NA missing); NaN where not known (see :class:`PeerPosition`).  A provider
    with a group has that group's size even when its own value is missing (it is not counted)."""
    n = len(base)
    known = ~np.isnan(base) & group.notna().to_numpy(dtype=bool)
    positions = np.full(n, np.nan)
    sizes = np.full(n, np.nan)
    if not known.any():
        sizes[group.notna().to_numpy(dtype=bool)] = 0.0
        return positions, sizes
    frame = pd.DataFrame({"g": group[known].astype(str).to_numpy(dtype=object), "v": base[known]})
    by = frame.groupby("g", sort=False)["v"]
    size = by.transform("size").to_numpy(dtype=float)
    if func == "percentile":
        below = by.rank(method="min", ascending=True).to_numpy(dtype=float) - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = below / (size - 1)
    else:
        pos = by.rank(method="min", ascending=False).to_numpy(dtype=float)
    enough = size >= max(2.0, minimum if minimum is not None else 0.0)
    idx = np.flatnonzero(known)
    positions[idx[enough]] = pos[enough]
    # every provider with a group (its own value known or not) gets the size of that group
    grouped = group.notna().to_numpy(dtype=bool)
    counts = frame["g"].value_counts()
    names = group[grouped].astype(str)
    sizes[np.flatnonzero(grouped)] = names.map(counts).fillna(0).to_numpy(dtype=float)
    return positions, sizes


def _peer(bundle: Bundle, req: PeerPosition, as_of: dt.date, held_at: HeldAt | None) -> Derived:
    codes = _codes(bundle)
    found = derive(bundle, [req.base, AttributeValue(req.among)], as_of, held_at)
    base, attr = found[req.base], found[AttributeValue(req.among)]
    base_values = base.values["value"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    group = attr.values["value"].astype("string")
    positions, sizes = peer_positions(req.func, base_values, group, req.minimum)

    def evidence() -> list[pd.DataFrame]:
        parts = []
        for d in (base, attr):
            ev = d.evidence
            parts.append(
                pd.DataFrame(
                    {
                        "pid": codes.get_indexer(ev["code"].astype(object)),
                        "file": ev["file"].astype(str).to_numpy(dtype=object),
                        "row": ev["row"].to_numpy(),
                    }
                )
            )
        return parts

    result = _result(req, as_of, codes, positions, "count", evidence)
    result.values["base"] = pd.array(base_values, dtype="Float64")
    result.values["group"] = group.reset_index(drop=True)
    result.values["size"] = pd.array(sizes, dtype="Float64")
    return result


def derive(
    bundle: Bundle, requests: Iterable[ValueRequest], as_of: dt.date, held_at: HeldAt | None = None
) -> dict[ValueRequest, Derived]:
    """Answer every request for every provider of ``bundle`` as of ``as_of`` (``held_at``: see
    :class:`ArrangementCount`)."""
    out: dict[ValueRequest, Derived] = {}
    for req in requests:
        if req in out:
            continue
        if isinstance(req, AttributeValue):
            out[req] = _attribute(bundle, req, as_of)
        elif isinstance(req, LatestMeasure):
            out[req] = _latest(bundle, req, as_of)
        elif isinstance(req, WindowAggregate):
            out[req] = _window(bundle, req, as_of)
        elif isinstance(req, StatusActive):
            out[req] = _status(bundle, req, as_of)
        elif isinstance(req, ArrangementCount) and req.held is not None:
            out[req] = _held(bundle, req, as_of, held_at)
        elif isinstance(req, ArrangementCount):
            out[req] = _arrangements(bundle, req, as_of)
        elif isinstance(req, PeerPosition):
            out[req] = _peer(bundle, req, as_of, held_at)
        else:  # pragma: no cover - exhaustive
            raise TypeError(f"not a value request: {req!r}")
    return out
