"""Both Datalog backends give the same decisions; `auto` records the backend it chose."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from credential.data.synthetic import generate_bundle, write_bundle
from credential.engine import run
from credential.evaluation.evaluate import AUTO_MAX_PYDATALOG_FACTS, choose_backend
from credential.output.render import render
from credential.policy import load_policy

FIX = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def without_backend(text: str) -> list[dict[str, object]]:
    out = []
    for line in text.splitlines():
        rec = json.loads(line)
        rec.pop("backend")
        out.append(rec)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", [3, 17])
def test_synthetic_records_identical_on_both_backends(tmp_path: Path, seed: int) -> None:
    policy = load_policy(ROOT / "policies" / "dalton_2014.cred")
    write_bundle(generate_bundle(60, seed, spec=policy.bundle_spec()), tmp_path / "b", "csv")
    dates = [dt.date(2025, 6, 30), dt.date(2026, 11, 22)]
    a = run(policy, tmp_path / "b", dates, pairs=True, backend="pydatalog")
    b = run(policy, tmp_path / "b", dates, pairs=True, backend="duckdb")
    ja, jb = render(a, "jsonl"), render(b, "jsonl")
    # byte-identical but for the field that names the backend
    assert ja.replace('"backend": "pydatalog"', '"backend": "duckdb"') == jb
    assert without_backend(ja) == without_backend(jb)
    assert {r.backend for r in b.records} == {"duckdb"}


def test_explained_records_identical_on_both_backends() -> None:
    dates = [dt.date(2016, 4, 1)]
    a = run(FIX / "spec_example.cred", FIX / "hand_bundle", dates, pairs=True, explain=True, backend="pydatalog")
    b = run(FIX / "spec_example.cred", FIX / "hand_bundle", dates, pairs=True, explain=True, backend="duckdb")
    assert without_backend(render(a, "jsonl")) == without_backend(render(b, "jsonl"))


def test_auto_chooses_by_size_and_records_it() -> None:
    assert choose_backend("auto", AUTO_MAX_PYDATALOG_FACTS) == "pydatalog"
    assert choose_backend("auto", AUTO_MAX_PYDATALOG_FACTS + 1) == "duckdb"
    assert choose_backend("auto", AUTO_MAX_PYDATALOG_FACTS + 1, one_key=True) == "masks"
    assert choose_backend("auto", AUTO_MAX_PYDATALOG_FACTS, one_key=True) == "pydatalog"
    assert choose_backend("duckdb", 10) == "duckdb"
    small = run(FIX / "spec_example.cred", FIX / "hand_bundle", [dt.date(2016, 4, 1)], backend="auto")
    assert {r.backend for r in small.records} == {"pydatalog"}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 23])
def test_masks_backend_gives_the_same_records(tmp_path: Path, seed: int) -> None:
    """Plain runs (no pairs) on the masks backend: byte-identical to pyDatalog but for the backend field."""
    policy = load_policy(ROOT / "policies" / "dalton_2014.cred")
    write_bundle(generate_bundle(70, seed, spec=policy.bundle_spec()), tmp_path / "b", "csv")
    dates = [dt.date(2025, 6, 30), dt.date(2026, 11, 22)]
    a = run(policy, tmp_path / "b", dates, backend="pydatalog")
    b = run(policy, tmp_path / "b", dates, backend="masks", explain=True)
    assert render(a, "jsonl").replace('"backend": "pydatalog"', '"backend": "masks"') == "".join(
        line.split(', "proof": ')[0] + "}\n" for line in render(b, "jsonl").splitlines()
    )
    a_explained = run(policy, tmp_path / "b", dates, backend="pydatalog", explain=True)
    assert without_backend(render(a_explained, "jsonl")) == without_backend(render(b, "jsonl"))


@pytest.mark.slow
def test_auto_takes_masks_for_large_plain_runs_and_duckdb_with_pairs(tmp_path: Path) -> None:
    policy = load_policy(ROOT / "policies" / "dalton_2014.cred")
    write_bundle(generate_bundle(300, 9, spec=policy.bundle_spec()), tmp_path / "b", "csv")
    plain = run(policy, tmp_path / "b", [dt.date(2026, 11, 22)], backend="auto")
    assert {r.backend for r in plain.records} == {"masks"}
    pairs = run(policy, tmp_path / "b", [dt.date(2026, 11, 22)], backend="auto", pairs=True)
    assert {r.backend for r in pairs.records} == {"duckdb"}
    singles = [r for r in pairs.records if not r.subject.startswith("pair:")]
    assert [r.model_copy(update={"backend": "masks"}) for r in singles] == plain.records
