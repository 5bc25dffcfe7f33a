"""Bundle declarations used by the bundled NHS fixture and by the synthetic generator.

These mirror what the reference policy declares about its data, so the data layer can be
built and tested without a policy file.  A real run derives its :class:`BundleSpec` from the
policy (``CheckedPolicy.bundle_spec()``).
"""

from __future__ import annotations

from credential.types import BOOL, NUMBER, PERCENT, TEXT, BundleSpec, EnumType, ScaleType

RATING = ScaleType("rating", ("inadequate", "requires_improvement", "good", "outstanding"))
"""The CQC rating scale, in increasing order."""

SECTORS = ("acute", "mental_health", "community", "ambulance", "specialist", "online")

CQC_MEASURES = ("cqc_overall", "cqc_safe", "cqc_effective", "cqc_caring", "cqc_responsive", "cqc_well_led")
PERFORMANCE_MEASURES = ("ae_4h", "cancer_62d", "cancer_31d", "cancer_fds")
STATUSES = ("special_measures_quality", "special_measures_finance")
FORMS = ("buddying", "joint_venture", "management_franchise", "acquisition", "chain_group")


def nhs_spec() -> BundleSpec:
    """The declarations the bundled NHS fixture (``fixtures/nhs``) satisfies."""
    return BundleSpec(
        attributes={
            "sector": EnumType(SECTORS),
            "region": TEXT,
            "ics": TEXT,
            "foundation_trust": BOOL,
        },
        measures={**{m: RATING for m in CQC_MEASURES}, **{m: PERCENT for m in PERFORMANCE_MEASURES}},
        statuses=frozenset(STATUSES),
        forms=frozenset(FORMS),
    )


def synthetic_spec() -> BundleSpec:
    """The NHS declarations plus what the real data lacks: ``rtt_18w`` (percent) and
    ``surplus_pct``.  ``surplus_pct`` is a *number* (a surplus or deficit as a share of
    income, e.g. -2.5 for a 2.5% deficit): a ``percent`` must lie in [0, 1] and a deficit is
    negative."""
    base = nhs_spec()
    return BundleSpec(
        attributes=dict(base.attributes),
        measures={**base.measures, "rtt_18w": PERCENT, "surplus_pct": NUMBER},
        statuses=base.statuses,
        forms=base.forms,
    )
