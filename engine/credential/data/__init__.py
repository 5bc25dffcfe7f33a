"""The data layer: loading bundles, validating them against a policy's declarations with
pandera, provenance and digests, values as of a date, and synthetic bundles.

Typical use::

    raw = load_bundle(Path("fixtures/nhs"))
    result = validate_bundle(raw, policy.bundle_spec(), on_invalid="reject")
    values = derive(result.bundle, [LatestMeasure("cqc_overall")], date(2016, 4, 1))
"""

from __future__ import annotations

from credential.data.asof import (
    ArrangementCount,
    AttributeValue,
    Derived,
    LatestMeasure,
    StatusActive,
    Value,
    ValueRequest,
    WindowAggregate,
    derive,
    subtract_months,
)
from credential.data.bundle import Bundle, Quarantine
from credential.data.load import REQUIRED_COLUMNS, TABLES, RawBundle, RawTable, load_bundle
from credential.data.validate import OnInvalid, QuarantinedRow, ValidationResult, validate_bundle

__all__ = [
    "REQUIRED_COLUMNS",
    "TABLES",
    "ArrangementCount",
    "AttributeValue",
    "Bundle",
    "Derived",
    "LatestMeasure",
    "OnInvalid",
    "Quarantine",
    "QuarantinedRow",
    "RawBundle",
    "RawTable",
    "StatusActive",
    "ValidationResult",
    "Value",
    "ValueRequest",
    "WindowAggregate",
    "derive",
    "load_bundle",
    "subtract_months",
    "validate_bundle",
]
