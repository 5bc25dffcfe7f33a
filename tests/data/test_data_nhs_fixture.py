"""The bundled NHS data: rebuilt byte for byte from its sources, and valid."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from credential.data.asof import AttributeValue, LatestMeasure, derive
from credential.data.load import load_bundle
from credential.data.specs import CQC_MEASURES, nhs_spec
from credential.data.validate import validate_bundle

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
NHS = FIXTURES / "nhs"
FILES = ("providers.csv", "observations.csv", "statuses.csv", "arrangements.csv", "PROVENANCE.md")


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "build_nhs.py", tmp_path / "build_nhs.py")
    shutil.copytree(FIXTURES / "nhs_sources", tmp_path / "nhs_sources")
    subprocess.run([sys.executable, str(tmp_path / "build_nhs.py")], check=True, capture_output=True)
    for name in FILES:
        assert (tmp_path / "nhs" / name).read_bytes() == (NHS / name).read_bytes(), name


def test_sources_md_is_copied_verbatim() -> None:
    original = Path("/work/shared/data/real/SOURCES.md")
    if not original.exists():
        pytest.skip("shared data folder not present")
    assert (FIXTURES / "nhs_sources" / "SOURCES.md").read_bytes() == original.read_bytes()


def test_fixture_validates_against_its_declarations() -> None:
    result = validate_bundle(load_bundle(NHS), nhs_spec())
    assert result.ok, [d.headline() for d in result.diagnostics]
    assert result.diagnostics == []
    b = result.bundle
    assert b is not None
    assert len(b.providers) == 202
    assert b.statuses.empty and b.arrangements.empty
    assert set(b.observations["measure"]) == {
        *CQC_MEASURES,
        "ae_4h",
        "cancer_62d",
        "cancer_31d",
        "cancer_fds",
    }
    assert set(b.providers["sector"]) == {
        "acute",
        "mental_health",
        "community",
        "ambulance",
        "specialist",
        "online",
    }


def test_fixture_values() -> None:
    b = validate_bundle(load_bundle(NHS), nhs_spec()).bundle
    assert b is not None
    got = derive(b, [LatestMeasure("cqc_overall"), AttributeValue("ics")], dt.date(2026, 3, 1))
    overall = got[LatestMeasure("cqc_overall")].values["value"].value_counts().to_dict()
    # SOURCES.md: "Overall ratings for the 200 current trusts: Good 95, Requires improvement 82,
    # Outstanding 20, Inadequate 3" (the latest ratings file was cut in February 2026)
    assert overall == {"good": 95, "requires_improvement": 82, "outstanding": 20, "inadequate": 3}
    ics = got[AttributeValue("ics")]
    assert ics.value_of("RYA") is None  # ambulance trusts: the register's "-" is missing
    assert ics.value_of("R0A") == "Greater Manchester"


def test_fixture_is_the_default_bundle() -> None:
    from credential.resources import bundled_data_path

    # Installed, the default bundle is a packaged copy of fixtures/nhs (from a source tree, the folder
    # itself): either way the same files, byte for byte.
    packaged = bundled_data_path()
    names = sorted(p.name for p in NHS.iterdir() if p.is_file())
    assert sorted(p.name for p in packaged.iterdir() if p.is_file()) == names
    for name in names:
        assert (packaged / name).read_bytes() == (NHS / name).read_bytes(), name


def test_reference_policy_reads_the_fixture() -> None:
    policy_module = pytest.importorskip("credential.policy")
    path = REPO / "policies" / "dalton_2014.cred"
    if not path.exists():
        pytest.skip("reference policy not written yet")
    checked, _diags = policy_module.load_checked(path)
    if checked is None:
        pytest.skip("reference policy does not check yet")
    result = validate_bundle(load_bundle(NHS), checked.bundle_spec())
    assert result.ok, [d.headline() for d in result.errors]
