"""Policy test files: YAML documents → :class:`PolicyTest` values (format: docs/policy-tests.md).

A file holds one test (a mapping with ``cases``), a list of tests, or several YAML
documents, each one of those.  Every problem in a file is reported at once, as a
``test.*`` diagnostic pointing at the place in the file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from credential.diagnostics import Diagnostic, error
from credential.evaluation.decisions import Outcome
from credential.span import Span
from credential.testing.yamlsrc import YMap, load_documents, span_of

OUTCOME_WORDS: dict[str, Outcome] = {
    "granted": Outcome.GRANTED,
    "true": Outcome.GRANTED,
    "refused": Outcome.REFUSED,
    "false": Outcome.REFUSED,
    "undetermined": Outcome.UNDETERMINED,
    "unknown": Outcome.UNDETERMINED,
}
TEST_KEYS = ("name", "policy", "as_of", "data", "cases", "note")
CASE_KEYS = ("name", "provider", "as_of", "expect", "note")
FIXTURES = ("nhs",)
TABLES = ("providers", "observations", "statuses", "arrangements", "coverage")  # as credential.data.load.TABLES
SubjectKind = Literal["credential", "criterion", "form", "pair"]


@dataclass(frozen=True)
class Expectation:
    """One expected outcome: ``subject`` is the decision subject as written in decision records."""

    kind: SubjectKind
    name: str  # the credential, criterion or form
    role: str | None  # form: lead | recipient
    args: tuple[str, ...]  # (provider,) or (lead, recipient)
    outcome: Outcome
    missing: tuple[str, ...] | None  # exact missing values expected, when given
    span: Span

    @property
    def subject(self) -> str:
        if self.kind == "form":
            return f"form:{self.name}:{self.role}"
        if self.kind == "pair":
            return f"pair:{self.name}:{self.args[0]}:{self.args[1]}"
        return f"{self.kind}:{self.name}"

    @property
    def label(self) -> str:
        """How a report names it: ``RM3 credential:supporter`` or ``pair:buddying:RM3:RW6``."""
        return self.subject if self.kind == "pair" else f"{self.args[0]} {self.subject}"


@dataclass(frozen=True)
class CaseSpec:
    name: str
    provider: str | None
    as_of: dt.date
    expectations: tuple[Expectation, ...]
    span: Span

    def providers(self) -> set[str]:
        """Every provider the case names (its own and each pair's lead and recipient)."""
        return {a for e in self.expectations for a in e.args}

    def pairs(self) -> set[tuple[str, str]]:
        return {(e.args[0], e.args[1]) for e in self.expectations if e.kind == "pair"}


@dataclass(frozen=True)
class DataSpec:
    kind: Literal["fixture", "path", "inline"]
    path: Path | None  # a path bundle (resolved); None for a fixture or inline data
    name: str  # fixture name, path as written, or "inline"
    inline: YMap | None
    span: Span  # where `data` is given

    @property
    def key(self) -> str:
        """Equal for equal data, so loaded bundles can be shared between tests."""
        if self.kind == "inline":
            return "inline:" + json.dumps(self.inline, sort_keys=True)
        return f"{self.kind}:{self.path or self.name}"


@dataclass(frozen=True)
class PolicyTest:
    file: str  # the test file as displayed
    name: str
    policy: Path  # resolved
    policy_display: str  # as shown in diagnostics and reports
    data: DataSpec
    cases: tuple[CaseSpec, ...]
    span: Span  # where `policy` is named


def display_path(path: Path) -> str:
    """Relative to the working directory when below it, as policy diagnostics show paths."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def parse_date(value: Any, at: Span, diags: list[Diagnostic]) -> dt.date | None:
    if isinstance(value, str) and value.strip().lower() == "today":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        diags.append(
            error(
                "test.bad-date",
                f"`{value}` is not a date",
                span_of(value, at),
                help="write YYYY-MM-DD, or `today`",
            )
        )
        return None


class _Parser:
    def __init__(self, path: Path, display: str):
        self.path = path
        self.display = display
        self.diags: list[Diagnostic] = []

    def err(self, code: str, message: str, at: Span, help: str | None = None) -> None:
        self.diags.append(error(code, message, at, help))

    def keys(self, m: YMap, allowed: tuple[str, ...], what: str) -> None:
        for k in m:
            if k not in allowed:
                self.err(
                    "test.unknown-key",
                    f"`{k}` is not a key of {what}",
                    m.key_spans.get(k, m.span),
                    help="the keys are " + ", ".join(f"`{a}`" for a in allowed),
                )

    def text(self, m: YMap, key: str, what: str, required: bool = True) -> str | None:
        v = m.get(key)
        if v is None:
            if required:
                self.err("test.missing-key", f"{what} needs `{key}`", m.span)
            return None
        if not isinstance(v, str):
            self.err("test.bad-file", f"`{key}` must be a single value", span_of(v, m.span))
            return None
        return v

    def documents(self, docs: list[Any]) -> list[PolicyTest]:
        tests: list[PolicyTest] = []
        for doc in docs:
            items = doc if isinstance(doc, list) else [doc]
            for item in items:
                if not isinstance(item, YMap):
                    self.err(
                        "test.bad-file",
                        "a test is a mapping with `policy`, `data` and `cases`",
                        span_of(item, span_of(doc, _nowhere())),
                    )
                    continue
                test = self.test(item, len(tests) + 1)
                if test is not None:
                    tests.append(test)
        return tests

    def test(self, m: YMap, index: int) -> PolicyTest | None:
        self.keys(m, TEST_KEYS, "a test")
        before = len(self.diags)
        policy = self.text(m, "policy", "a test")
        as_of = parse_date(m["as_of"], m.span, self.diags) if m.get("as_of") is not None else dt.date.today()
        data = self.data(m)
        policy_path = (self.path.parent / policy).resolve() if policy else None
        if policy_path is not None and not (str(policy).endswith(".cred") and policy_path.name.endswith(".cred")):
            # a test file is reviewed like a policy: it cannot make the runner read (and quote) other files
            self.err(
                "test.missing-policy",
                f"`policy` must name a .cred file: `{policy}` does not",
                span_of(m.get("policy"), m.span),
                help="name the policy file the cases test",
            )
            policy_path = None
        elif policy_path is not None and not policy_path.is_file():
            self.err(
                "test.missing-policy",
                f"no policy file at {display_path(policy_path)}",
                span_of(m.get("policy"), m.span),
                help="`policy` is relative to the test file",
            )
        cases_raw = m.get("cases")
        cases: list[CaseSpec] = []
        if not isinstance(cases_raw, list) or not cases_raw:
            self.err(
                "test.missing-key",
                "a test needs `cases`: a list of one or more cases",
                span_of(cases_raw, m.span),
            )
        else:
            for c in cases_raw:  # parsed even when as_of is bad, to report every problem
                case = self.case(c, as_of or dt.date.min, cases_raw)
                if case is not None:
                    cases.append(case)
        seen: set[str] = set()
        for c in cases:
            if c.name in seen:
                self.err("test.duplicate-case", f"two cases of this test are named `{c.name}`", c.span)
            seen.add(c.name)
        if len(self.diags) > before or policy_path is None or data is None or as_of is None:
            return None
        name = self.text(m, "name", "a test", required=False) or f"{Path(self.display).stem} #{index}"
        return PolicyTest(
            self.display,
            name,
            policy_path,
            display_path(policy_path),
            data,
            tuple(cases),
            m.key_spans.get("policy", m.span),
        )

    def data(self, m: YMap) -> DataSpec | None:
        v = m.get("data")
        at = span_of(v, m.span)
        key_at = m.key_spans.get("data", at)
        if v is None:
            self.err(
                "test.missing-key",
                "a test needs `data`: `{fixture: nhs}`, a path, or an inline bundle",
                m.span,
            )
            return None
        if isinstance(v, str):
            path = (self.path.parent / v).resolve()
            if not path.exists():
                self.err(
                    "test.missing-data",
                    f"no data bundle at {display_path(path)}",
                    at,
                    help="`data` is relative to the test file",
                )
                return None
            return DataSpec("path", path, str(v), None, key_at)
        if isinstance(v, YMap) and "fixture" in v:
            name = v.get("fixture")
            if len(v) != 1 or name not in FIXTURES:
                self.err("test.bad-data", "`fixture` names a bundled data set: one of " + ", ".join(FIXTURES), at)
                return None
            return DataSpec("fixture", None, str(name), None, key_at)
        if isinstance(v, YMap):
            ok = True
            for k, rows in v.items():
                if k not in TABLES:
                    ok = False
                    self.err(
                        "test.bad-data",
                        f"`{k}` is not a table of a data bundle",
                        v.key_spans.get(k, at),
                        help="the tables are " + ", ".join(TABLES),
                    )
                elif rows is not None and not isinstance(rows, list):
                    ok = False
                    self.err("test.bad-data", f"`{k}` must be a list of rows", span_of(rows, at))
            return DataSpec("inline", None, "inline", v, key_at) if ok else None
        self.err(
            "test.bad-data",
            "`data` is `{fixture: nhs}`, a path, or an inline bundle (a mapping of tables)",
            at,
        )
        return None

    def case(self, c: Any, as_of: dt.date, where: Any) -> CaseSpec | None:
        if not isinstance(c, YMap):
            self.err("test.bad-file", "a case is a mapping with `name` and `expect`", span_of(c, where.span))
            return None
        before = len(self.diags)
        self.keys(c, CASE_KEYS, "a case")
        name = self.text(c, "name", "a case")
        provider = self.text(c, "provider", "a case", required=False)
        date = parse_date(c["as_of"], c.span, self.diags) if c.get("as_of") is not None else as_of
        expect = c.get("expect")
        exps: list[Expectation] = []
        if not isinstance(expect, YMap) or not expect:
            self.err(
                "test.missing-key",
                "a case needs `expect`: a mapping of subject to outcome",
                span_of(expect, c.span),
            )
        else:
            for key, value in expect.items():
                e = self.expectation(key, value, provider, expect.key_spans.get(key, expect.span))
                if e is not None:
                    exps.append(e)
        if len(self.diags) > before or name is None or date is None:
            return None
        return CaseSpec(str(name), provider, date, tuple(exps), c.span)

    def expectation(self, key: str, value: Any, provider: str | None, at: Span) -> Expectation | None:
        parts = key.split(":")
        kind = parts[0]
        args: tuple[str, ...]
        role: str | None = None
        shapes = "`credential:NAME`, `criterion:NAME`, `form:NAME:lead|recipient` or `pair:FORM:LEAD:RECIPIENT`"
        if kind in ("credential", "criterion") and len(parts) == 2:
            args = (provider,) if provider else ()
        elif kind == "form" and len(parts) == 3 and parts[2] in ("lead", "recipient"):
            role = parts[2]
            args = (provider,) if provider else ()
        elif kind == "pair" and len(parts) == 4:
            args = (parts[2], parts[3])
            if parts[2] == parts[3]:
                self.err("test.bad-subject", "a provider is never paired with itself", at)
                return None
        else:
            self.err("test.bad-subject", f"`{key}` is not a subject", at, help=f"write {shapes}")
            return None
        if not args:
            self.err("test.missing-key", f"`{key}` needs the case's `provider`", at)
            return None
        missing: tuple[str, ...] | None = None
        word = value
        if isinstance(value, YMap):
            self.keys(value, ("outcome", "missing"), "an expectation")
            word = value.get("outcome")
            miss = value.get("missing")
            if miss is not None:
                if not isinstance(miss, list) or not all(isinstance(x, str) for x in miss):
                    self.err("test.bad-file", "`missing` is a list of value names", span_of(miss, at))
                else:
                    missing = tuple(sorted(str(x) for x in miss))
        outcome = OUTCOME_WORDS.get(str(word).strip().lower()) if isinstance(word, str) else None
        if outcome is None:
            self.err(
                "test.bad-outcome",
                f"`{word}` is not an outcome",
                span_of(word, at),
                help="write granted, refused or undetermined (or true, false, unknown)",
            )
            return None
        return Expectation(cast(SubjectKind, kind), parts[1], role, args, outcome, missing, at)


def _nowhere() -> Span:
    from credential.span import NOWHERE

    return NOWHERE


def load_test_file(path: Path) -> tuple[list[PolicyTest], list[Diagnostic]]:
    """The tests in one file, and every problem found in it."""
    display = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [error("test.unreadable", f"cannot read {display}: {exc}")]
    source, docs, diags = load_documents(text, display)
    parser = _Parser(path.resolve(), display)
    tests = parser.documents(docs) if not diags else []
    diags.extend(parser.diags)
    if not diags and not tests:
        diags.append(
            error(
                "test.no-tests",
                "the file holds no tests",
                source.span(0, 0),
                help="a test is a mapping with `policy`, `data` and `cases`",
            )
        )
    return tests, diags


def discover(paths: list[Path]) -> list[Path]:
    """``*.yaml``/``*.yml`` files: each given file, and every one below each given folder (sorted)."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.suffix in (".yaml", ".yml")
                    and f.is_file()
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                )
            )
        else:
            found.append(p)
    seen: set[Path] = set()
    out = []
    for f in found:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            out.append(f)
    return out
