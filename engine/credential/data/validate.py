"""Validating a raw bundle against a policy's declarations, and building the typed :class:`Bundle`.

Every table is checked by its pandera schema (:mod:`credential.data.schema`) with
``lazy=True``, so every failure case is reported at once; each failure becomes one
:class:`~credential.diagnostics.Diagnostic` in the form::

    observations.csv:14: error[data.out-of-range]: column value: percent value above 1 (value '92')
      = help: percent values are fractions: write 0.92 for 92%

With ``on_invalid="reject"`` (the default) any error means no bundle.  With
``"quarantine"`` the offending rows are set aside (:class:`QuarantinedRow`) and the rest
becomes the bundle; the rows' values count as missing in the as-of derivation.  Errors that
are not about a row (a missing file or column) cannot be quarantined and always reject.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from credential.data.asof import OBSERVATION_ENCODINGS
from credential.data.bundle import Bundle, Quarantine
from credential.data.load import TABLES, RawBundle, RawTable
from credential.data.parse import (
    Encoded,
    as_arrow,
    encode,
    is_code,
    isin,
    memo,
    parse_bool,
    parse_date,
    python_values,
    typed_column,
)
from credential.data.rates import rate_diagnostics, typed_counts
from credential.data.schema import TableSchema, bundle_schemas, expected_columns, suggest
from credential.diagnostics import Diagnostic, Severity, sort_diagnostics
from credential.escaping import clip
from credential.types import BundleSpec, ValueType

OnInvalid = Literal["reject", "quarantine"]

FILE_LEVEL_CODES = frozenset({"data.missing-file", "data.missing-column", "data.duplicate-column"})
"""Errors about a whole file, which quarantine cannot set aside."""


@dataclass(frozen=True)
class QuarantinedRow:
    """A source row set aside by quarantine, with every reason (``"data.CODE: message"``)."""

    file: str
    row: int
    reasons: list[str]


@dataclass
class ValidationResult:
    bundle: Bundle | None
    """The validated bundle; None when the bundle was rejected."""
    diagnostics: list[Diagnostic]
    """Every error and warning, sorted by file, row and column."""
    quarantined: list[QuarantinedRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.bundle is not None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


# --------------------------------------------------------------------------- diagnostics


def _diag(
    code: str,
    file: str,
    row: int | None,
    column: str | None,
    message: str,
    value: str | None = None,
    help: str | None = None,
    severity: Severity = Severity.ERROR,
) -> Diagnostic:
    text = message
    if column is not None:
        column = clip(column)  # a header that is not one (another file's first line) is not echoed whole
        text = f"column {column}: {message}"
    if value is not None:
        text = f"{text} (value '{clip(value)}')"
    return Diagnostic(code, severity, text, help=help, file=file, row=row, column=column, value=value)


def _raw(frame: pd.DataFrame, rows: list[int], column: str) -> list[str]:
    """The cells of ``column`` on ``rows`` as written ("" for an empty cell), fetched at once."""
    if column not in frame.columns:
        return [""] * len(rows)
    return ["" if pd.isna(v) else str(v) for v in frame[column].loc[rows]]


def _translate(table: RawTable, ts: TableSchema, failure_cases: pd.DataFrame) -> list[Diagnostic]:
    frame = table.frame
    out: list[Diagnostic] = []
    fc = failure_cases
    for check, group in fc.groupby(fc["check"].astype(str), sort=True):
        if check == "column_in_dataframe":
            for col in sorted(set(group["failure_case"].astype(str))):
                close = difflib.get_close_matches(col, list(table.columns), n=1, cutoff=0.75)
                help = (
                    f"did you mean '{close[0]}'? (the header on line 1 names the columns)"
                    if close
                    else f"add a column named '{col}' to the header (line 1)"
                )
                out.append(_diag("data.missing-column", table.file, 1, col, "required column is missing", help=help))
            continue
        if check == "not_nullable":
            for col, sub in group.groupby(group["column"].astype(str)):
                for r in sorted({int(i) for i in sub["index"].dropna()}):
                    out.append(
                        _diag(
                            "data.missing-value",
                            table.file,
                            r,
                            col,
                            "a value is required",
                            "",
                            help=f"fill in {col}, or remove the row",
                        )
                    )
            continue
        if check == "field_uniqueness":
            rows = sorted({int(i) for i in group["index"].dropna()})
            codes = frame.loc[rows, "code"].astype(str)
            by_code: dict[str, list[int]] = {}
            for r, c in zip(rows, codes, strict=True):
                by_code.setdefault(c, []).append(r)
            for r, c in zip(rows, codes, strict=True):
                others = ", ".join(str(o) for o in by_code[c] if o != r)
                out.append(
                    _diag(
                        "data.duplicate-provider",
                        table.file,
                        r,
                        "code",
                        f"provider code appears more than once (also row {others})",
                        c,
                        help="each provider has exactly one row in providers",
                    )
                )
            continue
        rule = ts.rules.get(check)
        if group["index"].isna().any():
            # pandera reports a check that raised with no index: that is a bug here, not bad data.
            raise RuntimeError(f"validation check {check} failed to run: {group['failure_case'].iloc[0]}")
        rows = sorted({int(i) for i in group["index"]})
        if rule is None:  # pragma: no cover - every check we build has a rule
            for r in rows:
                out.append(_diag("data.invalid", table.file, r, None, f"check {check} failed"))
            continue
        cells = _raw(frame, rows, rule.column)
        for r, (message, hint), cell in zip(rows, rule.describe(frame, rows), cells, strict=True):
            out.append(_diag(rule.code, table.file, r, rule.column, message, cell, help=hint))
    return out


_pandera_ready = False


def _without_hypothesis_strategies() -> None:
    """Load pandera's pandas check backends once, telling it that hypothesis is absent.

    On its first validation pandera imports its data-synthesis strategies, and with them
    hypothesis when it is installed (a test-only dependency here): about a tenth of a plain run's
    imports, for a feature the engine never uses.  Unless this process has already imported
    hypothesis (a test session), it is hidden while pandera loads, then unhidden: pandera's checks
    are the same either way, only its strategies are left out."""
    global _pandera_ready
    if _pandera_ready:
        return
    _pandera_ready = True
    if "hypothesis" in sys.modules:
        return
    sys.modules["hypothesis"] = None  # type: ignore[assignment]  # `import hypothesis` raises ImportError
    try:
        import pandera.backends.pandas.builtin_checks
        import pandera.backends.pandas.builtin_hypotheses  # noqa: F401
    finally:
        if sys.modules.get("hypothesis", 0) is None:
            del sys.modules["hypothesis"]


def _run_schema(table: RawTable, ts: TableSchema) -> list[Diagnostic]:
    _without_hypothesis_strategies()
    try:
        ts.schema.validate(table.frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _translate(table, ts, exc.failure_cases)
    except pa.errors.SchemaError as exc:  # pragma: no cover - lazy validation collects
        fc = exc.failure_cases if isinstance(exc.failure_cases, pd.DataFrame) else pd.DataFrame()
        return _translate(table, ts, fc)
    return []


def _structure(table: RawTable) -> list[Diagnostic]:
    out = []
    for col in table.duplicate_columns:
        out.append(
            _diag(
                "data.duplicate-column",
                table.file,
                1,
                col,
                "column appears more than once in the header",
                help="rename or remove the repeated column",
            )
        )
    width = len(table.columns) + sum(1 for _ in table.duplicate_columns)
    for r, n in sorted(table.ragged.items()):
        out.append(
            _diag(
                "data.bad-row",
                table.file,
                r,
                None,
                f"the row has {n} fields but the header has {width}",
                help="check for a missing or extra comma; quote fields that contain commas",
            )
        )
    return out


def _with_expected_columns(table: RawTable, spec: BundleSpec) -> RawTable:
    frame = table.frame.copy()
    for col in expected_columns(table.name, spec):
        if col not in frame.columns:
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="str")
    return RawTable(table.name, table.file, frame, table.duplicate_columns, table.ragged)


def _extra_columns(table: RawTable, spec: BundleSpec) -> list[Diagnostic]:
    expected = expected_columns(table.name, spec)
    out = []
    for col in table.columns:
        if col in expected:
            continue
        s = suggest(col, [e for e in expected if e not in table.columns])
        out.append(
            _diag(
                "data.extra-column",
                table.file,
                1,
                col,
                "column is not read by the policy",
                help=f"did you mean '{s}'?" if s else "it is ignored",
                severity=Severity.WARNING,
            )
        )
    return out


def _undeclared(table: RawTable, column: str, declared: frozenset[str] | set[str], what: str) -> list[Diagnostic]:
    frame = table.frame
    if column not in frame.columns or frame.empty:
        return []
    values = frame[column]
    bad = values.notna() & ~isin(values, declared)
    if not bad.any():
        return []
    sub = values[bad]
    counts = sub.value_counts(sort=False)
    first = sub.reset_index().groupby(column, sort=True)["row"].min()
    out = []
    for name, row in first.items():
        n = int(counts[name])
        s = suggest(str(name), declared)
        hint = f"did you mean '{s}'? " if s else ""
        keyword = {"measure": "measure NAME: TYPE", "status": "status NAME", "form": "form NAME"}[what]
        out.append(
            _diag(
                f"data.undeclared-{what}",
                table.file,
                int(row),
                column,
                f"{what} is not declared by the policy ({n} row{'s' if n != 1 else ''})",
                str(name),
                help=hint + f"rows of it are {'ignored' if what == 'measure' else 'kept'}; declare it with "
                f"`{keyword.replace('NAME', str(name))}` to use it",
                severity=Severity.WARNING,
            )
        )
    return out


# --------------------------------------------------------------------------- typed bundle


def _str_col(s: pd.Series) -> pd.Series:
    return s.astype("string")


def _repeated(text: str, n: int) -> pd.Series:
    """A ``string`` Series of ``n`` copies of ``text``, built as one Arrow buffer."""
    data = text.encode("utf-8")
    offsets = np.arange(n + 1, dtype=np.int64) * len(data)
    arr = pa_arrow.LargeStringArray.from_buffers(n, pa_arrow.py_buffer(offsets), pa_arrow.py_buffer(data * n))
    return pd.Series(pd.array(pa_arrow.chunked_array([arr]), dtype="string"))


def _provenance(rows: pd.Index, file: str) -> dict[str, pd.Series]:
    return {
        "file": _repeated(file, len(rows)),
        "row": pd.Series(np.asarray(rows, dtype="int64")),
    }


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype="str")


def _empty_table(name: str, spec: BundleSpec) -> RawTable:
    cols = list(expected_columns(name, spec))
    frame = pd.DataFrame({c: pd.Series([], dtype="str") for c in cols})
    frame.index = pd.Index([], dtype="int64", name="row")
    return RawTable(name, f"{name}.csv", frame)


def _typed_providers(t: RawTable, spec: BundleSpec) -> pd.DataFrame:
    f = t.frame
    data: dict[str, pd.Series] = {
        "code": _str_col(_col(f, "code")).reset_index(drop=True),
        "name": _str_col(_col(f, "name")).reset_index(drop=True),
    }
    for attr, ty in sorted(spec.attributes.items()):
        if attr in ("code",):
            continue
        data[attr] = typed_column(_col(f, attr), ty).reset_index(drop=True)
    data.update(_provenance(f.index, t.file))
    return pd.DataFrame(data, copy=False)


def _typed_values(values: pd.Series, measures: pd.Series, spec: BundleSpec) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = None
    by_type: dict[ValueType, list[str]] = {}
    for m, ty in spec.measures.items():
        by_type.setdefault(ty, []).append(m)
    for ty, names in by_type.items():
        mask = isin(measures, names).to_numpy(dtype=bool)
        if mask.any():
            out[mask] = python_values(values, ty, where=mask)
    return out


def _typed_observations(t: RawTable, spec: BundleSpec) -> pd.DataFrame:
    f = t.frame
    declared = isin(_col(f, "measure"), spec.measures).to_numpy(dtype=bool)
    if not declared.all():  # undeclared measures are left out (the rows kept share the columns otherwise)
        f = f[declared]
    data: dict[str, object] = {
        "code": _str_col(_col(f, "code")).reset_index(drop=True),
        "measure": _str_col(_col(f, "measure")).reset_index(drop=True),
        "period_end": parse_date(_col(f, "period_end")).reset_index(drop=True),
        "value": pd.Series(_typed_values(_col(f, "value"), _col(f, "measure"), spec), dtype=object),
        **typed_counts(f),
    }
    # Optional columns, only when the file has them: ``inherited`` (boolean, NA = not known) and
    # ``source_code`` (the codes the source used, separated by spaces).
    if "inherited" in f.columns:
        data["inherited"] = parse_bool(f["inherited"]).reset_index(drop=True)
    if "source_code" in f.columns:
        data["source_code"] = _str_col(f["source_code"]).reset_index(drop=True)
    data.update(_provenance(f.index, t.file))
    return pd.DataFrame(data, copy=False)


def _typed_intervals(t: RawTable, keys: Sequence[str], extra: Sequence[str] = ()) -> pd.DataFrame:
    f = t.frame
    data: dict[str, pd.Series] = {k: _str_col(_col(f, k)).reset_index(drop=True) for k in keys}
    data["start"] = parse_date(_col(f, "start")).reset_index(drop=True)
    data["end"] = parse_date(_col(f, "end")).reset_index(drop=True)
    data.update({k: _str_col(_col(f, k)).reset_index(drop=True) for k in extra})
    data.update(_provenance(f.index, t.file))
    return pd.DataFrame(data, copy=False)


def _code_or_na(s: pd.Series) -> pd.Series:
    return _str_col(s.where(is_code(s)))


def _interval(f: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Start and end of quarantined rows; when end is before start neither date can be
    trusted, so both become unknown (NaT matches any date)."""
    start = parse_date(_col(f, "start")).reset_index(drop=True)
    end = parse_date(_col(f, "end")).reset_index(drop=True)
    reversed_ = (end < start).to_numpy(dtype=bool)
    start[reversed_] = pd.NaT
    end[reversed_] = pd.NaT
    return start, end


def _quarantine(tables: dict[str, RawTable], rows: dict[str, set[int]]) -> Quarantine:
    q = Quarantine.empty()

    def part(name: str) -> tuple[pd.DataFrame, RawTable] | None:
        t = tables.get(name)
        if t is None or not rows.get(name):
            return None
        return t.frame.loc[sorted(rows[name])], t

    p = part("providers")
    if p is not None:
        f, t = p
        ok = is_code(_col(f, "code"))
        f = f[ok.to_numpy(dtype=bool)]
        q.providers = pd.DataFrame(
            {"code": _str_col(_col(f, "code")).reset_index(drop=True), **_provenance(f.index, t.file)}
        )
    p = part("observations")
    if p is not None:
        f, t = p
        q.observations = pd.DataFrame(
            {
                "code": _code_or_na(_col(f, "code")).reset_index(drop=True),
                "measure": _str_col(_col(f, "measure")).reset_index(drop=True),
                "period_end": parse_date(_col(f, "period_end")).reset_index(drop=True),
                **_provenance(f.index, t.file),
            }
        )
    p = part("statuses")
    if p is not None:
        f, t = p
        start, end = _interval(f)
        q.statuses = pd.DataFrame(
            {
                "code": _code_or_na(_col(f, "code")).reset_index(drop=True),
                "status": _str_col(_col(f, "status")).reset_index(drop=True),
                "start": start,
                "end": end,
                **_provenance(f.index, t.file),
            }
        )
    p = part("arrangements")
    if p is not None:
        f, t = p
        start, end = _interval(f)
        q.arrangements = pd.DataFrame(
            {
                "lead": _code_or_na(_col(f, "lead")).reset_index(drop=True),
                "recipient": _code_or_na(_col(f, "recipient")).reset_index(drop=True),
                "form": _str_col(_col(f, "form")).reset_index(drop=True),
                "start": start,
                "end": end,
                **_provenance(f.index, t.file),
            }
        )
    return q


def _observation_encodings(t: RawTable, spec: BundleSpec) -> dict[str, Encoded]:
    """The observations' cells as validation encoded them (:data:`asof.OBSERVATION_ENCODINGS`),
    one code per row kept in the typed table (the rows ``_typed_observations`` keeps)."""
    f = t.frame
    if not len(f) or any(c not in f.columns for c in OBSERVATION_ENCODINGS):
        return {}
    declared = isin(_col(f, "measure"), spec.measures).to_numpy(dtype=bool)
    out = {}
    for column in OBSERVATION_ENCODINGS:
        enc = encode(f[column])  # computed by the checks already (the memo)
        out[column] = enc if declared.all() else Encoded(enc.codes[declared], enc.uniques)
    return out


def _build(raw: RawBundle, spec: BundleSpec, bad_rows: dict[str, set[int]]) -> Bundle:
    kept: dict[str, RawTable] = {}
    for name in TABLES:
        t = raw.tables.get(name) or _empty_table(name, spec)
        drop = sorted(bad_rows.get(name, ()))
        frame = t.frame.drop(index=drop) if drop else t.frame
        kept[name] = RawTable(t.name, t.file, frame)
    bundle = Bundle(
        spec=spec,
        providers=_typed_providers(kept["providers"], spec),
        observations=_typed_observations(kept["observations"], spec),
        statuses=_typed_intervals(kept["statuses"], ["code", "status"]),
        arrangements=_typed_intervals(kept["arrangements"], ["lead", "recipient", "form"], ["parties"]),
        digests=dict(raw.digests),
        raw=raw,
        quarantine=_quarantine(raw.tables, bad_rows),
        coverage=_typed_intervals(kept["coverage"], ["status"]),  # a quarantined row covers nothing
    )
    for column, enc in _observation_encodings(kept["observations"], spec).items():
        bundle._cache[("encoded", "observations", column)] = enc
    return bundle


# --------------------------------------------------------------------------- entry point


def validate_bundle(raw: RawBundle, spec: BundleSpec, on_invalid: OnInvalid = "reject") -> ValidationResult:
    """Check ``raw`` against ``spec``; every problem is reported, sorted by place."""
    if on_invalid not in ("reject", "quarantine"):
        raise ValueError(f"on_invalid must be 'reject' or 'quarantine', not {on_invalid!r}")
    with memo():
        return _validate(raw, spec, on_invalid)


def _validate(raw: RawBundle, spec: BundleSpec, on_invalid: OnInvalid) -> ValidationResult:
    diags: list[Diagnostic] = []
    providers = raw.tables.get("providers")
    if providers is None:
        diags.append(
            _diag(
                "data.missing-file",
                raw.file_name("providers"),
                None,
                None,
                "the bundle has no providers table",
                help="providers.csv (or providers.parquet, or a 'providers' list in JSON) is required",
            )
        )
        known: pa_arrow.ChunkedArray | None = None
    else:
        if "code" in providers.columns:
            codes = providers.frame["code"]
            known = as_arrow(codes).filter(pa_arrow.array(is_code(codes).to_numpy(dtype=bool)))
        else:  # reported as a missing column; checking references against nothing would only add noise
            known = None
    schemas = bundle_schemas(spec, known)
    for name in TABLES:
        table = raw.tables.get(name)
        if table is None:
            continue
        if not table.header_known:
            table = _with_expected_columns(table, spec)
        diags.extend(_structure(table))
        diags.extend(_run_schema(table, schemas[name]))
        diags.extend(_extra_columns(table, spec))
        if name == "observations":
            diags.extend(rate_diagnostics(table, spec))
    if "observations" in raw.tables:
        diags.extend(_undeclared(raw.tables["observations"], "measure", set(spec.measures), "measure"))
    if "statuses" in raw.tables:
        diags.extend(_undeclared(raw.tables["statuses"], "status", spec.statuses, "status"))
    if "coverage" in raw.tables:
        diags.extend(_undeclared(raw.tables["coverage"], "status", spec.statuses, "status"))
    if "arrangements" in raw.tables:
        diags.extend(_undeclared(raw.tables["arrangements"], "form", spec.forms, "form"))
    diags = sort_diagnostics(diags)

    errors = [d for d in diags if d.is_error]
    file_level = [d for d in errors if d.code in FILE_LEVEL_CODES or d.row is None]
    if errors and (on_invalid == "reject" or file_level):
        return ValidationResult(None, diags, [])

    by_file = {t.file: name for name, t in raw.tables.items()}
    bad_rows: dict[str, set[int]] = {}
    reasons: dict[tuple[str, int], list[str]] = {}
    for d in errors:
        assert d.file is not None and d.row is not None
        bad_rows.setdefault(by_file[d.file], set()).add(d.row)
        reasons.setdefault((d.file, d.row), []).append(f"{d.code}: {d.message}")
    quarantined = [QuarantinedRow(f, r, rs) for (f, r), rs in sorted(reasons.items())]
    return ValidationResult(_build(raw, spec, bad_rows), diags, quarantined)
