"""A test run as JUnit XML (the format CI systems read: GitLab, Jenkins, GitHub test reporters).

One ``<testsuite>`` per test file, one ``<testcase>`` per case (``classname`` = ``FILE::TEST``,
``name`` = the case), a ``<failure>`` with every failed expectation and its reason.  Built with
``xml.etree`` so every text and attribute is escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from credential.testing.runner import CaseResult, SuiteResult


def _failure_text(cr: CaseResult) -> str:
    lines = []
    for c in cr.checks:
        if not c.ok:
            e = c.expectation
            lines.append(f"{e.label}: expected {e.outcome.value}, got {c.actual.value}")
            if c.reason:
                lines.append(f"  {c.reason}")
    return "\n".join(lines)


def render_junit(result: SuiteResult) -> str:
    root = ET.Element("testsuites", name="credential test")
    by_file: dict[str, list[CaseResult]] = {}
    for cr in result.cases:
        by_file.setdefault(cr.test.file, []).append(cr)
    total = failures = 0
    total_time = 0.0
    for file, cases in by_file.items():
        fails = sum(1 for c in cases if not c.passed)
        seconds = sum(c.seconds for c in cases)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=file,
            tests=str(len(cases)),
            failures=str(fails),
            errors="0",
            skipped="0",
            time=f"{seconds:.3f}",
        )
        for cr in cases:
            tc = ET.SubElement(
                suite,
                "testcase",
                classname=f"{file}::{cr.test.name}",
                name=cr.case.name,
                file=file,
                time=f"{cr.seconds:.3f}",
            )
            props = ET.SubElement(tc, "properties")
            ET.SubElement(props, "property", name="policy", value=cr.test.policy_display)
            ET.SubElement(props, "property", name="as_of", value=cr.case.as_of.isoformat())
            if not cr.passed:
                failed = [c for c in cr.checks if not c.ok]
                msg = f"{len(failed)} of {len(cr.checks)} expectation(s) failed"
                ET.SubElement(tc, "failure", message=msg, type="expectation").text = _failure_text(cr)
        total += len(cases)
        failures += fails
        total_time += seconds
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
