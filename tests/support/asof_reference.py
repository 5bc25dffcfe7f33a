"""The as-of derivation as it was before its numpy fast paths (commit 307e9fc), kept as a test oracle.

``tests/data/test_asof_reference.py`` checks that :func:`credential.data.asof.derive` gives exactly
what this version gave (values and evidence frames, dtype for dtype) on generated bundles, clean
and with quarantined rows.  It is a verbatim copy of ``credential/data/asof.py`` at that commit
(pandas group operations, evidence built eagerly); do not optimise it.

The original module docstring follows.

Values as of a date: what each provider's attribute, measure, status or arrangement count is.

:func:`derive` answers a set of :data:`ValueRequest` for every provider of a bundle at once,
with pandas group operations (no Python loop over rows or providers), and keeps for each
answer the rows it rests on (``file``, ``row``) as evidence.  The rules follow the language
spec:

* a measure's value is its latest observation dated on or before the as-of date;
* a window of N months ending on the as-of date holds observations dated *after*
  ``subtract_months(as_of, N)`` and on or before ``as_of`` (the start is excluded);
* a status or arrangement is active when ``start <= as_of`` and ``end`` is empty or after
  ``as_of``;
* missing, never a guess: an empty cell, no observation, an empty window's mean/min/max,
  or a quarantined row that could have changed the answer, all give ``None``.

Evidence for a missing value names the rows that made it missing (quarantined rows, or the
observation with the empty cell), so explanations can say why.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credential.data.asof import (
    ArrangementCount,
    AttributeValue,
    LatestMeasure,
    StatusActive,
    ValueRequest,
    WindowAggregate,
)
from credential.data.bundle import Bundle
from credential.data.parse import DATE_DTYPE, as_arrow, to_date
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


# The request types are the engine's own (so that derive dispatches on them).


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
    evidence: pd.DataFrame
    _positions: dict[str, int] | None = field(default=None, repr=False)
    _evidence_index: dict[str, np.ndarray] | None = field(default=None, repr=False)

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


def _observation_index(
    bundle: Bundle,
) -> tuple[dict[str, np.ndarray], np.ndarray, pd.Categorical, dict[str, np.ndarray]]:
    """Once per bundle: the observation rows of each measure, each provider's index, the files.

    Returns ``(rows by measure, pid per row, file per row as a categorical, the period end, row
    and value columns as numpy arrays)``; a row whose code is not a provider has pid -1.  One
    pass over the table serves every measure.
    """
    key = ("obs-index",)
    cached = bundle._cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    obs = bundle.observations
    measures = pd.Categorical(obs["measure"])
    mcodes = np.asarray(measures.codes, dtype=np.int64)
    order = np.argsort(mcodes, kind="stable")
    bounds = np.searchsorted(mcodes[order], np.arange(len(measures.categories) + 1))
    by_measure = {str(m): order[bounds[i] : bounds[i + 1]] for i, m in enumerate(measures.categories)}
    pid = _pid(_codes(bundle), obs["code"])
    files = pd.Categorical(obs["file"])
    columns = {
        "pe": obs["period_end"].to_numpy(dtype=DATE_DTYPE),
        "row": obs["row"].to_numpy(dtype=np.int64),
        "value": obs["value"].to_numpy(dtype=object),
    }
    out = (by_measure, pid, files, columns)
    bundle._cache[key] = out
    return out


def _observations(bundle: Bundle, measure: str) -> pd.DataFrame:
    """One measure's observations: pid, pe (datetime64[s]), v (object), num (float), file
    (categorical), row; sorted by (pid, pe, row)."""
    key = ("obs", measure)
    cached = bundle._cache.get(key)
    if isinstance(cached, pd.DataFrame):
        return cached
    t = _measure_type(bundle, measure)
    by_measure, pid_all, files, columns = _observation_index(bundle)
    idx = by_measure.get(measure, np.zeros(0, dtype=np.int64))
    idx = idx[pid_all[idx] >= 0]
    pid = pid_all[idx]
    pe = columns["pe"][idx]
    row = columns["row"][idx]
    if not _sorted_by(pid, pe.astype(np.int64), row):
        order = np.lexsort((row, pe.astype(np.int64), pid))
        idx, pid, pe, row = idx[order], pid[order], pe[order], row[order]
    v = columns["value"][idx]
    frame = pd.DataFrame(
        {
            "pid": pid,
            "pe": pe,
            "v": pd.Series(v, dtype=object, copy=False),  # as it is: no inference to str
            "num": _numeric(v, t),
            "file": pd.Categorical.from_codes(np.asarray(files.codes)[idx], categories=files.categories),
            "row": row,
        }
    )
    bundle._cache[key] = frame
    return frame


def _sorted_by(*keys: np.ndarray) -> bool:
    """Whether rows are already in lexicographic order of ``keys`` (checked in one pass)."""
    if len(keys[0]) < 2:
        return True
    undecided = np.ones(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        step = np.diff(key)
        if (undecided & (step < 0)).any():
            return False
        undecided &= step == 0
    return True


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
    """An object array of Python values (None = missing) in the result's nullable dtype."""
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
    return s.astype("string")


def _result(
    request: ValueRequest,
    as_of: dt.date,
    codes: pd.Index,
    values: np.ndarray,
    t: ValueType | str,
    evidence: list[pd.DataFrame],
) -> Derived:
    _arr, code_strings = _code_forms(codes)
    vals = pd.DataFrame({"code": code_strings, "value": _typed(values, t)})
    parts = [e[["pid", "file", "row"]] for e in evidence if len(e)]
    if parts:
        from pandas.api.types import union_categoricals

        # categories sorted by name
        files = union_categoricals([_categorical(e["file"]) for e in parts], sort_categories=True)
        key = pd.DataFrame(
            {
                "pid": np.concatenate([e["pid"].to_numpy(dtype=np.int64) for e in parts]),
                "f": np.asarray(files.codes, dtype=np.int64),
                "row": np.concatenate([e["row"].to_numpy(dtype=np.int64) for e in parts]),
            }
        )
        key = key.drop_duplicates().sort_values(["pid", "f", "row"], kind="stable")
        ev_frame = pd.DataFrame(
            {
                "code": code_strings.take(key["pid"].to_numpy()).reset_index(drop=True),
                "file": pd.Categorical.from_codes(key["f"].to_numpy(), categories=files.categories),
                "row": key["row"].to_numpy(dtype=np.int64),
            }
        )
    else:
        ev_frame = pd.DataFrame(
            {
                "code": pd.Series([], dtype="string"),
                "file": pd.Categorical([]),
                "row": pd.Series([], dtype="int64"),
            }
        )
    return Derived(request, as_of, vals, ev_frame)


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
    values = np.empty(len(codes), dtype=object)
    values[:] = None
    col = p[req.name]
    present = col.notna().to_numpy(dtype=bool)
    if isinstance(t, DateType):
        py = col.dt.date.to_numpy(dtype=object)
    else:
        py = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
    values[pid[present]] = py[present]
    ev = pd.DataFrame({"pid": pid, "file": _table_files(bundle, "providers"), "row": p["row"].to_numpy()})
    qp = bundle.quarantine.providers
    qev = pd.DataFrame(
        {
            "pid": _pid(codes, qp["code"]),
            "file": qp["file"].astype(str).to_numpy(dtype=object),
            "row": qp["row"].to_numpy(),
        }
    )
    if len(qev):
        values[qev["pid"].to_numpy(dtype=np.int64)] = None
    return _result(req, as_of, codes, values, t, [ev, qev])


def _latest(bundle: Bundle, req: LatestMeasure, as_of: dt.date) -> Derived:
    codes = _codes(bundle)
    n = len(codes)
    t = _measure_type(bundle, req.measure)
    obs = _observations(bundle, req.measure)
    asof = to_date(as_of)
    sub = obs[(obs["pe"] <= asof).to_numpy()]
    latest_pe = sub.groupby("pid", sort=True)["pe"].max()
    at_latest = sub[(sub["pe"] == latest_pe.reindex(sub["pid"]).to_numpy()).to_numpy()]
    first = at_latest.drop_duplicates("pid", keep="first")
    values = np.empty(n, dtype=object)
    values[:] = None
    values[first["pid"].to_numpy(dtype=np.int64)] = first["v"].to_numpy(dtype=object)

    # A quarantined row of this measure dated on or after the latest (or undated) could be the latest.
    q = bundle.quarantine.observations
    evidence = [at_latest]
    if len(q):
        qpe = q["period_end"].to_numpy(dtype=DATE_DTYPE)
        m = (_wild(q["measure"]) | (q["measure"] == req.measure).fillna(False).to_numpy(dtype=bool)) & (
            np.isnat(qpe) | (qpe <= asof)
        )
        if m.any():
            # Compare as integer seconds: no observation = -inf, an undated quarantined row = +inf.
            lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
            latest_arr = np.full(n, lo, dtype=np.int64)
            latest_arr[latest_pe.index.to_numpy(dtype=np.int64)] = latest_pe.to_numpy(dtype=DATE_DTYPE).astype(np.int64)
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
            evidence.append(_q_evidence(q, m, "code", codes, hit_ids))
    return _result(req, as_of, codes, values, t, evidence)


def _window(bundle: Bundle, req: WindowAggregate, as_of: dt.date) -> Derived:
    codes = _codes(bundle)
    n = len(codes)
    t = _measure_type(bundle, req.measure)
    if req.agg not in ("mean", "min", "max", "count"):
        raise ValueError(f"unknown aggregate {req.agg!r}")
    if req.agg == "mean" and not isinstance(t, NumberType | PercentType):
        raise ValueError(f"mean of {req.measure} ({t}) is not defined")
    if req.agg in ("min", "max") and not isinstance(t, NumberType | PercentType | ScaleType):
        raise ValueError(f"{req.agg} of {req.measure} ({t}) is not defined")
    obs = _observations(bundle, req.measure)
    asof = to_date(as_of)
    start = to_date(subtract_months(as_of, req.months))
    pe = obs["pe"].to_numpy(dtype=DATE_DTYPE)
    sub = obs[(pe > start) & (pe <= asof)]
    values = np.empty(n, dtype=object)
    values[:] = None
    g = sub.groupby("pid", sort=True)
    if req.agg == "count":
        values[:] = 0.0
        sizes = g.size()
        values[sizes.index.to_numpy(dtype=np.int64)] = sizes.to_numpy(dtype=float)
        out_t: ValueType | str = "count"
    else:
        has_missing = sub["num"].isna().groupby(sub["pid"]).any()
        agg = getattr(g["num"], req.agg)()
        ok = ~has_missing.reindex(agg.index).to_numpy(dtype=bool)
        pids = agg.index.to_numpy(dtype=np.int64)[ok]
        nums = agg.to_numpy(dtype=float)[ok]
        if isinstance(t, ScaleType):
            levels = np.array(t.levels, dtype=object)
            values[pids] = levels[nums.astype(np.int64)]
        else:
            values[pids] = nums.astype(object)
        out_t = t
    evidence = [sub]
    q = bundle.quarantine.observations
    if len(q):
        qpe = q["period_end"].to_numpy(dtype=DATE_DTYPE)
        m = (_wild(q["measure"]) | (q["measure"] == req.measure).fillna(False).to_numpy(dtype=bool)) & (
            np.isnat(qpe) | ((qpe > start) & (qpe <= asof))
        )
        if m.any():
            pids_hit, wildcard = _spread(codes, q["code"], m)
            hit = np.flatnonzero(_hit_mask(n, pids_hit, wildcard))
            values[hit] = None
            evidence.append(_q_evidence(q, m, "code", codes, hit))
    return _result(req, as_of, codes, values, out_t, evidence)


def _status(bundle: Bundle, req: StatusActive, as_of: dt.date) -> Derived:
    codes = _codes(bundle)
    n = len(codes)
    asof = to_date(as_of)
    st = bundle.statuses
    st = st[(st["status"] == req.status).fillna(False).to_numpy(dtype=bool)]
    start = st["start"].to_numpy(dtype=DATE_DTYPE)
    end = st["end"].to_numpy(dtype=DATE_DTYPE)
    active = (start <= asof) & (np.isnat(end) | (end > asof))
    pid = _pid(codes, st["code"])
    frame = pd.DataFrame(
        {"pid": pid, "file": st["file"].astype(str).to_numpy(dtype=object), "row": st["row"].to_numpy()}
    )
    frame = frame[pid >= 0]
    active = active[pid >= 0]
    is_active = np.zeros(n, dtype=bool)
    is_active[frame["pid"].to_numpy(dtype=np.int64)[active]] = True
    values = is_active.astype(object)
    # Evidence: the active rows when active; otherwise every (inactive) row of the status.
    ev = frame[active | ~is_active[frame["pid"].to_numpy(dtype=np.int64)]]
    evidence = [ev]
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
            values[hit_ids] = None
            evidence.append(_q_evidence(q, m, "code", codes, hit_ids))
    # open world (issue 14): only a coverage row makes "no active row" mean "not active"
    cov = [
        (str(f), int(r))
        for s, b, e, f, r in zip(
            bundle.coverage["status"],
            bundle.coverage["start"],
            bundle.coverage["end"],
            bundle.coverage["file"],
            bundle.coverage["row"],
            strict=True,
        )
        if str(s) == req.status and pd.Timestamp(b).date() <= as_of and (pd.isna(e) or pd.Timestamp(e).date() > as_of)
    ]
    cleared = [i for i in range(n) if values[i] is False or values[i] is np.False_]
    if cov:
        evidence.append(
            pd.DataFrame(
                {
                    "pid": [i for i in cleared for _ in cov],
                    "file": [f for _ in cleared for f, _r in cov],
                    "row": [r for _ in cleared for _f, r in cov],
                }
            )
        )
    else:
        for i in cleared:
            values[i] = None
    return _result(req, as_of, codes, values, BoolType(), evidence)


def _arrangements(bundle: Bundle, req: ArrangementCount, as_of: dt.date) -> Derived:
    if req.role not in ("lead", "recipient"):
        raise ValueError(f"role must be 'lead' or 'recipient', not {req.role!r}")
    codes = _codes(bundle)
    n = len(codes)
    asof = to_date(as_of)
    cutoff = to_date(subtract_months(as_of, req.within_months)) if req.within_months is not None else None
    a = bundle.arrangements
    start = a["start"].to_numpy(dtype=DATE_DTYPE)
    end = a["end"].to_numpy(dtype=DATE_DTYPE)
    mask = (start <= asof) & (np.isnat(end) | (end > asof))
    if req.form is not None:
        mask &= (a["form"] == req.form).fillna(False).to_numpy(dtype=bool)
    if cutoff is not None:
        mask &= start > cutoff
    pid = _table_pid(bundle, "arrangements", req.role)
    sel = mask & (pid >= 0)
    frame = pd.DataFrame(
        {
            "pid": pid[sel],
            "file": _table_files(bundle, "arrangements")[sel],
            "row": a["row"].to_numpy()[sel],
        }
    )
    counts = np.bincount(frame["pid"].to_numpy(dtype=np.int64), minlength=n).astype(float)
    values = counts.astype(object)
    evidence = [frame]
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
    return _result(req, as_of, codes, values, "count", evidence)


def derive(bundle: Bundle, requests: Iterable[ValueRequest], as_of: dt.date) -> dict[ValueRequest, Derived]:
    """Answer every request for every provider of ``bundle`` as of ``as_of``."""
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
        elif isinstance(req, ArrangementCount):
            out[req] = _arrangements(bundle, req, as_of)
        else:  # pragma: no cover - exhaustive
            raise TypeError(f"not a value request: {req!r}")
    return out
