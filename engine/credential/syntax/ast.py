"""The policy AST: frozen dataclasses, each with a span that equality ignores.

The AST says what was written, not what it means: names are unresolved
:class:`Ident`\\ s and literals keep their text.  Nested ``and``/``or`` of the same kind
are flattened by the parser and parentheses leave no node, so ``a and (b and c)`` and
``a and b and c`` are equal trees (the formatter relies on this for its round-trip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal as TLiteral

from credential.span import NOWHERE, Span


def _span() -> Span:
    return field(default=NOWHERE, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Ident:
    name: str
    span: Span = _span()


# ---- literals ----------------------------------------------------------------


@dataclass(frozen=True)
class NumberLit:
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class PercentLit:
    text: str  # without the '%'
    span: Span = _span()


@dataclass(frozen=True)
class DateLit:
    text: str  # validated by the checker (check.bad-date)
    span: Span = _span()


@dataclass(frozen=True)
class StringLit:
    value: str  # unescaped
    span: Span = _span()


@dataclass(frozen=True)
class BoolLit:
    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class DurationLit:
    amount: str
    unit: str  # months, month, quarters, quarter, years, year
    span: Span = _span()


Literal = NumberLit | PercentLit | DateLit | StringLit | BoolLit | DurationLit


# ---- values ------------------------------------------------------------------

Who = TLiteral["lead", "recipient"] | None


@dataclass(frozen=True)
class Ref:
    """A name used as a value or condition; ``who`` is set for ``lead.X`` / ``recipient.X``."""

    name: Ident
    who: Who = None
    span: Span = _span()


@dataclass(frozen=True)
class Aggregate:
    func: str  # mean, min, max, count, pooled
    measure: Ident
    amount: str
    unit: str
    minimum: NumberLit | Ref | None = None  # `pooled M over N units (minimum K)`
    span: Span = _span()


@dataclass(frozen=True)
class ArrangementCount:
    role: TLiteral["led", "received"]
    form: Ident | None
    within: DurationLit | Ref | None
    span: Span = _span()


@dataclass(frozen=True)
class Peer:
    """``percentile|rank of VALUE among ATTRIBUTE [(minimum K)]``: a provider's position among the
    providers with its value of the attribute (its peer group), on the as-of date."""

    func: TLiteral["percentile", "rank"]
    base: Value
    among: Ident
    minimum: NumberLit | Ref | None = None  # the smallest peer group it is known from
    span: Span = _span()


Value = Ref | Literal | Aggregate | ArrangementCount | Peer


# ---- conditions --------------------------------------------------------------


@dataclass(frozen=True)
class And:
    items: tuple[Cond, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Or:
    items: tuple[Cond, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    operand: Cond
    span: Span = _span()


@dataclass(frozen=True)
class Bare:
    """A value standing alone as a condition (a criterion, credential, status or yes/no attribute)."""

    value: Value
    span: Span = _span()


@dataclass(frozen=True)
class Compare:
    left: Value
    op: str  # = != < <= > >=
    right: Value
    span: Span = _span()
    age: AgeLimit | None = None  # `, max age D[, stale may refuse]` after the comparison


@dataclass(frozen=True)
class InList:
    value: Value
    members: tuple[Ident, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Quantified:
    """``all of a, b >= x`` / ``any of a, b in (p, q)``; ``op`` is ``in`` for the latter."""

    quant: TLiteral["all", "any"]
    values: tuple[Value, ...]
    op: str
    right: Value | None  # None when op == "in"
    members: tuple[Ident, ...] = ()
    span: Span = _span()
    age: AgeLimit | None = None  # `, max age D[, stale may refuse]` (each expanded comparison)


@dataclass(frozen=True)
class ArrangementCond:
    """``leads|receives arrangement ...``; with ``held``, the grace condition
    ``held CREDENTIAL at start of arrangement led ...`` (verb ``leads``)."""

    verb: TLiteral["leads", "receives"]
    form: Ident | None
    within: DurationLit | Ref | None
    span: Span = _span()
    held: Ident | None = None


@dataclass(frozen=True)
class JudgedBy:
    """``judged by a, b``: some listed criterion applies to the provider (its `applies to` scope)."""

    criteria: tuple[Ident, ...]
    span: Span = _span()


Cond = And | Or | Not | Bare | Compare | InList | Quantified | ArrangementCond | JudgedBy


# ---- types -------------------------------------------------------------------


@dataclass(frozen=True)
class PrimType:
    kind: TLiteral["number", "percent", "text", "date", "yes/no"]
    unit: Ident | None = None  # `number in days`: the unit a number is counted in
    span: Span = _span()


@dataclass(frozen=True)
class OneOfType:
    members: tuple[Ident, ...]
    span: Span = _span()


@dataclass(frozen=True)
class NamedType:
    name: Ident
    span: Span = _span()


TypeExpr = PrimType | OneOfType | NamedType


# ---- clauses -----------------------------------------------------------------


@dataclass(frozen=True)
class Cites:
    source: Ident
    locator: StringLit
    span: Span = _span()


@dataclass(frozen=True)
class Requires:
    """``requires C``; ``role`` is set for ``lead/recipient/pair requires``."""

    cond: Cond
    role: TLiteral["lead", "recipient", "pair"] | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Unless:
    cond: Cond
    span: Span = _span()


@dataclass(frozen=True)
class Change:
    level: Ident
    span: Span = _span()


@dataclass(frozen=True)
class AppliesTo:
    """``applies to ATTRIBUTE in (a, b)``: the providers a criterion judges (others: not applicable)."""

    attribute: Ident
    members: tuple[Ident, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Prefer:
    """``prefer NAME "TITLE" when C``: a form's ranking preference over eligible pairs (``credential
    match``); ``C`` is written like ``pair requires`` (``lead.X`` / ``recipient.X``)."""

    name: Ident
    title: StringLit
    cond: Cond
    span: Span = _span()


Clause = Cites | Requires | Unless | Change | AppliesTo | Prefer


# ---- declarations ------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDecl:
    name: Ident
    title: StringLit
    version: StringLit | None = None
    effective: DateLit | None = None
    expires: DateLit | None = None
    repeated: tuple[Span, ...] = field(default=(), compare=False, repr=False)  # clauses given twice
    span: Span = _span()


@dataclass(frozen=True)
class SourceDecl:
    name: Ident
    citation: StringLit
    span: Span = _span()


@dataclass(frozen=True)
class ScaleDecl:
    name: Ident
    levels: tuple[Ident, ...]
    span: Span = _span()


@dataclass(frozen=True)
class AttributeDecl:
    name: Ident
    type: TypeExpr
    span: Span = _span()


@dataclass(frozen=True)
class AgeLimit:
    """``max age D`` (a duration or a duration param) and whether stale evidence may still refuse."""

    max_age: DurationLit | Ref
    stale_refuses: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class MeasureDecl:
    name: Ident
    type: TypeExpr
    span: Span = _span()
    age: AgeLimit | None = None  # the indented `max age D` / `stale may refuse` clauses
    stale_only: Span | None = None  # `stale may refuse` without `max age` (an error)


@dataclass(frozen=True)
class StatusDecl:
    name: Ident
    title: StringLit | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Trajectory:
    """``trajectory A on D1 to B on D2``: a param value moving linearly from A (on D1) to B (on D2)."""

    start: Literal
    start_date: DateLit
    end: Literal
    end_date: DateLit
    span: Span = _span()


@dataclass(frozen=True)
class ParamStep:
    date: DateLit
    value: Literal | Ref | Trajectory
    span: Span = _span()


@dataclass(frozen=True)
class ParamDecl:
    name: Ident
    value: Literal | Ref | Trajectory
    steps: tuple[ParamStep, ...] = ()
    span: Span = _span()


@dataclass(frozen=True)
class RuleDecl:
    """A ``criterion``, ``credential`` or ``form`` with its clauses in written order."""

    kind: TLiteral["criterion", "credential", "form"]
    name: Ident
    title: StringLit | None
    clauses: tuple[Clause, ...]
    span: Span = _span()


@dataclass(frozen=True)
class UseDecl:
    path: StringLit
    span: Span = _span()


Decl = PolicyDecl | SourceDecl | ScaleDecl | AttributeDecl | MeasureDecl | StatusDecl | ParamDecl | RuleDecl | UseDecl


@dataclass(frozen=True)
class PolicyFile:
    decls: tuple[Decl, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Comment:
    text: str  # including the leading '#'
    span: Span = _span()
