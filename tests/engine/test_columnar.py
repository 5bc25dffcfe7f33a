"""The columnar path equals the row path it replaces, value for value.

- facts built in columns (``datalog_column``) equal ``names.to_datalog`` on the Python values;
- the model's columns and provider positions agree across backends;
- the frame's missing-value lists (``ColumnarMissing``) equal ``ProofBuilder.missing``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from credential.compile import names as pn
from credential.compile.facts import build_facts
from credential.data.synthetic import generate_bundle, write_bundle
from credential.datalog.columns import Columns
from credential.datalog.errors import DatalogError
from credential.engine import run
from credential.evaluation.decisions import sort_records
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.output.records import records_for
from credential.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
FIX = Path(__file__).resolve().parents[1] / "fixtures"
DATES = [dt.date(2019, 3, 31), dt.date(2026, 11, 22)]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    policy = load_policy(ROOT / "policies" / "dalton_2014.cred")
    path = tmp_path_factory.mktemp("columnar") / "b"
    write_bundle(generate_bundle(80, 11, spec=policy.bundle_spec()), path, "csv")
    return path


@pytest.mark.parametrize("case", ["synthetic", "hand", "nhs"])
def test_facts_in_columns_equal_to_datalog_on_python_values(case: str, synthetic: Path) -> None:
    policy, data = {
        "synthetic": (ROOT / "policies" / "dalton_2014.cred", synthetic),
        "hand": (FIX / "spec_example.cred", FIX / "hand_bundle"),
        "nhs": (ROOT / "policies" / "dalton_2014.cred", ROOT / "fixtures" / "nhs"),
    }[case]
    inputs = load_inputs(policy, data)
    for day in DATES:
        facts = build_facts(inputs.compiled, inputs.bundle, day)
        codes = facts.codes
        assert list(codes) == sorted(inputs.bundle.provider_codes)
        assert facts.relations[pn.PROVIDER].rows() == [(i,) for i in range(len(codes))]
        for pred, derived in facts.derived.items():
            t = inputs.compiled.values[pred].type
            expected = [(c, pn.to_datalog(v, t)) for c, v in derived.to_dict().items() if v is not None]
            got = facts.relations[pred]
            assert isinstance(got, Columns)
            rows = [(codes[i], v) for i, v in got.rows()]  # providers enter as ids: positions in codes
            assert rows == expected, pred
            assert [type(v) for _, v in rows] == [type(v) for _, v in expected], pred
            assert all(type(i) is int for i, _ in got.rows())
        for name, derived in facts.status_derived.items():
            values = derived.to_dict()
            active = facts.relations[pn.status_pred(name)].rows()
            assert [(codes[i],) for (i,) in active] == [(c,) for c, v in values.items() if v is True]
            unknown = facts.relations[pn.status_unknown_pred(name)].rows()
            assert [(codes[i],) for (i,) in unknown] == [(c,) for c, v in values.items() if v is None]


@pytest.mark.slow
def test_model_columns_masks_and_relations_agree_across_backends(synthetic: Path) -> None:
    inputs = load_inputs(ROOT / "policies" / "dalton_2014.cred", synthetic)
    a = evaluate_inputs(inputs, DATES[1], pairs=True, backend="pydatalog")
    b = evaluate_inputs(inputs, DATES[1], pairs=True, backend="duckdb")
    preds = sorted(set(a.model.relations))
    assert preds == sorted(set(b.model.relations))
    unary = [p for p in preds if pn.provider_columns(p, 1) == (0,) and not p.startswith("v_")]
    n = len(a.codes)
    masks_a, masks_b = a.model.masks(unary, n), b.model.masks(unary, n)
    for pred in preds:
        assert a.model.get(pred) == b.model.get(pred), pred
        cols = b.model.columns(pred)
        from_columns = set(zip(*(c.tolist() for c in cols), strict=True)) if cols else set()
        assert from_columns == a.model.get(pred), pred
        # relations read through the evaluation name providers by code, on both backends
        assert a.rel(pred) == b.rel(pred), pred
        if pred.startswith(("c_", "p_", "pcand_")) and a.rel(pred):
            assert all(isinstance(v, str) for row in a.rel(pred) for v in row), pred
    pairs = [(p, "c_" + p[2:]) for p in unary if p.startswith("p_") and "c_" + p[2:] in unary]
    assert len(pairs) > 50
    minus_a, minus_b = a.model.masks_minus(pairs, n), b.model.masks_minus(pairs, n)
    for i, (pp, cc) in enumerate(pairs):
        expected_minus = masks_a[unary.index(pp)] & ~masks_a[unary.index(cc)]
        assert (minus_a[i] == expected_minus).all() and (minus_b[i] == expected_minus).all(), pp
    # the masks backend (plain program, no pairs) agrees with pyDatalog on every predicate
    plain_a = evaluate_inputs(inputs, DATES[1], backend="pydatalog")
    plain_m = evaluate_inputs(inputs, DATES[1], backend="masks")
    plain_preds = sorted(plain_a.model.relations)
    assert plain_preds == sorted(plain_m.model.relations)
    for pred in plain_preds:
        assert plain_a.model.get(pred) == plain_m.model.get(pred), pred
    plain_unary = [p for p in unary if p in plain_a.model.relations]
    assert (plain_m.model.masks(plain_unary, n) == plain_a.model.masks(plain_unary, n)).all()
    for i, pred in enumerate(unary):
        expected = np.zeros(n, dtype=bool)
        expected[[r[0] for r in a.model.get(pred)]] = True
        assert (masks_a[i] == expected).all() and (masks_b[i] == expected).all(), pred
        assert {a.codes[j] for j in np.flatnonzero(expected)} == {r[0] for r in a.rel(pred)}, pred


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["pydatalog", "duckdb"])
def test_frame_missing_lists_equal_the_proof_builder(synthetic: Path, backend: str) -> None:
    result = run(ROOT / "policies" / "dalton_2014.cred", synthetic, DATES, pairs=True, backend=backend)
    by_record = sort_records([r for ev in result.evaluations for r in records_for(ev)])
    assert [r.to_jsonl() for r in by_record] == [r.to_jsonl() for r in result.records]
    assert sum(1 for r in by_record if r.missing) > 20


def test_columns_reject_what_is_not_a_datalog_value() -> None:
    from credential.datalog import evaluate

    with pytest.raises(DatalogError, match="non-finite"):
        evaluate({"p": Columns([np.array([1.0, np.inf])])}, "q(X) :- p(X).")
    with pytest.raises(DatalogError, match="only strings"):
        evaluate({"p": Columns([np.array(["a", 1], dtype=object)])}, "q(X) :- p(X).")
    with pytest.raises(DatalogError, match="different lengths"):
        Columns([np.array([1, 2]), np.array([1])])
    # the same relation given as rows or as columns gives the same model, on both backends
    rows = {"p": [("a", 1), ("b", 2)], "r": [(True,)]}
    cols = {"p": Columns([np.array(["a", "b"], dtype=object), np.array([1, 2])]), "r": Columns([np.array([True])])}
    program = "q(X, N) :- p(X, N), N > 1, r(true)."
    for backend in ("pydatalog", "duckdb"):
        assert evaluate(rows, program, backend) == evaluate(cols, program, backend)
        assert evaluate(cols, program, backend)["q"] == {("b", 2)}


def test_string_order_and_equality_hold_with_many_strings() -> None:
    """Strings compare by code point on both backends, with quotes and non-ASCII, at any size."""
    from credential.datalog import evaluate

    rng = np.random.default_rng(5)
    alphabet = list("abAB\u00e9\u4e2d'\"0 ")
    words = sorted({"".join(rng.choice(alphabet, size=int(rng.integers(0, 6)))) for _ in range(120)})
    program = 'lt(X, Y) :- w(X), w(Y), X < Y. eq(X) :- w(X), X = "ab".'
    for backend in ("pydatalog", "duckdb"):
        got = evaluate({"w": [(w,) for w in words]}, program, backend)
        assert got["lt"] == {(x, y) for x in words for y in words if x < y}, backend
        assert got["eq"] == ({("ab",)} if "ab" in words else set()), backend
    many = [f"w{i:06d}" for i in range(150_000)]
    big = evaluate({"big": Columns([np.array(many, dtype=object)])}, 'n(X) :- big(X), X >= "w149990".', "duckdb")
    assert big["n"] == {(w,) for w in many if w >= "w149990"}


@given(st.text())
def test_quick_json_strings_equal_json_dumps(value: str) -> None:
    from credential.jsontext import dumps, jstr

    assert jstr(value) == dumps(value) == json.dumps(value, ensure_ascii=False)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)), max_size=30))
def test_sorted_by_agrees_with_lexsort(rows: list[tuple[int, int, int]]) -> None:
    from credential.data.asof import _sorted_by

    keys = [np.array([r[j] for r in rows], dtype=np.int64) for j in range(3)]
    order = np.lexsort((keys[2], keys[1], keys[0])) if rows else np.zeros(0, dtype=np.int64)
    assert _sorted_by(*keys) == bool((order == np.arange(len(rows))).all())


def test_row_index_reads_cells_as_pandas_does() -> None:
    """Proof evidence cells come from Arrow lazily; equal to reading the frame row by row."""
    import pandas as pd

    from credential.proofs.values import RowIndex

    class Table:
        def __init__(self, file: str, frame: pd.DataFrame) -> None:
            self.file, self.frame = file, frame

    class Raw:
        def __init__(self, *tables: Table) -> None:
            self.tables = {t.file: t for t in tables}

    class Bundle:
        def __init__(self, raw: Raw) -> None:
            self.raw = raw

    text = pd.DataFrame(
        {"code": pd.array(["A", "B", None, "é"], dtype="string"), "n": [1.5, None, 3.0, 4.0]}, index=[2, 3, 5, 9]
    )
    shuffled = text.iloc[[2, 0, 3, 1]]
    index = RowIndex(Bundle(Raw(Table("sorted.csv", text), Table("shuffled.csv", shuffled))))
    for file, frame in (("sorted.csv", text), ("shuffled.csv", shuffled)):
        for row in frame.index:
            expected = {c: ("" if pd.isna(frame.loc[row, c]) else str(frame.loc[row, c])) for c in frame.columns}
            assert index.values(file, int(row)) == expected
        with pytest.raises(KeyError):
            index.values(file, 4)
    with pytest.raises(KeyError):
        index.values("other.csv", 2)
