"""Attributing a changed decision to the changed declarations that caused it.

A decision depends on the declarations its subject references, transitively: a credential's
``requires``/``unless``, the criteria and credentials those name, a form part's condition,
and, at the leaves, params, measures, attributes, scales and statuses.  Walking down from the
decision in *both* versions at once:

* a criterion, credential or form part is entered only when its truth for the provider it is
  evaluated for differs between the two evaluations (``absent`` where it does not exist):
  a part whose truth is the same in both cannot have carried the change up;
* an entered one that was itself changed (or added, or removed) is named as a cause, unless
  its own edit cannot explain the change: its old text evaluated against the new version of
  everything else gives the new truth, and its new text against the old gives the old truth
  (the change then came from below, and the walk names what changed there);
* a leaf comparison of an entered one that reads a changed param (or measure, attribute,
  scale, status) names it when the comparison's truth differs between the versions, or when
  the comparison exists in one version only (the truth comparison cannot separate it then);
* when the walk names nothing (the comparison cannot separate the changes), every changed
  declaration the decision depends on in either version is named (``fallback``).

A subject that exists in one version only (a new or dropped credential or form) is caused by
that declaration's addition or removal alone.  Truth comes from each version's Datalog model;
a ``pair requires`` condition, which the model only decides for candidate pairs, is decided
by the independent evaluator of :mod:`credential.proofs.recompute`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from credential.check import ir
from credential.compile import NodePreds
from credential.compile import names as pn
from credential.diffing.declarations import DeclChange, literal
from credential.diffing.result import ABSENT, Attribution, Cause
from credential.proofs.recompute import Recompute, k_or
from credential.types import ScaleType

if TYPE_CHECKING:
    from credential.evaluation.evaluate import Evaluation

Node = tuple[str, str, str | None]
"""A criterion, credential or form part: ``("credential", NAME, None)``, ``("form", NAME, "lead")``."""
Args = tuple[str, ...]
LeafUse = tuple[ir.Cond, str | None, Args]
CAUSE_KIND_ORDER = ("form", "credential", "criterion", "param", "status", "measure", "attribute", "scale")


def node_id(node: Node) -> str:
    kind, name, part = node
    return f"{kind}:{name}" + (f":{part}" if part else "")


def _walk(cond: ir.Cond) -> tuple[tuple[ir.CRef, ...], tuple[ir.Cond, ...]]:
    """The references and the leaf conditions of a condition tree."""
    refs: list[ir.CRef] = []
    leaves: list[ir.Cond] = []

    def go(c: ir.Cond) -> None:
        if isinstance(c, ir.CAnd | ir.COr):
            for i in c.items:
                go(i)
        elif isinstance(c, ir.CNot):
            go(c.item)
        elif isinstance(c, ir.CRef):
            refs.append(c)
        else:
            leaves.append(c)

    go(cond)
    return tuple(refs), tuple(leaves)


def _value_decls(v: ir.Value) -> set[str]:
    out: set[str] = set()
    if isinstance(v.type, ScaleType):
        out.add(f"scale:{v.type.name}")
    if isinstance(v, ir.VParam):
        out.add(f"param:{v.name}")
    elif isinstance(v, ir.VAttr):
        out.add(f"attribute:{v.name}")
    elif isinstance(v, ir.VLatest | ir.VWindow):
        out.add(f"measure:{v.measure}")
        if isinstance(v, ir.VWindow) and isinstance(v.minimum, ir.VParam):
            out.add(f"param:{v.minimum.name}")
    elif isinstance(v, ir.VArrCount) and isinstance(v.within, ir.VParam):
        out.add(f"param:{v.within.name}")
    return out


def leaf_decls(leaf: ir.Cond) -> frozenset[str]:
    """The params, measures, attributes, scales and statuses a leaf condition reads."""
    out: set[str] = set()
    if isinstance(leaf, ir.CCompare):
        out |= _value_decls(leaf.left) | _value_decls(leaf.right)
        if isinstance(leaf.type, ScaleType):
            out.add(f"scale:{leaf.type.name}")
    elif isinstance(leaf, ir.CIn | ir.CBool):
        out |= _value_decls(leaf.value)
    elif isinstance(leaf, ir.CStatus):
        out.add(f"status:{leaf.name}")
    elif isinstance(leaf, ir.CArr) and isinstance(leaf.within, ir.VParam):
        out.add(f"param:{leaf.within.name}")
    elif isinstance(leaf, ir.CJudged):
        for scope in leaf.scopes:
            out |= _value_decls(scope.value)
        out |= {f"criterion:{name}" for name in leaf.criteria}
    return frozenset(out)


class Side:
    """One version: its policy and evaluation, with truth lookups by declaration."""

    def __init__(self, ev: Evaluation):
        self.ev = ev
        self.policy = ev.policy
        self._recompute: Recompute | None = None

    @property
    def recompute(self) -> Recompute:
        if self._recompute is None:
            self._recompute = Recompute(self.policy, self.ev.inputs.bundle, self.ev.as_of)
        return self._recompute

    def _rule(self, kind: str, name: str) -> ir.Rule | None:
        return (self.policy.criteria if kind == "criterion" else self.policy.credentials).get(name)

    def exists(self, node: Node) -> bool:
        kind, name, _ = node
        return (name in self.policy.forms) if kind == "form" else self._rule(kind, name) is not None

    def conds(self, node: Node) -> list[tuple[ir.Cond, str | None]]:
        kind, name, part = node
        if kind == "form":
            form = self.policy.forms.get(name)
            if form is None:
                return []
            if part == "pair":
                return [] if form.pair is None else [(form.pair, name)]
            return [(form.lead if part == "lead" else form.recipient, None)]
        rule = self._rule(kind, name)
        if rule is None:
            return []
        out: list[tuple[ir.Cond, str | None]] = [(rule.requires, None)]
        if rule.unless is not None:
            out.append((rule.unless, None))
        if rule.scope is not None:
            out.append((rule.scope, None))
        return out

    def truth(self, node: Node, args: Args) -> str:
        if not self.exists(node):
            return ABSENT
        kind, name, part = node
        if kind == "form":
            if part == "pair":
                pair = self.policy.forms[name].pair
                return "true" if pair is None else self.recompute.truth(pair, args).value
            preds = NodePreds(*pn.role_preds(name, part or ""))
        else:
            preds = NodePreds(*pn.rule_preds(kind, name))
        return self.ev.truth(preds, args).value

    def leaf_truth(self, leaf: ir.Cond, pair_form: str | None, args: Args) -> str:
        if pair_form is None:
            try:
                return self.ev.truth(self.ev.compiled.preds_of(leaf, None), args).value
            except KeyError:  # pragma: no cover - every compiled leaf has predicates
                pass
        return self.recompute.truth(leaf, args).value

    def param(self, name: str) -> str:
        p = self.policy.params.get(name)
        if p is None:
            return ABSENT
        return literal(p.value_at(self.ev.as_of, self.policy.effective)[0], p.type)


class Attributor:
    """Finds the causes of changed decisions (see the module docstring); memoised per node."""

    def __init__(self, old: Evaluation, new: Evaluation, declarations: Iterable[DeclChange]):
        self.old, self.new = Side(old), Side(new)
        self.decls = list(declarations)
        self.order = {d.id: i for i, d in enumerate(self.decls)}
        self.decisive = {d.id for d in self.decls if d.decisive}
        self._memo: dict[tuple[Node, Args], frozenset[Cause]] = {}

    # ---- which change a node stands for ------------------------------------
    def change_of(self, node: Node) -> str | None:
        kind, name, _ = node
        if kind == "form" and f"form:{name}" in self.decisive:
            return f"form:{name}"  # the whole form was added or removed
        nid = node_id(node)
        return nid if nid in self.decisive else None

    # ---- the walk -------------------------------------------------------------
    def visit(self, node: Node, args: Args) -> frozenset[Cause]:
        key = (node, args)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = frozenset()  # guards a reference cycle formed across the two versions
        t_old, t_new = self.old.truth(node, args), self.new.truth(node, args)
        if t_old == t_new:
            return frozenset()
        causes: set[Cause] = set()
        change = self.change_of(node)
        if change is not None and self._edit_matters(node, args, t_old, t_new):
            causes.add(Cause(change, args, t_old, t_new))
        uses: list[dict[LeafUse, frozenset[str]]] = [{}, {}]
        for side, used in ((self.old, uses[0]), (self.new, uses[1])):
            for cond, pair_form in side.conds(node):
                refs, leaves = _walk(cond)
                for ref in refs:
                    causes |= self.visit((ref.kind, ref.name, None), self._ref_args(ref, args))
                for leaf in leaves:
                    hit = leaf_decls(leaf) & self.decisive
                    if hit:
                        used[(leaf, pair_form, args)] = hit
        causes |= self._leaf_causes(uses[0], uses[1])
        result = frozenset(causes)
        self._memo[key] = result
        return result

    def _edit_matters(self, node: Node, args: Args, t_old: str, t_new: str) -> bool:
        """Whether a changed declaration's own edit can explain its change of truth.

        Its old text is evaluated against the new version of everything else, and its new text
        against the old: if both give the truth the other version's text gives there, the edit
        does not matter for these providers (the change came from below) and it is not named.
        When a swapped text names something the other version lacks, it cannot be evaluated,
        so it counts.  Added and removed declarations always count.
        """
        if ABSENT in (t_old, t_new):
            return True
        try:
            old_in_new = self._swapped(self.old, self.new, node, args)
            new_in_old = self._swapped(self.new, self.old, node, args)
        except KeyError:
            return True
        return old_in_new != t_new or new_in_old != t_old

    @staticmethod
    def _swapped(text_from: Side, world: Side, node: Node, args: Args) -> str:
        truths = [world.recompute.truth(cond, args) for cond, _ in text_from.conds(node)]
        if node[0] == "form":
            return truths[0].value if truths else "true"  # a form with no `pair requires`
        return k_or(truths).value

    @staticmethod
    def _ref_args(ref: ir.CRef, args: Args) -> Args:
        if len(args) == 1:
            return args
        return (args[0],) if ref.who == "lead" else (args[1],)

    def _leaf_causes(self, old: dict[LeafUse, frozenset[str]], new: dict[LeafUse, frozenset[str]]) -> set[Cause]:
        """Changed leaf-level declarations read by comparisons whose truth differs (see module doc).

        A comparison is matched across the versions by its meaning, or failing that (a type it
        uses changed, so its meaning differs) by its text, in the same place for the same providers.
        """
        pairs: list[tuple[LeafUse | None, LeafUse | None]] = [(u, u) for u in old if u in new]
        Unmatched = tuple[list[LeafUse], list[LeafUse]]
        by_text: dict[tuple[str, str, Args], Unmatched] = defaultdict(lambda: ([], []))
        for i, side in enumerate((old, new)):
            for u in side:
                if u not in (new if i == 0 else old):
                    by_text[(u[0].text, u[1] or "", u[2])][i].append(u)
        for olds, news in by_text.values():
            if len(olds) == 1 and len(news) == 1:
                pairs.append((olds[0], news[0]))
            else:
                pairs.extend((u, None) for u in olds)
                pairs.extend((None, u) for u in news)
        via: dict[tuple[str, Args], set[str]] = defaultdict(set)
        for uo, un in pairs:
            if uo is not None and un is not None:
                t_old = self.old.leaf_truth(*uo)
                t_new = self.new.leaf_truth(*un)
                if t_old == t_new:
                    continue
                note = f"`{uo[0].text}`: {t_old} → {t_new}"
            elif uo is not None:
                note = f"`{uo[0].text}` (old version only): {self.old.leaf_truth(*uo)}"
            else:
                assert un is not None
                note = f"`{un[0].text}` (new version only): {self.new.leaf_truth(*un)}"
            decls = old.get(uo, frozenset()) if uo is not None else frozenset()
            decls |= new.get(un, frozenset()) if un is not None else frozenset()
            use = uo if uo is not None else un
            assert use is not None
            args = use[2]
            for decl in decls:
                via[(decl, args)].add(note)
        out: set[Cause] = set()
        for (decl, args), notes in via.items():
            o = n = None
            if decl.startswith("param:"):
                name = decl.split(":", 1)[1]
                o, n = self.old.param(name), self.new.param(name)
            out.add(Cause(decl, args, o, n, tuple(sorted(notes))))
        return out

    # ---- static dependencies (the fallback) -----------------------------------------
    def depends_on(self, roots: list[tuple[Node, Args]]) -> set[str]:
        """Every decisive change any of ``roots`` depends on, in either version."""
        seen: set[Node] = set()
        found: set[str] = set()
        stack = [node for node, _ in roots]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            change = self.change_of(node)
            if change is not None:
                found.add(change)
            for side in (self.old, self.new):
                for cond, _ in side.conds(node):
                    refs, leaves = _walk(cond)
                    stack.extend((r.kind, r.name, None) for r in refs)
                    for leaf in leaves:
                        found |= leaf_decls(leaf) & self.decisive
        return found

    # ---- one decision -----------------------------------------------------------------
    def roots(self, subject: str, provider: str) -> tuple[list[tuple[Node, Args]], Node]:
        """The nodes a subject's outcome is made of, and the node whose absence makes it absent."""
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            node: Node = ("credential", rest, None)
            return [(node, (provider,))], node
        if kind == "form":
            form, _, role = rest.partition(":")
            node = ("form", form, role)
            return [(node, (provider,))], node
        form, lead, rec = rest.split(":")
        return [
            (("form", form, "lead"), (lead,)),
            (("form", form, "recipient"), (rec,)),
            (("form", form, "pair"), (lead, rec)),
        ], ("form", form, "pair")

    def attribute(self, subject: str, provider: str, old: str, new: str) -> tuple[tuple[Cause, ...], Attribution]:
        roots, main = self.roots(subject, provider)
        if ABSENT in (old, new):
            change = self.change_of(main) or node_id(main)
            args = next(a for n, a in roots if n == main)
            return (Cause(change, args, old, new),), "declaration"
        causes: set[Cause] = set()
        for node, args in roots:
            causes |= self.visit(node, args)
        if causes:
            return self._sorted(causes), "truth"
        fallback = {Cause(d) for d in self.depends_on(roots)}
        return self._sorted(fallback), "fallback"

    def _sorted(self, causes: set[Cause]) -> tuple[Cause, ...]:
        """Top down: form parts, credentials, criteria, then what their comparisons read."""

        def key(c: Cause) -> tuple[int, int, tuple[str, ...], tuple[str, ...]]:
            kind = c.declaration.split(":", 1)[0]
            rank = CAUSE_KIND_ORDER.index(kind) if kind in CAUSE_KIND_ORDER else len(CAUSE_KIND_ORDER)
            return (rank, self.order.get(c.declaration, len(self.order)), c.providers, c.via)

        return tuple(sorted(causes, key=key))
