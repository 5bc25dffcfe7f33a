"""Rendering a test run: text for people, JSON for machines."""

from __future__ import annotations

import json
from typing import Any

from credential.evaluation.decisions import Truth
from credential.testing.coverage import KINDS, PolicyCoverage, line_ranges
from credential.testing.runner import CaseResult, CheckResult, SuiteResult
from credential.testing.spec import PolicyTest


def data_label(test: PolicyTest) -> str:
    d = test.data
    if d.kind == "fixture":
        return f"fixture {d.name}"
    return "inline data" if d.kind == "inline" else f"data {d.name}"


def _check_lines(c: CheckResult) -> list[str]:
    e = c.expectation
    got = c.actual.value
    if e.missing is not None:
        want = f"{e.outcome.value} missing [{', '.join(e.missing)}]"
        got = f"{got} missing [{', '.join(c.missing)}]"
    else:
        want = e.outcome.value
    lines = [f"{e.label}: expected {want}, got {got}"]
    lines.append("  missing: " + (", ".join(c.missing) if c.missing else "(none)"))
    if c.reason:
        lines.append(f"  {c.reason}")
    return lines


def summary_line(result: SuiteResult) -> str:
    passed = len(result.cases) - len(result.failed)
    checks = sum(len(c.checks) for c in result.cases)
    return (
        f"{passed} passed, {len(result.failed)} failed: {len(result.cases)} case(s), "
        f"{checks} expectation(s), {len(result.tests)} test(s) in {len(result.files)} file(s)"
    )


def render_text(result: SuiteResult, show_passed: bool = True, verbose: bool = False) -> str:
    """Cases per test, failures with their reasons; ``verbose`` lists every expectation that held too."""
    out: list[str] = []
    by_test: dict[int, list[CaseResult]] = {}
    for cr in result.cases:
        by_test.setdefault(id(cr.test), []).append(cr)
    current_file = None
    for test in result.tests:
        if test.file != current_file:
            current_file = test.file
            out.append(test.file)
        cases = by_test.get(id(test), [])
        first = cases[0].case.as_of if cases else None
        when = f", as of {first.isoformat()}" if first else ""
        out.append(f"  {test.name} ({test.policy_display}, {data_label(test)}{when})")
        for cr in cases:
            if cr.passed and not show_passed:
                continue
            date = f" (as of {cr.case.as_of.isoformat()})" if cr.case.as_of != first else ""
            out.append(f"    {'ok' if cr.passed else 'FAIL':<5} {cr.case.name}{date}")
            for c in cr.checks:
                if not c.ok:
                    out.extend(f"          {line}" for line in _check_lines(c))
                elif verbose:
                    out.append(f"          ok {c.expectation.label}: {c.actual.value}")
    out.append("")
    out.append(summary_line(result))
    if result.stopped:
        out.append("stopped at the first failure (-x): later cases did not run")
    for pc in (result.coverage or {}).values():
        out.append("")
        out.extend(coverage_lines(pc))
    return "\n".join(out) + "\n"


def _pct(n: int, d: int) -> str:
    return f"{(100.0 * n / d) if d else 100.0:5.1f}%"


def coverage_lines(pc: PolicyCoverage) -> list[str]:
    p = pc.policy
    out = [
        f"coverage of {p.name} {p.version} ({pc.display}): {pc.evaluations} evaluation(s), "
        f"{pc.provider_observations} provider and {pc.pair_observations} pair observation(s)",
        f"  {'kind':<11} {'parts':>5}   {'made true':>12}   {'made false':>12}   {'both ways':>9}",
    ]
    for kind, s in pc.summary().items():
        out.append(
            f"  {kind:<11} {s.parts:>5}   {s.made_true:>4} {_pct(s.made_true, s.parts)}   "
            f"{s.made_false:>4} {_pct(s.made_false, s.parts)}   {s.percent:8.1f}%"
        )
    out.append(f"  rule coverage (criteria, credentials and roles, both ways): {pc.rule_percent():.1f}%")
    for truth, title in ((Truth.TRUE, "never made true"), (Truth.FALSE, "never made false")):
        parts = pc.never(truth)
        out.append(f"  {title}:" + ("" if parts else " (none)"))
        for part in sorted(parts, key=lambda x: (KINDS.index(x.kind), x.span.path, x.span.start)):
            where = f"  {part.where}" if part.kind == "node" else ""
            out.append(f"    {part.kind} {part.label}{where}")
    never, partly = pc.lines()
    for title, lines in (("lines never exercised", never), ("lines partly exercised", partly)):
        text = "; ".join(f"{path}: {line_ranges(ns)}" for path, ns in lines.items())
        out.append(f"  {title}: {text or '(none)'}")
    return out


def _check_json(c: CheckResult) -> dict[str, Any]:
    e = c.expectation
    out: dict[str, Any] = {
        "subject": e.subject,
        "provider": e.args[0],
        "expected": e.outcome.value,
        "actual": c.actual.value,
        "ok": c.ok,
        "missing": c.missing,
    }
    if e.missing is not None:
        out["expected_missing"] = list(e.missing)
    if c.reason:
        out["reason"] = c.reason
    return out


def render_json(result: SuiteResult) -> str:
    doc: dict[str, Any] = {
        "files": result.files,
        "results": [
            {
                "file": cr.test.file,
                "test": cr.test.name,
                "policy": cr.test.policy_display,
                "data": data_label(cr.test),
                "case": cr.case.name,
                "as_of": cr.case.as_of.isoformat(),
                "status": "pass" if cr.passed else "fail",
                "checks": [_check_json(c) for c in cr.checks],
            }
            for cr in result.cases
        ],
        "summary": {
            "passed": len(result.cases) - len(result.failed),
            "failed": len(result.failed),
            "cases": len(result.cases),
            "expectations": sum(len(c.checks) for c in result.cases),
            "tests": len(result.tests),
            "files": len(result.files),
        },
    }
    if result.coverage is not None:
        doc["coverage"] = [pc.to_json() for pc in result.coverage.values()]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
