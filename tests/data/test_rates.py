"""Numerators and denominators: validation, pooled windows, minimum counts, on every backend."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.check import ir
from credential.cli import cli
from credential.data import asof
from credential.data.load import load_bundle
from credential.data.synthetic import generate_bundle, write_bundle
from credential.data.validate import validate_bundle
from credential.diagnostics import render_all_text
from credential.engine import run
from credential.output.render import render
from credential.policy import load_policy
from credential.proofs.recompute import Recompute
from credential.proofs.values import DerivedIndex
from credential.types import PERCENT
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
AS_OF = dt.date(2026, 2, 15)


def _bundle(name: str):  # type: ignore[no-untyped-def]
    policy = load_policy(FIX / "pooled.cred")
    return policy, validate_bundle(load_bundle(FIX / name), policy.bundle_spec())


def test_count_problems_are_coded_errors_and_a_mismatch_a_warning() -> None:
    _, result = _bundle("rates_bad")
    assert not result.ok
    codes = [(d.row, d.code, d.severity.value) for d in result.diagnostics]
    assert codes == [
        (3, "data.bad-type", "error"),  # not a count
        (4, "data.out-of-range", "error"),  # negative
        (5, "data.out-of-range", "error"),  # numerator above denominator
        (6, "data.rate-mismatch", "warning"),  # 5/6 is not 0.9
        (7, "data.missing-value", "error"),  # numerator without denominator
        (8, "data.missing-value", "error"),  # denominator without numerator
        (11, "data.rate-mismatch", "warning"),  # 18.5/20 is not 0.95
    ]
    assert_golden(GOLDEN / "rates_bad.txt", render_all_text(result.diagnostics))


def test_quarantine_sets_bad_counts_aside() -> None:
    policy = load_policy(FIX / "pooled.cred")
    result = validate_bundle(load_bundle(FIX / "rates_bad"), policy.bundle_spec(), "quarantine")
    assert result.ok
    assert [q.row for q in result.quarantined] == [3, 4, 5, 7, 8]


def test_a_value_within_its_rounding_is_no_mismatch() -> None:
    _, result = _bundle("pooled_bundle")  # RB2 writes 5/6 as 0.833333
    assert result.ok and result.diagnostics == []


def test_pooled_values_and_denominators() -> None:
    _, result = _bundle("pooled_bundle")
    assert result.bundle is not None
    req = asof.WindowAggregate("pooled", "cancer_62d", 3, minimum=20.0)
    d = asof.derive(result.bundle, [req], AS_OF)[req]
    got = {c: (v, n) for c, v, n in zip(d.values["code"], d.values["value"], d.values["denominator"], strict=True)}
    assert got["RA1"] == (pytest.approx(0.75), 300.0)
    assert got["RB2"][0] is None or got["RB2"][0] is np.nan or str(got["RB2"][0]) == "<NA>"
    assert got["RB2"][1] == 14.0  # known, but below the minimum
    assert str(got["RC3"][1]) == "<NA>"  # a row without counts: the sum is not known
    assert got["RD4"] == (pytest.approx(79 / 120), 120.0)
    assert str(got["RE5"][0]) == "<NA>" and str(got["RE5"][1]) == "<NA>"  # no rows
    no_min = asof.WindowAggregate("pooled", "cancer_62d", 3)
    d2 = asof.derive(result.bundle, [no_min], AS_OF)[no_min]
    assert float(d2.value_of("RB2")) == pytest.approx(11 / 14)  # type: ignore[arg-type]


def test_the_independent_recomputation_agrees() -> None:
    policy, result = _bundle("pooled_bundle")
    assert result.bundle is not None
    rc = Recompute(policy, result.bundle, AS_OF)
    v = policy.credentials["pooled_ok"].requires.left  # type: ignore[union-attr]
    assert rc.value(v, "RA1")[0] == pytest.approx(0.75)
    assert rc.value(v, "RB2")[0] is None
    assert rc.missing_text(v, "RB2").endswith(": 14 counted, fewer than the minimum 20")
    assert rc.missing_text(v, "RC3") == "pooled cancer_62d over 3 months (minimum min_patients)"


EXPECTED = {
    ("RA1", "credential:pooled_ok"): ("granted", []),
    ("RB2", "credential:pooled_ok"): (
        "undetermined",
        ["pooled cancer_62d over 3 months (minimum min_patients): 14 counted, fewer than the minimum 20"],
    ),
    ("RC3", "credential:pooled_ok"): ("undetermined", ["pooled cancer_62d over 3 months (minimum min_patients)"]),
    ("RD4", "credential:pooled_ok"): ("refused", []),
    ("RE5", "credential:pooled_ok"): ("undetermined", ["pooled cancer_62d over 3 months (minimum min_patients)"]),
    ("RB2", "credential:monthly_ok"): ("granted", []),  # 4 of 4 patients in one month pass on their own
}


@pytest.mark.parametrize("backend", ["pydatalog", "duckdb", "masks"])
def test_outcomes_and_reasons_on_every_backend(backend: str) -> None:
    result = run(FIX / "pooled.cred", FIX / "pooled_bundle", [AS_OF], backend=backend)
    got = {(r.provider, r.subject): (r.outcome.value, r.missing) for r in result.records}
    for key, want in EXPECTED.items():
        assert got[key] == want, key
    reference = run(FIX / "pooled.cred", FIX / "pooled_bundle", [AS_OF], backend="pydatalog", explain=True)
    explained = run(FIX / "pooled.cred", FIX / "pooled_bundle", [AS_OF], backend=backend, explain=True)
    strip = [
        {k: v for k, v in json.loads(line).items() if k != "backend"}
        for line in render(explained, "jsonl").splitlines()
    ]
    ref = [
        {k: v for k, v in json.loads(line).items() if k != "backend"}
        for line in render(reference, "jsonl").splitlines()
    ]
    assert strip == ref


def test_proofs_show_the_count_and_verify(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--policy", str(FIX / "pooled.cred"), "--data", str(FIX / "pooled_bundle"), "--as-of", AS_OF.isoformat()]
    out = tmp_path / "d.jsonl"
    res = runner.invoke(cli, ["evaluate", *args, "--explain", "--format", "jsonl", "--output", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["verify", str(out), "--policy", args[1], "--data", args[3]])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert '"counts": {"numerator": 225.0, "denominator": 300.0, "minimum": 20.0}' in text
    tampered = tmp_path / "t.jsonl"
    tampered.write_text(text.replace('"numerator": 225.0', '"numerator": 226.0', 1), encoding="utf-8")
    res = runner.invoke(cli, ["verify", str(tampered), "--policy", args[1], "--data", args[3]])
    assert res.exit_code == 4 and "counts" in res.output, res.output
    res = runner.invoke(cli, ["explain", "RB2", "credential:pooled_ok", *args])
    assert res.exit_code == 0
    assert_golden(GOLDEN / "pooled_explain_RB2.txt", res.stdout)
    res = runner.invoke(cli, ["explain", "RA1", "credential:pooled_ok", *args, "--format", "json"])
    assert_golden(GOLDEN / "pooled_explain_RA1.json", res.stdout)


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    months=st.sampled_from([3, 12, 36]),
    minimum=st.sampled_from([None, 20.0, 150.0]),
    day=st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31)),
)
def test_pooled_agrees_with_the_independent_recomputation(
    seed: int, months: int, minimum: float | None, day: dt.date
) -> None:
    """On synthetic bundles (which carry counts): the vectorised pooled rate and its denominator
    sum equal the row-by-row recomputation `verify` uses, for every provider."""
    policy = load_policy(FIX / "pooled.cred")
    tables = generate_bundle(25, seed, spec=policy.bundle_spec(), obs_per_provider=24)
    with tempfile.TemporaryDirectory() as tmp:
        result = validate_bundle(load_bundle(write_bundle(tables, Path(tmp), "csv")), policy.bundle_spec())
    assert result.ok and result.bundle is not None, [d.headline() for d in result.diagnostics[:3]]
    req = asof.WindowAggregate("pooled", "cancer_62d", months, minimum=minimum)
    derived = asof.derive(result.bundle, [req], day)[req]
    v = ir.VWindow("pooled", "cancer_62d", months, PERCENT, None, minimum)
    rc = Recompute(policy, result.bundle, day)
    index = DerivedIndex(derived)
    for code in result.bundle.provider_codes:
        want, _ = rc.value(v, code)
        got = derived.value_of(code)
        if want is None:
            assert got is None, code
        else:
            assert got == pytest.approx(want, rel=1e-12), code
        assert index.missing_text(v, code) == rc.missing_text(v, code)


def test_compiled_program_is_pinned() -> None:
    res = CliRunner().invoke(cli, ["compile", str(FIX / "pooled.cred")])
    assert res.exit_code == 0
    assert "v_pooled_cancer_62d_3m_min_min_patients(P, X), X >= 0.75" in res.stdout
    assert_golden(GOLDEN / "pooled.datalog", res.stdout.replace(str(FIX), "tests/fixtures"))


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.from_regex(r"[+-]?[0-9]{0,4}(\.[0-9]{0,7})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
            st.text(alphabet="0123456789.eE+- _x\u0663\u066b", max_size=8),
        ),
        max_size=30,
    )
)
def test_decimals_in_one_pass_equal_reading_each_cell(cells: list[str | None]) -> None:
    """The vectorised reading of how many decimals a value is written with is the cell-by-cell one."""
    from credential.data.rates import _decimals, _decimals_of

    expected = [0 if c is None else _decimals_of(c) for c in cells]
    for dtype in ("str", "string", object):
        assert list(_decimals(pd.Series(cells, dtype=dtype))) == expected
