"""Rule normalisation and body scheduling shared by the backends.

A checked rule becomes a ``PlannedRule``: a head whose arguments are variables or constants, and an
ordered list of steps that every backend can run left to right:

- ``Scan(atom)`` -- a positive atom whose arguments are variables or constants (``_`` and arithmetic
  are replaced by fresh variables, the arithmetic moving into a comparison);
- ``Bind(var, expr)`` -- ``var = expr`` where ``expr`` only uses bound variables and ``var`` is new;
- ``Filter(op, left, right)`` -- a comparison over bound variables;
- ``AntiJoin(atom, existential)`` -- ``not atom``; its variables are bound except the fresh ones that
  stood for ``_`` (listed in ``existential``).

Scans keep the written order, except that atoms of the rule's own recursive component come first
(the left-recursive shape: a top-down engine then calls them with free arguments, and a semi-naive
round starts its join from the small delta). Every other step is placed as soon as its variables are
bound. Steps without variables are folded: a false filter or an undefined binding makes the rule
``never`` fire.

``plan_program`` groups rules by strongly connected component in evaluation order (dependencies first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from dataclasses import dataclass
from itertools import count
from typing import TypeAlias

from .checks import dependency_graph, existential_variables, sccs
from .columns import Columns
from .errors import DatalogError
from .ir import Atom, BinOp, Comparison, Const, Negation, Program, Rule, Term, Var, term_variables
from .values import UNDEFINED, arith, compare

__all__ = [
    "AntiJoin",
    "Bind",
    "Component",
    "Filter",
    "PlannedRule",
    "Scan",
    "Step",
    "arities",
    "plan_program",
    "plan_rule",
]


@dataclass(frozen=True, slots=True)
class Scan:
    atom: Atom


@dataclass(frozen=True, slots=True)
class Bind:
    var: str
    expr: Term

    @property
    def may_be_undefined(self) -> bool:
        return isinstance(self.expr, BinOp)


@dataclass(frozen=True, slots=True)
class Filter:
    op: str
    left: Term
    right: Term


@dataclass(frozen=True, slots=True)
class AntiJoin:
    atom: Atom
    existential: frozenset[str] = frozenset()


Step: TypeAlias = Scan | Bind | Filter | AntiJoin


@dataclass(frozen=True, slots=True)
class PlannedRule:
    rule: Rule
    head: Atom
    steps: tuple[Step, ...]
    never: bool = False

    @property
    def is_ground_fact(self) -> bool:
        return not self.steps and not self.never and all(isinstance(a, Const) for a in self.head.args)


@dataclass(frozen=True, slots=True)
class Component:
    """Predicates evaluated together, their rules, and whether they recurse (positively)."""

    preds: tuple[str, ...]
    rules: tuple[PlannedRule, ...]
    recursive: bool


def _fold(term: Term) -> object:
    """Evaluate a variable-free term."""
    if isinstance(term, Const):
        return term.value
    if isinstance(term, BinOp):
        return arith(term.op, _fold(term.left), _fold(term.right))
    raise AssertionError("not variable-free")


def _vars(term: Term) -> set[str]:
    return set(term_variables(term))


def plan_rule(rule: Rule, recursive_preds: frozenset[str] = frozenset()) -> PlannedRule:
    """Normalise and schedule one (checked, safe) rule."""
    used = {n for lit in (rule.head, *rule.body) for n in _literal_vars(lit)}
    counter = count()

    def fresh(prefix: str) -> str:
        while True:
            name = f"_{prefix}{next(counter)}"
            if name not in used:
                used.add(name)
                return name

    pending: list[Comparison | tuple[Atom, frozenset[str]]] = []

    head_args: list[Term] = []
    for arg in rule.head.args:
        if isinstance(arg, BinOp):
            name = fresh("h")
            pending.append(Comparison("=", Var(name), arg))
            head_args.append(Var(name))
        else:
            head_args.append(arg)
    head = Atom(rule.head.pred, tuple(head_args))

    named_existential = existential_variables(rule)
    positives: list[Atom] = []
    for index, lit in enumerate(rule.body):
        if isinstance(lit, Atom):
            args: list[Term] = []
            for arg in lit.args:
                if isinstance(arg, Var) and arg.is_anonymous:
                    args.append(Var(fresh("a")))
                elif isinstance(arg, BinOp):
                    name = fresh("t")
                    pending.append(Comparison("=", Var(name), arg))
                    args.append(Var(name))
                else:
                    args.append(arg)
            positives.append(Atom(lit.pred, tuple(args)))
        elif isinstance(lit, Negation):
            args = []
            existential: set[str] = set()
            renamed: dict[str, str] = {}  # a named existential variable: one fresh name for its occurrences
            for arg in lit.atom.args:
                if isinstance(arg, Var) and arg.is_anonymous:
                    name = fresh("a")
                    existential.add(name)
                    args.append(Var(name))
                elif isinstance(arg, Var) and arg.name in named_existential.get(index, ()):
                    name = renamed.setdefault(arg.name, fresh("e"))
                    existential.add(name)
                    args.append(Var(name))
                elif isinstance(arg, BinOp):
                    name = fresh("n")
                    pending.append(Comparison("=", Var(name), arg))
                    args.append(Var(name))
                else:
                    args.append(arg)
            pending.append((Atom(lit.atom.pred, tuple(args)), frozenset(existential)))
        else:
            pending.append(lit)

    positives.sort(key=lambda a: a.pred not in recursive_preds)  # stable: recursive atoms first
    steps: list[Step] = []
    bound: set[str] = set()
    never = False

    def flush() -> None:
        nonlocal never
        progress = True
        while progress:
            progress = False
            for item in list(pending):
                step: Step | None = None
                if isinstance(item, tuple):
                    atom, existential = item
                    if {n for a in atom.args for n in _vars(a)} - existential <= bound:
                        step = AntiJoin(atom, existential)
                elif _vars(item.left) | _vars(item.right) <= bound:
                    if not (_vars(item.left) | _vars(item.right)):
                        if not compare(item.op, _fold(item.left), _fold(item.right)):
                            never = True
                        pending.remove(item)
                        progress = True
                        continue
                    step = Filter(item.op, item.left, item.right)
                elif item.op == "=":
                    for target, source in ((item.left, item.right), (item.right, item.left)):
                        if isinstance(target, Var) and target.name not in bound and _vars(source) <= bound:
                            if not _vars(source):
                                value = _fold(source)
                                if value is UNDEFINED:
                                    never = True
                                    value = 0
                                assert isinstance(value, str | int | float | bool)
                                source = Const(value)
                            step = Bind(target.name, source)
                            bound.add(target.name)
                            break
                if step is not None:
                    steps.append(step)
                    pending.remove(item)
                    progress = True

    flush()
    for atom in positives:
        steps.append(Scan(atom))
        bound.update(n for a in atom.args for n in _vars(a))
        flush()
    if pending:
        raise DatalogError("datalog.unsafe-variable", f"cannot schedule {pending!r} (rule not checked?)")
    return PlannedRule(rule, head, tuple(steps), never)


def _literal_vars(lit: Atom | Negation | Comparison) -> set[str]:
    if isinstance(lit, Atom):
        return {n for a in lit.args for n in _vars(a)}
    if isinstance(lit, Negation):
        return _literal_vars(lit.atom)
    return _vars(lit.left) | _vars(lit.right)


def arities(program: Program, facts: Mapping[str, Sized | Columns]) -> dict[str, int]:
    """Every predicate of the program and of the facts with its arity (facts' rows decide)."""
    out: dict[str, int] = {}
    for rule in program.rules:
        out[rule.head.pred] = rule.head.arity
        for atom, _ in rule.atoms():
            out[atom.pred] = atom.arity
    for pred, rows in facts.items():
        if rows:
            out[pred] = rows.arity if isinstance(rows, Columns) else len(rows[0])  # type: ignore[index]
    return out


_PLANS: dict[int, tuple[Program, list[Component]]] = {}


def plan_program(program: Program) -> list[Component]:
    """Components in evaluation order, each with its planned rules (the plan of the last few
    programs is kept: the grace period evaluates one program on many earlier dates)."""
    hit = _PLANS.get(id(program))
    if hit is not None and hit[0] is program:
        return list(hit[1])
    planned = _plan_program(program)
    if len(_PLANS) >= 8:
        _PLANS.pop(next(iter(_PLANS)))
    _PLANS[id(program)] = (program, planned)
    return list(planned)


def _plan_program(program: Program) -> list[Component]:
    graph = dependency_graph(program)
    by_head: dict[str, list[Rule]] = {}
    for rule in program.rules:
        by_head.setdefault(rule.head.pred, []).append(rule)
    components: list[Component] = []
    for preds in sccs(graph):
        members = frozenset(preds)
        rules = [r for p in preds for r in by_head.get(p, [])]
        recursive = any(pos and atom.pred in members for r in rules for atom, pos in r.atoms())
        planned = tuple(plan_rule(r, members if recursive else frozenset()) for r in rules)
        components.append(Component(tuple(preds), planned, recursive))
    return components
