"""Policy expiry: a policy is in force up to and including its ``expires`` date.

Evaluating a policy as of a later date is an error (``eval.policy-expired``, exit 1) unless the
caller allows it (``--allow-expired``), in which case every decision record says so: its
``policy`` carries ``expires`` and ``allow_expired: true``.  As-of dates on or before the expiry
date (back-tests) need no flag.  Every command that evaluates goes through
:func:`credential.evaluation.evaluate.check_expiry`.
"""

from __future__ import annotations

import datetime as dt

from credential.check import CheckedPolicy
from credential.diagnostics import Diagnostic, Severity

CODE = "eval.policy-expired"


def is_expired(policy: CheckedPolicy, as_of: dt.date) -> bool:
    return policy.expires is not None and as_of > policy.expires


def expired_diagnostic(policy: CheckedPolicy, as_of: dt.date) -> Diagnostic:
    assert policy.expires is not None
    return Diagnostic(
        CODE,
        Severity.ERROR,
        f"policy {policy.name} {policy.version} expired on {policy.expires.isoformat()}; "
        f"it cannot decide as of {as_of.isoformat()}",
        help=(
            f"evaluate as of {policy.expires.isoformat()} or earlier, publish a new version, or pass "
            "--allow-expired (recorded in every decision record)"
        ),
        file=policy.path or None,
    )
