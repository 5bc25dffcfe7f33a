"""Credentials over time: every decision at each as-of date of a range, with what changed and why.

One pass: the policy is loaded, checked and compiled once and the bundle loaded and validated
once (:func:`credential.evaluation.evaluate.load_inputs`); only the facts as of each date and the model are
computed per date.  Consecutive dates are compared decision by decision and every change is
marked:

=====================  =====================================================================
``gained``             refused or undetermined before, granted now
``lost``               granted before, refused now
``became undetermined``  granted or refused before, undetermined now
``became refused``     undetermined before, refused now
``kept in grace``      granted before and now, but now only because a rule it rests on is
                       waived by its ``unless`` (the grace period of the reference policies)
=====================  =====================================================================

Each change names its causes, found the way ``credential diff`` attributes a changed decision
(:mod:`credential.diffing.attribution`), with the two dates in place of the two policy versions:
walking down from the decision, a criterion, credential or form part is entered only when its
truth differs between the two dates, and each comparison (or status, or arrangement condition)
under an entered rule whose truth differs is a cause, with the rule it belongs to, its line and
the provider's value at each date.

Typical use::

    from credential.timeline import build_timeline
    tl = build_timeline(None, None, date(2016, 1, 1), date(2026, 1, 1), "year")
    for row in tl.changes():
        print(row.provider, row.subject, row.as_of, row.change, [c.text for c in row.causes])
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import fnmatch
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from credential.check import CheckedPolicy, ir
from credential.data.bundle import Bundle
from credential.evaluation.evaluate import Evaluation, Inputs, OnInvalid, evaluate_inputs, load_inputs

if TYPE_CHECKING:
    from credential.proofs.proof import ProofBuilder

Every = Literal["month", "quarter", "year"]
EVERY_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
OUTCOMES = ("granted", "refused", "undetermined")
CHANGES = ("gained", "lost", "kept in grace", "became undetermined", "became refused")

DATE_FORMS = "YYYY-MM-DD, 'today', or a quarter end as YYYY-Qn (e.g. 2025-Q2 is 2025-06-30)"
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")


def parse_date(text: str, today: dt.date | None = None) -> dt.date:
    """An as-of date as written on the command line: ISO ``YYYY-MM-DD``, ``today``, or ``YYYY-Qn``.

    A quarter stands for its last day.  Raises ``ValueError`` naming the accepted forms.
    (One small function, so that the command line's shared date parser can replace it.)
    """
    s = text.strip()
    if s.lower() == "today":
        return today or dt.date.today()
    m = _QUARTER.match(s)
    if m:
        year, q = int(m.group(1)), int(m.group(2))
        month = 3 * q
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    try:
        return dt.date.fromisoformat(s) if len(s) == 10 else _bad(text)
    except ValueError:
        return _bad(text)


def _bad(text: str) -> dt.date:
    raise ValueError(f"{text!r} is not a date; accepted: {DATE_FORMS}")


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` plus calendar months; a month end stays a month end (2025-02-28 + 1 month = 2025-03-31)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    at_end = d.day == calendar.monthrange(d.year, d.month)[1]
    return dt.date(year, month, last if at_end else min(d.day, last))


def as_of_dates(start: dt.date, end: dt.date, every: str = "year") -> list[dt.date]:
    """``start``, then every ``every`` after it up to ``end``, and ``end`` itself (sorted, distinct)."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    if every not in EVERY_MONTHS:
        raise ValueError(f"--every is one of {', '.join(EVERY_MONTHS)}, not {every!r}")
    out = [start]
    k = 1
    while (d := add_months(start, k * EVERY_MONTHS[every])) < end:
        out.append(d)
        k += 1
    if end != start:
        out.append(end)
    return out


@dataclass(frozen=True)
class Cause:
    """One condition whose truth changed between two dates, under the rule it belongs to."""

    rule: str
    """``criterion:NAME``, ``credential:NAME`` or ``form:NAME:ROLE``."""
    text: str
    """The condition as written (empty when the rule's truth changed with no condition of its own
    changing, e.g. a missing value became known)."""
    source: str
    """``file:line`` of the condition (of the rule when ``text`` is empty)."""
    before: str
    after: str
    value_before: Any = None
    value_after: Any = None

    def describe(self) -> str:
        what = f"`{self.text}`" if self.text else self.rule
        vals = ""
        if self.value_before is not None or self.value_after is not None:
            vals = f" ({_show(self.value_before)} → {_show(self.value_after)})"
        return f"{self.rule}: {what} {self.before} → {self.after}{vals}"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "text": self.text,
            "source": self.source,
            "before": self.before,
            "after": self.after,
            "value_before": self.value_before,
            "value_after": self.value_after,
        }


def _show(v: Any) -> str:
    from credential.proofs.values import show

    return show(v)


@dataclass(frozen=True)
class TimelineRow:
    """One decision at one date, and how it differs from the date before."""

    provider: str
    provider_name: str | None
    subject: str
    as_of: dt.date
    outcome: str
    previous: str | None
    change: str
    """One of :data:`CHANGES`, or empty (no change, or the first date)."""
    in_grace: bool
    causes: tuple[Cause, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "provider_name": self.provider_name,
            "subject": self.subject,
            "as_of": self.as_of.isoformat(),
            "outcome": self.outcome,
            "previous": self.previous,
            "change": self.change or None,
            "in_grace": self.in_grace,
            "causes": [c.to_json_dict() for c in self.causes],
        }


@dataclass
class Timeline:
    """Every selected decision at every date (provider, subject, date order), and the evaluations."""

    inputs: Inputs
    dates: list[dt.date]
    providers: list[str]
    subjects: list[str]
    outcomes: Any
    """int8 array [date, provider, subject]: 0 granted, 1 refused, 2 undetermined."""
    grace: Any
    """bool array [date, provider, subject]: granted only through a waiver."""
    evaluations: list[Evaluation]
    rows: list[TimelineRow] = field(default_factory=list)

    def changes(self) -> list[TimelineRow]:
        return [r for r in self.rows if r.change]

    def counts(self) -> dict[str, Counter[str]]:
        """Per date (ISO), the number of decisions by outcome."""
        out: dict[str, Counter[str]] = {}
        for i, d in enumerate(self.dates):
            values, n = np.unique(self.outcomes[i], return_counts=True)
            out[d.isoformat()] = Counter({OUTCOMES[int(v)]: int(c) for v, c in zip(values, n, strict=True)})
        return out

    def summary(self) -> str:
        changes = Counter(r.change for r in self.rows if r.change)
        parts = ", ".join(f"{changes[c]} {c}" for c in CHANGES if changes[c])
        return (
            f"{len(self.rows)} decisions at {len(self.dates)} dates for {len(self.providers)} providers: "
            f"{sum(changes.values())} changes" + (f" ({parts})" if parts else "")
        )

    def to_jsonl(self, changes_only: bool = False) -> str:
        rows = self.changes() if changes_only else self.rows
        return "".join(json.dumps(r.to_json_dict(), ensure_ascii=False) + "\n" for r in rows)

    def to_csv(self, changes_only: bool = False) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(
            ["provider", "provider_name", "subject", "as_of", "outcome", "previous", "change", "in_grace", "causes"]
        )
        for r in self.changes() if changes_only else self.rows:
            w.writerow(
                [
                    r.provider,
                    r.provider_name or "",
                    r.subject,
                    r.as_of.isoformat(),
                    r.outcome,
                    r.previous or "",
                    r.change,
                    "yes" if r.in_grace else "no",
                    "; ".join(c.describe() for c in r.causes),
                ]
            )
        return buf.getvalue()

    def to_table(self, changes_only: bool = False) -> str:
        rows = self.changes() if changes_only else self.rows
        out = io.StringIO()
        width = max([len(r.subject) for r in rows] + [7])
        out.write(f"{'code':<6} {'subject':<{width}} {'as_of':<10} {'outcome':<12} {'change':<19} cause\n")
        for r in rows:
            outcome = r.outcome + (" (grace)" if r.in_grace and r.outcome == "granted" else "")
            causes = [c.describe() for c in r.causes] or [""]
            out.write(
                f"{r.provider:<6} {r.subject:<{width}} {r.as_of} {outcome:<12} {r.change:<19} {causes[0]}".rstrip()
            )
            out.write("\n")
            for more in causes[1:]:
                out.write(" " * (6 + width + 10 + 12 + 19 + 5) + more + "\n")
        out.write(self.summary() + "\n")
        return out.getvalue()

    def render(self, fmt: str, changes_only: bool = False) -> str:
        if fmt == "jsonl":
            return self.to_jsonl(changes_only)
        if fmt == "csv":
            return self.to_csv(changes_only)
        return self.to_table(changes_only)


def select_subjects(all_subjects: Sequence[str], patterns: Iterable[str] = ()) -> list[str]:
    """The subjects matching any pattern (shell-style ``*``/``?``; a bare name is ``credential:NAME``)."""
    pats = [p if ":" in p or any(ch in p for ch in "*?[") else f"credential:{p}" for p in patterns]
    if not pats:
        return list(all_subjects)
    return [s for s in all_subjects if any(fnmatch.fnmatchcase(s, p) for p in pats)]


class UnknownSelection(ValueError):
    """A ``--provider`` code the bundle does not have, or a ``--subject`` pattern matching nothing."""


def build_timeline(
    policy: str | Path | CheckedPolicy | None,
    data: str | Path | Bundle | None,
    start: dt.date,
    end: dt.date,
    every: str = "year",
    *,
    dates: Sequence[dt.date] | None = None,
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
) -> Timeline:
    """Every decision at each as-of date from ``start`` to ``end`` (see :func:`as_of_dates`), or at ``dates``."""
    from credential.resources import bundled_data_path, reference_policy_path

    inputs = load_inputs(policy or reference_policy_path(), data or bundled_data_path(), on_invalid)
    days = sorted(set(dates)) if dates else as_of_dates(start, end, every)
    return timeline_of(inputs, days, providers=providers, subjects=subjects, backend=backend)


def timeline_of(
    inputs: Inputs,
    dates: Sequence[dt.date],
    *,
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    backend: str = "auto",
    evaluations: Sequence[Evaluation] = (),
) -> Timeline:
    """The timeline of loaded inputs at ``dates`` (evaluations already made for some dates are reused)."""
    known = {e.as_of: e for e in evaluations if not e.pairs}
    evs = [known.get(d) or evaluate_inputs(inputs, d, backend=backend) for d in dates]
    first = evs[0]
    codes = [str(c) for c in first.codes]
    if providers:
        missing = sorted(set(providers) - set(codes))
        if missing:
            raise UnknownSelection(f"no provider with code {', '.join(map(repr, missing))} in the bundle")
    all_subjects = [s for s, _, _ in first.subjects()]
    chosen = select_subjects(all_subjects, subjects)
    if subjects and not chosen:
        raise UnknownSelection(
            f"no subject matches {', '.join(map(repr, subjects))}; one of: {', '.join(all_subjects)}"
        )
    pos = {c: i for i, c in enumerate(codes)}
    rows_idx = np.array([pos[c] for c in (sorted(set(providers)) if providers else codes)], dtype=np.int64)
    preds = {s: (c, p) for s, c, p in first.subjects()}
    n_d, n_p, n_s = len(evs), len(rows_idx), len(chosen)
    outcomes = np.full((n_d, n_p, n_s), 1, dtype=np.int8)
    grace = np.zeros((n_d, n_p, n_s), dtype=bool)
    for i, ev in enumerate(evs):
        waived = _waived(ev)
        for j, s in enumerate(chosen):
            c, p = preds[s]
            certain = np.asarray(ev.mask(c), dtype=bool)[rows_idx]
            possible = np.asarray(ev.mask(p), dtype=bool)[rows_idx]
            outcomes[i, certain, j] = 0
            outcomes[i, possible & ~certain, j] = 2
            g = np.zeros(n_p, dtype=bool)
            for rule in _subject_rules(ev.policy, s):
                if rule in waived:
                    g |= waived[rule][rows_idx]
            grace[i, :, j] = g & certain
    tl = Timeline(inputs, list(dates), [codes[i] for i in rows_idx], chosen, outcomes, grace, evs)
    tl.rows = _rows(tl)
    return tl


def _waived(ev: Evaluation) -> dict[str, Any]:
    """Per rule with an ``unless``: which providers hold it only through the waiver."""
    from credential.compile import names as pn

    out: dict[str, Any] = {}
    for rule in [*ev.policy.criteria.values(), *ev.policy.credentials.values()]:
        if rule.unless is None:
            continue
        c, _ = pn.rule_preds(rule.kind, rule.name)
        req = ev.compiled.preds_of(rule.requires, None)
        out[rule.name] = np.asarray(ev.mask(c), dtype=bool) & ~np.asarray(ev.mask(req.certainly), dtype=bool)
    return out


def _subject_rules(policy: CheckedPolicy, subject: str) -> list[str]:
    """The criteria and credentials a subject rests on, itself included, transitively."""
    from credential.diffing.attribution import _walk

    kind, _, rest = subject.partition(":")
    seen: list[str] = []
    stack: list[ir.Cond] = []
    if kind == "credential":
        rule = policy.credentials[rest]
        seen.append(rest)
        stack.extend(c for c in (rule.requires, rule.unless) if c is not None)
    else:
        form, _, role = rest.partition(":")
        f = policy.forms[form]
        stack.append(f.lead if role == "lead" else f.recipient)
    while stack:
        cond = stack.pop()
        refs, _ = _walk(cond)
        for ref in refs:
            if ref.name not in seen:
                seen.append(ref.name)
                rule = policy.rule(ref.name)
                stack.append(rule.requires)
                if rule.unless is not None:
                    stack.append(rule.unless)
    return seen


def _rows(tl: Timeline) -> list[TimelineRow]:
    names = tl.inputs.bundle.provider_names()
    attributors: dict[int, _Attributor] = {}
    out: list[TimelineRow] = []
    o, g = tl.outcomes, tl.grace
    for pi, code in enumerate(tl.providers):
        for sj, subject in enumerate(tl.subjects):
            prev: str | None = None
            prev_grace = False
            for di, day in enumerate(tl.dates):
                outcome = OUTCOMES[int(o[di, pi, sj])]
                in_grace = bool(g[di, pi, sj])
                change = "" if prev is None else _change(prev, outcome, prev_grace, in_grace)
                causes: tuple[Cause, ...] = ()
                if change:
                    att = attributors.get(di)
                    if att is None:
                        att = attributors[di] = _Attributor(tl.evaluations[di - 1], tl.evaluations[di])
                    causes = att.attribute(subject, code)
                out.append(TimelineRow(code, names.get(code), subject, day, outcome, prev, change, in_grace, causes))
                prev, prev_grace = outcome, in_grace
    return out


def _change(before: str, after: str, grace_before: bool, grace_after: bool) -> str:
    if before == after:
        return "kept in grace" if after == "granted" and grace_after and not grace_before else ""
    if after == "granted":
        return "gained"
    if after == "undetermined":
        return "became undetermined"
    return "lost" if before == "granted" else "became refused"


Node = tuple[str, str, str | None]


class _Attributor:
    """The conditions whose truth differs between two evaluations of the same policy, top down."""

    def __init__(self, before: Evaluation, after: Evaluation):
        from credential.diffing.attribution import Side

        self.sides = (Side(before), Side(after))
        self._builders: list[ProofBuilder | None] = [None, None]
        self._memo: dict[tuple[Node, str], list[Cause]] = {}

    def builder(self, i: int) -> ProofBuilder:
        b = self._builders[i]
        if b is None:
            from credential.proofs.proof import ProofBuilder

            b = self._builders[i] = ProofBuilder(self.sides[i].ev)
        return b

    def attribute(self, subject: str, code: str) -> tuple[Cause, ...]:
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            node: Node = ("credential", rest, None)
        else:
            form, _, role = rest.partition(":")
            node = ("form", form, role)
        causes = self.visit(node, code)
        if not causes:  # the truth did not change (kept in grace): name the waived rules instead
            causes = self._waivers(subject, code)
        return tuple(dict.fromkeys(causes))

    def visit(self, node: Node, code: str) -> list[Cause]:
        """The causes of a change of ``node``'s truth: the parts that moved the way it moved.

        A part counts when its new truth, read through the ``not``s above it, is the node's new
        truth (an ``and`` that fails fails through the parts that now fail; an ``or`` that holds,
        through a part that now holds); failing that, every part whose truth changed.
        """
        from credential.diffing.attribution import node_id

        key = (node, code)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = []
        before, after = self.sides
        args = (code,)
        t0, t1 = before.truth(node, args), after.truth(node, args)
        if t0 == t1:
            return []
        moved: list[tuple[bool, list[Cause]]] = []  # (moved the node's way, causes)
        for cond, _ in after.conds(node):
            refs, leaves = _polar_walk(cond)
            for ref, neg in refs:
                sub = (ref.kind, ref.name, None)
                r1 = after.truth(sub, args)
                if before.truth(sub, args) != r1:
                    moved.append((_flip(r1, neg) == t1, self.visit(sub, code)))
            for leaf, neg in leaves:
                l0, l1 = before.leaf_truth(leaf, None, args), after.leaf_truth(leaf, None, args)
                if l0 != l1:
                    v0, v1 = self._value(0, leaf, code), self._value(1, leaf, code)
                    moved.append(
                        (_flip(l1, neg) == t1, [Cause(node_id(node), leaf.text, _loc(leaf.span), l0, l1, v0, v1)])
                    )
        chosen = [c for ok, cs in moved if ok for c in cs] or [c for _, cs in moved for c in cs]
        if not chosen:
            rule_span = self._span(node)
            chosen = [Cause(node_id(node), "", _loc(rule_span) if rule_span is not None else "", t0, t1)]
        self._memo[key] = chosen
        return chosen

    def _span(self, node: Node) -> Any:
        kind, name, part = node
        policy = self.sides[1].policy
        if kind == "form":
            f = policy.forms[name]
            return f.lead_span if part == "lead" else f.recipient_span
        return policy.rule(name).span

    def _value(self, i: int, leaf: ir.Cond, code: str) -> Any:
        b = self.builder(i)
        if isinstance(leaf, ir.CStatus):
            return b.status_lookup(leaf.name, code)[0]
        try:
            operands = b.operands(leaf, (code,))
        except (KeyError, AssertionError):  # pragma: no cover - every leaf has operands
            return None
        value = operands[0][1].get("value")
        stale = operands[0][1].get("stale")
        if value is None and stale is not None:  # a value past its max age is there, only too old
            shown = _show(stale["value"]) if not isinstance(stale["value"], str) else stale["value"]
            return f"{shown} (stale: evidence of {stale['date']}, max age {stale['max_age']})"
        return value if isinstance(value, str | int | float | bool) or value is None else str(value)

    def _waivers(self, subject: str, code: str) -> list[Cause]:
        before, after = self.sides
        out: list[Cause] = []
        for name in _subject_rules(after.policy, subject):
            rule = after.policy.rule(name)
            if rule.unless is None:
                continue
            w0 = _waived(before.ev).get(name)
            w1 = _waived(after.ev).get(name)
            i = after.ev.positions.get(code)
            if w0 is not None and w1 is not None and i is not None and bool(w1[i]) and not bool(w0[i]):
                t0 = before.leaf_truth(rule.requires, None, (code,))
                t1 = after.leaf_truth(rule.requires, None, (code,))
                out.append(Cause(f"{rule.kind}:{name}", rule.requires.text, _loc(rule.requires.span), t0, t1))
        return out


def _flip(truth: str, neg: bool) -> str:
    if not neg:
        return truth
    return {"true": "false", "false": "true"}.get(truth, truth)


def _polar_walk(cond: ir.Cond, neg: bool = False) -> tuple[list[tuple[ir.CRef, bool]], list[tuple[ir.Cond, bool]]]:
    """The references and leaf conditions of a condition, each with whether an odd number of ``not``s is above it."""
    refs: list[tuple[ir.CRef, bool]] = []
    leaves: list[tuple[ir.Cond, bool]] = []

    def go(c: ir.Cond, n: bool) -> None:
        if isinstance(c, ir.CAnd | ir.COr):
            for i in c.items:
                go(i, n)
        elif isinstance(c, ir.CNot):
            go(c.item, not n)
        elif isinstance(c, ir.CRef):
            refs.append((c, n))
        else:
            leaves.append((c, n))

    go(cond, neg)
    return refs, leaves


def _loc(span: Any) -> str:
    return f"{span.path}:{span.line}"
