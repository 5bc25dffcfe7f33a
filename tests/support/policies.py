"""Hypothesis strategies for policies: random ASTs, and random (messy) texts that parse to them.

* :func:`well_typed_policies` draws a policy the checker accepts: a header, sources,
  scales, attributes, measures, statuses, params (with ``from`` steps), and criteria,
  credentials and forms whose conditions use every condition form of the grammar with
  matching types (comparisons, ``in`` lists, ``all of``/``any of``, window aggregates,
  arrangement counts and conditions, ``lead.``/``recipient.`` in ``pair requires``,
  ``and``/``or``/``not`` nesting).
* :func:`ill_typed_policies` draws a syntactically valid policy from a small pool of
  random names with random types, clauses and conditions: unknown names, duplicates,
  type mismatches, bad dates, misplaced clauses, cycles, missing headers...
* :func:`rendered` turns an AST into text with a random layout: random spacing and
  indentation (tabs too), conditions broken over continuation lines, redundant
  parentheses, re-grouped ``and``/``or`` chains, strings with optional escapes, CRLF
  line ends, blank lines, and comments everywhere a comment may go.  Parsing that text
  gives back the AST (``GeneratedPolicy.tree``) and the comments (``.comments``).

ASTs are drawn normalised as the parser builds them: no ``and`` directly inside an
``and`` (nor ``or`` in ``or``); parentheses leave no node.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from credential import resources
from credential.syntax import ast

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]

BOOLS = st.booleans()


@cache
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


def pick(draw: Draw, options: Sequence[T]) -> T:
    """One of ``options`` (cheaper than building a ``sampled_from`` strategy for each draw)."""
    return options[draw(_ints(0, len(options) - 1))]


@cache
def keywords() -> frozenset[str]:
    """Every reserved word of the grammar (a name can never be one)."""
    text = resources.grammar_path().read_text(encoding="utf-8")
    return frozenset(re.findall(r'^[A-Z_]+(?:\.\d+)?:\s*"([A-Za-z_/]+)"', text, re.MULTILINE))


def property_settings(max_examples: int) -> settings:
    """Settings for property tests over whole policies (big examples, no deadline)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
    )


# Names that start or end like keywords, to exercise the lexer's word boundaries.
TRICKY_NAMES = (
    "notable",
    "order",
    "android",
    "inner",
    "yesterday",
    "nobody",
    "counts",
    "leader",
    "lead_time",
    "over_x",
    "months_",
    "a",
    "_x",
    "x1",
    "Mixed_Case",
    "policy_",
    "requires2",
    "ofs",
    "as_of",
    "in_",
)
BASE_NAMES = (
    "rated",
    "safe",
    "region",
    "sector",
    "surplus",
    "rtt",
    "wait",
    "grade",
    "score",
    "band",
    "level",
    "tier",
    "quality",
    "finance",
    "care",
    "access",
    "ward",
    "trust",
    "unit",
    "site",
    "gate",
    "rule",
)

UNITS = ("months", "month", "quarters", "quarter", "years", "year")
ORDER_OPS = ("<", "<=", ">", ">=")
EQ_OPS = ("=", "!=")
CMP_OPS = (*EQ_OPS, *ORDER_OPS)
CHANGES = ("low", "medium", "high", "very_high")
WHOS: tuple[Literal["lead", "recipient"], ...] = ("lead", "recipient")
QUANTS: tuple[Literal["all", "any"], ...] = ("all", "any")
RULE_KINDS: tuple[Literal["criterion", "credential"], ...] = ("criterion", "credential")
ALL_RULE_KINDS: tuple[Literal["criterion", "credential", "form"], ...] = ("criterion", "credential", "form")
PRIM_KINDS: tuple[Literal["number", "percent", "text", "date", "yes/no"], ...] = (
    "number",
    "percent",
    "text",
    "date",
    "yes/no",
)
ROLES: tuple[Literal["lead", "recipient", "pair"] | None, ...] = (None, None, "lead", "recipient", "pair")


@cache
def identifiers() -> st.SearchStrategy[str]:
    """Any valid name (never a keyword)."""
    return st.one_of(
        st.sampled_from(TRICKY_NAMES),
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
    ).filter(lambda s: s not in keywords())


@cache
def number_texts() -> st.SearchStrategy[str]:
    return st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True)


@cache
def string_values() -> st.SearchStrategy[str]:
    """What a string literal may hold (any character but CR; LF via ``\\n``)."""
    return st.one_of(
        st.text(alphabet=st.characters(exclude_characters="\r", exclude_categories=["Cs"]), max_size=30),
        st.sampled_from(['a "quoted" word', "back\\slash", "tab\there", "hash # inside", "line\nbreak", ""]),
    )


@cache
def comment_texts() -> st.SearchStrategy[str]:
    """A comment as written, from ``#`` to the end of the line."""
    body = st.text(alphabet=st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=40)
    return st.one_of(body.map(lambda s: "#" + s), st.sampled_from(['# "quoted"', "#", "## ----", "# a # b"]))


@cache
def valid_dates() -> st.SearchStrategy[str]:
    return st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)).map(lambda d: d.isoformat())


@cache
def any_dates() -> st.SearchStrategy[str]:
    return st.one_of(valid_dates(), st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True))


# ---- building normalised conditions -------------------------------------------------


def and_(items: list[ast.Cond]) -> ast.Cond:
    flat: list[ast.Cond] = []
    for i in items:
        flat.extend(i.items if isinstance(i, ast.And) else [i])
    return ast.And(tuple(flat))


def or_(items: list[ast.Cond]) -> ast.Cond:
    flat: list[ast.Cond] = []
    for i in items:
        flat.extend(i.items if isinstance(i, ast.Or) else [i])
    return ast.Or(tuple(flat))


def _ident(name: str) -> ast.Ident:
    return ast.Ident(name)


def _combine(draw: Draw, atom: Callable[[], ast.Cond], depth: int) -> ast.Cond:
    """A random and/or/not tree over atoms."""
    if depth <= 0:
        return atom()
    shape = pick(draw, ["atom", "atom", "and", "or", "not"])
    if shape == "atom":
        return atom()
    if shape == "not":
        return ast.Not(_combine(draw, atom, depth - 1))
    items = [_combine(draw, atom, depth - 1) for _ in range(draw(_ints(2, 4)))]
    return and_(items) if shape == "and" else or_(items)


# ---- well-typed policies --------------------------------------------------------------


@dataclass(frozen=True)
class VType:
    """A value type while generating: a primitive, a `one of` or a scale."""

    kind: str  # number percent text date bool duration enum scale
    levels: tuple[str, ...] = ()
    name: str = ""

    @property
    def ordered(self) -> bool:
        return self.kind in ("number", "percent", "date", "duration", "scale")

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "percent")


NUMBER = VType("number")
PERCENT = VType("percent")
TEXT = VType("text")
DATE = VType("date")
BOOL = VType("bool")
DURATION = VType("duration")


@cache
def _name_bases() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(BASE_NAMES), st.sampled_from(TRICKY_NAMES), identifiers())


class _Names:
    """A supply of distinct names."""

    def __init__(self, draw: Draw):
        self.draw = draw
        self.used: set[str] = set()

    def __call__(self) -> str:
        base = self.draw(_name_bases())
        name, n = base, 1
        while name in self.used or name in keywords():
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return str(name)


@dataclass
class _Env:
    draw: Draw
    names: _Names
    types: list[VType] = field(default_factory=list)  # scales and `one of` types in use
    attributes: dict[str, VType] = field(default_factory=dict)
    measures: dict[str, VType] = field(default_factory=dict)
    statuses: list[str] = field(default_factory=list)
    params: dict[str, VType] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # criteria and credentials declared so far
    forms: list[str] = field(default_factory=list)
    scoped: list[str] = field(default_factory=list)  # criteria with an `applies to` scope

    # -- literals and values --
    def literal(self, t: VType) -> ast.Literal | ast.Ref:
        d = self.draw
        if t.kind == "number":
            return ast.NumberLit(d(number_texts()))
        if t.kind == "percent":
            return ast.PercentLit(d(number_texts()))
        if t.kind == "text":
            return ast.StringLit(d(string_values()))
        if t.kind == "date":
            return ast.DateLit(d(valid_dates()))
        if t.kind == "bool":
            return ast.BoolLit(d(BOOLS))
        if t.kind == "duration":
            return self.duration()
        return ast.Ref(_ident(pick(d, t.levels)))

    def duration(self) -> ast.DurationLit:
        return ast.DurationLit(str(self.draw(_ints(1, 60))), pick(self.draw, UNITS))

    def ref(self, name: str, pair: bool) -> ast.Ref:
        return ast.Ref(_ident(name), pick(self.draw, WHOS) if pair else None)

    def aggregate(self, func: str, name: str) -> ast.Aggregate:
        minimum = None
        if func == "pooled" and self.draw(BOOLS):
            minimum = ast.NumberLit(str(self.draw(_ints(0, 50))))
        return ast.Aggregate(func, _ident(name), str(self.draw(_ints(1, 8))), pick(self.draw, UNITS), minimum)

    def provider_values(self, t: VType, pair: bool) -> list[Callable[[], ast.Value]]:
        """Builders of values of type ``t`` read from a provider's data."""
        d = self.draw
        out: list[Callable[[], ast.Value]] = []
        for name, vt in [*self.attributes.items(), *self.measures.items()]:
            if vt == t:
                out.append(functools.partial(self.ref, name, pair))
        if pair:
            return out
        for name, mt in self.measures.items():
            funcs = []
            if t == NUMBER:
                funcs.append("count")
            if mt == t and t.numeric:
                funcs.append("mean")
            if mt == t and t.ordered:
                funcs += ["min", "max"]
            if mt == t and t == PERCENT:
                funcs.append("pooled")
            out += [functools.partial(self.aggregate, func, name) for func in funcs]
        if t == NUMBER:
            out.append(lambda: ast.ArrangementCount(pick(d, ["led", "received"]), *self.arr_options()))
        return out

    def arr_options(self) -> tuple[ast.Ident | None, ast.DurationLit | ast.Ref | None]:
        d = self.draw
        form = _ident(pick(d, self.forms)) if self.forms and d(BOOLS) else None
        durations = [n for n, t in self.params.items() if t == DURATION]
        within: ast.DurationLit | ast.Ref | None = None
        choice = d(_ints(0, 2))
        if choice == 1:
            within = self.duration()
        elif choice == 2 and durations:
            within = ast.Ref(_ident(pick(d, durations)))
        return form, within

    def operand(self, t: VType, pair: bool) -> ast.Value:
        """The other side of a comparison: a literal, a param or another provider value."""
        d = self.draw
        options: list[Callable[[], ast.Value]] = [lambda: self.literal(t)]
        params = [n for n, pt in self.params.items() if pt == t]
        if params:
            options.append(lambda: ast.Ref(_ident(pick(d, params))))
        options += self.provider_values(t, pair)
        return pick(d, options)()

    # -- conditions --
    def value_types(self, pair: bool) -> list[VType]:
        types = {*self.attributes.values(), *self.measures.values()}
        if not pair:
            types.add(NUMBER)  # arrangement counts
        return sorted((t for t in types if self.provider_values(t, pair)), key=repr)

    def atom(self, pair: bool) -> ast.Cond:
        d = self.draw
        kinds = ["compare", "compare"]
        types = self.value_types(pair)
        level_types = [t for t in types if t.kind in ("enum", "scale")]
        if level_types:
            kinds.append("in")
        kinds.append("quantified")
        bare = self.bare_options(pair)
        if bare:
            kinds += ["bare", "bare"]
        if not pair:
            kinds.append("arrangement")
        if not pair and self.scoped:
            kinds.append("judged")
        kind = pick(d, kinds)
        if kind == "bare":
            return pick(d, bare)()
        if kind == "judged":
            return ast.JudgedBy(tuple(_ident(pick(d, self.scoped)) for _ in range(d(_ints(1, 3)))))
        if kind == "arrangement":
            return ast.ArrangementCond(pick(d, ["leads", "receives"]), *self.arr_options())
        if kind == "in":
            t = pick(d, level_types)
            return ast.InList(pick(d, self.provider_values(t, pair))(), self.members(t))
        t = pick(d, types)
        op = pick(d, CMP_OPS if t.ordered else EQ_OPS)
        if kind == "quantified":
            values = tuple(pick(d, self.provider_values(t, pair))() for _ in range(d(_ints(1, 4))))
            quant = pick(d, QUANTS)
            if t.kind in ("enum", "scale") and d(BOOLS):
                return ast.Quantified(quant, values, "in", None, self.members(t))
            return ast.Quantified(quant, values, op, self.operand(t, pair))
        left = pick(d, self.provider_values(t, pair))()
        right = self.operand(t, pair)
        if d(BOOLS):
            left, right = right, left
        return ast.Compare(left, op, right)

    def members(self, t: VType) -> tuple[ast.Ident, ...]:
        return tuple(_ident(pick(self.draw, t.levels)) for _ in range(self.draw(_ints(1, 4))))

    def bare_options(self, pair: bool) -> list[Callable[[], ast.Cond]]:
        names = [*self.statuses, *self.rules]
        names += [n for n, t in [*self.attributes.items(), *self.measures.items()] if t == BOOL]
        return [functools.partial(self.bare, n, pair) for n in names]

    def bare(self, name: str, pair: bool) -> ast.Cond:
        return ast.Bare(self.ref(name, pair))

    def cond(self, pair: bool = False) -> ast.Cond:
        depth = self.draw(_ints(0, 3))
        return _combine(self.draw, lambda: self.atom(pair), depth)


def _title(draw: Draw) -> ast.StringLit | None:
    return ast.StringLit(draw(string_values())) if draw(BOOLS) else None


def _cites(env: _Env) -> list[ast.Clause]:
    d = env.draw
    return [ast.Cites(_ident(pick(d, env.sources)), ast.StringLit(d(string_values()))) for _ in range(d(_ints(0, 2)))]


def _shuffled(draw: Draw, items: list[T]) -> list[T]:
    return list(draw(st.permutations(items))) if items else []


@st.composite
def well_typed_policies(draw: Draw) -> ast.PolicyFile:
    """A policy the checker accepts (warnings such as `check.unused` may remain)."""
    names = _Names(draw)
    env = _Env(draw, names)
    decls: list[ast.Decl] = []

    effective = draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)))
    expires = None
    if draw(BOOLS):
        expires = ast.DateLit((effective + dt.timedelta(days=draw(_ints(1, 4000)))).isoformat())
    policy = ast.PolicyDecl(
        _ident(names()),
        ast.StringLit(draw(string_values())),
        ast.StringLit(draw(string_values())),
        ast.DateLit(effective.isoformat()),
        expires,
    )

    for _ in range(draw(_ints(1, 3))):
        env.sources.append(names())
        decls.append(ast.SourceDecl(_ident(env.sources[-1]), ast.StringLit(draw(string_values()))))
    for _ in range(draw(_ints(0, 2))):
        scale = names()
        levels = tuple(names() for _ in range(draw(_ints(1, 4))))
        env.types.append(VType("scale", levels, scale))
        decls.append(ast.ScaleDecl(_ident(scale), tuple(_ident(lv) for lv in levels)))

    prims = [NUMBER, PERCENT, TEXT, DATE, BOOL]  # in the order of PRIM_KINDS

    def draw_type() -> tuple[VType, ast.TypeExpr]:
        choice = draw(_ints(0, len(prims) + 1))
        if choice < len(prims):
            return prims[choice], ast.PrimType(PRIM_KINDS[choice])
        scales = [t for t in env.types if t.kind == "scale"]
        if choice == len(prims) and scales:
            t = pick(draw, scales)
            return t, ast.NamedType(_ident(t.name))
        members = tuple(names() for _ in range(draw(_ints(1, 4))))
        t = VType("enum", members)
        env.types.append(t)
        return t, ast.OneOfType(tuple(_ident(m) for m in members))

    for _ in range(draw(_ints(1, 4))):
        t, texpr = draw_type()
        name = names()
        env.attributes[name] = t
        decls.append(ast.AttributeDecl(_ident(name), texpr))
    for _ in range(draw(_ints(1, 4))):
        t, texpr = draw_type()
        name = names()
        env.measures[name] = t
        decls.append(ast.MeasureDecl(_ident(name), texpr))
    for _ in range(draw(_ints(0, 3))):
        env.statuses.append(names())
        decls.append(ast.StatusDecl(_ident(env.statuses[-1]), _title(draw)))
    for _ in range(draw(_ints(0, 4))):
        t = pick(draw, [NUMBER, PERCENT, TEXT, DATE, BOOL, DURATION, *env.types])
        name = names()
        env.params[name] = t
        dates = sorted(draw(st.sets(st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)), max_size=3)))
        steps = tuple(
            ast.ParamStep(
                ast.DateLit(x.isoformat()),
                ast.Trajectory(  # a value moving from one anchor to the other over the year after the step
                    env.literal(t),
                    ast.DateLit(x.isoformat()),
                    env.literal(t),
                    ast.DateLit((x + dt.timedelta(days=365)).isoformat()),
                )
                if t in (NUMBER, PERCENT) and draw(BOOLS)
                else env.literal(t),
            )
            for x in dates
        )
        decls.append(ast.ParamDecl(_ident(name), env.literal(t), steps))

    env.forms = [names() for _ in range(draw(_ints(0, 3)))]
    for _ in range(draw(_ints(1, 5))):
        kind = pick(draw, RULE_KINDS)
        clauses: list[ast.Clause] = _cites(env)
        clauses += [ast.Requires(env.cond()) for _ in range(draw(_ints(1, 2)))]
        name = names()
        if kind == "criterion":
            clauses += [ast.Unless(env.cond()) for _ in range(draw(_ints(0, 2)))]
            scopes = [(a, t) for a, t in env.attributes.items() if t.kind in ("enum", "scale")]
            if scopes and draw(BOOLS):
                attr, t = pick(draw, scopes)
                clauses.append(ast.AppliesTo(_ident(attr), env.members(t)))
                env.scoped.append(name)
        decls.append(ast.RuleDecl(kind, _ident(name), _title(draw), tuple(_shuffled(draw, clauses))))
        env.rules.append(name)
    for form in env.forms:
        clauses = _cites(env)
        clauses.append(ast.Change(_ident(pick(draw, CHANGES))))
        for role in ("lead", "recipient"):
            clauses += [ast.Requires(env.cond(), role) for _ in range(draw(_ints(1, 2)))]
        if draw(BOOLS):
            clauses.append(ast.Requires(env.cond(pair=True), "pair"))
        for i in range(draw(_ints(0, 2))):  # ranking preferences: pair conditions with a name and title
            clauses.append(ast.Prefer(_ident(f"pref_{i}"), ast.StringLit(draw(string_values())), env.cond(pair=True)))
        decls.append(ast.RuleDecl("form", _ident(form), _title(draw), tuple(_shuffled(draw, clauses))))

    return ast.PolicyFile((policy, *_shuffled(draw, decls)))


# ---- ill-typed (but syntactically valid) policies -------------------------------------------


_DECL_KINDS = (
    "source",
    "scale",
    "attribute",
    "measure",
    "status",
    "param",
    "rule",
    "rule",
    "rule",
    "use",
    "policy",
)


class _Free:
    """Random declarations and conditions over a small pool of names: anything the grammar allows."""

    def __init__(self, draw: Draw):
        self.draw = draw
        self.pool: list[str] = draw(st.lists(identifiers(), min_size=2, max_size=8, unique=True))

    def name(self) -> ast.Ident:
        return _ident(pick(self.draw, self.pool))

    def literal(self) -> ast.Literal:
        d = self.draw
        kind = d(_ints(0, 5))
        if kind == 0:
            return ast.NumberLit(d(number_texts()))
        if kind == 1:
            return ast.PercentLit(d(number_texts()))
        if kind == 2:
            return ast.DateLit(d(any_dates()))
        if kind == 3:
            return ast.StringLit(d(string_values()))
        if kind == 4:
            return ast.BoolLit(d(BOOLS))
        return self.duration()

    def duration(self) -> ast.DurationLit:
        return ast.DurationLit(self.draw(number_texts()), pick(self.draw, UNITS))

    def ref(self) -> ast.Ref:
        return ast.Ref(self.name(), pick(self.draw, [None, None, "lead", "recipient"]))

    def arr_options(self) -> tuple[ast.Ident | None, ast.DurationLit | ast.Ref | None]:
        d = self.draw
        form = self.name() if d(BOOLS) else None
        within = pick(d, [None, "duration", "ref"])
        return form, (self.duration() if within == "duration" else self.ref() if within == "ref" else None)

    def value(self) -> ast.Value:
        d = self.draw
        kind = pick(d, ["ref", "ref", "literal", "aggregate", "count", "peer"])
        if kind == "ref":
            return self.ref()
        if kind == "peer":
            base = pick(d, ["ref", "aggregate", "count"])
            inner: ast.Value = (
                ast.Ref(self.name())
                if base == "ref"
                else ast.Aggregate(
                    pick(d, ["mean", "min", "max", "count", "pooled"]), self.name(), d(number_texts()), pick(d, UNITS)
                )
                if base == "aggregate"
                else ast.ArrangementCount(pick(d, ["led", "received"]), *self.arr_options())
            )
            peer_minimum = (
                (ast.NumberLit(d(number_texts())) if d(BOOLS) else ast.Ref(self.name())) if d(BOOLS) else None
            )
            return ast.Peer(pick(d, ["percentile", "rank"]), inner, self.name(), peer_minimum)
        if kind == "literal":
            return self.literal()
        if kind == "aggregate":
            func = pick(d, ["mean", "min", "max", "count", "pooled"])
            minimum: ast.NumberLit | ast.Ref | None = None
            if func == "pooled" and d(BOOLS):
                minimum = ast.NumberLit(d(number_texts())) if d(BOOLS) else ast.Ref(self.name())
            return ast.Aggregate(func, self.name(), d(number_texts()), pick(d, UNITS), minimum)
        return ast.ArrangementCount(pick(d, ["led", "received"]), *self.arr_options())

    def members(self) -> tuple[ast.Ident, ...]:
        return tuple(self.name() for _ in range(self.draw(_ints(1, 3))))

    def atom(self) -> ast.Cond:
        d = self.draw
        kind = pick(d, ["bare", "compare", "in", "quantified", "arrangement", "judged"])
        if kind == "bare":
            return ast.Bare(self.value())
        if kind == "judged":
            return ast.JudgedBy(self.members())
        if kind == "compare":
            return ast.Compare(self.value(), pick(d, CMP_OPS), self.value(), age=self.age())
        if kind == "in":
            return ast.InList(self.value(), self.members())
        if kind == "quantified":
            quant = pick(d, QUANTS)
            values = tuple(self.value() for _ in range(d(_ints(1, 3))))
            if d(BOOLS):
                return ast.Quantified(quant, values, "in", None, self.members())
            return ast.Quantified(quant, values, pick(d, CMP_OPS), self.value(), age=self.age())
        if d(BOOLS):  # the grace condition
            form, within = self.arr_options()
            return ast.ArrangementCond("leads", form, within, held=self.name())
        return ast.ArrangementCond(pick(d, ["leads", "receives"]), *self.arr_options())

    def age(self) -> ast.AgeLimit | None:
        """An evidence age (``max age D[, stale may refuse]``), sometimes."""
        d = self.draw
        if d(_ints(0, 3)):
            return None
        limit = self.duration() if d(BOOLS) else self.ref()
        return ast.AgeLimit(limit, d(BOOLS))

    def cond(self) -> ast.Cond:
        return _combine(self.draw, self.atom, self.draw(_ints(0, 3)))

    def type_expr(self) -> ast.TypeExpr:
        d = self.draw
        kind = d(_ints(0, 6))
        if kind == 5:
            return ast.OneOfType(self.members())
        if kind == 6:
            return ast.NamedType(self.name())
        if kind == 0 and d(BOOLS):
            return ast.PrimType("number", self.name())  # `number in UNIT`
        return ast.PrimType(PRIM_KINDS[kind])

    def param_value(self) -> ast.Literal | ast.Ref | ast.Trajectory:
        kind = self.draw(_ints(0, 4))
        if kind == 4:
            d = self.draw
            return ast.Trajectory(
                self.literal(), ast.DateLit(d(any_dates())), self.literal(), ast.DateLit(d(any_dates()))
            )
        return ast.Ref(self.name()) if kind == 0 else self.literal()

    def clause(self) -> ast.Clause:
        d = self.draw
        kind = pick(d, ["cites", "requires", "requires", "requires", "unless", "change", "applies", "prefer"])
        if kind == "prefer":
            return ast.Prefer(self.name(), ast.StringLit(d(string_values())), self.cond())
        if kind == "applies":
            return ast.AppliesTo(self.name(), self.members())
        if kind == "cites":
            return ast.Cites(self.name(), ast.StringLit(d(string_values())))
        if kind == "change":
            return ast.Change(_ident(pick(d, CHANGES)) if d(BOOLS) else self.name())
        if kind == "unless":
            return ast.Unless(self.cond())
        return ast.Requires(self.cond(), pick(d, ROLES))

    def title(self) -> ast.StringLit | None:
        return ast.StringLit(self.draw(string_values())) if self.draw(BOOLS) else None

    def policy(self) -> ast.PolicyDecl:
        d = self.draw

        def maybe_date() -> ast.DateLit | None:
            return ast.DateLit(d(any_dates())) if d(_ints(0, 4)) else None

        version = ast.StringLit(d(string_values())) if d(_ints(0, 4)) else None
        title = ast.StringLit(d(string_values()))
        return ast.PolicyDecl(self.name(), title, version, maybe_date(), maybe_date())

    def decl(self) -> ast.Decl:
        d = self.draw
        kind = pick(d, _DECL_KINDS)
        if kind == "source":
            return ast.SourceDecl(self.name(), ast.StringLit(d(string_values())))
        if kind == "scale":
            return ast.ScaleDecl(self.name(), self.members())
        if kind == "attribute":
            return ast.AttributeDecl(self.name(), self.type_expr())
        if kind == "measure":
            return ast.MeasureDecl(self.name(), self.type_expr(), age=self.age())
        if kind == "status":
            return ast.StatusDecl(self.name(), self.title())
        if kind == "param":
            steps = tuple(ast.ParamStep(ast.DateLit(d(any_dates())), self.param_value()) for _ in range(d(_ints(0, 3))))
            return ast.ParamDecl(self.name(), self.param_value(), steps)
        if kind == "use":
            return ast.UseDecl(ast.StringLit(d(string_values())))
        if kind == "policy":
            return self.policy()
        rule_kind = pick(d, ALL_RULE_KINDS)
        clauses = tuple(self.clause() for _ in range(d(_ints(0, 4))))
        return ast.RuleDecl(rule_kind, self.name(), self.title(), clauses)


@st.composite
def ill_typed_policies(draw: Draw) -> ast.PolicyFile:
    """A syntactically valid policy, usually with check errors (random names, types and clauses)."""
    free = _Free(draw)
    decls = [free.decl() for _ in range(draw(_ints(0, 10)))]
    if draw(_ints(0, 4)):
        decls.insert(0, free.policy())
    return ast.PolicyFile(tuple(decls))


def policy_asts() -> st.SearchStrategy[ast.PolicyFile]:
    """Well-typed and ill-typed policies."""
    return st.one_of(well_typed_policies(), ill_typed_policies())


# ---- rendering ASTs as messy text ---------------------------------------------------------


@dataclass(frozen=True)
class GeneratedPolicy:
    """A random text and what parsing it must give."""

    text: str
    tree: ast.PolicyFile
    comments: tuple[str, ...]  # comment texts as the parser reports them (right-stripped)


@dataclass(frozen=True)
class Style:
    """How messy a rendering may be."""

    comments: bool = True
    breaks: bool = True  # continuation lines
    parens: bool = True  # redundant parentheses and re-grouping


_PUNCT = frozenset(["(", ")", ",", ":", ".", "<", "<=", "=", "!=", ">", ">=", "/"])


def _render_string(rng: random.Random, value: str) -> str:
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append(rng.choice(["\\t", "\t"]))
        elif ch not in "nt" and rng.random() < 0.1:
            out.append("\\" + ch)  # a needless escape reads as the character itself
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class _Tokens:
    """AST → tokens, with optional redundant parentheses (cosmetic choices from ``rng``)."""

    def __init__(self, rng: random.Random, style: Style):
        self.rng = rng
        self.style = style

    def string(self, s: ast.StringLit) -> list[str]:
        return [_render_string(self.rng, s.value)]

    def literal(self, lit: ast.Literal) -> list[str]:
        if isinstance(lit, ast.NumberLit | ast.DateLit):
            return [lit.text]
        if isinstance(lit, ast.PercentLit):
            return [lit.text + "%"]
        if isinstance(lit, ast.StringLit):
            return self.string(lit)
        if isinstance(lit, ast.BoolLit):
            return ["yes" if lit.value else "no"]
        return [lit.amount, lit.unit]

    def arr_options(self, form: ast.Ident | None, within: ast.DurationLit | ast.Ref | None) -> list[str]:
        out = ["as", form.name] if form else []
        if within is not None:
            out += ["started", "within", *self.value(within)]
        return out

    def value(self, v: ast.Value) -> list[str]:
        if isinstance(v, ast.Ref):
            return [v.who, ".", v.name.name] if v.who else [v.name.name]
        if isinstance(v, ast.Aggregate):
            minimum = ["(", "minimum", *self.value(v.minimum), ")"] if v.minimum is not None else []
            return [v.func, v.measure.name, "over", v.amount, v.unit, *minimum]
        if isinstance(v, ast.ArrangementCount):
            return ["count", "arrangements", v.role, *self.arr_options(v.form, v.within)]
        if isinstance(v, ast.Trajectory):
            start, end = self.value(v.start), self.value(v.end)
            return ["trajectory", *start, "on", v.start_date.text, "to", *end, "on", v.end_date.text]
        if isinstance(v, ast.Peer):
            minimum = ["(", "minimum", *self.value(v.minimum), ")"] if v.minimum is not None else []
            return [v.func, "of", *self.value(v.base), "among", v.among.name, *minimum]
        return self.literal(v)

    @staticmethod
    def members(ms: tuple[ast.Ident, ...]) -> list[str]:
        out = ["("]
        for i, m in enumerate(ms):
            out += [",", m.name] if i else [m.name]
        return [*out, ")"]

    def values(self, vs: tuple[ast.Value, ...]) -> list[str]:
        out: list[str] = []
        for i, v in enumerate(vs):
            out += [",", *self.value(v)] if i else self.value(v)
        return out

    def cond(self, c: ast.Cond) -> list[str]:
        toks = self._cond(c)
        while self.style.parens and self.rng.random() < 0.12:
            toks = ["(", *toks, ")"]
        return toks

    def _chain(self, items: tuple[ast.Cond, ...], op: str, parent: type) -> list[str]:
        # Optionally regroup a run of items in parentheses: `a and (b and c)` is the same tree.
        if self.style.parens and len(items) > 2 and self.rng.random() < 0.25:
            lo = self.rng.randint(0, len(items) - 2)
            hi = self.rng.randint(lo + 2, min(len(items), lo + 3))
            if hi - lo < len(items):
                parts: list[list[str]] = [self.item(i, parent) for i in items[:lo]]
                parts.append(["(", *self._chain(items[lo:hi], op, parent), ")"])
                parts += [self.item(i, parent) for i in items[hi:]]
                return self._join(parts, op)
        return self._join([self.item(i, parent) for i in items], op)

    @staticmethod
    def _join(parts: list[list[str]], op: str) -> list[str]:
        out: list[str] = []
        for i, p in enumerate(parts):
            out += [op, *p] if i else p
        return out

    def item(self, c: ast.Cond, parent: type) -> list[str]:
        toks = self.cond(c)
        # An `or` inside an `and` needs its own parentheses: extra ones may not enclose it
        # whole (`(x) or (y)`), so always add a pair.
        return ["(", *toks, ")"] if parent is ast.And and isinstance(c, ast.Or) else toks

    def _cond(self, c: ast.Cond) -> list[str]:
        if isinstance(c, ast.Or):
            return self._chain(c.items, "or", ast.Or)
        if isinstance(c, ast.And):
            return self._chain(c.items, "and", ast.And)
        if isinstance(c, ast.Not):
            inner = self.cond(c.operand)
            if isinstance(c.operand, ast.And | ast.Or):
                inner = ["(", *inner, ")"]
            return ["not", *inner]
        if isinstance(c, ast.Bare):
            return self.value(c.value)
        if isinstance(c, ast.Compare):
            return [*self.value(c.left), c.op, *self.value(c.right), *self.age(c.age)]
        if isinstance(c, ast.InList):
            return [*self.value(c.value), "in", *self.members(c.members)]
        if isinstance(c, ast.Quantified):
            head = [c.quant, "of", *self.values(c.values)]
            if c.op == "in" or c.right is None:
                return [*head, "in", *self.members(c.members)]
            return [*head, c.op, *self.value(c.right), *self.age(c.age)]
        if isinstance(c, ast.JudgedBy):
            names: list[str] = []
            for i, n in enumerate(c.criteria):
                names += [",", n.name] if i else [n.name]
            return ["judged", "by", *names]
        if c.held is not None:
            return ["held", c.held.name, "at", "start", "of", "arrangement", "led", *self.arr_options(c.form, c.within)]
        return [c.verb, "arrangement", *self.arr_options(c.form, c.within)]

    def age(self, age: ast.AgeLimit | None) -> list[str]:
        if age is None:
            return []
        refuses = [",", "stale", "may", "refuse"] if age.stale_refuses else []
        return [",", "max", "age", *self.value(age.max_age), *refuses]

    def type_expr(self, t: ast.TypeExpr) -> list[str]:
        if isinstance(t, ast.PrimType):
            if t.unit is not None:
                return [t.kind, "in", t.unit.name]
            return ["yes", "/", "no"] if t.kind == "yes/no" else [t.kind]
        if isinstance(t, ast.OneOfType):
            return ["one", "of", *self.members(t.members)[1:-1]]
        return [t.name.name]

    def decl(self, d: ast.Decl) -> tuple[list[str], list[list[str]]]:
        """A declaration's header tokens and its clauses' tokens."""
        if isinstance(d, ast.PolicyDecl):
            clauses = []
            if d.version is not None:
                clauses.append(["version", *self.string(d.version)])
            if d.effective is not None:
                clauses.append(["effective", d.effective.text])
            if d.expires is not None:
                clauses.append(["expires", d.expires.text])
            self.rng.shuffle(clauses)  # their order leaves no trace in the tree
            return ["policy", d.name.name, *self.string(d.title)], clauses
        if isinstance(d, ast.SourceDecl):
            return ["source", d.name.name, *self.string(d.citation)], []
        if isinstance(d, ast.ScaleDecl):
            levels: list[str] = []
            for i, lv in enumerate(d.levels):
                levels += ["<", lv.name] if i else [lv.name]
            return ["scale", d.name.name, ":", *levels], []
        if isinstance(d, ast.AttributeDecl | ast.MeasureDecl):
            word = "attribute" if isinstance(d, ast.AttributeDecl) else "measure"
            age_clauses: list[list[str]] = []
            if isinstance(d, ast.MeasureDecl) and d.age is not None:
                age_clauses.append(["max", "age", *self.value(d.age.max_age)])
                if d.age.stale_refuses:
                    age_clauses.append(["stale", "may", "refuse"])
            return [word, d.name.name, ":", *self.type_expr(d.type)], age_clauses
        if isinstance(d, ast.StatusDecl):
            return ["status", d.name.name, *(self.string(d.title) if d.title else [])], []
        if isinstance(d, ast.ParamDecl):
            steps = [["from", s.date.text, "=", *self.value(s.value)] for s in d.steps]
            return ["param", d.name.name, "=", *self.value(d.value)], steps
        if isinstance(d, ast.UseDecl):
            return ["use", *self.string(d.path)], []
        clauses = [self.clause(c) for c in d.clauses]
        return [d.kind, d.name.name, *(self.string(d.title) if d.title else [])], clauses

    def clause(self, c: ast.Clause) -> list[str]:
        if isinstance(c, ast.Cites):
            return ["cites", c.source.name, *self.string(c.locator)]
        if isinstance(c, ast.Change):
            return ["change", c.level.name]
        if isinstance(c, ast.Unless):
            return ["unless", *self.cond(c.cond)]
        if isinstance(c, ast.AppliesTo):
            return ["applies", "to", c.attribute.name, "in", *self.members(c.members)]
        if isinstance(c, ast.Prefer):
            return ["prefer", c.name.name, *self.string(c.title), "when", *self.cond(c.cond)]
        words = ["requires"] if c.role is None else [c.role, "requires"]
        return [*words, *self.cond(c.cond)]


class _Layout:
    """Tokens → lines with random whitespace, continuation breaks, blank lines and comments.

    Cosmetic choices come from ``rng``; comment texts are drawn (so they shrink).
    """

    def __init__(self, draw: Draw, rng: random.Random, style: Style):
        self.draw = draw
        self.rng = rng
        self.style = style
        self.lines: list[str] = []
        self.comments: list[str] = []

    def comment(self) -> str:
        text: str = self.draw(comment_texts())
        self.comments.append(text.rstrip())
        return text

    def maybe_comment_lines(self, indent_max: int) -> None:
        while self.style.comments and self.rng.random() < 0.15:
            if self.rng.random() < 0.25:
                self.lines.append(self.rng.choice(["", " ", "\t"]))
            self.lines.append(self.indent(self.rng.randint(0, indent_max)) + self.comment())

    def maybe_blank(self) -> None:
        while self.rng.random() < 0.2:
            self.lines.append(self.rng.choice(["", "  ", "\t", "\f"]))

    def indent(self, n: int) -> str:
        return "".join(self.rng.choice("   \t") for _ in range(n))

    def gap(self, a: str, b: str) -> str:
        if a in _PUNCT or b in _PUNCT:
            return self.rng.choice(["", "", " ", " ", "  "])
        return self.rng.choice([" ", " ", " ", "  ", "\t", " \f "])

    def end_line(self, line: str) -> None:
        if self.style.comments and self.rng.random() < 0.15:
            line += self.rng.choice(["", " ", "  ", "\t"]) + self.comment()
        self.lines.append(line)

    def logical_line(self, toks: list[str], indent: int, can_break: bool) -> None:
        line = self.indent(indent) + toks[0]
        for prev, tok in itertools.pairwise(toks):
            if can_break and self.style.breaks and self.rng.random() < 0.12:
                self.end_line(line)
                self.maybe_comment_lines(indent + 8)
                line = self.indent(self.rng.randint(indent + 1, indent + 8)) + tok
            else:
                line += self.gap(prev, tok) + tok
        self.end_line(line)


_RANDOMS = st.randoms(use_true_random=True)


@st.composite
def rendered(
    draw: Draw, trees: st.SearchStrategy[ast.PolicyFile] | None = None, style: Style | None = None
) -> GeneratedPolicy:
    """Random text for a random policy (by default well- or ill-typed), and the tree it parses to."""
    style = style or Style()
    tree: ast.PolicyFile = draw(trees if trees is not None else policy_asts())
    rng: random.Random = draw(_RANDOMS)
    toks = _Tokens(rng, style)
    out = _Layout(draw, rng, style)
    out.maybe_blank()
    for d in tree.decls:
        out.maybe_comment_lines(3)
        out.maybe_blank()
        header, clauses = toks.decl(d)
        out.logical_line(header, 0, can_break=False)
        indent = rng.randint(1, 4)
        for clause in clauses:
            out.maybe_comment_lines(indent + 2)
            out.logical_line(clause, indent, can_break=True)
        out.maybe_comment_lines(indent + 2)
        out.maybe_blank()
    newline = rng.choice(["\n", "\n", "\r\n"])
    text = newline.join(out.lines)
    if out.lines and rng.random() < 0.8:
        text += newline
    return GeneratedPolicy(text, tree, tuple(out.comments))


def policy_texts(style: Style | None = None) -> st.SearchStrategy[GeneratedPolicy]:
    return rendered(None, style)


# ---- noise: text that may or may not parse -----------------------------------------------------


_PIECES = st.one_of(st.sampled_from(["(", ")", '"', "#", "\n", "  ", "and", "not", "%", "\\"]), st.text(max_size=4))


@st.composite
def mutated_texts(draw: Draw) -> str:
    """A rendered policy with random edits (deleted, inserted, duplicated or swapped pieces)."""
    text: str = draw(rendered()).text
    for _ in range(draw(_ints(1, 4))):
        if not text:
            break
        i = draw(_ints(0, len(text) - 1))
        j = draw(_ints(i, min(len(text), i + 12)))
        edit = pick(draw, ["delete", "insert", "duplicate", "swap-lines"])
        if edit == "delete":
            text = text[:i] + text[j:]
        elif edit == "insert":
            piece = draw(_PIECES)
            text = text[:i] + piece + text[i:]
        elif edit == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            lines = text.split("\n")
            a, b = draw(_ints(0, len(lines) - 1)), draw(_ints(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


def noisy_bytes() -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, arbitrary text and damaged policies, as bytes."""
    return st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
        mutated_texts().map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.binary(max_size=20).map(lambda b: b"\xef\xbb\xbf" + b),
    )
