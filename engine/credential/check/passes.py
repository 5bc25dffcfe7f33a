"""The check passes, as a named, ordered table (see :data:`PASSES`).

Each pass reads the :class:`CheckContext` filled by the passes before it and adds
diagnostics or resolved declarations.  ``check_files`` runs them all and, when no error
was found, assembles the :class:`~credential.check.ir.CheckedPolicy`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from credential.check import ir
from credential.check.context import CheckContext, Symbol
from credential.check.resolve import Resolver, Scope, literal, norm_text, parse_date, resolve_type
from credential.diagnostics import Diagnostic, sort_diagnostics
from credential.span import SourceFile
from credential.syntax import ast
from credential.types import DURATION, EnumType, NumberType, PercentType, ScaleType, ValueType

Pass = Callable[[CheckContext], None]


def pass_header(ctx: CheckContext) -> None:
    """Exactly one ``policy`` declaration, first in the root file, with version and effective date."""
    decls = ctx.root.decls
    policies = [d for d in decls if isinstance(d, ast.PolicyDecl)]
    if not policies:
        span = ctx.root.span.source.span(0, 0)
        ctx.error(
            "check.policy-header",
            "the file has no `policy` declaration",
            span,
            help='start the file with `policy NAME "TITLE"` and indented `version` and `effective` lines',
        )
        return
    first = policies[0]
    if decls[0] is not first:
        ctx.error("check.policy-header", "the `policy` declaration must come first", first.span)
    for extra in policies[1:]:
        ctx.error("check.policy-header", "a file has exactly one `policy` declaration", extra.span)
    ctx.policy = first
    for span in first.repeated:
        ctx.error("check.policy-header", "this policy clause is given twice", span, help="keep one of them")
    if first.version is None:
        ctx.error(
            "check.policy-header",
            "the policy has no `version`",
            first.name.span,
            help='add `  version "1.0.0"`',
        )
    if first.effective is None:
        ctx.error(
            "check.policy-header",
            "the policy has no `effective` date",
            first.name.span,
            help="add `  effective 2015-04-01`",
        )


_DECL_KIND = {
    ast.SourceDecl: "source",
    ast.ScaleDecl: "scale",
    ast.AttributeDecl: "attribute",
    ast.MeasureDecl: "measure",
    ast.StatusDecl: "status",
    ast.ParamDecl: "param",
}


def pass_collect(ctx: CheckContext) -> None:
    """The symbol table: one namespace for every declared name."""
    for d in ctx.decls():
        if isinstance(d, ast.PolicyDecl | ast.UseDecl):
            continue
        kind = d.kind if isinstance(d, ast.RuleDecl) else _DECL_KIND[type(d)]
        name = d.name
        prev = ctx.symbols.get(name.name)
        if prev is not None:
            ctx.error(
                "check.duplicate-name",
                f"`{name.name}` is already declared as a {prev.kind} at {prev.span.location()}",
                name.span,
                help="rename one of them",
            )
            continue
        ctx.symbols[name.name] = Symbol(kind, name.name, d, name.span)


def pass_dates(ctx: CheckContext) -> None:
    """Every date is a real calendar date; param steps are in increasing date order."""
    for d in ctx.decls():
        dates: list[ast.DateLit] = []
        if isinstance(d, ast.PolicyDecl):
            dates = [x for x in (d.effective, d.expires) if x is not None]
        elif isinstance(d, ast.ParamDecl):
            dates = [s.date for s in d.steps]
            vals = [v for v in [d.value, *(s.value for s in d.steps)] if isinstance(v, ast.DateLit)]
            dates += vals
            for t in [d.value, *(s.value for s in d.steps)]:
                if isinstance(t, ast.Trajectory):
                    dates += [t.start_date, t.end_date]
        for lit in dates:
            if parse_date(lit.text) is None:
                ctx.error(
                    "check.bad-date",
                    f"`{lit.text}` is not a calendar date",
                    lit.span,
                    help="dates are written YYYY-MM-DD, e.g. 2015-04-01",
                )
        if isinstance(d, ast.PolicyDecl) and d.effective and d.expires:
            eff, exp = parse_date(d.effective.text), parse_date(d.expires.text)
            if eff and exp and exp <= eff:
                ctx.error("check.bad-date", "the policy expires before it takes effect", d.expires.span)
        if isinstance(d, ast.ParamDecl):
            last = None
            for step in d.steps:
                cur = parse_date(step.date.text)
                if cur is None:
                    continue
                if last is not None and cur <= last:
                    ctx.error(
                        "check.param-dates",
                        f"`from {step.date.text}` is not after the previous `from` date {last.isoformat()}",
                        step.date.span,
                        help="list a param's `from` lines in increasing date order, each date once",
                    )
                last = cur if last is None or cur > last else last


def declared_unit(texpr: ast.TypeExpr, t: ValueType) -> str | None:
    """The unit a declaration gives its values: `percent` for percents, the `in UNIT` of a number."""
    if isinstance(t, PercentType):
        return "percent"
    if isinstance(texpr, ast.PrimType) and texpr.unit is not None:
        return texpr.unit.name
    return None


def pass_types(ctx: CheckContext) -> None:
    """Scales, then the types of attributes and measures."""
    for d in ctx.decls():
        if isinstance(d, ast.ScaleDecl):
            seen: set[str] = set()
            for lvl in d.levels:
                if lvl.name in seen:
                    ctx.error(
                        "check.duplicate-name",
                        f"level `{lvl.name}` appears twice in scale `{d.name.name}`",
                        lvl.span,
                    )
                seen.add(lvl.name)
            ctx.types[d.name.name] = ScaleType(d.name.name, tuple(dict.fromkeys(lv.name for lv in d.levels)))
    for d in ctx.decls():
        if isinstance(d, ast.AttributeDecl | ast.MeasureDecl):
            t = resolve_type(ctx, d.type)
            if t is None:
                continue
            (ctx.attributes if isinstance(d, ast.AttributeDecl) else ctx.measures)[d.name.name] = t
            unit = declared_unit(d.type, t)
            if unit is not None:
                ctx.units[d.name.name] = unit


def _trajectory(ctx: CheckContext, v: ast.Trajectory) -> ir.VConst | None:
    """``trajectory A on D1 to B on D2``: two numbers or two percents, D1 before D2."""
    start, end = literal(ctx, v.start), literal(ctx, v.end)
    d1, d2 = parse_date(v.start_date.text), parse_date(v.end_date.text)  # bad dates: pass_dates
    if start is None or end is None or d1 is None or d2 is None:
        return None
    if start.type != end.type or not isinstance(start.type, NumberType | PercentType):
        ctx.error(
            "check.trajectory-type",
            f"a trajectory moves between two numbers or two percents, not {start.type} and {end.type}",
            v.span,
            help="write both anchors in one numeric type, e.g. `trajectory 76% on 2024-04-01 to 78% on 2025-03-31`",
        )
        return None
    if not d1 < d2:
        ctx.error(
            "check.trajectory-dates",
            f"a trajectory's start ({v.start_date.text}) must be before its end ({v.end_date.text})",
            v.span,
            help="the first anchor is where it starts, the second the date the objective is due",
        )
        return None
    traj = ir.Trajectory(float(start.value), d1, float(end.value), d2)
    return ir.VConst(traj, start.type, span=v.span, text=norm_text(v.span.text))


def _param_value(ctx: CheckContext, v: ast.Literal | ast.Ref | ast.Trajectory) -> ir.VConst | None:
    if isinstance(v, ast.Trajectory):
        return _trajectory(ctx, v)
    if isinstance(v, ast.Ref):
        owners: list[ValueType] = []
        for t in [*ctx.types.values(), *ctx.attributes.values(), *ctx.measures.values()]:
            if (
                isinstance(t, ScaleType | EnumType)
                and v.name.name in (t.levels if isinstance(t, ScaleType) else t.members)
                and t not in owners
            ):
                owners.append(t)
        if len(owners) == 1 and v.who is None:
            return ir.VConst(v.name.name, owners[0], span=v.span, text=v.name.name)
        if len(owners) > 1:
            ctx.error("check.type-mismatch", f"`{v.name.name}` is a level of more than one type", v.span)
        else:
            ctx.unknown(
                v.name,
                "param value",
                [lv for t in ctx.types.values() if isinstance(t, ScaleType) for lv in t.levels],
            )
        return None
    return literal(ctx, v)


def pass_params(ctx: CheckContext) -> None:
    """Param values, their types, and their effective-dated steps."""
    for d in ctx.decls():
        if not isinstance(d, ast.ParamDecl):
            continue
        default = _param_value(ctx, d.value)
        if default is None:
            continue
        steps: list[tuple[Any, Any]] = []
        ok = True
        for step in d.steps:
            val = _param_value(ctx, step.value)
            date = parse_date(step.date.text)
            if val is None or date is None:
                ok = False
                continue
            if val.type != default.type:
                ctx.error(
                    "check.type-mismatch",
                    f"param `{d.name.name}` is {default.type} but this step gives {val.type}",
                    step.value.span,
                )
                ok = False
                continue
            steps.append((date, val.value))
        if ok:
            ctx.params[d.name.name] = ir.Param(d.name.name, default.type, default.value, tuple(steps), span=d.span)


ALLOWED = {
    "criterion": {"cites", "requires", "unless", "applies"},
    "credential": {"cites", "requires"},
    "form": {"cites", "change", "lead", "recipient", "pair", "prefer"},
}


def _clause_kind(c: ast.Clause) -> str:
    if isinstance(c, ast.Cites):
        return "cites"
    if isinstance(c, ast.Unless):
        return "unless"
    if isinstance(c, ast.Change):
        return "change"
    if isinstance(c, ast.AppliesTo):
        return "applies"
    if isinstance(c, ast.Prefer):
        return "prefer"
    return c.role or "requires"


def _clause_words(kind: str) -> str:
    words = {
        "lead": "lead requires",
        "recipient": "recipient requires",
        "pair": "pair requires",
        "applies": "applies to",
        "prefer": 'prefer NAME "TITLE" when',
    }
    return words.get(kind, kind)


def _join(conds: list[ir.Cond], spans: list[Any], kind: str) -> ir.Cond:
    if len(conds) == 1:
        return conds[0]
    span = spans[0]
    for s in spans[1:]:
        span = span.merge(s)
    text = " and ".join(f"({c.text})" if isinstance(c, ir.COr) else c.text for c in conds)
    return ir.CAnd(tuple(conds), span=span, text=text)


def pass_rules(ctx: CheckContext) -> None:
    """Criteria, credentials and forms: clause placement, citations, conditions → typed IR."""
    resolver = Resolver(ctx)
    resolver.measure_ages()  # every measure's `max age`, checked whether or not a rule reads it
    for d in ctx.decls():
        if not isinstance(d, ast.RuleDecl):
            continue
        cites: list[ir.Citation] = []
        groups: dict[str, list[tuple[ir.Cond | None, Any]]] = {}
        changes: list[ast.Change] = []
        prefers: list[ir.Preference] = []
        prefer_names: dict[str, ast.Prefer] = {}
        deps: set[str] = set()
        for c in d.clauses:
            kind = _clause_kind(c)
            if kind not in ALLOWED[d.kind]:
                where = {"criterion": "a criterion", "credential": "a credential", "form": "a form"}[d.kind]
                hint = {
                    ("credential", "unless"): "put the waiver on a criterion and require that criterion",
                    (
                        "form",
                        "requires",
                    ): "a form states `lead requires`, `recipient requires` and `pair requires`",
                }.get(
                    (d.kind, kind),
                    f"{where} takes: " + ", ".join(sorted(_clause_words(k) for k in ALLOWED[d.kind])),
                )
                ctx.error(
                    "check.bad-clause",
                    f"`{_clause_words(kind)}` does not belong in {where}",
                    c.span,
                    help=hint,
                )
                continue
            if isinstance(c, ast.Cites):
                sym = ctx.symbols.get(c.source.name)
                if sym is None or sym.kind != "source":
                    ctx.unknown(c.source, "source", [n for n, s in ctx.symbols.items() if s.kind == "source"])
                    continue
                ctx.used.add(c.source.name)
                cites.append(ir.Citation(c.source.name, sym.decl.citation.value, c.locator.value, span=c.span))
            elif isinstance(c, ast.Change):
                changes.append(c)
            elif isinstance(c, ast.AppliesTo):
                continue  # resolved by pass_scopes
            elif isinstance(c, ast.Prefer):
                if c.name.name in prefer_names:
                    ctx.error(
                        "check.duplicate-name",
                        f"form `{d.name.name}` has two preferences named `{c.name.name}`",
                        c.name.span,
                        help="give each `prefer` of a form its own name (the name labels the reason)",
                    )
                    continue
                prefer_names[c.name.name] = c
                pscope = Scope(pair=True)
                pcond = resolver.cond(c.cond, pscope)
                if pcond is not None:
                    prefers.append(ir.Preference(c.name.name, c.title.value, pcond, span=c.span))
            else:
                scope = Scope(pair=(kind == "pair"))
                cond = resolver.cond(c.cond, scope)
                deps |= scope.deps
                groups.setdefault(kind, []).append((cond, c.span))
        name = d.name.name
        if d.kind == "form":
            change = "low"
            if not changes:
                ctx.error(
                    "check.missing-clause",
                    f"form `{name}` has no `change` level",
                    d.name.span,
                    help="add `  change low|medium|high|very_high`",
                )
            for extra in changes[1:]:
                ctx.error("check.duplicate-name", "a form has one `change` level", extra.span)
            if changes:
                change = changes[0].level.name
                if change not in ir.CHANGE_LEVELS:
                    ctx.unknown(changes[0].level, "change level", ir.CHANGE_LEVELS)
            for role in ("lead", "recipient"):
                if role not in groups:
                    ctx.error(
                        "check.missing-clause",
                        f"form `{name}` has no `{role} requires`",
                        d.name.span,
                        help=f"add `  {role} requires CONDITION` (who may take the {role} role)",
                    )
        else:
            ctx.rule_deps[name] = deps
            if "requires" not in groups:
                ctx.error(
                    "check.missing-clause",
                    f"{d.kind} `{name}` has no `requires`",
                    d.name.span,
                    help="add `  requires CONDITION`",
                )
        if ctx.has_errors:
            continue
        if any(cond is None for g in groups.values() for cond, _ in g):
            continue
        joined = {k: _join([c for c, _ in g if c is not None], [s for _, s in g], k) for k, g in groups.items()}
        title = d.title.value if d.title else None
        if d.kind == "form":
            ctx.forms[name] = ir.Form(
                name,
                title,
                changes[0].level.name,
                joined["lead"],
                joined["recipient"],
                joined.get("pair"),
                tuple(cites),
                span=d.span,
                lead_span=groups["lead"][0][1],
                recipient_span=groups["recipient"][0][1],
                pair_span=groups["pair"][0][1] if "pair" in groups else d.span,
                prefers=tuple(prefers),
            )
        else:
            unless = None
            if "unless" in groups:
                ws = [c for c, _ in groups["unless"] if c is not None]
                unless = (
                    ws[0]
                    if len(ws) == 1
                    else ir.COr(tuple(ws), span=groups["unless"][0][1], text=" or ".join(w.text for w in ws))
                )
            kind_lit: Any = d.kind
            ctx.rules[name] = ir.Rule(
                kind_lit, name, title, joined["requires"], unless, tuple(cites), ctx.scopes.get(name), span=d.span
            )


def pass_scopes(ctx: CheckContext) -> None:
    """Each criterion's ``applies to`` clause: a provider attribute of a `one of` (or scale) type
    and some of its values, as the in-scope condition (at most one clause per criterion)."""
    resolver = Resolver(ctx)
    for d in ctx.decls():
        if not isinstance(d, ast.RuleDecl) or d.kind != "criterion":
            continue
        clauses = [c for c in d.clauses if isinstance(c, ast.AppliesTo)]
        for extra in clauses[1:]:
            ctx.error(
                "check.bad-clause",
                "a criterion has one `applies to` clause",
                extra.span,
                help="list every value it applies to in one clause: `applies to sector in (a, b)`",
            )
        if not clauses:
            continue
        c = clauses[0]
        attr = c.attribute
        kind = ctx.kind_of(attr.name)
        if kind != "attribute":
            if kind is None:
                ctx.unknown(attr, "attribute", list(ctx.attributes))
            else:
                ctx.error(
                    "check.type-mismatch",
                    f"`applies to` names a provider attribute; `{attr.name}` is a {kind}",
                    attr.span,
                    help="a scope is a fixed fact about the provider, such as its sector",
                )
            continue
        members = ", ".join(m.name for m in c.members)
        text = f"{attr.name} in ({members})"
        scope = resolver.in_list(ast.Ref(attr, span=attr.span), c.members, Scope(), c, text)
        if isinstance(scope, ir.CIn):
            ctx.scopes[d.name.name] = scope


def pass_cycles(ctx: CheckContext) -> None:
    """Names must not depend on themselves, through any chain."""
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(ctx.rule_deps.get(name, ())):
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    sym = ctx.symbols[dep]
                    ctx.error(
                        "check.cycle",
                        "circular definition: " + " -> ".join(cycle),
                        sym.span,
                        help="a criterion or credential cannot depend on itself",
                    )
            elif state.get(dep, 0) == 0 and dep in ctx.rule_deps:
                visit(dep, stack)
        stack.pop()
        state[name] = 2

    for name in sorted(ctx.rule_deps, key=lambda n: ctx.symbols[n].span.start):
        if state.get(name, 0) == 0:
            visit(name, [])


def _required(ctx: CheckContext, cond: ast.Cond, memo: dict[str, set[str]], stack: frozenset[str]) -> set[str]:
    """Criteria and credentials a condition *necessarily* requires (directly or through other names).

    ``and`` requires what any part requires, ``or`` only what every alternative requires,
    ``not`` requires nothing (naming a credential under ``not`` is not requiring it).
    """
    if isinstance(cond, ast.And):
        out: set[str] = set()
        for item in cond.items:
            out |= _required(ctx, item, memo, stack)
        return out
    if isinstance(cond, ast.Or):
        sets = [_required(ctx, item, memo, stack) for item in cond.items]
        common = set(sets[0]) if sets else set()
        for other in sets[1:]:
            common &= other
        return common
    if isinstance(cond, ast.Bare) and isinstance(cond.value, ast.Ref) and cond.value.who is None:
        name = cond.value.name.name
        if ctx.kind_of(name) in ("criterion", "credential"):
            return {name} | _rule_required(ctx, name, memo, stack)
    return set()


def _rule_required(ctx: CheckContext, name: str, memo: dict[str, set[str]], stack: frozenset[str]) -> set[str]:
    if name in memo:
        return memo[name]
    if name in stack:  # a cycle: reported by the cycles pass
        return set()
    decl = ctx.symbols[name].decl
    reqs = [c.cond for c in decl.clauses if isinstance(c, ast.Requires) and c.role is None]
    waivers = [c.cond for c in decl.clauses if isinstance(c, ast.Unless)]
    inner = stack | {name}
    out: set[str] = set()
    for r in reqs:
        out |= _required(ctx, r, memo, inner)
    if waivers:  # holds through the requirement *or* a waiver: only what both require
        waived = [_required(ctx, w, memo, inner) for w in waivers]
        for w in waived:
            out &= w
    memo[name] = out
    return out


def pass_risk_gradient(ctx: CheckContext) -> None:
    """A form of higher change must not have a weaker lead requirement than one of lower change.

    Weaker: it does not necessarily require (directly or through other names) a credential
    that the lower-change form's lead requirement necessarily requires.
    """
    forms = [(n, s) for n, s in ctx.symbols.items() if s.kind == "form"]
    level: dict[str, int] = {}
    required: dict[str, set[str]] = {}
    memo: dict[str, set[str]] = {}
    for name, sym in forms:
        for c in sym.decl.clauses:
            if isinstance(c, ast.Change) and c.level.name in ir.CHANGE_LEVELS:
                level[name] = ir.CHANGE_LEVELS.index(c.level.name)
                break
        leads = [c.cond for c in sym.decl.clauses if isinstance(c, ast.Requires) and c.role == "lead"]
        req: set[str] = set()
        for cond in leads:
            req |= _required(ctx, cond, memo, frozenset())
        required[name] = req
    for hi_name, hi_sym in forms:
        if hi_name not in level:
            continue
        for lo_name, _ in forms:
            if lo_name not in level or level[lo_name] >= level[hi_name]:
                continue
            missing = sorted(
                n for n in required[lo_name] if ctx.kind_of(n) == "credential" and n not in required[hi_name]
            )
            if missing:
                lead_clause = next(
                    (c for c in hi_sym.decl.clauses if isinstance(c, ast.Requires) and c.role == "lead"),
                    hi_sym.decl,
                )
                ctx.warn(
                    "check.risk-gradient",
                    f"form `{hi_name}` ({ir.CHANGE_LEVELS[level[hi_name]]} change) does not require "
                    + ", ".join(f"`{m}`" for m in missing)
                    + f", which `{lo_name}` ({ir.CHANGE_LEVELS[level[lo_name]]} change) requires of its lead",
                    lead_clause.span,
                    help="the bar to lead should rise with the degree of organisational change",
                )


def _sides(c: ir.Cond) -> set[str]:
    """Whose values a pair condition reads: ``lead``, ``recipient`` or both."""
    if isinstance(c, ir.CAnd | ir.COr):
        out: set[str] = set()
        for item in c.items:
            out |= _sides(item)
        return out
    if isinstance(c, ir.CNot):
        return _sides(c.item)
    if isinstance(c, ir.CJudged):
        out = set()
        for scope in c.scopes:
            out |= _sides(scope)
        return out
    if isinstance(c, ir.CCompare):
        values: list[Any] = [c.left, c.right]
    elif isinstance(c, ir.CIn | ir.CBool):
        values = [c.value]
    else:
        values = [c]
    return {str(w) for v in values if (w := getattr(v, "who", None)) is not None}


def pass_pair_constraint(ctx: CheckContext) -> None:
    """A form's pair rule should say why a lead fits a recipient: a form with no `pair requires`,
    or one whose condition reads only one side's values, pairs any eligible lead with any
    eligible recipient (a condition on one side alone belongs in that side's `requires`)."""
    if ctx.has_errors:
        return
    for name, form in ctx.forms.items():
        help = (
            "relate the lead to the recipient, e.g. `pair requires lead.sector = recipient.sector` "
            "(compatible services) or `lead.region = recipient.region` (where the form needs "
            "physical integration)"
        )
        if form.pair is None:
            ctx.warn(
                "check.pair-unconstrained",
                f"form `{name}` has no `pair requires`: any eligible lead is paired with any eligible recipient",
                ctx.symbols[name].decl.name.span,
                help=help,
            )
            continue
        sides = _sides(form.pair)
        if sides != {"lead", "recipient"}:
            only = "neither side's" if not sides else f"only the {next(iter(sides))}'s"
            ctx.warn(
                "check.pair-unconstrained",
                f"the `pair requires` of form `{name}` reads {only} values: it says nothing about "
                "which lead fits which recipient",
                form.pair_span,
                help=help,
            )


def pass_unused(ctx: CheckContext) -> None:
    """Declarations nothing refers to (warnings; skipped when errors may have hidden uses)."""
    if ctx.has_errors:
        return
    for name, sym in ctx.symbols.items():
        if sym.kind in ("credential", "form") or name in ctx.used:
            continue
        what = {
            "source": "source is never cited",
            "criterion": "criterion is not required by any credential, criterion or form",
        }.get(sym.kind, f"{sym.kind} is never used")
        ctx.warn("check.unused", f"`{name}`: {what}", sym.span, help="use it or remove it")


PASSES: tuple[tuple[str, Pass], ...] = (
    ("header", pass_header),
    ("collect", pass_collect),
    ("dates", pass_dates),
    ("types", pass_types),
    ("params", pass_params),
    ("scopes", pass_scopes),
    ("rules", pass_rules),
    ("cycles", pass_cycles),
    ("risk-gradient", pass_risk_gradient),
    ("pair-constraint", pass_pair_constraint),
    ("unused", pass_unused),
)


def check_files(
    root: ast.PolicyFile, used: list[ast.PolicyFile], sources: list[SourceFile], path: str = ""
) -> tuple[ir.CheckedPolicy | None, list[Diagnostic]]:
    """Run every pass over a root file and the files it uses."""
    ctx = CheckContext(files=[root, *used], root=root)
    for _name, run in PASSES:
        run(ctx)
    diags = sort_diagnostics(ctx.diagnostics)
    if ctx.has_errors or ctx.policy is None:
        return None, diags
    p = ctx.policy
    from credential.check.resolve import parse_date as _pd

    policy = ir.CheckedPolicy(
        name=p.name.name,
        title=p.title.value,
        version=p.version.value if p.version else "",
        effective=_pd(p.effective.text) if p.effective else None,
        expires=_pd(p.expires.text) if p.expires else None,
        sources={n: s.decl.citation.value for n, s in ctx.symbols.items() if s.kind == "source"},
        scales=dict(ctx.types),
        attributes=dict(ctx.attributes),
        measures=dict(ctx.measures),
        statuses={
            n: (s.decl.title.value if s.decl.title else None) for n, s in ctx.symbols.items() if s.kind == "status"
        },
        params=dict(ctx.params),
        criteria={n: r for n, r in ctx.rules.items() if r.kind == "criterion"},
        credentials={n: r for n, r in ctx.rules.items() if r.kind == "credential"},
        forms=dict(ctx.forms),
        units=dict(ctx.units),
        files=tuple(sources),
        path=path,
    )
    return policy, diags


__all__ = ["DURATION", "PASSES", "check_files", "norm_text"]
