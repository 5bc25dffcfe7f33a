"""Policy tests: YAML test cases for a policy, run with coverage (``credential test``; docs/policy-tests.md).

``spec`` reads test files, ``inline`` turns an inline data bundle into a validated bundle,
``runner`` evaluates and compares, ``coverage`` counts which parts of the policy the tests
made true and false, ``report`` renders a run as text or JSON.
"""

from __future__ import annotations

from credential.testing.runner import (
    CaseResult,
    CheckResult,
    SuiteResult,
    TestFileInvalid,
    load_tests,
    run_tests,
)
from credential.testing.spec import CaseSpec, Expectation, PolicyTest, discover, load_test_file

__all__ = [
    "CaseResult",
    "CaseSpec",
    "CheckResult",
    "Expectation",
    "PolicyTest",
    "SuiteResult",
    "TestFileInvalid",
    "discover",
    "load_test_file",
    "load_tests",
    "run_tests",
]
