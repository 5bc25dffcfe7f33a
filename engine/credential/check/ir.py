"""The checked policy IR: names resolved to declarations, every expression typed.

This is what the compiler, the explainer and the verifier read.  Nodes are frozen
dataclasses; ``span`` and ``text`` (the condition as written) are ignored by equality so
two policies that mean the same compare equal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from credential.span import NOWHERE, SourceFile, Span
from credential.types import (
    BOOL,
    NUMBER,
    BundleSpec,
    Duration,
    ValueType,
)

Who = Literal["lead", "recipient"] | None


def _meta() -> Any:
    return field(default=NOWHERE, compare=False, repr=False, kw_only=True)


def _text() -> Any:
    return field(default="", compare=False, repr=False, kw_only=True)


def origin_of(span: Span) -> str:
    """``file:line:column`` of a span: the origin every compiled rule keeps."""
    return f"{span.path}:{span.line}:{span.column}"


# ---- values ------------------------------------------------------------------

Within: TypeAlias = "Duration | VParam"  # a duration literal or a duration param


@dataclass(frozen=True)
class VAttr:
    """A provider attribute (a column of providers.csv)."""

    name: str
    type: ValueType
    who: Who = None
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class VLatest:
    """A measure's latest observation dated on or before the as-of date.

    ``max_age``: evidence older than this on the as-of date is *stale* (no evidence); with
    ``stale_refuses`` a stale value may still make a comparison false, never true."""

    measure: str
    type: ValueType
    who: Who = None
    span: Span = _meta()
    text: str = _text()
    max_age: Within | None = None
    stale_refuses: bool = False


@dataclass(frozen=True)
class VWindow:
    """``mean|min|max|count|pooled M over N units``: observations in (as_of - months, as_of].

    ``pooled`` is the rate sum(numerator) / sum(denominator) of the window's rows; ``minimum``
    (a number, or a number param) is the smallest sum of denominators it is known from.
    """

    func: Literal["mean", "min", "max", "count", "pooled"]
    measure: str
    months: int
    type: ValueType
    who: Who = None
    minimum: float | VParam | None = None
    span: Span = _meta()
    text: str = _text()
    max_age: Within | None = None  # the window's newest observation must be at most this old
    stale_refuses: bool = False


@dataclass(frozen=True)
class VParam:
    """A named, effective-dated value."""

    name: str
    type: ValueType
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class VConst:
    """A literal; ``value`` uses the runtime representation of its type (see credential.types)."""

    value: Any
    type: ValueType
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class VArrCount:
    """``count arrangements led|received [as F] [started within D]`` (active on the as-of date).

    With ``held`` (a credential's name): only the arrangements led on whose start date the
    provider held that credential (decided as of the start, without any grace), the value of
    the grace condition ``held C at start of arrangement led ...``."""

    role: Literal["lead", "recipient"]
    form: str | None
    within: Within | None
    who: Who = None
    type: ValueType = NUMBER
    span: Span = _meta()
    text: str = _text()
    held: str | None = None


@dataclass(frozen=True)
class VPeer:
    """``percentile|rank of BASE among ATTRIBUTE [(minimum K)]``: the provider's position among its
    peer group, the providers with its value of ``among`` whose ``base`` is known on the as-of date.

    ``percentile`` is SQL's ``PERCENT_RANK``: (members with a value strictly below) / (size - 1), a
    fraction (type percent, 0 lowest, 1 highest); ``rank`` is 1 + (members strictly above), 1 the
    highest (type number).  Tied providers share a position.  Missing (unknown) when ``base`` or
    ``among`` is missing for the provider, or its group has fewer than 2 members (with
    ``minimum``, fewer than ``minimum``).  A stale base value is missing: it never enters a group."""

    func: Literal["percentile", "rank"]
    base: VAttr | VLatest | VWindow | VArrCount
    among: str
    type: ValueType
    who: Who = None
    minimum: float | VParam | None = None
    span: Span = _meta()
    text: str = _text()


ProviderValue = VAttr | VLatest | VWindow | VArrCount | VPeer
Value = ProviderValue | VParam | VConst


# ---- conditions --------------------------------------------------------------


@dataclass(frozen=True)
class CAnd:
    items: tuple[Cond, ...]
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class COr:
    items: tuple[Cond, ...]
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class CNot:
    item: Cond
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class CRef:
    """A named criterion or credential used as a condition."""

    kind: Literal["criterion", "credential"]
    name: str
    who: Who = None
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class CStatus:
    """A status active on the as-of date."""

    name: str
    who: Who = None
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class CBool:
    """A yes/no attribute or measure used as a condition."""

    value: VAttr | VLatest
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class CCompare:
    left: Value
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    right: Value
    type: ValueType
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class CIn:
    value: Value
    members: tuple[str, ...]
    type: ValueType
    span: Span = _meta()
    text: str = _text()


@dataclass(frozen=True)
class CArr:
    """``leads|receives arrangement [as F] [started within D]``; with ``held``, the grace
    condition ``held C at start of arrangement led [as F] started within D``."""

    role: Literal["lead", "recipient"]
    form: str | None
    within: Within | None
    who: Who = None
    span: Span = _meta()
    text: str = _text()
    held: str | None = None


@dataclass(frozen=True)
class CJudged:
    """``judged by a, b``: certainly true where some listed criterion's scope (``applies to``)
    certainly holds, unknown everywhere else: a provider no listed criterion judges cannot be
    decided on them (never false)."""

    criteria: tuple[str, ...]
    scopes: tuple[CIn, ...]
    span: Span = _meta()
    text: str = _text()


Cond = CAnd | COr | CNot | CRef | CStatus | CBool | CCompare | CIn | CArr | CJudged


# ---- declarations ------------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    source: str
    citation: str
    locator: str
    span: Span = _meta()


@dataclass(frozen=True)
class Trajectory:
    """``trajectory A on D1 to B on D2``: ``start`` on ``start_date`` (and before), ``end`` on
    ``end_date`` (and after), linear in days between (a number or a percent)."""

    start: float
    start_date: dt.date
    end: float
    end_date: dt.date

    def at(self, day: dt.date) -> float:
        if day <= self.start_date:
            return self.start
        if day >= self.end_date:
            return self.end
        done = (day - self.start_date).days
        total = (self.end_date - self.start_date).days
        return self.start + (self.end - self.start) * done / total

    def anchors(self) -> tuple[float, float]:
        return self.start, self.end


@dataclass(frozen=True)
class Param:
    name: str
    type: ValueType
    default: Any
    steps: tuple[tuple[dt.date, Any], ...]  # (from date, value), increasing dates
    span: Span = _meta()

    def value_at(self, as_of: dt.date, policy_effective: dt.date | None) -> tuple[Any, dt.date | None]:
        """The value in force on ``as_of`` and the date it took effect (a trajectory's value on
        ``as_of``: see :meth:`trajectory_at`)."""
        value, since = self.written_at(as_of, policy_effective)
        if isinstance(value, Trajectory):
            return value.at(as_of), since
        return value, since

    def written_at(self, as_of: dt.date, policy_effective: dt.date | None) -> tuple[Any, dt.date | None]:
        """The value as written that is in force on ``as_of`` (a literal's value or a Trajectory)."""
        value, since = self.default, policy_effective
        for date, step_value in self.steps:
            if date <= as_of:
                value, since = step_value, date
        return value, since

    def trajectory_at(self, as_of: dt.date) -> Trajectory | None:
        """The trajectory in force on ``as_of``, if the value in force is one."""
        value, _ = self.written_at(as_of, None)
        return value if isinstance(value, Trajectory) else None

    def values(self) -> list[Any]:
        """Every value it can take at an anchor or a step (a trajectory's two anchors)."""
        out: list[Any] = []
        for v in (self.default, *(s for _, s in self.steps)):
            out += list(v.anchors()) if isinstance(v, Trajectory) else [v]
        return out


@dataclass(frozen=True)
class Rule:
    """A criterion or credential: it holds when ``requires`` holds, or when ``unless`` waives it."""

    kind: Literal["criterion", "credential"]
    name: str
    title: str | None
    requires: Cond
    unless: Cond | None
    cites: tuple[Citation, ...]
    scope: CIn | None = None
    """``applies to A in (...)``: the providers the rule judges; for any other it holds, as
    *not applicable* (Kleene: ``not scope or (requires unless ...)``)."""
    span: Span = _meta()


@dataclass(frozen=True)
class Preference:
    """``prefer NAME "TITLE" when C``: a condition on a (lead, recipient) pair that ranks the
    eligible leads of ``credential match``; it never makes a pair eligible or ineligible."""

    name: str
    title: str
    cond: Cond
    span: Span = _meta()


@dataclass(frozen=True)
class Form:
    name: str
    title: str | None
    change: str
    lead: Cond
    recipient: Cond
    pair: Cond | None
    cites: tuple[Citation, ...]
    span: Span = _meta()
    lead_span: Span = _meta()
    recipient_span: Span = _meta()
    pair_span: Span = _meta()
    prefers: tuple[Preference, ...] = ()
    """The ranking preferences of ``credential match``, most important first."""


CHANGE_LEVELS = ("low", "medium", "high", "very_high")


@dataclass(frozen=True)
class CheckedPolicy:
    name: str
    title: str
    version: str
    effective: dt.date | None
    expires: dt.date | None
    sources: dict[str, str]
    scales: dict[str, ValueType]
    attributes: dict[str, ValueType]
    measures: dict[str, ValueType]
    statuses: dict[str, str | None]
    params: dict[str, Param]
    criteria: dict[str, Rule]
    credentials: dict[str, Rule]
    forms: dict[str, Form]
    files: tuple[SourceFile, ...] = field(compare=False, repr=False)
    units: dict[str, str] = field(default_factory=dict)
    """The unit of each attribute or measure that has one: `percent`, or a number's `in UNIT`."""
    path: str = field(default="", compare=False)

    def bundle_spec(self) -> BundleSpec:
        return BundleSpec(
            attributes=dict(self.attributes),
            measures=dict(self.measures),
            statuses=frozenset(self.statuses),
            forms=frozenset(self.forms),
        )

    def rule(self, name: str) -> Rule:
        return self.criteria[name] if name in self.criteria else self.credentials[name]

    @property
    def sha256(self) -> str:
        """Digest of the policy text: every file it was built from, in load order."""
        h = hashlib.sha256()
        for i, f in enumerate(self.files):
            if i:
                h.update(b"\0")
            h.update(f.text.encode("utf-8"))
        return h.hexdigest()


def is_bool(t: ValueType) -> bool:
    return t == BOOL
