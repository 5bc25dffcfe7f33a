"""The scale benchmark's peers decide exactly what the engine decides.

``bench/pandas_baseline.py`` (pandas) and ``bench/duckdb_baseline.py`` (one DuckDB SQL query) are
hand-written versions of the benchmark policy ``bench/policy/dalton_2014_v1.cred`` (a frozen copy
of the reference policy at 1.0.0); the benchmark compares the engine's speed with them, which is
only fair if all three compute the same thing.  Here, for every provider and every per-provider
subject (credentials and form roles), each peer's outcome must equal ``credential.engine.run``'s, on:

* a seeded synthetic bundle of 300 providers (the policy's ``bundle_spec()``), on three dates;
* the same with 120 observations per provider (windows that actually fill up);
* a synthetic bundle whose dates sit on the boundaries the language defines (window starts,
  status and arrangement ends on the as-of date, grace-period cut-offs, month-end clamping),
  whose leaders lead several arrangements and whose finance list is not complete on the date
  (open-world statuses);
* the bundled real NHS data, ``fixtures/nhs`` (no coverage table: both statuses unknown; arrangements
  with empty lead, recipient and form cells).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credential.data.asof import subtract_months
from credential.data.synthetic import generate_bundle, write_bundle
from credential.engine import run
from credential.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "bench" / "policy" / "dalton_2014_v1.cred"
NHS = ROOT / "fixtures" / "nhs"


PEERS = ["pandas_baseline", "duckdb_baseline"]


def _baseline_module(name: str = "pandas_baseline"):  # type: ignore[no-untyped-def]
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return load_policy(POLICY)


def _engine_outcomes(policy, data: Path, dates: list[dt.date]) -> dict[tuple[str, str, str], str]:  # type: ignore[no-untyped-def]
    result = run(policy, data, dates, backend="duckdb")
    return {(r.as_of, r.provider, r.subject): r.outcome.value for r in result.records}


def _baseline_outcomes(data: Path, dates: list[dt.date], peer: str) -> dict[tuple[str, str, str], str]:
    base = _baseline_module(peer)
    out: dict[tuple[str, str, str], str] = {}
    for d in dates:
        frame = base.run_baseline(data, d)
        assert list(frame.columns) == ["provider", "subject", "outcome"]
        for provider, subject, outcome in frame.itertuples(index=False):
            out[(d.isoformat(), provider, subject)] = outcome
    return out


def _assert_agree(policy, data: Path, dates: list[dt.date]) -> dict[tuple[str, str, str], str]:  # type: ignore[no-untyped-def]
    engine = _engine_outcomes(policy, data, dates)
    for peer in PEERS:
        baseline = _baseline_outcomes(data, dates, peer)
        assert set(baseline) == set(engine), f"{peer} and the engine decide different subjects"
        wrong = sorted((k, engine[k], baseline[k]) for k in engine if engine[k] != baseline[k])
        assert not wrong, f"{peer}: {len(wrong)} disagreements (key, engine, peer), first: {wrong[:10]}"
    return engine


def _outcome_mix(outcomes: dict[tuple[str, str, str], str]) -> set[str]:
    return set(outcomes.values())


# ---------------------------------------------------------------------------- bundles


def _boundary_tables(policy, n: int, seed: int, as_of: dt.date) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
    """Synthetic tables with dates moved onto the boundaries of ``as_of``'s windows."""
    tables = generate_bundle(n, seed=seed, spec=policy.bundle_spec(), obs_per_provider=64)
    rng = np.random.default_rng(seed)
    iso = dt.date.isoformat

    def around(d: dt.date) -> list[str]:
        return [iso(d - dt.timedelta(days=1)), iso(d), iso(d + dt.timedelta(days=1))]

    # Observations: window starts (3 years for ae_4h, 2 years for surplus_margin) and as_of itself.
    obs = tables["observations"].copy()
    for measure, months in (("ae_4h", 36), ("surplus_margin", 24), ("cancer_62d", 0), ("cqc_overall", 0)):
        rows = np.flatnonzero((obs["measure"] == measure).to_numpy(dtype=bool))
        pick = rows[rng.random(len(rows)) < 0.3]
        choices = around(subtract_months(as_of, months)) + around(as_of)
        obs.loc[obs.index[pick], "period_end"] = rng.choice(np.array(choices, dtype=object), size=len(pick))
    # A rating inspection moves every key question together; keep one value per (code, measure, date).
    obs = obs.drop_duplicates(["code", "measure", "period_end"], keep="first").reset_index(drop=True)

    # Statuses and arrangements: starts and ends on, just before and just after as_of and the
    # grace-period cut-off (24 months).
    cut = subtract_months(as_of, 24)
    starts = np.array([*around(as_of), *around(cut), iso(cut - dt.timedelta(days=400))], dtype=object)
    ends = np.array([None, *around(as_of)], dtype=object)

    def reshape(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        s = rng.choice(starts, size=len(frame))
        e = rng.choice(ends, size=len(frame))
        e = np.where([x is not None and x < y for x, y in zip(e, s, strict=True)], None, e)
        frame["start"] = pd.array(list(s), dtype="str")
        frame["end"] = pd.array(list(e), dtype="str")
        return frame

    statuses = reshape(tables["statuses"])
    # Arrangements: a few leaders lead many (capacity cap of 3), of every form.
    codes = tables["providers"]["code"].to_numpy(dtype=object)
    leaders = rng.choice(codes, size=12, replace=False)
    forms = np.array(sorted(policy.bundle_spec().forms), dtype=object)
    extra_lead = np.repeat(leaders, 4)
    extra_rec = rng.choice(codes, size=len(extra_lead))
    clash = extra_rec == extra_lead
    extra_rec[clash] = codes[0] if codes[0] not in extra_lead[clash] else codes[1]
    extra = pd.DataFrame(
        {
            "lead": pd.array(list(extra_lead), dtype="str"),
            "recipient": pd.array(list(extra_rec), dtype="str"),
            # every leader's first row a chain_group, so the grace period is tested whatever the draw
            "form": pd.array(
                ["chain_group" if i % 4 == 0 else f for i, f in enumerate(rng.choice(forms, size=len(extra_lead)))],
                dtype="str",
            ),
            "start": pd.array([None] * len(extra_lead), dtype="str"),
            "end": pd.array([None] * len(extra_lead), dtype="str"),
        }
    )
    arrangements = reshape(pd.concat([tables["arrangements"], extra], ignore_index=True))
    arrangements = arrangements[arrangements["lead"] != arrangements["recipient"]].reset_index(drop=True)
    # Coverage: the finance list stops being complete on as_of (so that status is unknown for
    # everyone not listed), the quality list is complete throughout.
    coverage = pd.DataFrame(
        {
            "status": pd.array(["special_measures_quality", "special_measures_finance"], dtype="str"),
            "start": pd.array(["2014-01-01", "2014-01-01"], dtype="str"),
            "end": pd.array([None, iso(as_of)], dtype="str"),
        }
    )
    return {**tables, "observations": obs, "statuses": statuses, "arrangements": arrangements, "coverage": coverage}


# ---------------------------------------------------------------------------- tests


def test_synthetic_bundle(policy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = write_bundle(generate_bundle(300, seed=20141205, spec=policy.bundle_spec()), tmp_path / "b", "csv")
    dates = [dt.date(2016, 8, 31), dt.date(2020, 2, 29), dt.date(2026, 11, 22)]
    outcomes = _assert_agree(policy, data, dates)
    assert len(outcomes) == 300 * 21 * len(dates)
    assert _outcome_mix(outcomes) == {"granted", "refused", "undetermined"}


def test_synthetic_bundle_with_full_windows(policy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tables = generate_bundle(300, seed=7, spec=policy.bundle_spec(), obs_per_provider=120)
    data = write_bundle(tables, tmp_path / "b", "csv")
    outcomes = _assert_agree(policy, data, [dt.date(2019, 3, 31), dt.date(2025, 5, 1)])
    assert _outcome_mix(outcomes) == {"granted", "refused", "undetermined"}


def test_boundary_dates(policy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    as_of = dt.date(2024, 2, 29)  # leap day: 24 and 36 months back clamp to 28 February
    data = write_bundle(_boundary_tables(policy, 300, 3, as_of), tmp_path / "b", "csv")
    values = _baseline_module().provider_values(data, as_of)
    assert (values["led_count"] >= 3).any(), "the bundle should test the capacity cap"
    assert values["special_measures_quality"].any() and values["leads_chain_group_in_grace"].any()
    _assert_agree(policy, data, [as_of])


def test_real_nhs_bundle(policy) -> None:  # type: ignore[no-untyped-def]
    outcomes = _assert_agree(policy, NHS, [dt.date(2025, 11, 1), dt.date(2026, 11, 22)])
    assert _outcome_mix(outcomes) == {"granted", "refused", "undetermined"}


@pytest.mark.parametrize(
    ("table", "column", "bad", "problem"),
    [
        ("observations", "value", "92", "percent outside [0, 1]"),
        ("observations", "code", "ZZZ9", "no provider with this code"),
        ("observations", "period_end", "2025-02-30", "not a date"),
        ("statuses", "start", "01/04/2020", "not a date"),
        ("providers", "sector", "hospital", "sector not one of its members"),
    ],
)
def test_peers_validate_like_the_engine(
    policy, tmp_path: Path, table: str, column: str, bad: str, problem: str
) -> None:  # type: ignore[no-untyped-def]
    """The peers check the bundle before deciding, as the engine does: one bad cell rejects it
    everywhere (the engine exits 3), and the digests they compute are the engine's."""
    from credential.data.load import load_bundle
    from credential.data.validate import validate_bundle

    tables = generate_bundle(30, seed=1, spec=policy.bundle_spec())
    good = write_bundle(tables, tmp_path / "good", "csv")
    engine_digests = load_bundle(good).digests
    assert _baseline_module("pandas_baseline").load(good)[1] == engine_digests
    assert _baseline_module("duckdb_baseline").digests(good) == engine_digests

    frame = tables[table].copy()
    # in observations a percent measure's row, so that every check applies
    percent_rows = (
        np.flatnonzero((frame["measure"] == "ae_4h").to_numpy(dtype=bool)) if table == "observations" else [0]
    )
    row = int(percent_rows[0])
    frame.loc[frame.index[row], column] = bad
    data = write_bundle({**tables, table: frame}, tmp_path / "bad", "csv")
    assert validate_bundle(load_bundle(data), policy.bundle_spec()).bundle is None
    for peer in PEERS:
        with pytest.raises(ValueError, match="not valid") as info:
            _baseline_module(peer).run_baseline(data, dt.date(2026, 11, 22))
        assert problem in str(info.value), peer
