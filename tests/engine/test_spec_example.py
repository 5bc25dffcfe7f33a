"""The spec's complete example on a small hand-made bundle, with hand-computed outcomes.

tests/fixtures/hand_bundle holds six providers (invented values).  Each expectation below
was worked out by hand from the policy text; the comment says why.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from credential.engine import run

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = FIX / "spec_example.cred"
DATA = FIX / "hand_bundle"
D2016, D2023, D2024 = dt.date(2016, 4, 1), dt.date(2023, 3, 31), dt.date(2024, 6, 30)

EXPECTED = [
    # RM3: outstanding overall and well-led, every key question >= good, surplus 2%, RTT mean
    # 0.935 >= 92%, A&E window mean (0.96 + 0.95) / 2 = 0.955 >= 95% (the pre-2023 standard).
    ("RM3", D2016, "credential:group_leader", "granted", []),
    # RM3 leads one active arrangement; 1 < max_led_arrangements (3).
    ("RM3", D2016, "form:management_franchise:lead", "granted", []),
    # RW6: inadequate and in quality special measures since 2014: a recipient, never a supporter.
    ("RW6", D2016, "credential:supporter", "refused", []),
    ("RW6", D2016, "form:buddying:recipient", "granted", []),
    # RXH: financial special measures ended 2015-12-31, before the as-of date, so not active;
    # no surplus observation: financially_sound is unknown, so partner is undetermined.
    ("RXH", D2016, "credential:partner", "undetermined", ["surplus_pct"]),
    ("RXH", D2016, "credential:supporter", "granted", []),
    # R0A: well-led requires improvement: partner refused whatever the missing surplus says
    # (false and unknown = false).
    ("R0A", D2016, "credential:partner", "refused", []),
    # R0A is not a foundation trust (empty cell: missing) but also fails group_leader outright.
    ("R0A", D2016, "form:acquisition:lead", "refused", []),
    # RTH: in financial special measures (active since 2015-10-01), so the requirement of
    # financially_sound fails, but RTH has led an arrangement since 2015-06-01 (within the
    # 24-month grace period): waived, so partner is granted in 2016 ...
    ("RTH", D2016, "credential:partner", "granted", []),
    # ... and refused in 2023 once the grace period has run out.
    ("RTH", D2023, "credential:partner", "refused", []),
    # RAE: A&E 4-hour mean 0.80 over the last 4 quarters.  Before 2023-04-01 the standard is
    # 95%: group_leader refused on 2023-03-31; from 2023-04-01 it is 76%: granted on 2024-06-30.
    ("RAE", D2023, "credential:group_leader", "refused", []),
    ("RAE", D2024, "credential:group_leader", "granted", []),
    # RAE in 2016 has no CQC rating yet: the latest observation on or before the as-of date
    # is missing, so supporter is undetermined (not refused).
    ("RAE", D2016, "credential:supporter", "undetermined", ["cqc_overall"]),
]


@pytest.fixture(scope="module")
def records() -> dict[tuple[str, str, str], tuple[str, list[str]]]:
    result = run(POLICY, DATA, [D2016, D2023, D2024], pairs=True)
    return {(r.provider, r.as_of, r.subject): (r.outcome.value, r.missing) for r in result.records}


@pytest.mark.parametrize(("code", "as_of", "subject", "outcome", "missing"), EXPECTED)
def test_hand_computed(
    records: dict, code: str, as_of: dt.date, subject: str, outcome: str, missing: list[str]
) -> None:
    assert records[(code, as_of.isoformat(), subject)] == (outcome, missing)


def test_all_three_outcomes_occur(records: dict) -> None:
    assert {o for o, _ in records.values()} == {"granted", "refused", "undetermined"}


def test_pairs(records: dict) -> None:
    # acquisition needs group_leader + foundation trust (RM3), a recipient in quality special
    # measures (RW6), the same region and sector (both North West acute).
    assert records[("RM3", "2016-04-01", "pair:acquisition:RM3:RW6")] == ("granted", [])
    # joint venture RM3 -> R0A: same region, but R0A's recipient role is undetermined
    # (not financially_sound is unknown): the pair is undetermined and listed.
    assert records[("RM3", "2016-04-01", "pair:joint_venture:RM3:R0A")] == ("undetermined", ["surplus_pct"])
    # RM3 -> RXH: different regions: refused pairs are not listed.
    assert ("RM3", "2016-04-01", "pair:joint_venture:RM3:RXH") not in records
    # never paired with itself
    assert not any(k[2].split(":")[2:3] == k[2].split(":")[3:4] for k in records if k[2].startswith("pair:"))


def test_one_record_per_provider_and_subject(records: dict) -> None:
    singles = [k for k in records if not k[2].startswith("pair:")]
    # 6 providers x 3 dates x (3 credentials + 4 forms x 2 roles)
    assert len(singles) == 6 * 3 * 11
