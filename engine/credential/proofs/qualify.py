"""``to_qualify``: what a refused provider would have to change to be granted, as a testable counterfactual.

A refused decision's condition tree has two kinds of leaves:

* **fixed** leaves read only provider attributes (``sector``, ``region``, ``foundation_trust``,
  any column of ``providers``), constants and params: a provider cannot change them, so they are
  *eligibility*, never a gap;
* **changeable** leaves read a value the provider's performance or situation sets: a measure's
  latest value, a window aggregate, a status, a count of arrangements. A count of arrangements by
  what the provider *held when each started* (the grace period's ``held C at start of
  arrangement ...``) is fixed: it is a fact of the past, and a grace period protects a credential
  held, it is never a route to one.

The answer is a list of *changes*, one per value (a value read by several leaves, e.g.
``cqc_well_led >= good`` and ``cqc_well_led > inadequate``, is one change, to the strictest
threshold), each with the ``target`` it must take.  It is a counterfactual anyone can test: set
every listed value to its target, keep every other value as the data give it, re-evaluate, and
the decision is granted (sufficiency); leave out any one change and it is not (minimality).
When no change of changeable values can grant the decision, the list is empty, ``ineligible``
lists the fixed conditions it rests on, and ``cannot_qualify`` says why.

"Changing a value" means the value the condition reads, taken on its own: the latest rating, the
window's mean (or min, max, count), whether a status is active on the as-of date, how many
arrangements are counted.  Two values that rest on the same rows (a measure's latest value and a
window aggregate of it) are separate values here: the counterfactual says what each figure must
be, not which rows would produce it.

The search runs on a :class:`Source` (the truths of leaves and the values they read), so the
proof builder (reading the Datalog model) and ``credential verify`` (reading its own row-by-row
re-derivation) derive the same list from independent values; ``verify`` also tests sufficiency
and minimality on its own re-derivation.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from credential.check import ir
from credential.evaluation.decisions import Truth
from credential.proofs.values import cond_unit, describe_value, json_value, show, stale_json
from credential.types import (
    BoolType,
    DateType,
    Duration,
    EnumType,
    NumberType,
    PercentType,
    ScaleType,
    ValueType,
)

Args = tuple[str, ...]
ValueId = tuple[Any, ...]  # a changeable value of one provider (see value_id)
Overrides = dict[ValueId, Any]


class Source(Protocol):
    """What the search reads: leaf truths and the values leaves read."""

    policy: ir.CheckedPolicy

    def leaf_truth(self, cond: ir.Cond, args: Args, pair_form: str | None) -> Truth: ...

    def node_truth(self, node: ir.Cond | ir.Rule, args: Args, pair_form: str | None) -> Truth:
        """The truth of any node (a rule for ``args[0]``) as the data give it."""
        ...

    def value(self, v: ir.Value, code: str) -> Any:
        """A value for one provider (None when missing); constants and params too."""
        ...

    def status_value(self, name: str, code: str) -> bool | None: ...

    def stale_of(self, v: ir.Value, code: str) -> tuple[Any, Any, int] | None:
        """(stale value, its evidence date, max age in months) when ``v`` is past its max age."""
        ...


# ---- Kleene logic -------------------------------------------------------------


def k_and(ts: list[Truth]) -> Truth:
    if Truth.FALSE in ts:
        return Truth.FALSE
    return Truth.UNKNOWN if Truth.UNKNOWN in ts else Truth.TRUE


def k_or(ts: list[Truth]) -> Truth:
    if Truth.TRUE in ts:
        return Truth.TRUE
    return Truth.UNKNOWN if Truth.UNKNOWN in ts else Truth.FALSE


def k_not(t: Truth) -> Truth:
    return Truth.FALSE if t is Truth.TRUE else Truth.TRUE if t is Truth.FALSE else Truth.UNKNOWN


def code_of(who: str | None, args: Args) -> str:
    if len(args) == 1:
        return args[0]
    return args[0] if who == "lead" else args[1]


# ---- values ---------------------------------------------------------------------


def _within_key(w: ir.Within | None) -> Any:
    if w is None:
        return None
    return ("months", w.months) if isinstance(w, Duration) else ("param", w.name)


def value_id(v: ir.Value, code: str) -> ValueId | None:
    """The changeable value ``v`` is for provider ``code``; None for attributes, constants, params."""
    if isinstance(v, ir.VLatest):
        return ("latest", v.measure, code)
    if isinstance(v, ir.VWindow):
        return ("window", v.func, v.measure, v.months, code)
    if isinstance(v, ir.VArrCount):
        if v.held is not None:
            # `held C at start of arrangement ...` counts arrangements by what the provider held when
            # each started: a fact of the past. A refused provider cannot qualify through grace (a new
            # arrangement would need C held at its start, the very thing it lacks), so it is fixed.
            return None
        return ("arrangements", v.role, v.form, _within_key(v.within), v.held, code)
    if isinstance(v, ir.VPeer):  # a position among peers moves with the provider's own value
        base = value_id(v.base, code)
        return None if base is None else ("peer", v.func, base[:-1], v.among, code)
    return None


def arr_value(cond: ir.CArr) -> ir.VArrCount:
    return ir.VArrCount(cond.role, cond.form, cond.within, cond.who, span=cond.span, text=cond.text, held=cond.held)


def operands(cond: ir.Cond) -> list[ir.Value]:
    if isinstance(cond, ir.CCompare):
        return [cond.left, cond.right]
    if isinstance(cond, ir.CIn | ir.CBool):
        return [cond.value]
    if isinstance(cond, ir.CJudged):
        return []  # which criteria apply is a fixed fact (the provider's attributes)
    assert isinstance(cond, ir.CArr)
    return [arr_value(cond)]


def leaf_values(cond: ir.Cond, args: Args) -> list[ValueId]:
    """The changeable values a leaf reads (none: the leaf is fixed)."""
    if isinstance(cond, ir.CStatus):
        return [("status", cond.name, code_of(cond.who, args))]
    out = []
    for v in operands(cond):
        vid = value_id(v, code_of(getattr(v, "who", None), args))
        if vid is not None:
            out.append(vid)
    return out


def is_fixed(cond: ir.Cond, args: Args) -> bool:
    return not leaf_values(cond, args)


def _norm(x: Any, t: ValueType | None) -> Any:
    if isinstance(t, ScaleType) and isinstance(x, str):
        return t.rank(x)
    if isinstance(x, Duration):
        return x.months
    if isinstance(x, pd.Timestamp | dt.datetime):
        return x.date()
    if isinstance(x, bool):
        return x
    if isinstance(x, int | float):
        return float(x)
    if hasattr(x, "item"):
        return _norm(x.item(), t)
    return x


def compare(op: str, a: Any, b: Any, t: ValueType | None) -> bool:
    a, b = _norm(a, t), _norm(b, t)
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


NEGATE = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


# ---- constraints: a leaf's want as a condition on one value ------------------------


@dataclass
class Need:
    """One leaf that a change must make ``want``: as ``value OP bound`` (or membership)."""

    cond: ir.Cond
    args: Args
    pair_form: str | None
    want: bool
    op: str  # "=", "!=", "<", ... or "in", "not in"
    bound: Any
    type: ValueType | None

    def holds(self, x: Any) -> bool:
        if x is None:
            return False
        if self.op == "in":
            return x in self.bound
        if self.op == "not in":
            return x not in self.bound
        return compare(self.op, x, self.bound, self.type)


@dataclass
class Change:
    """A value to change, the leaves that need it, and the target that meets them all."""

    vid: ValueId
    value: ir.Value | None  # None for a status
    needs: list[Need] = field(default_factory=list)
    target: Any = None
    binding: Need | None = None


def _need(src: Source, cond: ir.Cond, args: Args, pf: str | None, want: bool, vid: ValueId) -> Need | None:
    """Leaf ``cond`` must be ``want``: what that says of value ``vid`` (the others held as they are)."""
    if isinstance(cond, ir.CStatus):
        return Need(cond, args, pf, want, "=", want, None)
    if isinstance(cond, ir.CArr):
        return Need(cond, args, pf, want, ">=" if want else "<", 1.0, NumberType())
    if isinstance(cond, ir.CBool):
        return Need(cond, args, pf, want, "=", want, None)
    if isinstance(cond, ir.CIn):
        return Need(cond, args, pf, want, "in" if want else "not in", cond.members, cond.type)
    assert isinstance(cond, ir.CCompare)
    left_id = value_id(cond.left, code_of(getattr(cond.left, "who", None), args))
    op = cond.op if want else NEGATE[cond.op]
    if left_id == vid:
        bound = src.value(cond.right, code_of(getattr(cond.right, "who", None), args))
    else:
        bound = src.value(cond.left, code_of(getattr(cond.left, "who", None), args))
        op = FLIP[op]
    if bound is None:
        return None
    return Need(cond, args, pf, want, op, bound, cond.type)


def _type_of(vid: ValueId, v: ir.Value | None, src: Source) -> ValueType | None:
    if vid[0] == "status":
        return None
    if vid[0] == "arrangements" or (vid[0] == "window" and vid[1] == "count"):
        return NumberType()
    assert v is not None
    return v.type


def _candidates(needs: list[Need], current: Any, t: ValueType | None, integral: bool) -> list[Any]:
    if t is None or isinstance(t, BoolType):
        return [True, False]
    if isinstance(t, ScaleType):
        return list(t.levels)
    if isinstance(t, EnumType):
        return list(t.members)
    out: list[Any] = []
    for n in needs:
        if n.op in ("in", "not in"):
            out.extend(n.bound)
            continue
        b = n.bound
        out.append(b)
        if isinstance(t, DateType):
            b = _norm(b, t)
            out += [b - dt.timedelta(days=1), b + dt.timedelta(days=1)]
        elif isinstance(b, Duration):
            out += [Duration(b.months - 1), Duration(b.months + 1)]
        elif isinstance(b, int | float) and not isinstance(b, bool):
            fb = float(b)
            if integral:
                out += [math.floor(fb - 1) if fb == int(fb) else math.floor(fb), math.floor(fb) + 1.0]
            else:
                out += [math.nextafter(fb, -math.inf), math.nextafter(fb, math.inf)]
        else:  # text: equal to a bound, or something else
            out.append(str(b) + "_")
    if isinstance(t, PercentType):
        out = [x for x in out if 0.0 <= float(x) <= 1.0]
    if integral:
        out = [float(x) for x in out if float(x) >= 0]
    return out


def _distance(x: Any, ref: Any, t: ValueType | None) -> float:
    if ref is None:
        return 0.0
    a, b = _norm(x, t), _norm(ref, t)
    if isinstance(a, bool) or isinstance(b, bool):
        return 0.0 if a == b else 1.0
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return float(abs((a - b).days))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b))
    return 0.0 if a == b else 1.0


def solve(change: Change, current: Any, t: ValueType | None) -> bool:
    """Choose the target nearest the current value that meets every need; False if none does."""
    integral = change.vid[0] == "arrangements" or (change.vid[0] == "window" and change.vid[1] == "count")
    cands = [c for c in _candidates(change.needs, current, t, integral) if all(n.holds(c) for n in change.needs)]
    if not cands:
        return False
    ref = (
        current if current is not None else next((n.bound for n in change.needs if n.op not in ("in", "not in")), None)
    )
    best = min(enumerate(cands), key=lambda ic: (_distance(ic[1], ref, t), ic[0]))[1]
    change.target = best
    # the binding need: the one whose bound the target sits at (the strictest that applies)
    change.binding = min(
        change.needs,
        key=lambda n: (0.0 if n.op in ("in", "not in") else _distance(best, n.bound, t), change.needs.index(n)),
    )
    return True


# ---- the search -------------------------------------------------------------------

Ref = tuple[Any, Args, str | None, bool, Truth]  # (leaf, providers, pair form, must_be, truth)


class Answer:
    """A refusal's changes, or the fixed conditions it rests on (``ineligible``) and why.

    A shared answer's changes (``shared``, kept once for every provider with the same leaf
    truths) are rebound to this answer's provider (``code``) only when ``changes`` is read."""

    def __init__(
        self,
        changes: list[Change] | None,
        ineligible: list[Ref],
        reason: str | None,
        shared: list[Change] | None = None,
        code: str | None = None,
    ):
        self._changes = changes
        self.ineligible = ineligible
        self.reason = reason
        self.shared = shared
        self.code = code

    @property
    def changes(self) -> list[Change]:
        if self._changes is None:
            assert self.shared is not None and self.code is not None
            self._changes = [_rebind_change(c, self.code) for c in self.shared]
        return self._changes

    def __repr__(self) -> str:
        return f"Answer({self.changes!r}, {self.ineligible!r}, {self.reason!r})"


REASON_FIXED = (
    "no change of measures, statuses or arrangements can grant this decision: "
    "it rests on fixed provider attributes that do not meet the policy's conditions"
)
REASON_UNKNOWN = (
    "no change of measures, statuses or arrangements can grant this decision: "
    "it rests on fixed provider attributes, and the data do not give every one of them"
)
REASON_SELF = "a provider cannot be paired with itself"
REASON_NOT_FOUND = "no set of changes of measures, statuses or arrangements that grants this decision was found"


class Qualifier:
    """The counterfactual search of one evaluation (memoised per provider; ``forget`` between blocks)."""

    def __init__(self, src: Source, share: bool = True):
        self.src = src
        self.share = share  # share answers and tree truths between providers (see _shape_key)
        self.policy = src.policy
        self._q_memo: dict[tuple[int, Args, str | None, bool, bool], list[Ref] | None] = {}
        self._p_memo: dict[tuple[int, Args, str | None, bool], bool] = {}
        self._keep: dict[int, Any] = {}  # the policy objects whose ids key the memos
        self._reads_memo: dict[int, frozenset[tuple[Any, str | None]]] = {}
        self._shapes: dict[tuple[Any, ...], Answer] = {}
        self._canon: dict[str, tuple[Any, ...]] = {}
        self._subject_leaves: dict[str, list[ir.Cond] | None] = {}
        self._leaf_pos: dict[str, dict[int, int]] = {}
        self._by_template: dict[str, dict[Any, list[int]]] = {}
        self._tree_truth: dict[tuple[Any, ...], bool] = {}
        self._base: dict[tuple[str, Args], tuple[Truth, ...]] = {}  # per provider (forgotten between blocks)

    def forget(self) -> None:
        self._q_memo.clear()
        self._p_memo.clear()
        self._base.clear()

    # -- the subject as a tree
    def _root(self, subject: str, args: Args) -> list[tuple[ir.Cond | ir.Rule, Args, str | None]]:
        """The parts whose conjunction is the subject (a rule, a role's condition, a pair's three)."""
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            return [(self.policy.credentials[rest], args, None)]
        form_name, _, role = rest.partition(":")
        if kind == "form":
            form = self.policy.forms[form_name]
            return [(form.lead if role == "lead" else form.recipient, args, None)]
        form = self.policy.forms[rest.split(":")[0]]
        parts: list[tuple[ir.Cond | ir.Rule, Args, str | None]] = [
            (form.lead, (args[0],), None),
            (form.recipient, (args[1],), None),
        ]
        if form.pair is not None:
            parts.append((form.pair, args, form.name))
        return parts

    # -- truth under overrides
    def leaf(self, cond: ir.Cond, args: Args, pf: str | None, over: Overrides) -> Truth:
        if over:
            vids = leaf_values(cond, args)
            if any(v in over for v in vids):
                return self._leaf_cf(cond, args, over)
        return self.src.leaf_truth(cond, args, pf)

    def _val(self, v: ir.Value, args: Args, over: Overrides) -> Any:
        code = code_of(getattr(v, "who", None), args)
        vid = value_id(v, code)
        if vid is not None and vid in over:
            return over[vid]
        return self.src.value(v, code)

    def _leaf_cf(self, cond: ir.Cond, args: Args, over: Overrides) -> Truth:
        def tv(b: bool) -> Truth:
            return Truth.TRUE if b else Truth.FALSE

        if isinstance(cond, ir.CStatus):
            return tv(bool(over[("status", cond.name, code_of(cond.who, args))]))
        if isinstance(cond, ir.CArr):
            n = self._val(arr_value(cond), args, over)
            return Truth.UNKNOWN if n is None else tv(float(n) >= 1)
        if isinstance(cond, ir.CCompare):
            a, b = self._val(cond.left, args, over), self._val(cond.right, args, over)
            return Truth.UNKNOWN if a is None or b is None else tv(compare(cond.op, a, b, cond.type))
        if isinstance(cond, ir.CIn):
            a = self._val(cond.value, args, over)
            return Truth.UNKNOWN if a is None else tv(a in cond.members)
        assert isinstance(cond, ir.CBool)
        a = self._val(cond.value, args, over)
        return Truth.UNKNOWN if a is None else tv(a is True or a == 1)

    def _reads(self, node: ir.Cond | ir.Rule) -> frozenset[tuple[Any, str | None]]:
        """The changeable values a node's subtree reads, as (value id without provider, whose)."""
        hit = self._reads_memo.get(id(node))
        if hit is not None:
            return hit
        out: set[tuple[Any, str | None]] = set()
        if isinstance(node, ir.Rule):
            for part in (node.requires, node.unless):
                if part is not None:
                    out |= self._reads(part)
        elif isinstance(node, ir.CRef):
            out = {(tpl, node.who) for tpl, _ in self._reads(self.policy.rule(node.name))}
        elif isinstance(node, ir.CAnd | ir.COr):
            for item in node.items:
                out |= self._reads(item)
        elif isinstance(node, ir.CNot):
            out = set(self._reads(node.item))
        elif isinstance(node, ir.CStatus):
            out = {(("status", node.name), node.who)}
        else:
            for v in operands(node):
                vid = value_id(v, "")
                if vid is not None:
                    out.add((vid[:-1], getattr(v, "who", None)))
        frozen = self._reads_memo[id(node)] = frozenset(out)
        self._keep[id(node)] = node
        return frozen

    def _touched(self, node: ir.Cond | ir.Rule, args: Args, over: Overrides) -> bool:
        return any((*tpl, code_of(who, args)) in over for tpl, who in self._reads(node))

    def truth(
        self, cond: ir.Cond | ir.Rule, args: Args, pf: str | None, over: Overrides, memo: dict[Any, Truth]
    ) -> Truth:
        key = (id(cond), args, pf)
        hit = memo.get(key)
        if hit is not None:
            return hit
        t: Truth
        if not over or not self._touched(cond, args, over):
            t = self.src.node_truth(cond, args, pf)  # no change below: as the data give it
        elif isinstance(cond, ir.Rule):
            parts = [self.truth(cond.requires, args, None, over, memo)]
            if cond.unless is not None:
                parts.append(self.truth(cond.unless, args, None, over, memo))
            t = k_or(parts)
            if cond.scope is not None:  # outside its scope (a fixed fact) a criterion holds
                t = k_or([k_not(self.src.node_truth(cond.scope, args, None)), t])
        elif isinstance(cond, ir.CAnd):
            t = k_and([self.truth(i, args, pf, over, memo) for i in cond.items])
        elif isinstance(cond, ir.COr):
            t = k_or([self.truth(i, args, pf, over, memo) for i in cond.items])
        elif isinstance(cond, ir.CNot):
            t = k_not(self.truth(cond.item, args, pf, over, memo))
        elif isinstance(cond, ir.CRef):
            t = self.truth(self.policy.rule(cond.name), (code_of(cond.who, args),), None, over, memo)
        else:
            t = self.leaf(cond, args, pf, over)
        memo[key] = t
        return t

    def grants(self, subject: str, args: Args, over: Overrides) -> bool:
        leaves = self._simple_leaves(subject) if len(args) == 1 and self.share else None
        if leaves is not None:
            return self._grants_simple(subject, args, over, leaves)
        memo: dict[Any, Truth] = {}
        return all(self.truth(c, a, pf, over, memo) is Truth.TRUE for c, a, pf in self._root(subject, args))

    # -- can the subject be made true with changeable leaves free? (sound: ignores ties between leaves)
    def possible(self, cond: ir.Cond | ir.Rule, args: Args, pf: str | None, want: bool) -> bool:
        key = (id(cond), args, pf, want)
        hit = self._p_memo.get(key)
        if hit is not None:
            return hit
        self._keep[id(cond)] = cond
        out: bool
        if isinstance(cond, ir.Rule):
            parts = [cond.requires] + ([cond.unless] if cond.unless is not None else [])
            res = [self.possible(p, args, None, want) for p in parts]
            out = any(res) if want else all(res)
            if cond.scope is not None:
                scope = self.src.node_truth(cond.scope, args, None)
                out = (scope is Truth.FALSE or out) if want else (scope is Truth.TRUE and out)
        elif isinstance(cond, ir.CRef):
            out = self.possible(self.policy.rule(cond.name), (code_of(cond.who, args),), None, want)
        elif isinstance(cond, ir.CNot):
            out = self.possible(cond.item, args, pf, not want)
        elif isinstance(cond, ir.CAnd | ir.COr):
            res = [self.possible(i, args, pf, want) for i in cond.items]
            out = all(res) if isinstance(cond, ir.CAnd) == want else any(res)
        elif is_fixed(cond, args):
            t = self.src.leaf_truth(cond, args, pf)
            out = t is (Truth.TRUE if want else Truth.FALSE)
        else:
            out = True
        self._p_memo[key] = out
        return out

    # -- the smallest set of failing leaves whose passing would grant (fixed leaves blocked or counted)
    def search(
        self, cond: ir.Cond | ir.Rule, args: Args, pf: str | None, want: bool, allow_fixed: bool, over: Overrides
    ) -> list[Ref] | None:
        key = (id(cond), args, pf, want, allow_fixed)
        if not over and key in self._q_memo:
            return self._q_memo[key]
        out: list[Ref] | None
        if isinstance(cond, ir.Rule):
            scope = self.src.node_truth(cond.scope, args, None) if cond.scope is not None else Truth.TRUE
            options = [self.search(cond.requires, args, None, want, allow_fixed, over)]
            if cond.unless is not None:
                options.append(self.search(cond.unless, args, None, want, allow_fixed, over))
            out = self._smallest(options, args) if want else _concat(options)
            if want and scope is Truth.FALSE:
                out = []  # not applicable: it holds as it is
            elif not want and scope is not Truth.TRUE and not allow_fixed:
                out = None  # a scope is a fixed fact: nothing changeable makes it apply
        elif isinstance(cond, ir.CRef):
            out = self.search(self.policy.rule(cond.name), (code_of(cond.who, args),), None, want, allow_fixed, over)
        elif isinstance(cond, ir.CNot):
            out = self.search(cond.item, args, pf, not want, allow_fixed, over)
        elif isinstance(cond, ir.CAnd | ir.COr):
            options = [self.search(i, args, pf, want, allow_fixed, over) for i in cond.items]
            out = _concat(options) if isinstance(cond, ir.CAnd) == want else self._smallest(options, args)
        else:
            t = self.leaf(cond, args, pf, over)
            if t is (Truth.TRUE if want else Truth.FALSE):
                out = []
            elif is_fixed(cond, args) and not allow_fixed:
                out = None
            else:
                out = [(cond, args, pf, want, t)]
        if not over:
            self._keep[id(cond)] = cond
            self._q_memo[key] = out
        return out

    def _smallest(self, options: list[list[Ref] | None], args: Args) -> list[Ref] | None:
        real = [o for o in options if o is not None]
        if not real:
            return None

        def cost(o: list[Ref]) -> tuple[int, int]:
            refs = dedupe(o)
            return sum(1 for r in refs if is_fixed(r[0], r[1])), len({_group_key(r) for r in refs})

        return min(real, key=cost)

    # -- the answer
    def qualify(self, subject: str, args: Args) -> Answer:
        """The changes that grant a refused decision (see the module docstring)."""
        if subject.startswith("pair:") and args[0] == args[1]:
            return Answer([], [], REASON_SELF)
        key = self._shape_key(subject, args)
        if key is not None:
            hit = self._shapes.get(key)
            if hit is not None:
                return _rebind(hit, args[0])
        answer, shareable = self._qualify(subject, args)
        if key is not None and shareable:
            self._shapes[key] = answer
            answer.shared, answer.code = answer.changes, args[0]
        return answer

    def _qualify(self, subject: str, args: Args) -> tuple[Answer, bool]:
        """The answer computed for this provider alone, and whether it may be shared (see _shape_key)."""
        parts = self._root(subject, args)
        if not all(self.possible(c, a, pf, True) for c, a, pf in parts):
            refs = _concat([self.search(c, a, pf, True, True, {}) for c, a, pf in parts]) or []
            blocking = [r for r in dedupe(refs) if is_fixed(r[0], r[1])]
            unknown = any(r[4] is Truth.UNKNOWN for r in blocking)
            return Answer([], blocking, REASON_UNKNOWN if unknown else REASON_FIXED), True
        changes: list[Change] = []
        over: Overrides = {}
        for round_ in range(4):
            found = _concat([self.search(c, a, pf, True, False, over) for c, a, pf in parts])
            if found is None or not self._add(changes, dedupe(found)):
                return Answer([], [], REASON_NOT_FOUND), round_ == 0
            over = {c.vid: c.target for c in changes}
            if self.grants(subject, args, over):
                break
        else:
            return Answer([], [], REASON_NOT_FOUND), False
        shareable = round_ == 0  # a later round's targets were chosen with more needs: kept to its provider
        # minimal: no change can be left out
        dropped = True
        while dropped:
            dropped = False
            for c in list(changes):
                rest = {k: v for k, v in over.items() if k != c.vid}
                if self.grants(subject, args, rest):
                    changes.remove(c)
                    over = rest
                    dropped = True
                    break
        return Answer(changes, [], None), shareable

    # -- answers shared between providers: a single-provider subject whose changeable leaves each
    # compare one changeable value with constants or params gives the same answer to every provider
    # whose leaves have the same truths, so it is looked up before any search.  Everything the
    # search reads is then the same: the leaves' truths, and the needs' bounds (constants and
    # params).  The one provider value it reads is a change's current value, to choose the target
    # nearest it; the truths of the leaves reading that value fix which side of every bound it
    # lies on (or that it is missing), and the nearest candidate meeting the needs is then the same
    # from anywhere on that side.  Answers found in a later round are kept to their provider, as
    # before.  A shared answer is kept with its provider code replaced (``_rebind``).
    def _grants_simple(self, subject: str, args: Args, over: Overrides, leaves: list[ir.Cond]) -> bool:
        """``grants`` from the leaves' truths: the data's, with those of the changed values re-read;
        the tree's truth for a vector of leaf truths is computed once per subject and vector."""
        truths = list(self._base_truths(subject, args, leaves))
        by_tpl = self._by_template[subject]
        for vid in over:
            for i in by_tpl.get(vid[:-1], ()):
                truths[i] = self._leaf_cf(leaves[i], args, over)
        key = (subject, tuple(truths))
        hit = self._tree_truth.get(key)
        if hit is None:
            pos = self._leaf_pos[subject]
            hit = self._tree_truth[key] = all(
                self._pure(c, truths, pos) is Truth.TRUE for c, _, _ in self._root(subject, args)
            )
        return hit

    def _pure(self, node: ir.Cond | ir.Rule, truths: list[Truth], pos: dict[int, int]) -> Truth:
        if isinstance(node, ir.Rule):
            parts = [self._pure(node.requires, truths, pos)]
            if node.unless is not None:
                parts.append(self._pure(node.unless, truths, pos))
            return k_or(parts)
        if isinstance(node, ir.CRef):
            return self._pure(self.policy.rule(node.name), truths, pos)
        if isinstance(node, ir.CAnd):
            return k_and([self._pure(i, truths, pos) for i in node.items])
        if isinstance(node, ir.COr):
            return k_or([self._pure(i, truths, pos) for i in node.items])
        if isinstance(node, ir.CNot):
            return k_not(self._pure(node.item, truths, pos))
        return truths[pos[id(node)]]

    def _base_truths(self, subject: str, args: Args, leaves: list[ir.Cond]) -> tuple[Truth, ...]:
        key = (subject, args)
        hit = self._base.get(key)
        if hit is None:
            hit = self._base[key] = tuple(self.src.leaf_truth(c, args, None) for c in leaves)
        return hit

    def _shape_key(self, subject: str, args: Args) -> tuple[Any, ...] | None:
        leaves = self._simple_leaves(subject) if self.share else None
        if leaves is None or len(args) != 1:
            return None
        fast = getattr(self.src, "truth_key", None)  # a source reading truth columns: one row of them
        key = fast(leaves, args[0]) if fast is not None else None
        return (self._canonical(subject), key if key is not None else self._base_truths(subject, args, leaves))

    def _canonical(self, subject: str) -> tuple[Any, ...]:
        """The subject's tree by structure, its rules and leaves by identity: roles that require the
        same thing (four forms' ``lead requires group_leader and has_capacity``) have one tree, so
        they share answers (an answer shows only leaves, never the connectives above them)."""
        hit = self._canon.get(subject)
        if hit is None:

            def shape(node: ir.Cond | ir.Rule) -> Any:
                if isinstance(node, ir.CRef) and node.who is None:
                    node = self.policy.rule(node.name)
                if isinstance(node, ir.CAnd | ir.COr):
                    return (type(node).__name__, tuple(shape(i) for i in node.items))
                if isinstance(node, ir.CNot):
                    return ("not", shape(node.item))
                self._keep[id(node)] = node
                return id(node)

            hit = self._canon[subject] = tuple(shape(part) for part, _, _ in self._root(subject, ("",)))
        return hit

    def _simple_leaves(self, subject: str) -> list[ir.Cond] | None:
        if subject not in self._subject_leaves:
            leaves = None if subject.startswith("pair:") else self._leaves_if_simple(subject)
            self._subject_leaves[subject] = leaves
            if leaves is not None:
                self._leaf_pos[subject] = {id(c): i for i, c in enumerate(leaves)}
                by_tpl: dict[Any, list[int]] = {}
                for i, c in enumerate(leaves):
                    for vid in leaf_values(c, ("",)):
                        by_tpl.setdefault(vid[:-1], []).append(i)
                self._by_template[subject] = by_tpl
        return self._subject_leaves[subject]

    def _leaves_if_simple(self, subject: str) -> list[ir.Cond] | None:
        out: dict[int, ir.Cond] = {}
        simple = True

        def walk(node: ir.Cond | ir.Rule) -> None:
            nonlocal simple
            if isinstance(node, ir.Rule):
                if node.scope is not None:
                    simple = False  # a scoped criterion: the general search handles its scope
                walk(node.requires)
                if node.unless is not None:
                    walk(node.unless)
            elif isinstance(node, ir.CRef):
                if node.who is not None:
                    simple = False
                walk(self.policy.rule(node.name))
            elif isinstance(node, ir.CAnd | ir.COr):
                for item in node.items:
                    walk(item)
            elif isinstance(node, ir.CNot):
                walk(node.item)
            else:
                if id(node) not in out:
                    out[id(node)] = node
                    self._keep[id(node)] = node
                ops = [] if isinstance(node, ir.CStatus) else operands(node)
                changeable = [v for v in ops if value_id(v, "") is not None]
                if any(getattr(v, "who", None) is not None for v in ops) or getattr(node, "who", None) is not None:
                    simple = False
                if changeable and not all(
                    value_id(v, "") is not None or isinstance(v, ir.VConst | ir.VParam) for v in ops
                ):
                    simple = False
                if len(changeable) > 1:
                    simple = False

        for part, _, _ in self._root(subject, ("", "")[:1]):
            walk(part)
        return list(out.values()) if simple else None

    def _add(self, changes: list[Change], refs: list[Ref]) -> bool:
        """Merge the needs of ``refs`` into ``changes`` (one per value) and solve each target."""
        by_vid = {c.vid: c for c in changes}
        touched: list[Change] = []
        for ref in refs:
            cond, args, pf, want, _ = ref
            for vid in leaf_values(cond, args):  # a comparison's left operand first, then its right
                need = _need(self.src, cond, args, pf, want, vid)
                if need is None:
                    continue
                ch = by_vid.get(vid)
                if ch is None:
                    v = None if vid[0] == "status" else _value_of(cond, args, vid)
                    ch = by_vid[vid] = Change(vid, v)
                    changes.append(ch)
                if not any(n.cond is cond and n.args == args and n.want == want for n in ch.needs):
                    ch.needs.append(need)
                touched.append(ch)
                break
            else:
                return False
        for vid in dict.fromkeys(c.vid for c in touched):
            c = by_vid[vid]
            if not solve(c, self._current(c), _type_of(c.vid, c.value, self.src)):
                return False
        return True

    def _current(self, c: Change) -> Any:
        if c.vid[0] == "status":
            return self.src.status_value(c.vid[1], c.vid[2])
        assert c.value is not None
        return self.src.value(c.value, c.vid[-1])

    # -- as JSON
    def items(self, answer: Answer) -> list[dict[str, Any]]:
        return [self.item(c) for c in answer.changes]

    def item_key(self, answer: Answer, i: int) -> tuple[Any, ...] | None:
        """What :meth:`item` of a shared answer's ``i``-th change reads besides the change itself:
        the provider's current value (and, missing, whether it is stale), with the shared change;
        equal keys give equal items but for ``provider``.  None for an answer that is not shared."""
        if answer.shared is None or answer.code is None:
            return None
        c = answer.shared[i]
        n = c.binding
        assert n is not None
        code = answer.code
        # a shared answer's leaves compare the change's value with constants and params: the
        # provider's current value is the only operand that differs between providers
        current = self.src.status_value(c.vid[1], code) if c.value is None else self.src.value(c.value, code)
        if current is None and isinstance(n.cond, ir.CCompare):
            stale = self.src.stale_of(n.cond.left, code)
            return (id(c), None, _hashable(stale))
        return (id(c), _hashable(current))

    def shared_item(self, answer: Answer, i: int) -> dict[str, Any]:
        """:meth:`item` of an answer's ``i``-th change (of a shared answer: rebound for it alone)."""
        if answer.shared is not None and answer.code is not None:
            return self.item(_rebind_change(answer.shared[i], answer.code))
        return self.item(answer.changes[i])

    def item(self, c: Change) -> dict[str, Any]:
        n = c.binding
        assert n is not None
        cond = n.cond
        current = self._current(c)
        out: dict[str, Any] = {
            "text": cond.text,
            "source": _source(cond.span),
            "must_be": n.want,
            "provider": c.vid[-1],
            "change": f"status {c.vid[1]}" if c.value is None else describe_value(c.value),
        }
        stale = None
        if isinstance(cond, ir.CCompare):
            left = self.src.value(cond.left, code_of(getattr(cond.left, "who", None), n.args))
            right = self.src.value(cond.right, code_of(getattr(cond.right, "who", None), n.args))
            out["value"] = json_value(left, cond.left.type)
            out["threshold"] = json_value(right, cond.right.type)
            unit = cond_unit(self.policy, cond)
            if unit is not None:
                out["unit"] = unit
            verb = "needs" if n.want else "needs not"
            shown = show(left, cond.left.type, unit)
            lcode = code_of(getattr(cond.left, "who", None), n.args)
            stale = self.src.stale_of(cond.left, lcode) if left is None else None
            if stale is not None:  # evidence past its max age: newer evidence is what would count
                sj = stale_json(stale[0], cond.left.type, stale[1], stale[2])
                was = show(stale[0], cond.left.type, unit)
                shown = f"stale ({was} of {sj['date'] or 'no date'}; max age {sj['max_age']})"
            out["needs"] = f"{_operand_text(cond.left)} is {shown}; {verb} {cond.op} {show(right, cond.type, unit)}"
            gap = _gap(left, right, cond)
        else:
            out["value"] = json_value(current)
            gap = None
            if isinstance(cond, ir.CStatus):
                state = "unknown" if current is None else "active" if current else "not active"
                out["needs"] = f"status {cond.name} is {state}; " + (
                    "needs it active" if n.want else "needs it not active"
                )
            elif isinstance(cond, ir.CArr):
                out["needs"] = f"{cond.text}: {'needs one' if n.want else 'needs none'}"
            else:
                out["needs"] = f"{cond.text}: {'needs to hold' if n.want else 'needs not to hold'}"
        if current is None and stale is None:  # stale evidence is shown as such above
            out["needs"] += " (value missing)"
        out["target"] = json_value(c.target)
        out["gap"] = gap
        others = [m for m in c.needs if m is not n]
        if others:
            out["covers"] = [{"text": m.cond.text, "source": _source(m.cond.span)} for m in others]
        return out

    def ineligible_item(self, ref: Ref) -> dict[str, Any]:
        cond, args, _pf, want, t = ref
        if isinstance(cond, ir.CJudged):  # no listed standard applies: a fixed fact of the provider
            code = args[0]
            values = [(s.value, self.src.value(s.value, code)) for s in cond.scopes]
            shown = ", ".join(f"{_operand_text(v)} is {show(x, getattr(v, 'type', None))}" for v, x in values)
            return {
                "text": cond.text,
                "source": _source(cond.span),
                "must_be": want,
                "provider": code,
                "value": {_operand_text(v): json_value(x, getattr(v, "type", None)) for v, x in values},
                "truth": t.value,
                "needs": f"{shown}; needs one of {', '.join(cond.criteria)} to apply",
            }
        vals = [(v, self.src.value(v, code_of(getattr(v, "who", None), args))) for v in operands(cond)]
        left, lv = vals[0]
        shown = show(lv, getattr(left, "type", None))
        if isinstance(cond, ir.CCompare):
            need = f"{cond.op if want else NEGATE[cond.op]} {show(vals[1][1], cond.type)}"
        elif isinstance(cond, ir.CIn):
            need = f"{'in' if want else 'not in'} ({', '.join(cond.members)})"
        else:
            need = "yes" if want else "no"
        return {
            "text": cond.text,
            "source": _source(cond.span),
            "must_be": want,
            "provider": ":".join(args),
            "value": json_value(lv, getattr(left, "type", None)),
            "truth": t.value,
            "needs": f"{_operand_text(left)} is {shown}; needs {need}",
        }


def _value_of(cond: ir.Cond, args: Args, vid: ValueId) -> ir.Value:
    for v in operands(cond):
        if value_id(v, code_of(getattr(v, "who", None), args)) == vid:
            return v
    raise AssertionError(vid)


def _operand_text(v: ir.Value) -> str:
    return v.text or describe_value(v) if not isinstance(v, ir.VConst) else (v.text or str(v.value))


def _source(span: Any) -> dict[str, Any]:
    return {"file": span.path, "line": span.line, "column": span.column}


def _gap(left: Any, right: Any, cond: ir.CCompare) -> Any:
    if left is None or right is None:
        return None
    t = cond.type
    if isinstance(t, NumberType | PercentType):
        return round(abs(float(_norm(right, t)) - float(_norm(left, t))), 10)
    if isinstance(t, ScaleType) and isinstance(left, str) and isinstance(right, str):
        return f"{abs(t.rank(right) - t.rank(left))} level(s)"
    if isinstance(t, DateType):
        try:
            return f"{abs((_norm(right, t) - _norm(left, t)).days)} day(s)"
        except TypeError:
            return None
    return None


def _group_key(ref: Ref) -> Any:
    cond, args, _, _, _ = ref
    vids = leaf_values(cond, args)
    return vids[0] if vids else ("fixed", cond.text, cond.span.line, cond.span.column, args)


def _hashable(x: Any) -> Any:
    try:
        hash(x)
    except TypeError:
        return repr(x)
    return (type(x).__name__, x)


def _rebind(answer: Answer, code: str) -> Answer:
    """A shared answer for another provider (single-provider subjects: the code is the last part
    of a value id); its changes are rebound when read (``Answer.changes``)."""
    ineligible: list[Ref] = [(cond, (code,), pf, want, t) for cond, _, pf, want, t in answer.ineligible]
    return Answer(None if answer.shared else [], ineligible, answer.reason, answer.shared or None, code)


def _rebind_change(c: Change, code: str) -> Change:
    needs = [Need(n.cond, (code,), n.pair_form, n.want, n.op, n.bound, n.type) for n in c.needs]
    binding = next((needs[i] for i, n in enumerate(c.needs) if n is c.binding), None)
    return Change((*c.vid[:-1], code), c.value, needs, c.target, binding)


def _concat(options: list[list[Ref] | None]) -> list[Ref] | None:
    if any(o is None for o in options):
        return None
    return [ref for o in options if o is not None for ref in o]


def dedupe(refs: list[Ref]) -> list[Ref]:
    """The references once each, by leaf position, providers and must_be."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for ref in refs:
        cond, args, _, want, _ = ref
        key = (cond.text, cond.span.line, cond.span.column, args, want)
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out
