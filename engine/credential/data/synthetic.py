"""Seeded synthetic bundles for tests and benchmarks.

Nothing here is real: codes are ``S`` plus four base-36 digits (``S0001`` ... ``SZZZZ``,
1,679,615 providers) and names read "Synthetic Trust 00001".  Distributions are shaped like
the real data so that policies behave plausibly: CQC ratings about 3% inadequate, 40%
requires improvement, 47% good, 10% outstanding (correlated across key questions through a
per-provider quality score); A&E 4-hour performance mostly 0.6-0.9; a few percent of
providers in special measures; arrangements of several forms, some ended; about 1% of
cells empty.  The same ``seed`` always gives the same tables.

``generate_bundle`` returns raw string tables (what a bundle's files hold; NA = empty cell)
and :func:`write_bundle` writes them as CSV, Parquet or JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credential.data.load import REQUIRED_COLUMNS, TABLES
from credential.data.parse import levels_of
from credential.data.specs import synthetic_spec
from credential.types import (
    BoolType,
    BundleSpec,
    DateType,
    NumberType,
    PercentType,
    ScaleType,
    ValueType,
)

_B36 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_REGIONS = (
    "London",
    "South East",
    "South West",
    "Midlands",
    "East of England",
    "North West",
    "North East and Yorkshire",
)
_SECTOR_WEIGHTS = {
    "acute": 0.59,
    "mental_health": 0.23,
    "community": 0.055,
    "ambulance": 0.05,
    "specialist": 0.07,
    "online": 0.005,
}
# Rating cut points on the quality score: 3% / 40% / 47% / 10%.
_RATING_CUTS = (0.03, 0.43, 0.90)
_MISSING_RATE = 0.01

BundleFormatOut = Literal["csv", "parquet", "json"]


def synthetic_codes(n: int) -> np.ndarray:
    """``S0001``, ``S0002``, ... in base 36 (upper-case letters and digits)."""
    if n >= 36**4:
        raise ValueError(f"at most {36**4 - 1} synthetic providers")
    i = np.arange(1, n + 1)
    digits = [_B36[(i // 36**k) % 36] for k in (3, 2, 1, 0)]
    return np.char.add("S", np.char.add(np.char.add(digits[0], digits[1]), np.char.add(digits[2], digits[3])))


def _month_ends(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    """Random month-end dates (datetime64[D]) between start and end."""
    m0 = np.datetime64(start, "M")
    m1 = np.datetime64(end, "M")
    span = int((m1 - m0).astype(int))
    months = m0 + rng.integers(0, max(span, 0) + 1, size=n).astype("timedelta64[M]")
    ends = (months + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return np.minimum(np.maximum(ends, np.datetime64(start, "D")), np.datetime64(end, "D"))


def _add_months(d: dt.date, months: int) -> dt.date:
    m = np.datetime64(d, "M") + np.timedelta64(months, "M")
    return dt.date.fromisoformat(str(m) + "-01")


def _months_between(a: dt.date, b: dt.date) -> int:
    return int((np.datetime64(b, "M") - np.datetime64(a, "M")).astype(int))


def _days(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    span = (end - start).days
    return np.datetime64(start, "D") + rng.integers(0, span + 1, size=n).astype("timedelta64[D]")


def _fmt(values: np.ndarray, decimals: int) -> np.ndarray:
    return (
        np.array([f"{v:.{decimals}f}" for v in values], dtype=object)
        if len(values) < 1000
        else (pd.Series(np.round(values, decimals)).map(lambda v: f"{v:.{decimals}f}").to_numpy(dtype=object))
    )


def _with_missing(rng: np.random.Generator, values: np.ndarray, rate: float = _MISSING_RATE) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(len(out)) < rate] = None
    return out


def _levels_from_quality(q: np.ndarray, levels: tuple[str, ...]) -> np.ndarray:
    """Map a quality percentile in [0, 1) to a level, using the CQC-like cut points for 4 levels."""
    if len(levels) == 4:
        idx = np.searchsorted(np.array(_RATING_CUTS), q, side="right")
    else:
        idx = np.minimum((q * len(levels)).astype(int), len(levels) - 1)
    return np.array(levels, dtype=object)[idx]


def _attribute_values(
    rng: np.random.Generator,
    name: str,
    t: ValueType,
    n: int,
    quality: np.ndarray,
    start: dt.date,
    end: dt.date,
) -> np.ndarray:
    levels = levels_of(t)
    if name == "sector" and levels is not None and set(_SECTOR_WEIGHTS) >= set(levels):
        w = np.array([_SECTOR_WEIGHTS[m] for m in levels])
        return rng.choice(np.array(levels, dtype=object), size=n, p=w / w.sum())
    if levels is not None:
        if isinstance(t, ScaleType):
            return _levels_from_quality(_percentile(quality), levels)
        return rng.choice(np.array(levels, dtype=object), size=n)
    if isinstance(t, BoolType):
        return np.where(rng.random(n) < 0.7, "yes", "no").astype(object)
    if isinstance(t, PercentType):
        return _fmt(rng.random(n), 4)
    if isinstance(t, NumberType):
        return _fmt(rng.normal(0, 10, n), 2)
    if isinstance(t, DateType):
        return _days(rng, n, start, end).astype(str).astype(object)
    if name == "region":
        return rng.choice(np.array(_REGIONS, dtype=object), size=n)
    if name == "ics":
        return np.array([f"Synthetic ICS {k:02d}" for k in rng.integers(1, 43, size=n)], dtype=object)
    return np.array([f"synthetic {name} {k}" for k in rng.integers(1, 20, size=n)], dtype=object)


def _percentile(z: np.ndarray) -> np.ndarray:
    """Ranks of z as percentiles in [0, 1)."""
    order = np.argsort(np.argsort(z, kind="stable"), kind="stable")
    return order / max(len(z), 1)


def _measure_values(
    rng: np.random.Generator, name: str, t: ValueType, z: np.ndarray, start: dt.date, end: dt.date
) -> np.ndarray:
    """Values for observations of one measure, given each row's provider quality score z."""
    n = len(z)
    levels = levels_of(t)
    if isinstance(t, ScaleType) and levels is not None:
        from math import erf, sqrt

        noisy = z + rng.normal(0, 0.35, n)
        # Normal CDF of the noisy score, so the cut points give the target shares.
        pct = 0.5 * (1 + np.vectorize(erf)(noisy / sqrt(2 * (1 + 0.35**2)))) if n else np.zeros(0)
        return _levels_from_quality(pct, levels)
    if levels is not None:
        return rng.choice(np.array(levels, dtype=object), size=n)
    if isinstance(t, PercentType):
        if name == "ae_4h":
            v = 0.75 + 0.07 * z + rng.normal(0, 0.04, n)
        elif name == "rtt_18w":
            v = 0.78 + 0.07 * z + rng.normal(0, 0.04, n)
        elif name.startswith("cancer"):
            v = 0.78 + 0.06 * z + rng.normal(0, 0.05, n)
        else:
            v = rng.beta(8, 3, n)
        return _fmt(np.clip(v, 0.0, 1.0), 4)
    if isinstance(t, NumberType):
        v = 0.5 * z + rng.normal(0, 2.0, n) if name == "surplus_pct" else rng.normal(50, 15, n)
        return _fmt(v, 2)
    if isinstance(t, BoolType):
        return np.where(rng.random(n) < 0.5, "yes", "no").astype(object)
    if isinstance(t, DateType):
        return _days(rng, n, start, end).astype(str).astype(object)
    return np.array([f"synthetic {name}"] * n, dtype=object)


def _denominators(rng: np.random.Generator, measure: str, n: int) -> np.ndarray:
    """How many patients or attendances a month's rate counts: A&E thousands, cancer tens (a few
    below 20, so minimum counts bite), other rates hundreds."""
    if measure == "ae_4h":
        return rng.integers(2_000, 25_000, size=n)
    if measure.startswith("cancer"):
        return np.maximum(1, rng.lognormal(3.8, 0.9, size=n).astype(np.int64))
    return rng.integers(50, 2_000, size=n)


def _rate_counts(rng: np.random.Generator, obs: dict[str, np.ndarray], spec: BundleSpec) -> dict[str, np.ndarray]:
    """Numerators and denominators for the rows of percent measures (empty elsewhere and where the
    value is empty); the value becomes numerator / denominator to 6 decimals, as sources derive it.
    Drawn from their own generator, so every other table is what it was without counts."""
    n = len(obs["value"])
    numerators = np.full(n, None, dtype=object)
    denominators = np.full(n, None, dtype=object)
    values = np.array(obs["value"], dtype=object)
    measures = np.asarray(obs["measure"], dtype=object)
    for m, t in sorted(spec.measures.items()):
        if not isinstance(t, PercentType):
            continue
        rows = np.flatnonzero((measures == m) & pd.notna(values))
        if not len(rows):
            continue
        d = _denominators(rng, m, len(rows))
        v = np.array([float(x) for x in values[rows]])
        k = np.clip(np.round(v * d), 0, d).astype(np.int64)
        numerators[rows] = k.astype(str)
        denominators[rows] = d.astype(str)
        values[rows] = _fmt(k / d, 6)
    return {"value": values, "numerator": numerators, "denominator": denominators}


def _str_frame(data: dict[str, np.ndarray], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.array(list(data[c]) if len(data[c]) else [], dtype="str") for c in columns})
    return frame


def generate_bundle(
    n_providers: int,
    seed: int,
    spec: BundleSpec | None = None,
    start: dt.date = dt.date(2014, 1, 1),
    end: dt.date = dt.date(2026, 12, 31),
    obs_per_provider: int = 32,
) -> dict[str, pd.DataFrame]:
    """A valid synthetic bundle for ``spec`` (default :func:`~credential.data.specs.synthetic_spec`):
    raw string tables by name (``providers``, ``observations``, ``statuses``, ``arrangements``)."""
    spec = spec or synthetic_spec()
    rng = np.random.default_rng(seed)
    n = int(n_providers)
    codes = synthetic_codes(n).astype(object)
    width = max(5, len(str(n)))
    quality = rng.normal(0, 1, n)

    # providers
    prov: dict[str, np.ndarray] = {
        "code": codes,
        "name": np.array([f"Synthetic Trust {i:0{width}d}" for i in range(1, n + 1)], dtype=object),
    }
    attrs = sorted(a for a in spec.attributes if a not in ("code", "name"))
    for a in attrs:
        prov[a] = _with_missing(rng, _attribute_values(rng, a, spec.attributes[a], n, quality, start, end))
    providers = _str_frame(prov, ["code", "name", *attrs])

    # observations: rating measures come as inspections (every key question on one date, the
    # first within the first 30 months); the others as runs of consecutive month-ends.
    measures = sorted(spec.measures)
    scale_measures = [m for m in measures if isinstance(spec.measures[m], ScaleType)]
    other_measures = [m for m in measures if m not in scale_measures]
    per = max(int(obs_per_provider), 0)
    inspections = 0
    if scale_measures and other_measures:
        inspections = max(1, round(0.35 * per / len(scale_measures))) if per else 0
    elif scale_measures:
        inspections = per // len(scale_measures)
    parts: list[pd.DataFrame] = []
    if inspections and n:
        pid = np.repeat(np.arange(n), inspections)
        first = _month_ends(rng, n, start, min(end, _add_months(start, 30)))
        later = _month_ends(rng, len(pid), start, end)
        later = np.maximum(later, np.repeat(first, inspections))
        is_first = np.tile(np.arange(inspections) == 0, n)
        dates = np.where(is_first, np.repeat(first, inspections), later)
        for m in scale_measures:
            vals = _measure_values(rng, m, spec.measures[m], quality[pid], start, end)
            parts.append(pd.DataFrame({"pid": pid, "measure": m, "period_end": dates, "value": vals}))
    remaining = per - inspections * len(scale_measures)
    if other_measures and remaining > 0 and n:
        span = _months_between(start, end)
        for j, m in enumerate(other_measures):
            run = remaining // len(other_measures) + (1 if j < remaining % len(other_measures) else 0)
            if run <= 0:
                continue
            pid = np.repeat(np.arange(n), run)
            last = rng.integers(min(run - 1, span), span + 1, size=n)
            month = np.repeat(last, run) - np.tile(np.arange(run), n)
            ok = month >= 0
            month_start = np.datetime64(start, "M") + month[ok].astype("timedelta64[M]")
            dates = (month_start + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
            vals = _measure_values(rng, m, spec.measures[m], quality[pid[ok]], start, end)
            parts.append(pd.DataFrame({"pid": pid[ok], "measure": m, "period_end": dates, "value": vals}))
    if parts:
        obs = pd.concat(parts, ignore_index=True)
        # One value per (provider, measure, period_end): the data never conflicts with itself.
        obs = obs.drop_duplicates(["pid", "measure", "period_end"], keep="first")
        obs = obs.sort_values(["pid", "measure", "period_end"], kind="stable").reset_index(drop=True)
        obs_data = {
            "code": codes[obs["pid"].to_numpy()],
            "measure": obs["measure"].to_numpy(dtype=object),
            "period_end": obs["period_end"].to_numpy(dtype="datetime64[D]").astype(str).astype(object),
            "value": _with_missing(rng, obs["value"].to_numpy(dtype=object)),
        }
    else:
        obs_data = {c: np.array([], dtype=object) for c in REQUIRED_COLUMNS["observations"]}
    obs_columns = list(REQUIRED_COLUMNS["observations"])
    if any(isinstance(t, PercentType) for t in spec.measures.values()):
        obs_data.update(_rate_counts(np.random.default_rng([seed, 1]), obs_data, spec))
        obs_columns += ["numerator", "denominator"]
    observations = _str_frame(obs_data, obs_columns)

    # statuses: the weakest providers are likelier to be in special measures
    st_rows: dict[str, list[np.ndarray]] = {"code": [], "status": [], "start": [], "end": []}
    pct = _percentile(quality) if n else np.zeros(0)
    for s in sorted(spec.statuses):
        rate = 0.04 if "quality" in s else 0.02
        chosen = np.flatnonzero(rng.random(n) < rate * 2 * (1 - pct)) if n else np.zeros(0, dtype=int)
        s_start = _days(rng, len(chosen), start, end)
        ended = rng.random(len(chosen)) < 0.6
        length = rng.integers(180, 900, size=len(chosen)).astype("timedelta64[D]")
        s_end = np.where(ended, (s_start + length).astype(str), "").astype(object)
        s_end[s_end == ""] = None
        st_rows["code"].append(codes[chosen])
        st_rows["status"].append(np.array([s] * len(chosen), dtype=object))
        st_rows["start"].append(s_start.astype(str).astype(object))
        st_rows["end"].append(s_end)
    statuses = _str_frame(
        {k: (np.concatenate(v) if v else np.array([], dtype=object)) for k, v in st_rows.items()},
        list(REQUIRED_COLUMNS["statuses"]),
    )

    # arrangements: good providers lead, others receive
    forms = sorted(spec.forms)
    n_arr = round(0.06 * n) if n >= 2 and forms else 0
    if n_arr:
        good = np.flatnonzero(pct >= 0.5)
        lead = rng.choice(good if len(good) else np.arange(n), size=n_arr)
        recipient = rng.integers(0, n, size=n_arr)
        clash = recipient == lead
        recipient[clash] = (recipient[clash] + 1) % n
        a_start = _days(rng, n_arr, start, end)
        ended = rng.random(n_arr) < 0.3
        length = rng.integers(90, 1500, size=n_arr).astype("timedelta64[D]")
        a_end = np.where(ended, (a_start + length).astype(str), "").astype(object)
        a_end[a_end == ""] = None
        arr_data = {
            "lead": codes[lead],
            "recipient": codes[recipient],
            "form": rng.choice(np.array(forms, dtype=object), size=n_arr),
            "start": a_start.astype(str).astype(object),
            "end": a_end,
        }
    else:
        arr_data = {c: np.array([], dtype=object) for c in REQUIRED_COLUMNS["arrangements"]}
    arrangements = _str_frame(arr_data, list(REQUIRED_COLUMNS["arrangements"]))
    # coverage: the invented status lists are complete over the whole period (a closed world)
    listed = sorted(spec.statuses)
    coverage = _str_frame(
        {
            "status": np.array(listed, dtype=object),
            "start": np.array([str(start)] * len(listed), dtype=object),
            "end": np.array([None] * len(listed), dtype=object),
        },
        list(REQUIRED_COLUMNS["coverage"]),
    )
    return {
        "providers": providers,
        "observations": observations,
        "statuses": statuses,
        "arrangements": arrangements,
        "coverage": coverage,
    }


def write_bundle(tables: dict[str, pd.DataFrame], path: Path, fmt: BundleFormatOut = "csv") -> Path:
    """Write tables as a bundle: a folder of CSV or Parquet files, or one JSON file.

    For ``json``, ``path`` is the file to write, or a folder to write ``bundle.json`` into
    when it does not end in ``.json``.  Every cell is written as text, so the three forms load identically.
    Returns the path to pass to :func:`~credential.data.load.load_bundle`.
    """
    path = Path(path)
    if fmt == "json":
        if path.suffix.lower() != ".json":
            path = path / "bundle.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        doc: dict[str, list[dict[str, str | None]]] = {}
        for name in TABLES:
            if name not in tables:
                continue
            frame = tables[name].astype(object)
            frame = frame.where(frame.notna(), None)
            doc[name] = frame.to_dict(orient="records")
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path
    path.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        if name not in tables:
            continue
        frame = tables[name]
        if fmt == "csv":
            frame.to_csv(path / f"{name}.csv", index=False, na_rep="", lineterminator="\n")
        elif fmt == "parquet":
            arrays = {
                str(c): pa.array(frame[c].astype(object).where(frame[c].notna(), None).tolist(), type=pa.string())
                for c in frame.columns
            }
            pq.write_table(pa.table(arrays) if arrays else pa.table({}), path / f"{name}.parquet")
        else:
            raise ValueError(f"unknown bundle format {fmt!r}")
    return path
