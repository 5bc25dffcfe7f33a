"""Bundle declarations used by the bundled NHS fixture and by the synthetic generator.

These mirror what the reference policy declares about its data, so the data layer can be
built and tested without a policy file.  A real run derives its :class:`BundleSpec` from the
policy (``CheckedPolicy.bundle_spec()``).
"""

from __future__ import annotations

from credential.types import BOOL, NUMBER, PERCENT, TEXT, BundleSpec, EnumType, ScaleType, ValueType

RATING = ScaleType("rating", ("inadequate", "requires_improvement", "good", "outstanding"))
"""The CQC rating scale, in increasing order."""

SECTORS = ("acute", "mental_health", "community", "ambulance", "specialist", "online")

CQC_MEASURES = ("cqc_overall", "cqc_safe", "cqc_effective", "cqc_caring", "cqc_responsive", "cqc_well_led")
PERFORMANCE_MEASURES = ("ae_4h", "cancer_62d", "cancer_31d", "cancer_fds")
COUNT_MEASURES = ("ae_dta_over_4h", "ae_dta_over_12h")
"""A&E waits from the decision to admit to admission: over 4 hours, and over 12 hours (counts)."""
NHS_RATE_MEASURES = ("ae_dta_within_12h",)
"""Emergency admissions via A&E admitted within 12 hours of the decision to admit (a rate with its
counts; fixture only, see fixtures/nhs/PROVENANCE.md)."""
STATUSES = ("special_measures_quality", "special_measures_finance")
NHS_STATUSES = ("rating_from_predecessor",)
"""Derived by the fixture build from mergers and CQC's inherited marks (see fixtures/nhs/PROVENANCE.md)."""
FORMS = ("buddying", "joint_venture", "management_franchise", "acquisition", "chain_group")
NHS_FORMS = ("merger_acquisition", "chain_group")
"""The forms of the fixture's arrangement rows (the reference policies' names)."""


def _attributes() -> dict[str, ValueType]:
    return {
        "sector": EnumType(SECTORS),
        "region": TEXT,
        "ics": TEXT,
        "foundation_trust": BOOL,
    }


def _measures() -> dict[str, ValueType]:
    return {**{m: RATING for m in CQC_MEASURES}, **{m: PERCENT for m in PERFORMANCE_MEASURES}}


def nhs_spec() -> BundleSpec:
    """The declarations the bundled NHS fixture (``fixtures/nhs``) satisfies."""
    return BundleSpec(
        attributes=_attributes(),
        measures={
            **_measures(),
            **{m: NUMBER for m in COUNT_MEASURES},
            **{m: PERCENT for m in NHS_RATE_MEASURES},
        },
        statuses=frozenset((*STATUSES, *NHS_STATUSES)),
        forms=frozenset((*FORMS, *NHS_FORMS)),
    )


def synthetic_spec() -> BundleSpec:
    """The NHS declarations the generator has always drawn from, plus what the real data lacks:
    ``rtt_18w`` (percent) and ``surplus_pct``.  ``surplus_pct`` is a *number* (a surplus or
    deficit as a share of income, e.g. -2.5 for a 2.5% deficit): a ``percent`` must lie in
    [0, 1] and a deficit is negative.  (The fixture-only declarations of :func:`nhs_spec` are left
    out, so seeded bundles stay as they were.)"""
    return BundleSpec(
        attributes=_attributes(),
        measures={**_measures(), "rtt_18w": PERCENT, "surplus_pct": NUMBER},
        statuses=frozenset(STATUSES),
        forms=frozenset(FORMS),
    )
