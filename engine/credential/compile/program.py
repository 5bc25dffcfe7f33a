"""Checked policy IR → Datalog program (three-valued: a *certainly* and a *possibly* predicate per node).

For every condition node ``n`` the compiler makes ``c_n`` (the condition is certainly
true) and ``p_n`` (it is possibly true: true, or unknown because a value is missing).
Kleene's logic then needs only stratified negation::

    and:  c_n :- c_a, c_b.            p_n :- p_a, p_b.
    or:   c_n :- c_a.  c_n :- c_b.    p_n :- p_a.  p_n :- p_b.
    not:  c_n :- dom, not p_a.        p_n :- dom, not c_a.
    x >= t:  c_n :- v_x(P, X), X >= t.   p_n :- c_n.   p_n :- dom, not known_x(P).

A decision is *granted* when ``c`` holds, *refused* when ``p`` does not, and
*undetermined* otherwise.  Every node gets its own predicate pair so the explainer can
read the truth of each part of a proof from the model instead of deciding it again.
Identical conditions in the same context share a predicate.  Every rule keeps the
policy file, line and column it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from credential.check import ir
from credential.check.ir import origin_of
from credential.compile import names
from credential.datalog.ir import Atom, BodyLiteral, Comparison, Const, Negation, Program, Rule, Term, Var
from credential.span import Span

P = Var("P")
L = Var("L")
R = Var("R")


@dataclass(frozen=True)
class NodePreds:
    """The certainly/possibly predicates of one condition node; ``pair`` nodes take (L, R)."""

    certainly: str
    possibly: str
    pair: bool = False


@dataclass
class CompiledPolicy:
    policy: ir.CheckedPolicy
    rules: list[Rule]
    pair_rules: list[Rule]
    node_preds: dict[tuple[Any, str | None], NodePreds]
    values: dict[str, ir.ProviderValue]  # value predicate -> the value it holds
    statuses: set[str]
    params: set[str]
    _programs: dict[str, Program] = field(default_factory=dict, repr=False, compare=False)

    def program(self, pairs: bool = False) -> Program:
        """The program (the same object each time, so that its plan is reused)."""
        key = "pairs" if pairs else "plain"
        if key not in self._programs:
            self._programs[key] = Program(tuple(self.rules + (self.pair_rules if pairs else [])))
        return self._programs[key]

    def preds_of(self, cond: ir.Cond, pair_form: str | None = None) -> NodePreds:
        return self.node_preds[(cond, pair_form)]


@dataclass
class _Compiler:
    policy: ir.CheckedPolicy
    rules: list[Rule] = field(default_factory=list)
    pair_rules: list[Rule] = field(default_factory=list)
    node_preds: dict[tuple[Any, str | None], NodePreds] = field(default_factory=dict)
    values: dict[str, ir.ProviderValue] = field(default_factory=dict)
    known_emitted: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    counter: int = 0
    pair_form: str | None = None  # set while compiling a pair condition

    # -- emitting -----------------------------------------------------------
    def emit(self, head: Atom, body: list[BodyLiteral], span: Span, what: str = "") -> None:
        origin = origin_of(span) + (f"  {what}" if what else "")
        rule = Rule(head, tuple(body), origin=origin)
        (self.pair_rules if self.pair_form else self.rules).append(rule)

    def fresh(self) -> tuple[str, str]:
        self.counter += 1
        return f"c_n{self.counter}", f"p_n{self.counter}"

    # domain of the current context: one provider, or a candidate pair
    def dom_vars(self) -> tuple[Var, ...]:
        return (L, R) if self.pair_form else (P,)

    def dom_atom(self) -> Atom:
        if self.pair_form:
            return Atom(names.pair_domain(self.pair_form), (L, R))
        return Atom(names.PROVIDER, (P,))

    def subject(self, who: str | None) -> Var:
        if who == "lead":
            return L
        if who == "recipient":
            return R
        return P

    # -- values -------------------------------------------------------------
    def value_term(
        self, v: ir.Value, var: str, body: list[BodyLiteral], missing: list[Atom], pbody: list[BodyLiteral]
    ) -> Term:
        """The term of a value; its atom goes in ``body`` (certainly) and ``pbody`` (possibly: for
        a stale-may-refuse value, its possible values ``pv_*``, fresh or stale)."""
        if isinstance(v, ir.VConst):
            return Const(names.to_datalog(v.value, v.type))
        x = Var(var)
        if isinstance(v, ir.VParam):
            self.params.add(v.name)
            body.append(Atom(names.param_pred(v.name), (x,)))
            pbody.append(Atom(names.param_pred(v.name), (x,)))
            return x
        key = names.value_key(v)
        pred = names.value_pred(key)
        self.values[pred] = key
        subj = self.subject(v.who)
        body.append(Atom(pred, (subj, x)))
        pbody.append(Atom(names.possible_pred(key) if names.stale_refuses(key) else pred, (subj, x)))
        missing.append(self.known(key, subj))
        return x

    def known(self, key: ir.ProviderValue, subj: Var) -> Atom:
        """``known_*``: the value exists (for a stale-may-refuse value: fresh or stale)."""
        kpred = names.known_pred(key)
        if kpred not in self.known_emitted:
            self.known_emitted.add(kpred)
            source = names.possible_pred(key) if names.stale_refuses(key) else names.value_pred(key)
            self.rules.append(Rule(Atom(kpred, (P,)), (Atom(source, (P, Var("_"))),)))
        return Atom(kpred, (subj,))

    # -- conditions ---------------------------------------------------------
    def cond(self, c: ir.Cond) -> NodePreds:
        key = (c, self.pair_form)
        if key in self.node_preds:
            return self.node_preds[key]
        if isinstance(c, ir.CRef) and not self.pair_form:
            cp, pp = names.rule_preds(c.kind, c.name)
            preds = NodePreds(cp, pp)
            self.node_preds[key] = preds
            return preds
        children: list[NodePreds] = []
        if isinstance(c, ir.CAnd | ir.COr):
            children = [self.cond(i) for i in c.items]
        elif isinstance(c, ir.CNot):
            children = [self.cond(c.item)]
        elif isinstance(c, ir.CJudged):
            children = [self.cond(s) for s in c.scopes]
        cp, pp = self.fresh()
        preds = NodePreds(cp, pp, pair=bool(self.pair_form))
        self.node_preds[key] = preds
        vs = self.dom_vars()
        head_c, head_p = Atom(cp, vs), Atom(pp, vs)
        what = _short(c)
        if isinstance(c, ir.CAnd):
            self.emit(head_c, [Atom(ch.certainly, vs) for ch in children], c.span, what)
            self.emit(head_p, [Atom(ch.possibly, vs) for ch in children], c.span, what)
        elif isinstance(c, ir.COr):
            for ch in children:
                self.emit(head_c, [Atom(ch.certainly, vs)], c.span, what)
                self.emit(head_p, [Atom(ch.possibly, vs)], c.span, what)
        elif isinstance(c, ir.CNot):
            (ch,) = children
            self.emit(head_c, [self.dom_atom(), Negation(Atom(ch.possibly, vs))], c.span, what)
            self.emit(head_p, [self.dom_atom(), Negation(Atom(ch.certainly, vs))], c.span, what)
        elif isinstance(c, ir.CRef):  # in a pair: lead.x / recipient.x
            rc, rp = names.rule_preds(c.kind, c.name)
            subj = self.subject(c.who)
            self.emit(head_c, [self.dom_atom(), Atom(rc, (subj,))], c.span, what)
            self.emit(head_p, [self.dom_atom(), Atom(rp, (subj,))], c.span, what)
        elif isinstance(c, ir.CJudged):  # certainly where a listed scope certainly holds, else unknown
            for ch in children:
                self.emit(head_c, [Atom(ch.certainly, vs)], c.span, what)
            self.emit(head_p, [self.dom_atom()], c.span, what)
        elif isinstance(c, ir.CStatus):
            self.statuses.add(c.name)
            subj = self.subject(c.who)
            base = [self.dom_atom()] if self.pair_form else []
            self.emit(head_c, [*base, Atom(names.status_pred(c.name), (subj,))], c.span, what)
            self.emit(head_p, [Atom(cp, vs)], c.span, what)
            self.emit(head_p, [*base, Atom(names.status_unknown_pred(c.name), (subj,))], c.span, what)
        else:
            self.leaf(c, head_c, head_p)
        return preds

    def leaf(self, c: ir.Cond, head_c: Atom, head_p: Atom) -> None:
        body: list[BodyLiteral] = [self.dom_atom()] if self.pair_form else []
        pbody: list[BodyLiteral] = list(body)
        missing: list[Atom] = []
        tests: list[Comparison] = []
        if isinstance(c, ir.CCompare):
            lt = self.value_term(c.left, "X", body, missing, pbody)
            rt = self.value_term(c.right, "Y", body, missing, pbody)
            tests = [Comparison(c.op, lt, rt)]
        elif isinstance(c, ir.CIn):
            t = self.value_term(c.value, "X", body, missing, pbody)
            tests = [Comparison("=", t, Const(names.to_datalog(m, c.type))) for m in c.members]
        elif isinstance(c, ir.CBool):
            t = self.value_term(c.value, "X", body, missing, pbody)
            tests = [Comparison("=", t, Const(True))]
        elif isinstance(c, ir.CArr):
            count = ir.VArrCount(c.role, c.form, c.within, c.who, span=c.span, text=c.text, held=c.held)
            t = self.value_term(count, "N", body, missing, pbody)
            tests = [Comparison(">=", t, Const(1.0))]
        else:  # pragma: no cover - every IR condition is handled above
            raise TypeError(type(c))
        what = _short(c)
        for test in tests:
            self.emit(head_c, [*body, test], c.span, what)
        self.emit(head_p, [head_c], c.span, what)
        if pbody != body:  # stale evidence may refuse: possibly true when its stale value passes
            for test in tests:
                self.emit(head_p, [*pbody, test], c.span, what + " (stale value)")
        for m in missing:
            self.emit(head_p, [self.dom_atom(), Negation(m)], c.span, what + " (missing value)")

    # -- declarations -------------------------------------------------------
    def named_rule(self, rule: ir.Rule) -> None:
        cp, pp = names.rule_preds(rule.kind, rule.name)
        parts = [self.cond(rule.requires)]
        if rule.unless is not None:
            parts.append(self.cond(rule.unless))
        for i, part in enumerate(parts):
            what = f"{rule.kind} {rule.name}" + (" (unless: waiver)" if i else "")
            self.emit(Atom(cp, (P,)), [Atom(part.certainly, (P,))], rule.span, what)
            self.emit(Atom(pp, (P,)), [Atom(part.possibly, (P,))], rule.span, what)
        if rule.scope is not None:  # not applicable: holds where the scope certainly does not
            scope = self.cond(rule.scope)
            what = f"{rule.kind} {rule.name} (not applicable)"
            dom = Atom(names.PROVIDER, (P,))
            self.emit(Atom(cp, (P,)), [dom, Negation(Atom(scope.possibly, (P,)))], rule.scope.span, what)
            self.emit(Atom(pp, (P,)), [dom, Negation(Atom(scope.certainly, (P,)))], rule.scope.span, what)

    def form(self, form: ir.Form) -> None:
        for role, cond, span in (
            ("lead", form.lead, form.lead_span),
            ("recipient", form.recipient, form.recipient_span),
        ):
            node = self.cond(cond)
            cp, pp = names.role_preds(form.name, role)
            self.emit(Atom(cp, (P,)), [Atom(node.certainly, (P,))], span, f"form {form.name} {role}")
            self.emit(Atom(pp, (P,)), [Atom(node.possibly, (P,))], span, f"form {form.name} {role}")
        # pairs: only compiled into the pair program (N² candidates)
        self.pair_form = form.name
        lc, lp = names.role_preds(form.name, "lead")
        rc, rp = names.role_preds(form.name, "recipient")
        dom = Atom(names.pair_domain(form.name), (L, R))
        what = f"form {form.name} pair"
        self.emit(
            dom,
            [Atom(lp, (L,)), Atom(rp, (R,)), Comparison("!=", L, R)],
            form.pair_span,
            what + " candidates",
        )
        pc, pp = names.pair_preds(form.name)
        base_c: list[BodyLiteral] = [Atom(lc, (L,)), Atom(rc, (R,)), Comparison("!=", L, R)]
        if form.pair is not None:
            node = self.cond(form.pair)
            self.emit(Atom(pc, (L, R)), [*base_c, Atom(node.certainly, (L, R))], form.pair_span, what)
            self.emit(Atom(pp, (L, R)), [dom, Atom(node.possibly, (L, R))], form.pair_span, what)
        else:
            self.emit(Atom(pc, (L, R)), base_c, form.span, what)
            self.emit(Atom(pp, (L, R)), [dom], form.span, what)
        for pref in form.prefers:  # ranking preferences: their nodes, over the same candidate pairs
            self.cond(pref.cond)
        self.pair_form = None


def _short(c: ir.Cond, limit: int = 60) -> str:
    text = c.text or type(c).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compile_policy(policy: ir.CheckedPolicy) -> CompiledPolicy:
    """Compile a checked policy (declaration order; the program does not depend on it)."""
    comp = _Compiler(policy)
    for rule in [*policy.criteria.values(), *policy.credentials.values()]:
        comp.named_rule(rule)
    for form in policy.forms.values():
        comp.form(form)
    return CompiledPolicy(
        policy=policy,
        rules=comp.rules,
        pair_rules=comp.pair_rules,
        node_preds=comp.node_preds,
        values=comp.values,
        statuses=comp.statuses,
        params=comp.params,
    )
