"""Validation works on each column's distinct values and maps the answers back to the cells:
a value repeated on many rows must get, on every row, exactly the diagnostic it gets alone,
and the typed values must be those of a cell-by-cell conversion."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credential.data.load import load_bundle
from credential.data.parse import encode, isin, memo, parse_bool, parse_date, parse_number, python_values
from credential.data.schema import _duplicated
from credential.data.validate import ValidationResult, validate_bundle
from credential.types import BOOL, DATE, NUMBER, PERCENT, TEXT, BundleSpec, ScaleType

RATING = ScaleType("rating", ("inadequate", "requires_improvement", "good", "outstanding"))
SPEC = BundleSpec(
    attributes={"foundation_trust": BOOL},
    measures={"cqc": RATING, "cqc_safe": RATING, "ae": PERCENT, "surplus": NUMBER, "flag": BOOL, "since": DATE},
    statuses=frozenset(),
    forms=frozenset(),
)
PROVIDERS = "code,name,foundation_trust\nRM3,Salford,yes\nRW6,Pennine,no\nR0A,Manchester,maybe\n"

# (code, measure, value): good and bad cells of every kind, each repeated on many rows below.
CELLS: list[tuple[str, str, str]] = [
    ("RM3", "ae", "0.92"),
    ("RM3", "ae", "92"),
    ("RW6", "ae", "-0.1"),
    ("RM3", "ae", "92%"),
    ("RM3", "ae", "1,234"),
    ("RM3", "ae", "inf"),
    ("RM3", "ae", ""),
    ("RM3", "surplus", "-2.5"),
    ("RM3", "surplus", "12 beds"),
    ("RM3", "surplus", "1e3"),
    ("RM3", "cqc", "good"),
    ("RM3", "cqc", "Good"),
    ("RM3", "cqc_safe", "requires improvement"),
    ("RM3", "cqc_safe", "outstanding"),
    ("RM3", "flag", "Yes"),
    ("RM3", "flag", "maybe"),
    ("RM3", "since", "2016-02-29"),
    ("RM3", "since", "2015-02-29"),
    ("RM3", "since", "31/01/2016"),
    ("rm3", "ae", "0.5"),
    ("ZZZ", "ae", "0.5"),
    ("RX 1", "surplus", "1"),
    ("RM3", "undeclared", "x"),
]


def _write(path: Path, observations: list[tuple[str, str, str, str]]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "providers.csv").write_text(PROVIDERS, encoding="utf-8")
    lines = ["code,measure,period_end,value"] + [",".join(r) for r in observations]
    (path / "observations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _date(i: int) -> str:
    return (dt.date(2000, 1, 1) + dt.timedelta(days=i)).isoformat()


def _validate(path: Path, on_invalid: str = "reject") -> ValidationResult:
    return validate_bundle(load_bundle(path), SPEC, on_invalid)  # type: ignore[arg-type]


def _observation_diagnostics(result: ValidationResult) -> dict[int, list[tuple[object, ...]]]:
    out: dict[int, list[tuple[object, ...]]] = {}
    for d in result.diagnostics:
        if d.file == "observations.csv" and d.row is not None:
            out.setdefault(d.row, []).append((d.code, d.severity, d.message, d.help, d.column, d.value))
    return out


def test_a_value_on_many_rows_is_reported_on_each_as_alone(tmp_path: Path) -> None:
    # Each cell alone (one row, so it is row 2), then every cell on many rows, interleaved.
    alone = {}
    for k, (code, measure, value) in enumerate(CELLS):
        r = _validate(_write(tmp_path / f"alone{k}", [(code, measure, "2016-01-31", value)]))
        alone[k] = _observation_diagnostics(r).get(2, [])
    rows = [(CELLS[i % len(CELLS)], i) for i in range(40 * len(CELLS))]
    many = _validate(_write(tmp_path / "many", [(c, m, _date(i), v) for (c, m, v), i in rows]))
    got = _observation_diagnostics(many)
    undeclared = [k for k, (_c, m, _v) in enumerate(CELLS) if m == "undeclared"]
    for (_cell, i), k in zip(rows, (i % len(CELLS) for _c, i in rows), strict=True):
        expected = alone[k]
        if k in undeclared:  # one warning for the measure, at its first row, counting its rows
            expected = [] if i != k else [(e[0], e[1], e[2].replace("(1 row)", "(40 rows)"), *e[3:]) for e in expected]
        assert got.get(i + 2, []) == expected, (i, CELLS[k])
    assert any(alone.values()) and sum(len(v) for v in got.values()) > 500


def test_quarantine_keeps_typed_values_of_repeated_cells(tmp_path: Path) -> None:
    rows = [(CELLS[i % len(CELLS)], i) for i in range(20 * len(CELLS))]
    r = _validate(_write(tmp_path, [(c, m, _date(i), v) for (c, m, v), i in rows]), "quarantine")
    assert r.bundle is not None
    obs = r.bundle.observations
    values = zip(obs["measure"], obs["value"], strict=True)
    kept = {(str(m), x if x is None else (type(x).__name__, x)) for m, x in values}
    assert kept == {
        ("ae", ("float", 0.92)),
        ("ae", None),
        ("surplus", ("float", -2.5)),
        ("surplus", ("float", 1000.0)),
        ("cqc", ("str", "good")),
        ("cqc_safe", ("str", "outstanding")),
        ("flag", ("bool", True)),
        ("since", ("date", dt.date(2016, 2, 29))),
    }
    assert len(obs) == 20 * len(kept)
    assert obs["row"].is_monotonic_increasing
    set_aside = [q for q in r.quarantined if q.file == "observations.csv"]
    assert len(set_aside) == 20 * (len(CELLS) - len(kept) - 1)  # the undeclared measure is a warning


def test_conflicts_among_many_duplicates(tmp_path: Path) -> None:
    rows: list[tuple[str, str, str, str]] = []
    for i in range(300):
        d = _date(i)
        rows.append(("RM3", "ae", d, "0.9"))
        rows.append(("RM3", "ae", d, "0.90" if i % 3 else "0.8"))  # every third date conflicts
        rows.append(("RW6", "surplus", d, "1e3" if i % 2 else "1000"))  # equal numbers: fine
        rows.append(("RW6", "cqc", d, "good"))
    r = _validate(_write(tmp_path, rows))
    errs = [(d.row, d.code, d.message) for d in r.diagnostics if d.is_error and d.file == "observations.csv"]
    expected = []
    for i in range(0, 300, 3):
        a, b = 2 + 4 * i, 3 + 4 * i
        msg = f"column value: conflicting values for RM3 ae on {_date(i)} (also row {{}})"
        expected += [
            (a, "data.conflicting-observation", msg.format(b) + " (value '0.9')"),
            (b, "data.conflicting-observation", msg.format(a) + " (value '0.8')"),
        ]
    assert errs == expected


def test_duplicated_agrees_with_pandas() -> None:
    rng = np.random.default_rng(7)
    for n, high in [(0, 1), (1, 1), (2, 1), (1000, 50), (1000, 10**12), (5000, 3000)]:
        keys = rng.integers(0, high, n, dtype=np.int64)
        assert _duplicated(keys).tolist() == pd.Series(keys).duplicated(keep=False).tolist()


CELLS_TEXT = ["0.5", "0.50", "-0", "0", "1e3", ".5", "5.", "+1", "inf", "NaN", "1,2", " 1", "yes", "NO", "True", "0",
              "maybe", "2016-02-29", "2015-02-29", "2016-13-01", "2016-1-1", "", "good", "Good"]  # fmt: skip


@pytest.mark.parametrize("memoised", [False, True])
def test_parsers_on_distinct_values_agree_cell_by_cell(memoised: bool) -> None:
    rng = np.random.default_rng(3)
    cells = [CELLS_TEXT[i] for i in rng.integers(0, len(CELLS_TEXT), 200)]
    s = pd.Series(cells, dtype="str", index=pd.RangeIndex(2, 202)).replace("", pd.NA)

    def one(fn: object, v: object) -> object:
        return fn(pd.Series([v], dtype="str")).iloc[0]  # type: ignore[operator]

    with memo() if memoised else contextlib.nullcontext():
        for fn in (parse_number, parse_date, parse_bool):
            whole = fn(s)
            assert whole.index.equals(s.index)
            by_cell = [one(fn, v) for v in s]
            assert [None if pd.isna(x) else x for x in whole] == [None if pd.isna(x) else x for x in by_cell]
        assert isin(s, ["good", "0"]).tolist() == s.isin(["good", "0"]).fillna(False).astype(bool).tolist()
        for t in (NUMBER, PERCENT, BOOL, DATE, TEXT, RATING):
            values = python_values(s, t)
            expected = [python_values(pd.Series([v], dtype="str"), t)[0] for v in s]
            assert [(type(x), x) for x in values] == [(type(x), x) for x in expected]
        enc = encode(s)
        assert len(enc.uniques) == len(set(c for c in cells if c))
        assert enc.series().iloc[enc.codes[enc.codes >= 0]].tolist() == s.dropna().tolist()
