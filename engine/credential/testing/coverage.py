"""Policy coverage: which parts of a policy the tests made true, and which they made false.

The parts of a policy, by kind:

* ``criterion`` and ``credential``: each named rule (whether it holds for a provider);
* ``role``: each form's ``lead`` and ``recipient`` role (per provider) and its ``pair``
  (per pair of providers: both roles and the ``pair`` condition);
* ``clause``: each condition as written after ``requires``, ``unless``, ``lead requires``,
  ``recipient requires`` and ``pair requires``;
* ``node``: every condition node inside those clauses, the clauses themselves included:
  ``and``, ``or``, ``not``, comparisons (``in`` and yes/no tests too), statuses,
  arrangement tests and references to criteria or credentials.

An *observation* is one provider named by at least one case (its ``provider``, and the
lead and recipient of each ``pair:`` subject it expects), in one evaluation (one policy,
one data set, one as-of date): every per-provider part gets that provider's truth value
(true, false or unknown) on that date.  Pair parts are observed on the pairs the cases
name, and a ``pair`` condition's nodes only when the pair is a candidate (neither role
certainly fails): otherwise the engine never evaluates that condition for it.

A part is covered *true* when some observation made it true, *false* when some made it
false; unknown observations are counted but cover neither.  A policy line is *never
exercised* when no node that starts on it was ever made true or false, and *partly
exercised* when some node starting on it was not made both true and false.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from credential.check import ir
from credential.compile import NodePreds
from credential.compile import names as pn
from credential.evaluation.decisions import Truth
from credential.span import Span

if TYPE_CHECKING:
    from credential.evaluation.evaluate import Evaluation

KINDS = ("criterion", "credential", "role", "clause", "node")
RULE_KINDS = ("criterion", "credential", "role")


@dataclass
class Part:
    kind: str
    label: str  # how a report names it
    span: Span
    preds: NodePreds | None = None  # fixed predicates (rules and roles)
    cond: ir.Cond | None = None  # condition parts: predicates come from the compiled policy
    pair_form: str | None = None  # set for parts observed on pairs
    counts: dict[Truth, int] = field(default_factory=lambda: dict.fromkeys(Truth, 0))

    @property
    def made_true(self) -> bool:
        return self.counts[Truth.TRUE] > 0

    @property
    def made_false(self) -> bool:
        """Made false; for a ``judged by`` node, which is never false, made unknown (its other way)."""
        if isinstance(self.cond, ir.CJudged):
            return self.counts[Truth.UNKNOWN] > 0
        return self.counts[Truth.FALSE] > 0

    @property
    def where(self) -> str:
        return f"{self.span.path}:{self.span.line}:{self.span.column}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "source": {"file": self.span.path, "line": self.span.line, "column": self.span.column},
            "true": self.counts[Truth.TRUE],
            "false": self.counts[Truth.FALSE],
            "unknown": self.counts[Truth.UNKNOWN],
        }


def node_kind(c: ir.Cond) -> str:
    if isinstance(c, ir.CAnd):
        return "and"
    if isinstance(c, ir.COr):
        return "or"
    if isinstance(c, ir.CNot):
        return "not"
    if isinstance(c, ir.CRef):
        return c.kind
    if isinstance(c, ir.CStatus):
        return "status"
    if isinstance(c, ir.CArr):
        return "arrangement"
    if isinstance(c, ir.CJudged):
        return "judged"
    return "comparison"


def walk(c: ir.Cond) -> Iterator[ir.Cond]:
    yield c
    if isinstance(c, ir.CAnd | ir.COr):
        for item in c.items:
            yield from walk(item)
    elif isinstance(c, ir.CNot):
        yield from walk(c.item)


def short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class KindSummary:
    parts: int
    made_true: int
    made_false: int
    both: int

    @property
    def percent(self) -> float:
        """Both ways: (parts made true + parts made false) / (2 x parts); 100 when there are none."""
        return 100.0 if not self.parts else 100.0 * (self.made_true + self.made_false) / (2 * self.parts)

    def to_json(self) -> dict[str, Any]:
        def pct(n: int) -> float:
            return 100.0 if not self.parts else round(100.0 * n / self.parts, 2)

        return {
            "parts": self.parts,
            "made_true": self.made_true,
            "made_false": self.made_false,
            "both": self.both,
            "percent_true": pct(self.made_true),
            "percent_false": pct(self.made_false),
            "percent": round(self.percent, 2),
        }


class PolicyCoverage:
    """Coverage counts for one policy, accumulated over evaluations."""

    def __init__(self, policy: ir.CheckedPolicy, display: str):
        self.policy = policy
        self.display = display
        self.parts: list[Part] = []
        self.evaluations = 0
        self.provider_observations = 0
        self.pair_observations = 0
        self._build()

    def _conditions(self, owner: str, cond: ir.Cond, pair_form: str | None) -> None:
        label = f"{owner}: {short(cond.text, 60)}"
        self.parts.append(Part("clause", label, cond.span, cond=cond, pair_form=pair_form))
        for c in walk(cond):
            label = f"{node_kind(c)} `{short(c.text)}`"
            self.parts.append(Part("node", label, c.span, cond=c, pair_form=pair_form))

    def _build(self) -> None:
        p = self.policy
        for rule in [*p.criteria.values(), *p.credentials.values()]:
            preds = NodePreds(*pn.rule_preds(rule.kind, rule.name))
            self.parts.append(Part(rule.kind, rule.name, rule.span, preds))
        for form in p.forms.values():
            for role, span in (("lead", form.lead_span), ("recipient", form.recipient_span)):
                preds = NodePreds(*pn.role_preds(form.name, role))
                self.parts.append(Part("role", f"{form.name}:{role}", span, preds))
            pair_span = form.pair_span if form.pair is not None else form.span
            pc, pp = pn.pair_preds(form.name)
            self.parts.append(
                Part("role", f"{form.name}:pair", pair_span, NodePreds(pc, pp, pair=True), pair_form=form.name)
            )
        for rule in [*p.criteria.values(), *p.credentials.values()]:
            self._conditions(f"{rule.kind} {rule.name} requires", rule.requires, None)
            if rule.unless is not None:
                self._conditions(f"{rule.kind} {rule.name} unless", rule.unless, None)
        for form in p.forms.values():
            self._conditions(f"form {form.name} lead", form.lead, None)
            self._conditions(f"form {form.name} recipient", form.recipient, None)
            if form.pair is not None:
                self._conditions(f"form {form.name} pair", form.pair, form.name)

    def record(self, ev: Evaluation, providers: set[str], pairs: set[tuple[str, str]]) -> None:
        """Count the truth of every part for the named providers (and pairs) in one evaluation."""
        self.evaluations += 1
        self.provider_observations += len(providers)
        if ev.pairs:
            self.pair_observations += len(pairs)
        domains: dict[str, set[tuple[Any, ...]]] = {}
        for part in self.parts:
            preds = part.preds
            if preds is None:
                assert part.cond is not None
                preds = ev.compiled.preds_of(part.cond, part.pair_form)
            if part.pair_form is None:
                for code in providers:
                    part.counts[ev.truth(preds, (code,))] += 1
                continue
            if not ev.pairs:
                continue
            if part.kind != "role" and part.pair_form not in domains:
                domains[part.pair_form] = ev.rel(pn.pair_domain(part.pair_form))
            for pair in pairs:
                if part.kind == "role" or pair in domains[part.pair_form]:
                    part.counts[ev.truth(preds, pair)] += 1

    # ---- summaries ----------------------------------------------------------
    def summary(self) -> dict[str, KindSummary]:
        out = {}
        for kind in KINDS:
            parts = [p for p in self.parts if p.kind == kind]
            out[kind] = KindSummary(
                len(parts),
                sum(p.made_true for p in parts),
                sum(p.made_false for p in parts),
                sum(p.made_true and p.made_false for p in parts),
            )
        return out

    def rule_percent(self) -> float:
        """Both-ways coverage of criteria, credentials and roles together (what --fail-under checks)."""
        parts = [p for p in self.parts if p.kind in RULE_KINDS]
        covered = sum(p.made_true for p in parts) + sum(p.made_false for p in parts)
        return 100.0 if not parts else 100.0 * covered / (2 * len(parts))

    def never(self, truth: Truth) -> list[Part]:
        """Parts never made ``truth`` (for false: never made false, or a ``judged by`` never unknown)."""
        made = (lambda p: p.made_true) if truth is Truth.TRUE else (lambda p: p.made_false)
        return [p for p in self.parts if not made(p) and p.kind != "clause"]

    def lines(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """(lines never exercised, lines partly exercised), by policy file."""
        by_line: dict[tuple[str, int], list[Part]] = {}
        for p in self.parts:
            if p.kind == "node":
                by_line.setdefault((p.span.path, p.span.line), []).append(p)
        never: dict[str, list[int]] = {}
        partly: dict[str, list[int]] = {}
        for (path, line), parts in sorted(by_line.items()):
            if not any(p.made_true or p.made_false for p in parts):
                never.setdefault(path, []).append(line)
            elif not all(p.made_true and p.made_false for p in parts):
                partly.setdefault(path, []).append(line)
        return never, partly

    def to_json(self) -> dict[str, Any]:
        never, partly = self.lines()
        return {
            "policy": self.policy.name,
            "version": self.policy.version,
            "path": self.display,
            "evaluations": self.evaluations,
            "provider_observations": self.provider_observations,
            "pair_observations": self.pair_observations,
            "kinds": {k: s.to_json() for k, s in self.summary().items()},
            "rule_percent": round(self.rule_percent(), 2),
            "never_true": [p.to_json() for p in self.never(Truth.TRUE)],
            "never_false": [p.to_json() for p in self.never(Truth.FALSE)],
            "lines_never_exercised": never,
            "lines_partly_exercised": partly,
            "parts": [p.to_json() for p in self.parts],
        }


def line_ranges(lines: list[int]) -> str:
    """``[3, 4, 5, 9]`` → ``3-5, 9``."""
    out: list[str] = []
    start = prev = None
    for n in [*lines, None]:
        if n is not None and prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = n
    return ", ".join(out)
