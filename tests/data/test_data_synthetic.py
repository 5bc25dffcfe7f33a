"""The synthetic generator: seeded, valid, shaped like the real data, never real."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from credential.data.load import load_bundle
from credential.data.specs import nhs_spec, synthetic_spec
from credential.data.synthetic import generate_bundle, synthetic_codes, write_bundle
from credential.data.validate import validate_bundle
from credential.types import NUMBER


def test_seeded_and_deterministic() -> None:
    a, b = generate_bundle(50, seed=11), generate_bundle(50, seed=11)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = generate_bundle(50, seed=12)
    assert not a["observations"].equals(c["observations"])


def test_codes_and_names() -> None:
    codes = synthetic_codes(40000)
    assert codes[0] == "S0001" and codes[34] == "S000Z" and codes[35] == "S0010"
    assert len(set(codes)) == 40000
    assert all(len(c) == 5 for c in codes[:100])
    t = generate_bundle(3, seed=1)
    assert list(t["providers"]["name"]) == [
        "Synthetic Trust 00001",
        "Synthetic Trust 00002",
        "Synthetic Trust 00003",
    ]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_generated_bundles_validate(tmp_path: Path, fmt: str) -> None:
    tables = generate_bundle(120, seed=5)
    result = validate_bundle(load_bundle(write_bundle(tables, tmp_path, fmt)), synthetic_spec())  # type: ignore[arg-type]
    assert result.ok and result.diagnostics == [], [d.headline() for d in result.diagnostics[:5]]


def test_other_specs(tmp_path: Path) -> None:
    spec = nhs_spec()
    tables = generate_bundle(30, seed=2, spec=spec, obs_per_provider=10)
    result = validate_bundle(load_bundle(write_bundle(tables, tmp_path)), spec)
    assert result.ok and result.diagnostics == []
    only_numbers = type(spec)({}, {"x": NUMBER}, frozenset({"s"}), frozenset({"f"}))
    t2 = generate_bundle(10, seed=2, spec=only_numbers, obs_per_provider=4)
    assert len(t2["observations"]) == 40
    assert validate_bundle(load_bundle(write_bundle(t2, tmp_path / "b")), only_numbers).ok


def test_distributions_look_real() -> None:
    t = generate_bundle(4000, seed=7)
    obs = t["observations"]
    assert 28 <= len(obs) / 4000 <= 33
    ratings = obs[obs["measure"] == "cqc_overall"]["value"].value_counts(normalize=True)
    assert abs(ratings["outstanding"] - 0.10) < 0.03
    assert abs(ratings["good"] - 0.47) < 0.04
    assert abs(ratings["requires_improvement"] - 0.40) < 0.04
    assert abs(ratings["inadequate"] - 0.03) < 0.015
    ae = pd.to_numeric(obs[obs["measure"] == "ae_4h"]["value"]).dropna()
    assert ae.quantile(0.1) > 0.6 and ae.quantile(0.9) < 0.9
    assert obs["value"].isna().mean() > 0.002  # some values missing
    surplus = pd.to_numeric(obs[obs["measure"] == "surplus_pct"]["value"]).dropna()
    assert (surplus < 0).any() and (surplus > 0).any()
    st = t["statuses"]
    share = st["code"].nunique() / 4000
    assert 0.01 < share < 0.12
    assert set(st["status"]) == {"special_measures_quality", "special_measures_finance"}
    assert st["end"].isna().any() and st["end"].notna().any()
    arr = t["arrangements"]
    assert set(arr["form"]) == {
        "buddying",
        "joint_venture",
        "management_franchise",
        "acquisition",
        "chain_group",
    }
    assert (arr["lead"] != arr["recipient"]).all()
    assert arr["end"].isna().any() and arr["end"].notna().any()
