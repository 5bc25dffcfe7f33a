"""Running policy tests: load each test's policy and data, evaluate once per date, compare outcomes.

Cases that share a policy, a data set and an as-of date share one evaluation (with the
pair program when any of them expects a ``pair:`` subject), and that evaluation is
counted once for coverage, over every provider and pair those cases name.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credential.check import CheckedPolicy
from credential.compile import names as pn
from credential.diagnostics import Diagnostic, DiagnosticError, error, sort_diagnostics
from credential.evaluation.decisions import Outcome
from credential.evaluation.evaluate import DataInvalid, Evaluation, Inputs, PolicyInvalid, evaluate_inputs, load_inputs
from credential.proofs.values import show
from credential.testing.coverage import PolicyCoverage
from credential.testing.spec import CaseSpec, Expectation, PolicyTest, load_test_file

LEAVES = ("comparison", "status", "arrangement", "judged")
FLIP = {"true": "false", "false": "true", "unknown": "unknown"}
TRUTH_OF = {Outcome.GRANTED: "true", Outcome.REFUSED: "false", Outcome.UNDETERMINED: "unknown"}


class TestFileInvalid(DiagnosticError):
    """A test file is malformed or names what does not exist (exit code 2)."""

    __test__ = False  # not a pytest test class


@dataclass
class CheckResult:
    expectation: Expectation
    actual: Outcome
    missing: list[str]  # the actual missing values (for an undetermined outcome)
    ok: bool
    reason: str | None = None  # a failure's one-line reason, from the proof


@dataclass
class CaseResult:
    test: PolicyTest
    case: CaseSpec
    checks: list[CheckResult]
    seconds: float = 0.0  # time to check it (the first case of an evaluation also carries the evaluation's)

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class SuiteResult:
    files: list[str]
    tests: list[PolicyTest]
    cases: list[CaseResult]
    coverage: dict[str, PolicyCoverage] | None
    warnings: list[Diagnostic] = field(default_factory=list)
    stopped: bool = False  # stopped at the first failure (``-x``): later cases did not run

    @property
    def failed(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]

    @property
    def ok(self) -> bool:
        return not self.failed


def load_tests(files: list[Path]) -> list[PolicyTest]:
    """Every test in the files; raises :class:`TestFileInvalid` with every problem found."""
    tests: list[PolicyTest] = []
    diags: list[Diagnostic] = []
    for f in files:
        found, problems = load_test_file(f)
        tests.extend(found)
        diags.extend(problems)
    if any(d.is_error for d in diags):
        raise TestFileInvalid(sort_diagnostics(diags))
    return tests


def _note(test: PolicyTest, what: str) -> Diagnostic:
    at = test.span if what == "policy" else test.data.span
    return error("test.inputs", f"the {what} of test `{test.name}` has errors (below)", at)


class _Loader:
    """Policies and data sets, each loaded once however many tests use them."""

    def __init__(self) -> None:
        self.policies: dict[Path, CheckedPolicy] = {}
        self.inputs: dict[tuple[Path, str], Inputs] = {}
        self.warnings: list[Diagnostic] = []

    def policy(self, test: PolicyTest) -> CheckedPolicy:
        from credential.policy import load_checked

        if test.policy not in self.policies:
            checked, diags = load_checked(test.policy_display)
            if checked is None:
                raise PolicyInvalid([_note(test, "policy"), *(d for d in diags if d.is_error)])
            self.warnings.extend(diags)
            self.policies[test.policy] = checked
        return self.policies[test.policy]

    def load(self, test: PolicyTest) -> Inputs:
        key = (test.policy, test.data.key)
        if key in self.inputs:
            return self.inputs[key]
        checked = self.policy(test)
        try:
            if test.data.kind == "inline":
                from credential.testing.inline import inline_bundle

                assert test.data.inline is not None
                bundle, warnings = inline_bundle(test.data.inline, checked.bundle_spec(), test.file)
                inputs = load_inputs(checked, bundle)
                inputs.diagnostics.extend(warnings)
            else:
                from credential.resources import bundled_data_path

                path = test.data.path if test.data.path is not None else bundled_data_path()
                inputs = load_inputs(checked, path)
        except DataInvalid as exc:
            raise DataInvalid([_note(test, "data"), *exc.diagnostics]) from None
        except PolicyInvalid:
            raise
        except DiagnosticError as exc:  # an unreadable bundle
            raise DataInvalid([_note(test, "data"), *exc.diagnostics]) from None
        self.warnings.extend(inputs.diagnostics)
        self.inputs[key] = inputs
        return inputs


def _unknown(kind: str, name: str, known: list[str], at: Any) -> Diagnostic:
    close = difflib.get_close_matches(name, known, n=1)
    where = "data" if kind == "provider" else "policy"
    return error(
        f"test.unknown-{kind}",
        f"the {where} has no {kind} `{name}`",
        at,
        help=f"did you mean `{close[0]}`?" if close else None,
    )


def check_names(test: PolicyTest, inputs: Inputs) -> list[Diagnostic]:
    """Every subject a test expects must exist in its policy, every provider in its data."""
    policy = inputs.policy
    codes = set(inputs.bundle.provider_codes)
    known: dict[str, dict[str, Any]] = {
        "credential": policy.credentials,
        "criterion": policy.criteria,
        "form": policy.forms,
        "pair": policy.forms,
    }
    diags: list[Diagnostic] = []
    for case in test.cases:
        for e in case.expectations:
            names = known[e.kind]
            if e.name not in names:
                diags.append(_unknown("form" if e.kind == "pair" else e.kind, e.name, list(names), e.span))
            for code in e.args:
                if code not in codes:
                    diags.append(_unknown("provider", code, sorted(codes), e.span))
    return diags


def outcome_of(ev: Evaluation, e: Expectation) -> Outcome:
    if e.kind == "credential":
        c, p = pn.cred(e.name)
    elif e.kind == "criterion":
        c, p = pn.crit(e.name)
    elif e.kind == "form":
        c, p = pn.role_preds(e.name, e.role or "")
    else:
        c, p = pn.pair_preds(e.name)
    return ev.outcome(c, p, e.args)


def proof_of(ev: Evaluation, e: Expectation) -> dict[str, Any]:
    from credential.proofs.proof import ProofBuilder

    builder = ProofBuilder(ev)
    if e.kind == "criterion":
        return builder.rule_proof(ev.policy.criteria[e.name], e.args[0])
    return builder.proof(e.subject, e.args)


def missing_of(node: dict[str, Any]) -> list[str]:
    out: set[str] = set()

    def visit(n: dict[str, Any]) -> None:
        if n.get("outcome") in ("unknown", "undetermined"):
            out.update(n.get("missing", []))
            for child in n.get("children", []):
                visit(child)

    visit(node)
    return sorted(out)


_value = show


def _leaf(n: dict[str, Any], negated: bool) -> str:
    text = " ".join(str(n.get("text", "")).split())
    value = n.get("value")
    if n["kind"] == "status":
        out = f"{text}: " + ("active" if value is True else "not active" if value is False else "unknown")
    elif n["kind"] == "arrangement":
        out = f"{text}: {_value(value)} active"
    elif n["kind"] == "judged":
        out = f"{text}: " + (", ".join(n.get("applies") or []) + " applies" if n.get("applies") else "none applies")
    elif "in" in n.get("threshold", {}):
        out = f"{text}: {_value(value)}"
    else:
        unit = n.get("unit")
        threshold = n.get("threshold", {}).get("value")
        out = f"{text}: {_value(value, None, unit)} {n.get('op', '')} {_value(threshold, None, unit)}"
    return ("not " if negated else "") + out


def reason_of(node: dict[str, Any], actual: Outcome, limit: int = 4) -> str:
    """One line: the leaves of the proof that make the outcome what it is."""
    target = TRUTH_OF[actual]
    found: list[str] = []

    def visit(n: dict[str, Any], negated: bool) -> None:
        if n.get("kind") in LEAVES:
            truth = FLIP[n["outcome"]] if negated else n["outcome"]
            line = _leaf(n, negated)
            if truth == target and line not in found:
                found.append(line)
            return
        for child in n.get("children", []):
            visit(child, negated != (n.get("kind") == "not"))

    visit(node, False)
    head = {Outcome.GRANTED: "holds", Outcome.REFUSED: "fails", Outcome.UNDETERMINED: "unknown"}[actual]
    more = f"; +{len(found) - limit} more" if len(found) > limit else ""
    return f"{head}: " + ("; ".join(found[:limit]) + more if found else "(no leaf condition in the proof)")


def check(ev: Evaluation, e: Expectation) -> CheckResult:
    actual = outcome_of(ev, e)
    ok = actual is e.outcome
    needs_proof = not ok or (e.missing is not None and actual is Outcome.UNDETERMINED)
    proof = proof_of(ev, e) if needs_proof else None
    if proof is not None and e.kind == "pair" and e.args not in ev.rel(pn.pair_domain(e.name)):
        # not a candidate pair (a role certainly fails): its pair condition was never evaluated
        proof["children"] = [c for c in proof.get("children", []) if c.get("kind") == "role"]
    missing = missing_of(proof) if proof is not None and actual is Outcome.UNDETERMINED else []
    if e.missing is not None and tuple(missing) != e.missing:
        ok = False
        if proof is None:
            proof = proof_of(ev, e)
    reason = reason_of(proof, actual) if not ok and proof is not None else None
    return CheckResult(e, actual, missing, ok, reason)


def run_tests(
    tests: list[PolicyTest],
    coverage: bool = True,
    backend: str = "auto",
    stop_on_failure: bool = False,
    allow_expired: bool = False,
) -> SuiteResult:
    """Run every case of every test; coverage (per policy) over the providers the cases name.

    With ``stop_on_failure`` the run stops after the first failing case (in run order).
    """
    import time

    loader = _Loader()
    problems: list[Diagnostic] = []
    inputs_of: list[Inputs] = []
    for test in tests:
        inputs = loader.load(test)
        inputs_of.append(inputs)
        problems.extend(check_names(test, inputs))
    if problems:
        raise TestFileInvalid(sort_diagnostics(problems))

    # one evaluation per (policy, data, date): the cases it serves, in run order
    groups: dict[tuple[Path, str, dt.date], list[tuple[int, int]]] = {}
    for ti, test in enumerate(tests):
        for ci, case in enumerate(test.cases):
            groups.setdefault((test.policy, test.data.key, case.as_of), []).append((ti, ci))
    cov: dict[str, PolicyCoverage] = {}
    results: dict[tuple[int, int], CaseResult] = {}
    stopped = False
    for (_policy, _data, date), members in groups.items():
        if stopped:
            break
        inputs = inputs_of[members[0][0]]
        cases = [tests[ti].cases[ci] for ti, ci in members]
        pairs = any(c.pairs() for c in cases)
        inputs.allow_expired = allow_expired
        t0 = time.perf_counter()
        ev = evaluate_inputs(inputs, date, pairs=pairs, backend=backend)
        for ti, ci in members:
            case = tests[ti].cases[ci]
            checks = [check(ev, e) for e in case.expectations]
            t1 = time.perf_counter()
            results[(ti, ci)] = CaseResult(tests[ti], case, checks, t1 - t0)
            t0 = t1
            if stop_on_failure and not results[(ti, ci)].passed:
                stopped = True
                break
        if coverage:
            display = tests[members[0][0]].policy_display
            pc = cov.setdefault(display, PolicyCoverage(inputs.policy, display))
            providers = set().union(*(c.providers() for c in cases))
            pc.record(ev, providers, set().union(*(c.pairs() for c in cases)))
    ordered = [results[k] for k in sorted(results)]
    files = list(dict.fromkeys(t.file for t in tests))
    warnings = sort_diagnostics(d for d in loader.warnings if not d.is_error)
    return SuiteResult(files, tests, ordered, dict(sorted(cov.items())) if coverage else None, warnings, stopped)
