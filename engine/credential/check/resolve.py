"""Names and types: turning AST values and conditions into typed IR.

Comparison rules: both sides must have the same type; scales compare by their order;
``one of`` types allow only ``=``, ``!=`` and ``in``; yes/no and text allow ``=`` and
``!=``; percents compare with percents (``95%``), not with bare numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from credential.check import ir
from credential.check.context import CheckContext
from credential.diagnostics import Label
from credential.syntax import ast
from credential.types import (
    BOOL,
    DATE,
    DURATION,
    NUMBER,
    PERCENT,
    TEXT,
    UNIT_MONTHS,
    Duration,
    EnumType,
    NumberType,
    PercentType,
    ScaleType,
    ValueType,
    is_numeric,
    is_ordered,
)

ORDER_OPS = {"<", "<=", ">", ">="}


@dataclass
class Scope:
    """Where a condition is written: in ``pair requires`` or about one provider."""

    pair: bool = False
    deps: set[str] = field(default_factory=set)


def norm_text(span_text: str) -> str:
    """A condition's text as written, on one line."""
    return re.sub(r"\s+", " ", span_text).strip()


def same_type(a: ValueType, b: ValueType) -> bool:
    if isinstance(a, EnumType) and isinstance(b, EnumType):
        return sorted(a.members) == sorted(b.members)
    return a == b


def parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def resolve_type(ctx: CheckContext, texpr: ast.TypeExpr) -> ValueType | None:
    if isinstance(texpr, ast.PrimType):
        prims: dict[str, ValueType] = {
            "number": NUMBER,
            "percent": PERCENT,
            "text": TEXT,
            "date": DATE,
            "yes/no": BOOL,
        }
        return prims[texpr.kind]
    if isinstance(texpr, ast.OneOfType):
        names = [m.name for m in texpr.members]
        seen: set[str] = set()
        for m in texpr.members:
            if m.name in seen:
                ctx.error("check.duplicate-name", f"`{m.name}` is listed twice", m.span)
            seen.add(m.name)
        return EnumType(tuple(dict.fromkeys(names)))
    name = texpr.name.name
    if name in ctx.types:
        ctx.used.add(name)
        return ctx.types[name]
    ctx.unknown(texpr.name, "type", [*ctx.types, "number", "percent", "text", "date"])
    return None


def duration_of(ctx: CheckContext, lit: ast.DurationLit) -> Duration | None:
    if not re.fullmatch(r"[0-9]+", lit.amount) or int(lit.amount) <= 0:
        ctx.error(
            "check.bad-number",
            f"a duration needs a whole number of {lit.unit}, not `{lit.amount}`",
            lit.span,
            help="use a smaller unit, e.g. `18 months` for one and a half years",
        )
        return None
    return Duration(int(lit.amount) * UNIT_MONTHS[lit.unit])


def literal(ctx: CheckContext, lit: ast.Literal) -> ir.VConst | None:
    text = norm_text(lit.span.text) or _literal_text(lit)
    if isinstance(lit, ast.NumberLit):
        return ir.VConst(float(lit.text), NUMBER, span=lit.span, text=text)
    if isinstance(lit, ast.PercentLit):
        try:
            value = float(Decimal(lit.text) / Decimal(100))
        except InvalidOperation:  # pragma: no cover - the lexer only admits digits
            return None
        return ir.VConst(value, PERCENT, span=lit.span, text=text)
    if isinstance(lit, ast.DateLit):
        d = parse_date(lit.text)
        if d is None:  # same diagnostic as pass_dates gives for header and param dates
            ctx.error(
                "check.bad-date",
                f"`{lit.text}` is not a calendar date",
                lit.span,
                help="dates are written YYYY-MM-DD, e.g. 2015-04-01",
            )
            return None
        return ir.VConst(d, DATE, span=lit.span, text=text)
    if isinstance(lit, ast.StringLit):
        return ir.VConst(lit.value, TEXT, span=lit.span, text=text)
    if isinstance(lit, ast.BoolLit):
        return ir.VConst(lit.value, BOOL, span=lit.span, text=text)
    dur = duration_of(ctx, lit)
    return None if dur is None else ir.VConst(dur, DURATION, span=lit.span, text=text)


def _literal_text(lit: ast.Literal) -> str:
    if isinstance(lit, ast.NumberLit):
        return lit.text
    if isinstance(lit, ast.PercentLit):
        return lit.text + "%"
    if isinstance(lit, ast.DateLit):
        return lit.text
    if isinstance(lit, ast.StringLit):
        return '"' + lit.value + '"'
    if isinstance(lit, ast.BoolLit):
        return "yes" if lit.value else "no"
    return f"{lit.amount} {lit.unit}"


def _levels(t: ValueType | None) -> tuple[str, ...]:
    if isinstance(t, ScaleType):
        return t.levels
    if isinstance(t, EnumType):
        return t.members
    return ()


def _all_levels(ctx: CheckContext) -> set[str]:
    out: set[str] = set()
    for t in [*ctx.types.values(), *ctx.attributes.values(), *ctx.measures.values()]:
        out.update(_levels(t))
    return out


def _value_names(ctx: CheckContext) -> list[str]:
    return [n for n, s in ctx.symbols.items() if s.kind in ("attribute", "measure", "param")]


def _cond_names(ctx: CheckContext) -> list[str]:
    names = [n for n, s in ctx.symbols.items() if s.kind in ("criterion", "credential", "status")]
    names += [n for n, t in {**ctx.attributes, **ctx.measures}.items() if t == BOOL]
    return names


def _level_kind(ctx: CheckContext, name: str) -> str | None:
    """``level of scale S`` / ``member of one of ...`` when ``name`` is a level or member of a
    declared type (the first, in declaration order); None when it is none."""
    for t in [*ctx.types.values(), *ctx.attributes.values(), *ctx.measures.values()]:
        if name in _levels(t):
            return f"level of scale {t}" if isinstance(t, ScaleType) else f"member of {t}"
    return None


def _is_level_kind(kind: str) -> bool:
    return kind.startswith(("level of ", "member of "))


def _kind_words(v: ir.Value) -> str:
    """A typed value's kind as a diagnostic names it: a constant level says whose level it is."""
    if isinstance(v, ir.VConst) and isinstance(v.type, ScaleType):
        return f"level of scale {v.type}"
    if isinstance(v, ir.VConst) and isinstance(v.type, EnumType):
        return f"member of {v.type}"
    return str(v.type)


def is_level_candidate(ctx: CheckContext, v: ast.Value) -> bool:
    return isinstance(v, ast.Ref) and v.who is None and v.name.name not in ctx.symbols


class Resolver:
    def __init__(self, ctx: CheckContext):
        self.ctx = ctx
        self._ages: dict[str, tuple[ir.Within | None, bool]] | None = None

    # ---- evidence age --------------------------------------------------------
    def measure_ages(self) -> dict[str, tuple[ir.Within | None, bool]]:
        """Each measure's declared ``max age`` and ``stale may refuse`` (checked once)."""
        if self._ages is None:
            self._ages = {}
            for d in self.ctx.decls():
                if not isinstance(d, ast.MeasureDecl):
                    continue
                if d.stale_only is not None:
                    self.ctx.error(
                        "check.stale-without-age",
                        f"`stale may refuse` on measure `{d.name.name}`, which declares no `max age`",
                        d.stale_only,
                        help="add `max age D` (e.g. `max age 5 years`) above it, or drop the clause",
                    )
                if d.age is not None:
                    limit = self.within(d.age.max_age, "`max age`")
                    if limit is not None:
                        self._ages[d.name.name] = (limit, d.age.stale_refuses)
        return self._ages

    def warn_stale_negated(self, cond: ir.Cond, negated: bool = True) -> None:
        """``not`` over a comparison whose stale evidence may refuse: its refusal would become a pass."""
        if isinstance(cond, ir.CAnd | ir.COr):
            for item in cond.items:
                self.warn_stale_negated(item, negated)
        elif isinstance(cond, ir.CNot):
            return  # its own `not` was checked when it was made
        elif negated and isinstance(cond, ir.CCompare | ir.CIn | ir.CBool):
            operands = [cond.left, cond.right] if isinstance(cond, ir.CCompare) else [cond.value]
            if any(isinstance(v, ir.VLatest | ir.VWindow) and v.stale_refuses for v in operands):
                self.ctx.warn(
                    "check.stale-negated",
                    f"`not` over `{cond.text}`: its evidence may be stale and refuse, and `not` turns "
                    "that refusal into a pass, so stale evidence could grant",
                    cond.span,
                    help="give this comparison its own limit without `stale may refuse` "
                    "(`..., max age D`), or state the condition without `not`",
                )

    def aged(self, v: ir.Value, limit: ir.Within | None, refuses: bool) -> ir.Value:
        """A measure's value with an evidence age (its declaration's, or a comparison's own)."""
        if isinstance(v, ir.VLatest | ir.VWindow):
            return replace(v, max_age=limit, stale_refuses=refuses)
        return v

    def with_age(self, cond: ir.CCompare, age: ast.AgeLimit) -> ir.CCompare | None:
        """``..., max age D[, stale may refuse]``: the limit of this comparison's measure values."""
        if not any(isinstance(v, ir.VLatest | ir.VWindow) for v in (cond.left, cond.right)):
            self.ctx.error(
                "check.age-not-measure",
                "`max age` applies to a measure's evidence, and this comparison reads no measure",
                age.span,
                help="drop the limit, or compare a measure (its latest value or a window)",
            )
            return None
        limit = self.within(age.max_age, "`max age`")
        if limit is None:
            return None
        left = self.aged(cond.left, limit, age.stale_refuses)
        right = self.aged(cond.right, limit, age.stale_refuses)
        return replace(cond, left=left, right=right)

    # ---- values ------------------------------------------------------------
    def value(self, v: ast.Value, scope: Scope, expected: ValueType | None = None) -> ir.Value | None:
        ctx = self.ctx
        text = norm_text(v.span.text)
        if isinstance(v, ast.Ref):
            return self.ref_value(v, scope, expected)
        if isinstance(v, ast.Aggregate):
            return self.aggregate(v, scope, text)
        if isinstance(v, ast.Peer):
            return self.peer(v, scope, text)
        if isinstance(v, ast.ArrangementCount):
            if scope.pair:
                ctx.error(
                    "check.pair-unqualified",
                    "arrangement counts in `pair requires` must name a provider",
                    v.span,
                    help="count arrangements in the lead's or recipient's own requirement instead",
                )
                return None
            role = "lead" if v.role == "led" else "recipient"
            form = self.form_name(v.form)
            within = self.within(v.within)
            if (v.form is not None and form is None) or (v.within is not None and within is None):
                return None
            return ir.VArrCount(
                "lead" if role == "lead" else "recipient", form, within, None, NUMBER, span=v.span, text=text
            )
        return literal(ctx, v)

    def ref_value(self, ref: ast.Ref, scope: Scope, expected: ValueType | None) -> ir.Value | None:
        ctx = self.ctx
        name = ref.name.name
        text = norm_text(ref.span.text)
        if ref.who is not None and not scope.pair:
            ctx.error(
                "check.pair-only",
                f"`{ref.who}.{name}` can only be used in `pair requires`",
                ref.span,
                help=f"inside a role's requirement the provider is implicit: write `{name}`",
            )
            return None
        sym = ctx.symbols.get(name)
        if sym is not None:
            if sym.kind in ("attribute", "measure"):
                if scope.pair and ref.who is None:
                    ctx.error(
                        "check.pair-unqualified",
                        f"in `pair requires`, say whose `{name}` is meant",
                        ref.span,
                        help=f"write `lead.{name}` or `recipient.{name}`",
                    )
                    return None
                ctx.used.add(name)
                if sym.kind == "attribute":
                    t = ctx.attributes.get(name)
                    return None if t is None else ir.VAttr(name, t, ref.who, span=ref.span, text=text)
                t = ctx.measures.get(name)
                limit, refuses = self.measure_ages().get(name, (None, False))
                if t is None:
                    return None
                return ir.VLatest(name, t, ref.who, span=ref.span, text=text, max_age=limit, stale_refuses=refuses)
            if sym.kind == "param":
                if ref.who is not None:
                    ctx.error(
                        "check.type-mismatch",
                        f"`{name}` is a param; it belongs to no provider",
                        ref.span,
                        help=f"write `{name}`",
                    )
                    return None
                ctx.used.add(name)
                p = ctx.params.get(name)
                return None if p is None else ir.VParam(name, p.type, span=ref.span, text=text)
            what = "a condition, not a value" if sym.kind in ("criterion", "credential", "status") else "not a value"
            ctx.error(
                "check.type-mismatch",
                f"`{name}` is a {sym.kind}: {what}",
                ref.span,
                help=(f"use `{name}` on its own as a condition" if "condition" in what else None),
            )
            return None
        levels = _levels(expected)
        if ref.who is None and name in levels:
            return ir.VConst(name, expected, span=ref.span, text=text)  # type: ignore[arg-type]
        if levels:
            kind = "level of scale" if isinstance(expected, ScaleType) else "member of"
            ctx.error(
                "check.unknown-name",
                f"`{name}` is not a {kind} `{expected}`",
                ref.name.span,
                ctx.suggest(name, [*levels, *_value_names(ctx)]) or f"one of: {', '.join(levels)}",
            )
            return None
        ctx.unknown(ref.name, "name", [*_value_names(ctx), *_cond_names(ctx), *_all_levels(ctx)])
        return None

    def aggregate(self, v: ast.Aggregate, scope: Scope, text: str) -> ir.Value | None:
        ctx = self.ctx
        name = v.measure.name
        if ctx.kind_of(name) != "measure":
            if name in ctx.symbols:
                ctx.error("check.type-mismatch", f"`{name}` is a {ctx.kind_of(name)}, not a measure", v.measure.span)
            else:
                ctx.unknown(v.measure, "measure", ctx.measures)
            return None
        if scope.pair:
            ctx.error(
                "check.pair-unqualified",
                "window aggregates in `pair requires` must name a provider",
                v.span,
                help="state the window condition in the lead's or recipient's own requirement",
            )
            return None
        ctx.used.add(name)
        mtype = ctx.measures.get(name)
        if mtype is None:  # its declared type is unknown: already reported
            return None
        dur = duration_of(ctx, ast.DurationLit(v.amount, v.unit, span=v.span))
        if dur is None:
            return None
        minimum: float | ir.VParam | None = None
        if v.func == "pooled":
            if not isinstance(mtype, PercentType):
                ctx.error(
                    "check.type-mismatch",
                    f"`pooled` needs a percent measure (a rate with numerators and denominators); `{name}` is {mtype}",
                    v.span,
                    help="use `mean` for a number measure",
                )
                return None
            if v.minimum is not None:
                minimum = self.pool_minimum(v.minimum)
                if minimum is None:
                    return None
        if v.func == "count":
            t: ValueType = NUMBER
        elif v.func == "pooled":
            t = mtype
        elif v.func == "mean":
            if not is_numeric(mtype):
                ctx.error(
                    "check.type-mismatch",
                    f"`mean` needs a number or percent measure; `{name}` is {mtype}",
                    v.span,
                    help="use `min` or `max` for a scale or a date",
                )
                return None
            t = mtype
        else:
            if not is_ordered(mtype):
                ctx.error("check.type-mismatch", f"`{v.func}` needs an ordered measure; `{name}` is {mtype}", v.span)
                return None
            t = mtype
        func: Any = v.func
        limit, refuses = self.measure_ages().get(name, (None, False))
        return ir.VWindow(
            func, name, dur.months, t, None, minimum, span=v.span, text=text, max_age=limit, stale_refuses=refuses
        )

    def peer(self, v: ast.Peer, scope: Scope, text: str) -> ir.Value | None:
        """``percentile|rank of BASE among ATTRIBUTE [(minimum K)]`` (see :class:`ir.VPeer`)."""
        ctx = self.ctx
        if scope.pair:
            ctx.error(
                "check.pair-unqualified",
                f"`{v.func} of ... among ...` in `pair requires` must name a provider",
                v.span,
                help="state the peer comparison in the lead's or recipient's own requirement",
            )
            return None
        if isinstance(v.base, ast.Peer):
            ctx.error(
                "check.peer-base",
                f"`{v.func} of` a position among peers is not defined: rank a measure's value",
                v.base.span,
                help="rank the measure itself, e.g. `percentile of pooled ae_4h over 1 year among sector`",
            )
            return None
        base = self.value(v.base, scope)
        if base is None:
            return None
        if not isinstance(base, ir.VAttr | ir.VLatest | ir.VWindow | ir.VArrCount):
            ctx.error(
                "check.peer-base",
                f"`{v.func} of` needs a provider's value (a measure, a window or an attribute), "
                f"not `{norm_text(v.base.span.text)}`",
                v.base.span,
                help="rank a measure's value, e.g. `percentile of pooled ae_4h over 1 year among sector`",
            )
            return None
        if not is_numeric(base.type):
            ctx.error(
                "check.peer-not-numeric",
                f"`{v.func} of` needs a number or percent value; `{norm_text(v.base.span.text)}` is "
                + (f"a level of scale `{base.type}`" if isinstance(base.type, ScaleType) else f"{base.type}"),
                v.base.span,
                help="providers are ranked by a number or a rate; a scale's levels have no distance to rank by",
            )
            return None
        among = v.among.name
        kind = ctx.kind_of(among)
        if kind != "attribute":
            if among in ctx.symbols:
                ctx.error(
                    "check.peer-group",
                    f"`among {among}`: `{among}` is a {kind}; a peer group is a provider attribute",
                    v.among.span,
                    help="group by a fixed fact of the provider, e.g. `among sector`",
                )
            else:
                ctx.unknown(v.among, "attribute", ctx.attributes)
            return None
        ctx.used.add(among)
        atype = ctx.attributes.get(among)
        if atype is None:
            return None
        if not isinstance(atype, EnumType | ScaleType) and atype != TEXT:
            ctx.error(
                "check.peer-group",
                f"`among {among}`: a peer group needs a `one of`, scale or text attribute; `{among}` is {atype}",
                v.among.span,
                help="group by a category such as `sector` or `region`",
            )
            return None
        minimum: float | ir.VParam | None = None
        if v.minimum is not None:
            minimum = self.pool_minimum(v.minimum)
            if minimum is None:
                return None
        if isinstance(base, ir.VLatest | ir.VWindow):
            base = replace(base, stale_refuses=False)  # stale evidence is missing: it enters no group
        t: ValueType = PERCENT if v.func == "percentile" else NUMBER
        func: Any = v.func
        return ir.VPeer(func, base, among, t, None, minimum, span=v.span, text=text)

    def pool_minimum(self, m: ast.NumberLit | ast.Ref) -> float | ir.VParam | None:
        """A pooled window's minimum: a non-negative number, or a number param."""
        ctx = self.ctx
        if isinstance(m, ast.NumberLit):
            value = float(m.text)
            if value < 0:
                ctx.error(
                    "check.bad-number",
                    f"a minimum count cannot be negative, not `{m.text}`",
                    m.span,
                    help="the minimum is the smallest sum of denominators, e.g. `(minimum 20)`",
                )
                return None
            return value
        name = m.name.name
        p = ctx.params.get(name)
        if ctx.kind_of(name) != "param":
            ctx.unknown(m.name, "number param", [n for n, q in ctx.params.items() if q.type == NUMBER])
            return None
        ctx.used.add(name)
        if p is None:
            return None
        if p.type != NUMBER or any(float(v) < 0 for v in p.values()):
            ctx.error(
                "check.type-mismatch",
                f"`minimum` needs a non-negative number; param `{name}` is {p.type}",
                m.span,
                help=f"declare it as e.g. `param {name} = 20`",
            )
            return None
        return ir.VParam(name, NUMBER, span=m.span, text=name)

    def form_name(self, ident: ast.Ident | None) -> str | None:
        if ident is None:
            return None
        if self.ctx.kind_of(ident.name) != "form":
            self.ctx.unknown(ident, "form", [n for n, s in self.ctx.symbols.items() if s.kind == "form"])
            return None
        return ident.name

    def within(self, w: ast.DurationLit | ast.Ref | None, what: str = "`started within`") -> ir.Within | None:
        ctx = self.ctx
        if w is None:
            return None
        if isinstance(w, ast.DurationLit):
            return duration_of(ctx, w)
        name = w.name.name
        if ctx.kind_of(name) != "param" or w.who is not None:
            ctx.unknown(w.name, "duration param", [n for n, p in ctx.params.items() if p.type == DURATION])
            return None
        ctx.used.add(name)
        p = ctx.params.get(name)
        if p is None:
            return None
        if p.type != DURATION:
            ctx.error(
                "check.type-mismatch",
                f"{what} needs a duration; param `{name}` is {p.type}",
                w.span,
                help="declare it as e.g. `param " + name + " = 24 months`",
            )
            return None
        return ir.VParam(name, DURATION, span=w.span, text=name)

    # ---- conditions --------------------------------------------------------
    def cond(self, c: ast.Cond, scope: Scope) -> ir.Cond | None:
        text = norm_text(c.span.text)
        if isinstance(c, ast.And | ast.Or):
            items = [self.cond(i, scope) for i in c.items]
            if any(i is None for i in items):
                return None
            done: tuple[ir.Cond, ...] = tuple(i for i in items if i is not None)
            if isinstance(c, ast.And):
                return ir.CAnd(done, span=c.span, text=text)
            return ir.COr(done, span=c.span, text=text)
        if isinstance(c, ast.Not):
            inner = self.cond(c.operand, scope)
            if inner is not None:
                self.warn_stale_negated(inner)
            return None if inner is None else ir.CNot(inner, span=c.span, text=text)
        if isinstance(c, ast.Bare):
            return self.bare(c, scope, text)
        if isinstance(c, ast.Compare):
            return self.compare(c.left, c.op, c.right, scope, c, text)
        if isinstance(c, ast.InList):
            return self.in_list(c.value, c.members, scope, c, text)
        if isinstance(c, ast.Quantified):
            parts: list[ir.Cond | None] = []
            for v in c.values:
                vt = norm_text(v.span.text)
                if c.op == "in":
                    members = ", ".join(m.name for m in c.members)
                    parts.append(self.in_list(v, c.members, scope, c, f"{vt} in ({members})"))
                else:
                    assert c.right is not None
                    parts.append(
                        self.compare(v, c.op, c.right, scope, c, f"{vt} {c.op} {norm_text(c.right.span.text)}")
                    )
            if any(p is None for p in parts):
                return None
            got = tuple(p for p in parts if p is not None)
            if len(got) == 1:
                return got[0]
            return ir.CAnd(got, span=c.span, text=text) if c.quant == "all" else ir.COr(got, span=c.span, text=text)
        if isinstance(c, ast.JudgedBy):
            return self.judged_by(c, scope, text)
        # arrangement condition
        if scope.pair:
            self.ctx.error(
                "check.pair-unqualified",
                "arrangement conditions in `pair requires` must name a provider",
                c.span,
                help="state it in the lead's or recipient's own requirement",
            )
            return None
        form = self.form_name(c.form)
        within = self.within(c.within)
        if (c.form is not None and form is None) or (c.within is not None and within is None):
            return None
        role: Any = "lead" if c.verb == "leads" else "recipient"
        if c.held is not None:
            return self.held(c, form, within, text)
        return ir.CArr(role, form, within, None, span=c.span, text=text)

    def held(self, c: ast.ArrangementCond, form: str | None, within: ir.Within | None, text: str) -> ir.Cond | None:
        """``held C at start of arrangement led ... started within D``: the grace condition."""
        assert c.held is not None
        name = c.held.name
        sym = self.ctx.symbols.get(name)
        if sym is None or sym.kind != "credential":
            credentials = sorted(n for n, s in self.ctx.symbols.items() if s.kind == "credential")
            self.ctx.error(
                "check.grace-target",
                f"`held {name}`: a grace period keeps a credential, and `{name}` is "
                + ("not declared" if sym is None else f"a {sym.kind}"),
                c.held.span,
                help="name a credential: " + ", ".join(f"`{n}`" for n in credentials) if credentials else None,
            )
            return None
        if within is None:
            self.ctx.error(
                "check.grace-unbounded",
                f"`held {name} at start of arrangement led` needs `started within D`: a grace period has an end",
                c.span,
                help="add `started within grace_period` (a duration param) or a duration such as `24 months`",
            )
            return None
        return ir.CArr("lead", form, within, None, span=c.span, text=text, held=name)

    def judged_by(self, c: ast.JudgedBy, scope: Scope, text: str) -> ir.Cond | None:
        """``judged by a, b``: every name a criterion with an ``applies to`` scope."""
        ctx = self.ctx
        if scope.pair:
            ctx.error(
                "check.pair-unqualified",
                "`judged by` in `pair requires` must name a provider",
                c.span,
                help="state it in the lead's or recipient's own requirement",
            )
            return None
        scopes: list[ir.CIn] = []
        ok = True
        for ident in c.criteria:
            kind = ctx.kind_of(ident.name)
            if kind != "criterion":
                ok = False
                if kind is None:
                    ctx.unknown(ident, "criterion", [n for n, s in ctx.symbols.items() if s.kind == "criterion"])
                else:
                    ctx.error(
                        "check.type-mismatch",
                        f"`judged by` lists criteria; `{ident.name}` is a {kind}",
                        ident.span,
                    )
                continue
            ctx.used.add(ident.name)
            found = ctx.scopes.get(ident.name)
            if found is None:
                ok = False
                ctx.error(
                    "check.missing-clause",
                    f"criterion `{ident.name}` has no `applies to` clause, so it judges every provider",
                    ident.span,
                    help="give it a scope, e.g. `applies to sector in (acute)`, or leave it out of `judged by`",
                )
                continue
            scopes.append(found)
        if not ok:
            return None
        return ir.CJudged(tuple(i.name for i in c.criteria), tuple(scopes), span=c.span, text=text)

    def bare(self, c: ast.Bare, scope: Scope, text: str) -> ir.Cond | None:
        ctx = self.ctx
        v = c.value
        if isinstance(v, ast.Ref):
            name = v.name.name
            sym = ctx.symbols.get(name)
            if v.who is not None and not scope.pair:
                ctx.error(
                    "check.pair-only",
                    f"`{v.who}.{name}` can only be used in `pair requires`",
                    v.span,
                    help=f"inside a role's requirement the provider is implicit: write `{name}`",
                )
                return None
            if sym is not None and sym.kind in ("criterion", "credential", "status"):
                if scope.pair and v.who is None:
                    ctx.error(
                        "check.pair-unqualified",
                        f"in `pair requires`, say whose `{name}` is meant",
                        v.span,
                        help=f"write `lead.{name}` or `recipient.{name}`",
                    )
                    return None
                ctx.used.add(name)
                if sym.kind == "status":
                    return ir.CStatus(name, v.who, span=c.span, text=text)
                scope.deps.add(name)
                kind: Any = sym.kind
                return ir.CRef(kind, name, v.who, span=c.span, text=text)
            if sym is not None and sym.kind in ("attribute", "measure"):
                val = self.ref_value(v, scope, None)
                if val is None:
                    return None
                if isinstance(val, ir.VAttr | ir.VLatest) and val.type == BOOL:
                    return ir.CBool(val, span=c.span, text=text)
                ctx.error(
                    "check.type-mismatch",
                    f"`{name}` is a {sym.kind} of type {val.type}, not a condition",
                    v.span,
                    help=f"compare it, e.g. `{name} >= ...`",
                )
                return None
            if sym is None:
                ctx.unknown(v.name, "condition", [*_cond_names(ctx), *_value_names(ctx)])
                return None
            ctx.error(
                "check.type-mismatch",
                f"`{name}` is a {sym.kind}, not a condition",
                v.span,
                help="a condition is a criterion, credential, status, yes/no value or comparison",
            )
            return None
        ctx.error(
            "check.type-mismatch",
            f"`{norm_text(v.span.text)}` is a value, not a condition",
            v.span,
            help="compare it with something, e.g. `... >= 3`",
        )
        return None

    def compare(self, left: ast.Value, op: str, right: ast.Value, scope: Scope, node: Any, text: str) -> ir.Cond | None:
        foreign = self._foreign_compare(left, right, scope, node)
        if foreign is not None:
            return None if foreign else self._compare_typed(left, op, right, scope, node, text)
        return self._compare_typed(left, op, right, scope, node, text)

    # ---- kinds of the two sides (check.type-mismatch, never an unknown name) ----
    def _name_kind(self, v: ast.Value) -> str | None:
        """What a name that is not a provider's value or param is, in words (None: a value, a
        literal, or a name unknown everywhere)."""
        if not isinstance(v, ast.Ref) or v.who is not None:
            return None
        ctx = self.ctx
        sym = ctx.symbols.get(v.name.name)
        if sym is not None:
            return None if sym.kind in ("attribute", "measure", "param") else sym.kind
        return _level_kind(ctx, v.name.name)

    def _foreign_compare(self, left: ast.Value, right: ast.Value, scope: Scope, node: Any) -> bool | None:
        """Report a comparison with a side that is no value of the other side's kind.

        Returns None when neither side is such a name (the typed path decides), False when a
        side is a level or member of the other side's own type (also the typed path), True when
        a diagnostic was reported (or the other side had errors).
        """
        ctx = self.ctx
        lk, rk = self._name_kind(left), self._name_kind(right)
        if lk is None and rk is None:
            return None
        if lk is not None and rk is not None:
            if lk == rk and isinstance(left, ast.Ref) and isinstance(right, ast.Ref) and _is_level_kind(lk):
                ctx.error(
                    "check.type-mismatch", "a comparison needs a provider's value on at least one side", node.span
                )
                return True
            self._mismatch(left, lk, right, rk, node)
            return True
        named, other = (left, right) if lk is not None else (right, left)
        kind = lk if lk is not None else rk
        assert kind is not None and isinstance(named, ast.Ref)
        if self._name_kind(other) is None and is_level_candidate(ctx, other):  # a name unknown everywhere
            ctx.unknown(other.name, "name", [*_value_names(ctx), *_cond_names(ctx), *_all_levels(ctx)])  # type: ignore[union-attr]
            return True
        errors = len(ctx.diagnostics)
        typed = self.value(other, scope)
        if typed is None:
            return True if len(ctx.diagnostics) > errors else None
        if _is_level_kind(kind) and named.name.name in _levels(typed.type):
            return False  # a level of the other side's scale: an ordinary comparison
        other_kind = _kind_words(typed)
        if named is left:
            self._mismatch(left, kind, right, other_kind, node)
        else:
            self._mismatch(left, other_kind, right, kind, node)
        return True

    def _mismatch(self, left: ast.Value, lkind: str, right: ast.Value, rkind: str, node: Any) -> None:
        ltext, rtext = norm_text(left.span.text), norm_text(right.span.text)
        help_text = None
        if {lkind, rkind} & {"status", "criterion", "credential"}:
            help_text = (
                "a status, criterion or credential is a condition: use it on its own, e.g. `not special_measures`"
            )
        self.ctx.error(
            "check.type-mismatch",
            f"cannot compare `{ltext}` ({lkind}) with `{rtext}` ({rkind})",
            node.span,
            help=help_text,
            labels=(Label(left.span, lkind), Label(right.span, rkind)),
        )

    def _compare_typed(
        self, left: ast.Value, op: str, right: ast.Value, scope: Scope, node: Any, text: str
    ) -> ir.Cond | None:
        ctx = self.ctx
        if is_level_candidate(ctx, left) and not is_level_candidate(ctx, right):
            r = self.value(right, scope)
            if r is None:
                return None
            lv = self.value(left, scope, r.type)
        else:
            lv = self.value(left, scope)
            if lv is None:
                return None
            r = self.value(right, scope, lv.type)
        if lv is None or r is None:
            return None
        if not same_type(lv.type, r.type):
            help_text = None
            if {type(lv.type), type(r.type)} == {PercentType, NumberType}:
                help_text = "percents are written with `%`, e.g. `95%` (the value 0.95)"
            elif isinstance(lv.type, EnumType | ScaleType) and isinstance(r, ir.VConst) and r.type == TEXT:
                help_text = "write members and levels without quotes"
            lkind, rkind = _kind_words(lv), _kind_words(r)
            ctx.error(
                "check.type-mismatch",
                f"cannot compare `{lv.text}` ({lkind}) with `{r.text}` ({rkind})",
                node.span,
                help=help_text,
                labels=(Label(left.span, lkind), Label(right.span, rkind)),
            )
            return None
        if isinstance(lv, ir.VConst) and isinstance(r, ir.VConst):
            ctx.error(
                "check.type-mismatch",
                "a comparison needs a provider's value on at least one side",
                node.span,
            )
            return None
        if op in ORDER_OPS and not is_ordered(lv.type):
            ctx.error(
                "check.type-mismatch",
                f"`{op}` does not apply to {lv.type} values",
                node.span,
                help="`one of`, text and yes/no values allow only `=`, `!=`"
                + (" and `in (...)`" if isinstance(lv.type, EnumType) else ""),
            )
            return None
        op_lit: Any = op
        out = ir.CCompare(lv, op_lit, r, lv.type, span=node.span, text=text)
        age = getattr(node, "age", None)
        return out if age is None else self.with_age(out, age)

    def in_list(
        self, value: ast.Value, members: tuple[ast.Ident, ...], scope: Scope, node: Any, text: str
    ) -> ir.Cond | None:
        ctx = self.ctx
        v = self.value(value, scope)
        if v is None:
            return None
        if not isinstance(v.type, EnumType | ScaleType):
            ctx.error(
                "check.type-mismatch",
                f"`in (...)` needs a `one of` or scale value; `{v.text}` is {v.type}",
                node.span,
            )
            return None
        levels = _levels(v.type)
        ok = True
        for m in members:
            other_kind = _level_kind(ctx, m.name) if m.name not in levels else None
            if other_kind is not None:
                ok = False
                kind = _kind_words(v) if not isinstance(v.type, ScaleType) else f"scale {v.type}"
                ctx.error(
                    "check.type-mismatch",
                    f"`{m.name}` ({other_kind}) cannot be a value of `{v.text}` ({kind})",
                    m.span,
                    help=f"the values of `{v.text}` are: {', '.join(levels)}",
                    labels=(Label(value.span, kind), Label(m.span, other_kind)),
                )
            elif m.name not in levels:
                ok = False
                ctx.error(
                    "check.unknown-name",
                    f"`{m.name}` is not a member of `{v.type}`",
                    m.span,
                    ctx.suggest(m.name, levels) or f"one of: {', '.join(levels)}",
                )
        if not ok:
            return None
        return ir.CIn(v, tuple(m.name for m in members), v.type, span=node.span, text=text)
