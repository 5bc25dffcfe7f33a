"""The bundled NHS data: rebuilt byte for byte from its sources, and valid."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from credential.data.asof import ArrangementCount, AttributeValue, LatestMeasure, StatusActive, derive
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
    assert set(b.statuses["status"]) == {"rating_from_predecessor"}
    assert len(b.arrangements) == 42
    assert set(b.observations["measure"]) == {
        *CQC_MEASURES,
        "ae_4h",
        "ae_dta_over_4h",
        "ae_dta_over_12h",
        "ae_dta_within_12h",
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


def _raw(name: str) -> list[dict[str, str]]:
    with (NHS / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_ae_months_are_dated_across_all_three_files() -> None:
    months = {r["period_end"][:7] for r in _raw("observations.csv") if r["measure"] == "ae_4h"}
    assert min(months) == "2016-04" and max(months) == "2025-07"
    assert "2019-03" in months and "2019-04" not in months and "2021-03" not in months and "2021-04" in months
    assert {"2025-02", "2025-03"} <= months  # only in the SitRep CSVs (healthyr removed them)


def test_not_reported_stays_missing_never_zero() -> None:
    rows = [r for r in _raw("observations.csv") if r["measure"] == "ae_4h"]
    empty = [r for r in rows if r["value"] == ""]
    # SOURCES.md section 9: 354 rows of the 14 Clinical Review of Standards trusts have no over-4h count
    assert len(empty) == 354
    assert all(r["numerator"] == "" and r["denominator"] == "" for r in empty)  # counts come in pairs
    assert {r["code"] for r in empty} >= {"RGT", "RC9", "RX1", "RYJ", "RQM", "RDU"}


def test_rates_carry_their_counts() -> None:
    n = 0
    for r in _raw("observations.csv"):
        if r["measure"] in ("ae_4h", "cancer_62d", "cancer_31d", "cancer_fds") and r["value"]:
            assert abs(float(r["value"]) - float(r["numerator"]) / float(r["denominator"])) < 1e-6, r
            n += 1
        elif r["measure"].startswith("cqc_"):
            assert r["numerator"] == r["denominator"] == "" and r["inherited"] in ("yes", "no", "")
    assert n > 12000
    # spot checks from SOURCES.md section 9 (attendances / over 4h): R0A 2022-12 41410 / 20042
    r0a = next(
        r
        for r in _raw("observations.csv")
        if (r["code"], r["measure"], r["period_end"]) == ("R0A", "ae_4h", "2022-12-31")
    )
    assert (r0a["numerator"], r0a["denominator"]) == (str(41410 - 20042), "41410")
    dta = next(
        r
        for r in _raw("observations.csv")
        if (r["code"], r["measure"], r["period_end"]) == ("RYR", "ae_dta_over_4h", "2021-10-31")
    )
    assert dta["value"] == "2176"


def test_mapped_values_name_their_source_codes() -> None:
    rows = {(r["code"], r["measure"], r["period_end"]): r for r in _raw("observations.csv")}
    assert rows[("R0A", "ae_4h", "2016-04-30")]["source_code"] == "RM2 RW3"
    assert rows[("RA7", "ae_4h", "2022-03-31")]["source_code"] == "RA7 RVJ"
    assert (
        rows[("RA7", "cqc_overall", next(k[2] for k in rows if k[:2] == ("RA7", "cqc_overall")))]["source_code"] == ""
    )


def test_events_become_arrangements() -> None:
    rows = _raw("arrangements.csv")
    events = [r for r in rows if r["form"] == "merger_acquisition"]
    # 41 dated predecessor-to-successor events (36 ODS successions since 2014, 5 register mergers):
    # the 10 predecessors of 5 new organisations give one merger row each, the rest one row each
    merged = [r for r in events if not r["lead"]]
    assert len(merged) == 5 and sum(len(r["parties"].split()) for r in merged) == 10
    assert len(events) - len(merged) == 31
    r0a = next(r for r in merged if r["parties"] == "RM2 RW3")
    assert r0a["start"] == "2017-10-01" and r0a["recipient"] == ""
    rrk = next(r for r in events if r["lead"] == "RRK")
    assert (rrk["start"], rrk["parties"], rrk["recipient"]) == ("2018-04-01", "RR1 RRK", "")
    boards = [r for r in rows if r not in events]
    assert len(boards) == 6 and all(not r["lead"] and not r["recipient"] for r in boards)
    assert sum(1 for r in boards if not r["start"]) == 5  # only one board gives a start date


def test_unknown_arrangement_cells_make_counts_unknown() -> None:
    b = validate_bundle(load_bundle(NHS), nhs_spec()).bundle
    assert b is not None
    lead = derive(b, [ArrangementCount("lead")], dt.date(2025, 6, 30))[ArrangementCount("lead")]
    assert lead.value_of("RQM") is None  # a NW London board member: it may lead the board (no date)
    assert lead.value_of("RW4") == 3.0  # three acquisitions, 2016, 2018 and 2021
    assert lead.value_of("RM3") == 1.0
    assert lead.value_of("RX9") == 0.0
    assert ("arrangements.csv", 39) in lead.evidence_of("RQM")
    recent = ArrangementCount("lead", "merger_acquisition", 24)
    got = derive(b, [recent], dt.date(2018, 6, 30))[recent]
    assert got.value_of("RRK") == 1.0 and got.value_of("R0A") == 0.0  # R0A was new: no acquirer


def test_ratings_from_predecessors_are_a_status() -> None:
    b = validate_bundle(load_bundle(NHS), nhs_spec()).bundle
    assert b is not None
    req = StatusActive("rating_from_predecessor")
    got = derive(b, [req], dt.date(2025, 6, 30))[req]
    assert got.value_of("RJ1") is True  # Royal Brompton joined in 2021; Guy's latest rating predates it
    assert got.value_of("RRK") is False  # Heart of England joined in 2018; UHB rated again in 2024
    assert got.value_of("RX9") is False
    assert got.value_of("R0D") is False  # no rating at all here: nothing to say (its CQC values are missing)


def test_twelve_hour_share_rests_on_the_sitrep_counts() -> None:
    """``ae_dta_within_12h``: (admissions via A&E - 12-hour waits) / admissions via A&E, each row
    beside the month's 12-hour count, never with a zero denominator."""
    rows = _raw("observations.csv")
    over = {(r["code"], r["period_end"]): r["value"] for r in rows if r["measure"] == "ae_dta_over_12h"}
    shares = [r for r in rows if r["measure"] == "ae_dta_within_12h"]
    assert len(shares) > 1500
    for r in shares:
        num, den = float(r["numerator"]), float(r["denominator"])
        assert den > 0 and 0 <= num <= den, r
        assert abs(float(r["value"]) - num / den) < 1e-6, r
        assert den - num == float(over[(r["code"], r["period_end"])]), r  # the same month's 12-hour waits
        assert "2024-06-30" <= r["period_end"] <= "2025-06-30", r
    # R0A 2024-06 in the SitRep CSV: admissions via A&E 5517 + 140 + 141, 364 waited 12+ hours
    r0a = next(r for r in shares if (r["code"], r["period_end"]) == ("R0A", "2024-06-30"))
    assert (r0a["numerator"], r0a["denominator"]) == (str(5798 - 364), "5798")
