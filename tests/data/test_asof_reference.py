"""The as-of derivation's numpy fast paths pinned against the pandas version they replaced.

``support.asof_reference`` is ``credential.data.asof`` as it was before them.  On generated
bundles (clean, and with a corrupted row quarantined), for every kind of request and a random
as-of date, both must give the same values frame and the same evidence frame (dtypes included).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential.data import asof
from credential.data.bundle import Bundle
from credential.data.load import load_bundle
from credential.data.synthetic import generate_bundle, write_bundle
from credential.data.validate import validate_bundle
from credential.policy import load_policy
from credential.types import NumberType, PercentType, ScaleType
from support import asof_reference as reference
from support.bundles import DrawnBundle, apply, corruptions, valid_bundles

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("DATA_EXAMPLES", "30"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _requests(b: Bundle) -> list[asof.ValueRequest]:
    spec = b.spec
    reqs: list[asof.ValueRequest] = [asof.AttributeValue(a) for a in spec.attributes]
    for m, t in spec.measures.items():
        reqs += [asof.LatestMeasure(m), asof.WindowAggregate("count", m, 6), asof.WindowAggregate("count", m, 240)]
        if isinstance(t, NumberType | PercentType):
            reqs += [asof.WindowAggregate("mean", m, 12), asof.WindowAggregate("mean", m, 240)]
        if isinstance(t, NumberType | PercentType | ScaleType):
            reqs += [asof.WindowAggregate("min", m, 12), asof.WindowAggregate("max", m, 240)]
    reqs += [asof.StatusActive(s) for s in sorted(spec.statuses)]
    reqs += [asof.ArrangementCount("lead"), asof.ArrangementCount("recipient", None, 12)]
    reqs += [asof.ArrangementCount("lead", f, 24) for f in sorted(spec.forms)]
    return reqs


def assert_same_as_reference(b: Bundle, as_of: dt.date) -> None:
    reqs = _requests(b)
    assert ("encoded", "observations", "value") in b._cache or not len(b.observations)
    old = reference.derive(dataclasses.replace(b, _cache={}), reqs, as_of)  # each version its own cache
    # with the cells validation encoded, and without them (the runtime values converted one by one)
    for new in (asof.derive(b, reqs, as_of), asof.derive(dataclasses.replace(b, _cache={}), reqs, as_of)):
        for r in reqs:
            pd.testing.assert_frame_equal(new[r].values, old[r].values, check_exact=True, obj=f"values of {r}")
            pd.testing.assert_frame_equal(new[r].evidence, old[r].evidence, check_exact=True, obj=f"evidence of {r}")
            assert new[r].to_dict() == old[r].to_dict()


def _bundle(tables: dict[str, pd.DataFrame], drawn: DrawnBundle, on_invalid: str) -> Bundle | None:
    folder = Path(tempfile.mkdtemp(prefix="bundle-"))
    raw = load_bundle(write_bundle(tables, folder, "csv"))
    return validate_bundle(raw, drawn.spec, on_invalid=on_invalid).bundle  # type: ignore[arg-type]


@SETTINGS
@given(valid_bundles(), st.dates(dt.date(2000, 1, 1), dt.date(2031, 1, 1)))
def test_derive_equals_the_reference_on_valid_bundles(drawn: DrawnBundle, as_of: dt.date) -> None:
    b = _bundle(drawn.tables, drawn, "reject")
    assert b is not None
    assert_same_as_reference(b, as_of)


@SETTINGS
@given(st.data(), st.dates(dt.date(2000, 1, 1), dt.date(2031, 1, 1)))
def test_derive_equals_the_reference_with_quarantined_rows(data: st.DataObject, as_of: dt.date) -> None:
    drawn = data.draw(valid_bundles())
    b = _bundle(apply(drawn, data.draw(corruptions(drawn))), drawn, "quarantine")
    assert b is not None
    assert_same_as_reference(b, as_of)


@pytest.mark.parametrize("shuffle", [False, True])
def test_derive_equals_the_reference_on_a_synthetic_bundle(tmp_path: Path, shuffle: bool) -> None:
    policy = load_policy(ROOT / "policies" / "dalton_2014.cred")
    tables = generate_bundle(60, 7, spec=policy.bundle_spec())
    if shuffle:  # rows out of (provider, date) order: the evidence must still come out sorted
        tables = {k: v.sample(frac=1.0, random_state=3).reset_index(drop=True) for k, v in tables.items()}
    b = validate_bundle(load_bundle(write_bundle(tables, tmp_path / "b", "csv")), policy.bundle_spec()).bundle
    assert b is not None
    for day in (dt.date(2016, 3, 31), dt.date(2019, 3, 31), dt.date(2026, 11, 22)):
        assert_same_as_reference(b, day)
