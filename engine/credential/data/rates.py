"""Numerators and denominators of rate observations: their validation and their typed columns.

``observations.csv`` may carry two optional columns, ``numerator`` and ``denominator``: the
counts a rate was computed from (A&E: attendances within 4 hours and attendances; cancer: treated
within target and treated).  A bundle without them stays valid.  ``value`` stays as the source
gives it; ``pooled M over N months`` reads the counts (sum of numerators / sum of denominators).

Errors (the row is rejected, or set aside by quarantine):

* ``data.bad-type``: a count that is not a finite number;
* ``data.out-of-range``: a negative count, or a numerator above its denominator;
* ``data.missing-value``: a numerator without a denominator or the reverse.

Warning (the row is kept): ``data.rate-mismatch``, a value that differs from
numerator / denominator by more than the rounding of the value as written (half a unit of its
last decimal: ``0.94`` may stand for anything in [0.935, 0.945]).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credential.data.load import RawTable
from credential.data.parse import parse_number
from credential.diagnostics import Diagnostic, Severity
from credential.types import BundleSpec, PercentType

RATE_COLUMNS = ("numerator", "denominator")
"""Optional columns of observations (absent: every rate's counts are not known)."""

_COUNT_HELP = "numerator and denominator are counts: non-negative numbers such as 412, or empty"


def _diag(
    code: str,
    file: str,
    row: int,
    column: str,
    message: str,
    value: str | None,
    help: str | None,
    severity: Severity = Severity.ERROR,
) -> Diagnostic:
    text = f"column {column}: {message}" + (f" (value '{value}')" if value is not None else "")
    return Diagnostic(code, severity, text, help=help, file=file, row=row, column=column, value=value)


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string")


# A plain decimal (the cells almost all are): its decimals are read in one vectorised pass.
_PLAIN_NUMBER = r"^[+-]?[0-9]*(?:\.(?P<frac>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]{1,9}))?$"


def _decimals_of(v: object) -> int:
    text = str(v).strip().lower()
    mantissa, _, exp = text.partition("e")
    frac = mantissa.partition(".")[2]
    try:
        return max(0, len(frac) - (int(exp) if exp else 0))
    except ValueError:
        return len(frac)


def _decimals(values: pd.Series) -> np.ndarray:
    """The number of decimals each value is written with (``0.94`` has 2, ``1e-3`` is read as 3)."""
    out = np.zeros(len(values), dtype=np.int64)
    if not len(values):
        return out
    try:  # the loaded table's text columns are Arrow-backed: no copy
        text = pa.array(values.array).cast(pa.large_string())
    except (pa.ArrowException, TypeError):
        text = pa.array(values.astype(object).where(values.notna(), None).tolist(), type=pa.large_string())
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_NUMBER), False)
    parts = pc.extract_regex(pc.if_else(plain, text, pa.scalar("", pa.large_string())), _PLAIN_NUMBER)
    frac = pc.fill_null(pc.utf8_length(pc.struct_field(parts, "frac")), 0).to_numpy(zero_copy_only=False)
    exp_text = pc.replace_substring_regex(pc.struct_field(parts, "exp"), r"^\+", "")
    exp_text = pc.if_else(pc.equal(pc.utf8_length(exp_text), 0), pa.scalar(None, pa.large_string()), exp_text)
    exp = pc.fill_null(pc.cast(exp_text, pa.int64()), 0).to_numpy(zero_copy_only=False)
    mask = np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)
    out[mask] = np.maximum(0, frac - exp)[mask]
    missing = np.asarray(pc.is_null(text).to_numpy(zero_copy_only=False), dtype=bool)
    for i in map(int, np.flatnonzero(~mask & ~missing)):  # anything else, one by one
        out[i] = _decimals_of(text[i].as_py())
    return out


def rate_diagnostics(table: RawTable, spec: BundleSpec) -> list[Diagnostic]:
    """Every problem with the ``numerator`` and ``denominator`` cells of the observations table."""
    f = table.frame
    present = [c for c in RATE_COLUMNS if c in f.columns]
    if not present or f.empty:
        return []
    rows = np.asarray(f.index, dtype=np.int64)
    out: list[Diagnostic] = []
    parsed: dict[str, pd.Series] = {}
    given: dict[str, np.ndarray] = {}
    for col in RATE_COLUMNS:
        if col not in f.columns:
            given[col] = np.zeros(len(f), dtype=bool)
            parsed[col] = pd.Series(np.full(len(f), np.nan), index=f.index)
            continue
        text = _text(f[col])
        has = (text.notna() & (text != "")).to_numpy(dtype=bool)
        num = parse_number(f[col])
        given[col], parsed[col] = has, num
        values = num.to_numpy(dtype=float)
        for i in map(int, np.flatnonzero(has & np.isnan(values))):
            out.append(
                _diag("data.bad-type", table.file, int(rows[i]), col, "not a count", str(text.iloc[i]), _COUNT_HELP)
            )
        for i in map(int, np.flatnonzero(has & (values < 0))):
            out.append(
                _diag(
                    "data.out-of-range",
                    table.file,
                    int(rows[i]),
                    col,
                    "a count cannot be negative",
                    str(text.iloc[i]),
                    _COUNT_HELP,
                )
            )
    n = parsed["numerator"].to_numpy(dtype=float)
    d = parsed["denominator"].to_numpy(dtype=float)
    ok_n = given["numerator"] & ~np.isnan(n) & (n >= 0)
    ok_d = given["denominator"] & ~np.isnan(d) & (d >= 0)
    for i in map(int, np.flatnonzero(given["numerator"] & ~given["denominator"])):
        out.append(
            _diag(
                "data.missing-value",
                table.file,
                int(rows[i]),
                "denominator",
                "a numerator needs its denominator",
                "",
                "give both counts, or neither",
            )
        )
    for i in map(int, np.flatnonzero(given["denominator"] & ~given["numerator"])):
        out.append(
            _diag(
                "data.missing-value",
                table.file,
                int(rows[i]),
                "numerator",
                "a denominator needs its numerator",
                "",
                "give both counts, or neither",
            )
        )
    both = ok_n & ok_d
    over = both & (n > d)
    for i in map(int, np.flatnonzero(over)):
        out.append(
            _diag(
                "data.out-of-range",
                table.file,
                int(rows[i]),
                "numerator",
                f"numerator above its denominator ({n[i]:g} > {d[i]:g})",
                _cell(f, "numerator", i),
                "the numerator counts the part of the denominator that met the standard",
            )
        )
    if "value" in f.columns and "measure" in f.columns:
        percents = [m for m, t in spec.measures.items() if isinstance(t, PercentType)]
        is_pct = f["measure"].isin(percents).to_numpy(dtype=bool)
        check = both & ~over & (d > 0) & is_pct
        if check.any():
            value = parse_number(f["value"]).to_numpy(dtype=float)
            check &= ~np.isnan(value)
            idx = np.flatnonzero(check)
            decimals = _decimals(f["value"].iloc[idx])
            tolerance = 0.5 * np.power(10.0, -decimals.astype(float)) + 1e-12
            rate = n[idx] / d[idx]
            for j in map(int, np.flatnonzero(np.abs(value[idx] - rate) > tolerance)):
                i = int(idx[int(j)])
                out.append(
                    _diag(
                        "data.rate-mismatch",
                        table.file,
                        int(rows[i]),
                        "value",
                        f"value differs from numerator / denominator = {n[i]:g} / {d[i]:g} = {rate[j]:.6g} "
                        "by more than its rounding",
                        _cell(f, "value", i),
                        "the value is kept as given; pooled windows use the counts",
                        Severity.WARNING,
                    )
                )
    return out


def _cell(f: pd.DataFrame, column: str, i: int) -> str:
    v = f[column].iloc[i]
    return "" if v is None or v is pd.NA else str(v)


def typed_counts(f: pd.DataFrame) -> dict[str, pd.Series]:
    """The ``numerator`` and ``denominator`` columns of a validated observations table as floats
    (NaN when empty, or when the bundle has no such column), index reset."""
    out: dict[str, pd.Series] = {}
    for col in RATE_COLUMNS:
        values = parse_number(f[col]).to_numpy(dtype=float) if col in f.columns else np.full(len(f), np.nan)
        out[col] = pd.Series(values, dtype=float)
    return out
