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
        if "provider" in rec:  # a record, not a proof node or row line
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
    assert choose_backend("auto", 10, one_key=True) == "masks"  # a plain run takes masks at any size
    assert choose_backend("duckdb", 10) == "duckdb"
    small = run(FIX / "spec_example.cred", FIX / "hand_bundle", [dt.date(2016, 4, 1)], backend="auto")
    assert {r.backend for r in small.records} == {"masks"}
    small_pairs = run(FIX / "spec_example.cred", FIX / "hand_bundle", [dt.date(2016, 4, 1)], pairs=True)
    assert {r.backend for r in small_pairs.records} == {"pydatalog"}  # pairs: the reference while small


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
        line.split(', "proof": ')[0] + "}\n"
        for line in render(b, "jsonl").splitlines()
        if line.startswith('{"provider"')
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


def test_auto_is_the_default_of_every_command_and_function() -> None:
    """The fast backend is the default: every command with ``--backend`` and every function of the
    API that evaluates default to ``auto`` (pyDatalog stays the reference, chosen explicitly)."""
    import importlib
    import inspect

    from credential import api, engine, timeline
    from credential.cli import COMMANDS
    from credential.diffing import diff
    from credential.evaluation import evaluate
    from credential.report import build
    from credential.testing import runner

    with_backend = {}
    for name, module in COMMANDS.items():
        command = importlib.import_module(module).command
        for param in command.params:
            if param.name == "backend":
                with_backend[name] = param.default
    assert with_backend == dict.fromkeys(["evaluate", "explain", "test", "diff", "timeline", "report"], "auto")
    functions = [
        engine.run,
        evaluate.evaluate_inputs,
        api.evaluate_api,
        api.explain_api,
        api.timeline_api,
        api.report_api,
        diff.diff_policies,
        runner.run_tests,
        timeline.timeline_of,
        build.build_report,
    ]
    for fn in functions:
        assert inspect.signature(fn).parameters["backend"].default == "auto", fn.__qualname__


@pytest.mark.slow
def test_the_default_backend_gives_the_reference_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``auto`` leaves pyDatalog (masks for plain runs, DuckDB with pairs; the size threshold
    is lowered so a small bundle is "large"), the default run is the reference run but for the
    field naming the backend: plain, ``--explain``, ``--pairs``, and one provider's (or one pair's)
    explanation, which evaluates that provider alone."""
    import credential.engine
    from credential.api import explain_api

    monkeypatch.setattr(credential.evaluation.evaluate, "AUTO_MAX_PYDATALOG_FACTS", 50)  # DuckDB for pairs
    policy = load_policy(ROOT / "policies" / "dalton_2014.cred")
    data = write_bundle(generate_bundle(60, 11, spec=policy.bundle_spec()), tmp_path / "b", "csv")
    dates = [dt.date(2026, 11, 22)]
    default = run(policy, data, dates, explain=True)
    reference = run(policy, data, dates, explain=True, backend="pydatalog")
    assert {r.backend for r in default.records} == {"masks"}
    assert {r.backend for r in reference.records} == {"pydatalog"}
    assert without_backend(render(default, "jsonl")) == without_backend(render(reference, "jsonl"))

    default_pairs = run(policy, data, dates, pairs=True)
    reference_pairs = run(policy, data, dates, pairs=True, backend="pydatalog")
    assert {r.backend for r in default_pairs.records} == {"duckdb"}
    assert without_backend(render(default_pairs, "jsonl")) == without_backend(render(reference_pairs, "jsonl"))
    granted = next(r for r in default_pairs.records if r.subject.startswith("pair:") and r.outcome.value == "granted")

    for code, subject in [("S0001", None), ("S0007", "credential:partner"), (granted.provider, granted.subject)]:
        a = explain_api(code, subject, policy=policy, data=data, as_of=dates[0])
        b = explain_api(code, subject, policy=policy, data=data, as_of=dates[0], backend="pydatalog")
        assert [r.model_copy(update={"backend": "-"}) for r in a] == [r.model_copy(update={"backend": "-"}) for r in b]
        assert a and a[0].proof is not None
