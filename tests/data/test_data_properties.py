"""Properties over generated bundles: valid ones validate, one corrupted cell is caught at its row,
the three file forms load alike, and row order does not change derived values."""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential.data.asof import (
    ArrangementCount,
    AttributeValue,
    LatestMeasure,
    StatusActive,
    WindowAggregate,
    derive,
)
from credential.data.load import TABLES, load_bundle
from credential.data.synthetic import write_bundle
from credential.data.validate import validate_bundle
from credential.types import NumberType, PercentType, ScaleType
from support.bundles import DrawnBundle, apply, corruptions, csv_lines, valid_bundles

# DATA_EXAMPLES=500 pytest tests/data  runs the properties harder than the default suite does.
EXAMPLES = int(os.environ.get("DATA_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(max_examples=max(5, EXAMPLES // 2), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _write(tables: dict[str, pd.DataFrame], fmt: str = "csv") -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bundle-"))
    return write_bundle(tables, folder, fmt)  # type: ignore[arg-type]


@SETTINGS
@given(valid_bundles())
def test_generated_valid_bundles_validate(drawn: DrawnBundle) -> None:
    raw = load_bundle(_write(drawn.tables))
    result = validate_bundle(raw, drawn.spec)
    assert result.ok, [d.headline() for d in result.diagnostics]
    assert result.diagnostics == []
    b = result.bundle
    assert b is not None
    assert len(b.providers) == len(drawn.tables["providers"])
    assert len(b.observations) == len(drawn.tables["observations"])
    # row numbers agree with an independent count of the lines each CSV record takes
    for name in TABLES:
        assert list(raw.tables[name].frame.index) == csv_lines(drawn.tables[name])


@SETTINGS
@given(st.data())
def test_one_corrupted_cell_is_caught_at_its_row(data: st.DataObject) -> None:
    drawn = data.draw(valid_bundles())
    c = data.draw(corruptions(drawn))
    tables = apply(drawn, c)
    raw = load_bundle(_write(tables))
    result = validate_bundle(raw, drawn.spec)
    line = csv_lines(tables[c.table])[c.index]
    hits = [d for d in result.errors if d.file == f"{c.table}.csv" and d.row == line]
    assert hits, (c, [d.headline() for d in result.diagnostics])
    assert result.bundle is None
    quarantined = validate_bundle(raw, drawn.spec, on_invalid="quarantine")
    assert quarantined.bundle is not None
    assert (f"{c.table}.csv", line) in {(q.file, q.row) for q in quarantined.quarantined}


@FEWER
@given(valid_bundles())
def test_csv_parquet_json_load_alike(drawn: DrawnBundle) -> None:
    frames = {fmt: load_bundle(_write(drawn.tables, fmt)) for fmt in ("csv", "parquet", "json")}
    for name in TABLES:
        base = frames["parquet"].tables[name].frame.reset_index(drop=True)
        pd.testing.assert_frame_equal(base, frames["json"].tables[name].frame.reset_index(drop=True))
        csv_frame = frames["csv"].tables[name].frame.reset_index(drop=True)
        pd.testing.assert_frame_equal(base, csv_frame)


@FEWER
@given(valid_bundles(), st.randoms(use_true_random=False), st.dates(dt.date(2000, 1, 1), dt.date(2031, 1, 1)))
def test_row_order_does_not_change_values(drawn: DrawnBundle, rnd: random.Random, as_of: dt.date) -> None:
    shuffled = {}
    for name, frame in drawn.tables.items():
        order = list(range(len(frame)))
        rnd.shuffle(order)
        shuffled[name] = frame.iloc[order].reset_index(drop=True)
    b1 = validate_bundle(load_bundle(_write(drawn.tables)), drawn.spec).bundle
    b2 = validate_bundle(load_bundle(_write(shuffled)), drawn.spec).bundle
    assert b1 is not None and b2 is not None
    reqs: list[object] = [AttributeValue(a) for a in drawn.spec.attributes]
    for m, t in drawn.spec.measures.items():
        reqs.append(LatestMeasure(m))
        reqs.append(WindowAggregate("count", m, 6))
        if isinstance(t, NumberType | PercentType):
            reqs.append(WindowAggregate("mean", m, 12))
        if isinstance(t, NumberType | PercentType | ScaleType):
            reqs += [WindowAggregate("min", m, 12), WindowAggregate("max", m, 3)]
    reqs += [StatusActive(s) for s in drawn.spec.statuses]
    reqs += [ArrangementCount("lead"), ArrangementCount("recipient", None, 12)]
    r1, r2 = derive(b1, reqs, as_of), derive(b2, reqs, as_of)  # type: ignore[arg-type]
    for r in reqs:
        assert r1[r].to_dict() == r2[r].to_dict(), r  # type: ignore[index]
