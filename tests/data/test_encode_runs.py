"""Encoding a column by its runs of equal cells gives what hashing every cell gives; distinct
provider codes sorted by Arrow come in the order Python sorts them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.data import parse

cells = st.one_of(st.none(), st.sampled_from(["", "a", "b", "RM3", "é", "a "]))
runs = st.lists(st.tuples(cells, st.integers(1, 9)), max_size=40).map(lambda rs: [c for c, n in rs for _ in range(n)])


@settings(max_examples=300, deadline=None)
@given(runs, st.integers(2, 16))
def test_run_encoding_equals_dictionary_encode(values: list[str | None], runs_min: int) -> None:
    arr = pa.array(values, type=pa.large_string())
    direct = pc.dictionary_encode(arr)
    codes = np.asarray(pc.fill_null(direct.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int32)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parse, "_RUNS_MIN", runs_min)  # the run path for short columns too
        enc = parse._dictionary_encode(arr)
    assert enc.codes.dtype == np.int32
    assert enc.codes.tolist() == codes.tolist()
    assert enc.uniques.equals(direct.dictionary)


def test_a_sorted_long_column_takes_the_run_path() -> None:
    values = [f"C{i // 7:05d}" for i in range(parse._RUNS_MIN * 2)]
    enc = parse._dictionary_encode(pa.array(values, type=pa.large_string()))
    assert len(enc.uniques) == len(set(values))
    assert enc.uniques.to_pylist()[enc.codes[-1]] == values[-1]
    assert parse._run_starts(pa.array(values, type=pa.large_string())).tolist() == list(range(0, len(values), 7))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(max_size=6), max_size=8), min_size=1, max_size=3))
def test_provider_codes_sorted_as_python_sorts(columns: list[list[str]]) -> None:
    import pandas as pd

    from credential.data.bundle import _distinct_sorted

    series = [pd.Series(c, dtype="string") for c in columns]
    assert _distinct_sorted(series) == sorted({v for c in columns for v in c})
