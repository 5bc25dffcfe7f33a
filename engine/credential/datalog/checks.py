"""Static checks run before any backend sees a program: arity, safety, stratification.

Safety (``datalog.unsafe-variable``). A variable is *bound* if it is a direct argument of a positive
body atom, or if it stands alone on one side of an ``=`` whose other side only uses bound variables
(``Y = X + 1`` binds ``Y`` once ``X`` is bound; this is applied until nothing changes). Every variable
of the head, of a negated atom, of a comparison and of arithmetic must be bound; ``_`` may not appear in
the head, in a comparison or in arithmetic. ``_`` in a negated atom is existential:
``not edge(X, _)`` holds when ``X`` has no outgoing edge. So is a named variable that occurs in one
negated atom and nowhere else in the rule (Nemo's and Soufflé's reading): ``not edge(X, Y)`` with ``Y``
unbound elsewhere means "no ``Y`` exists", and ``not edge(X, Y, Y)`` "no ``Y`` with ``edge(X, Y, Y)``".
A variable that occurs in two negated atoms, or inside arithmetic in one, is not existential: it must
be bound (the two readings, one ``Y`` or two, differ, so the program has to say which).

Stratification (``datalog.unstratifiable``): no cycle in the predicate dependency graph may go
through a negated edge. ``stratify`` returns the strata, lowest first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from itertools import pairwise

from .errors import DatalogError
from .ir import Atom, BinOp, Comparison, Negation, Program, Rule, Term, Var, term_variables
from .syntax import format_rule

__all__ = [
    "check_program",
    "dependency_graph",
    "existential_variables",
    "find_errors",
    "predicate_arities",
    "rule_safety_errors",
    "sccs",
    "stratify",
]


def _where(rule: Rule) -> str:
    return f" (rule from {rule.origin})" if rule.origin else ""


# arity


def predicate_arities(program: Program) -> dict[str, set[int]]:
    """Every arity each predicate is used with in the program."""
    arities: dict[str, set[int]] = {}
    for rule in program.rules:
        arities.setdefault(rule.head.pred, set()).add(rule.head.arity)
        for atom, _ in rule.atoms():
            arities.setdefault(atom.pred, set()).add(atom.arity)
    return arities


def _arity_errors(program: Program, fact_arities: Mapping[str, int]) -> list[DatalogError]:
    used: dict[str, dict[int, str]] = {}
    for pred, arity in fact_arities.items():
        used.setdefault(pred, {})[arity] = "the facts"
    for rule in program.rules:
        atoms = [rule.head, *(a for a, _ in rule.atoms())]
        for atom in atoms:
            used.setdefault(atom.pred, {}).setdefault(atom.arity, f"rule `{format_rule(rule)}`{_where(rule)}")
    errors = []
    for pred, by_arity in used.items():
        if len(by_arity) > 1:
            detail = "; ".join(f"arity {a} in {w}" for a, w in sorted(by_arity.items()))
            errors.append(
                DatalogError("datalog.arity-mismatch", f"predicate {pred} is used with several arities: {detail}")
            )
    return errors


# safety


def _is_single_var(term: Term) -> bool:
    return isinstance(term, Var) and not term.is_anonymous


def _bound_variables(rule: Rule) -> set[str]:
    bound: set[str] = set()
    for lit in rule.body:
        if isinstance(lit, Atom):
            bound.update(a.name for a in lit.args if isinstance(a, Var) and not a.is_anonymous)
    equalities = [c for c in rule.body if isinstance(c, Comparison) and c.op == "="]
    changed = True
    while changed:
        changed = False
        for c in equalities:
            for target, source in ((c.left, c.right), (c.right, c.left)):
                if (
                    isinstance(target, Var)
                    and _is_single_var(target)
                    and target.name not in bound
                    and "_" not in set(term_variables(source))
                    and set(term_variables(source)) <= bound
                ):
                    bound.add(target.name)
                    changed = True
    return bound


def existential_variables(rule: Rule) -> dict[int, frozenset[str]]:
    """The named existential variables of each negated body literal, by its index in ``rule.body``.

    A variable is existential in ``not q(...)`` when it stands there as a direct argument (possibly
    more than once), not inside arithmetic, and occurs nowhere else in the rule.
    """
    elsewhere: set[str] = {n for a in rule.head.args for n in term_variables(a)}
    direct: dict[int, set[str]] = {}
    seen_in: dict[str, int] = {}
    for i, lit in enumerate(rule.body):
        if isinstance(lit, Atom):
            elsewhere.update(n for a in lit.args for n in term_variables(a))
        elif isinstance(lit, Negation):
            names = {a.name for a in lit.atom.args if isinstance(a, Var) and not a.is_anonymous}
            inside = {n for a in lit.atom.args if isinstance(a, BinOp) for n in term_variables(a)}
            elsewhere.update(inside)
            for name in names:
                if seen_in.setdefault(name, i) != i:
                    elsewhere.add(name)  # in two negated atoms
            direct[i] = names
        else:
            elsewhere.update(term_variables(lit.left))
            elsewhere.update(term_variables(lit.right))
    return {i: frozenset(names - elsewhere) for i, names in direct.items() if names - elsewhere}


def rule_safety_errors(rule: Rule) -> list[DatalogError]:
    """Every safety problem of one rule (see the module docstring)."""
    bound = _bound_variables(rule)
    existential = existential_variables(rule)
    errors: list[DatalogError] = []
    text = format_rule(rule)

    def report(message: str) -> None:
        errors.append(
            DatalogError("datalog.unsafe-variable", f"{message} in `{text}`{_where(rule)}", origin=rule.origin)
        )

    def check_terms(
        terms: Iterable[Term], where: str, allow_anonymous: bool, free: frozenset[str] | None = None
    ) -> None:
        """``free``: in a negated atom, its existential variables (arithmetic there is named as such)."""
        for term in terms:
            place = f"in arithmetic {where}" if isinstance(term, BinOp) and free is not None else where
            for name in term_variables(term):
                if name == "_":
                    if not allow_anonymous or isinstance(term, BinOp):
                        report(f"anonymous variable _ {place}")
                elif name not in bound and not (free and name in free and isinstance(term, Var)):
                    report(f"variable {name} {place} is not bound by a positive body atom")

    check_terms(rule.head.args, "in the head", allow_anonymous=False)
    for i, lit in enumerate(rule.body):
        if isinstance(lit, Atom):
            check_terms((a for a in lit.args if isinstance(a, BinOp)), f"in arithmetic in {lit.pred}(...)", False)
        elif isinstance(lit, Negation):
            free = existential.get(i, frozenset())
            check_terms(lit.atom.args, f"in `not {lit.atom.pred}(...)`", allow_anonymous=True, free=free)
        else:
            check_terms((lit.left, lit.right), "in a comparison", allow_anonymous=False)
    # report each (message) once
    unique: dict[str, DatalogError] = {}
    for e in errors:
        unique.setdefault(e.message, e)
    return list(unique.values())


# stratification


def dependency_graph(program: Program) -> dict[str, dict[str, bool]]:
    """head -> {body predicate: True if some dependency is positive only, False if any is negative}."""
    graph: dict[str, dict[str, bool]] = {p: {} for p in program.predicates()}
    for rule in program.rules:
        deps = graph[rule.head.pred]
        for atom, positive in rule.atoms():
            deps[atom.pred] = deps.get(atom.pred, True) and positive
    return graph


def sccs(graph: Mapping[str, Mapping[str, object]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), dependencies before dependents."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, list(graph.get(root, {})))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, succs = work[-1]
            if succs:
                nxt = succs.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, list(graph.get(nxt, {}))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(sorted(component))
    return out


def _cycle_text(graph: Mapping[str, Mapping[str, bool]], head: str, neg: str, members: set[str]) -> str:
    # shortest path neg -> ... -> head inside the component
    previous: dict[str, str | None] = {neg: None}
    queue = deque([neg])
    while queue:
        node = queue.popleft()
        if node == head:
            break
        for succ in sorted(graph.get(node, {})):
            if succ in members and succ not in previous:
                previous[succ] = node
                queue.append(succ)
    if head == neg:
        return f"{head} -> not {head}"
    path = [head]
    step: str | None = previous.get(head)
    while step is not None:
        path.append(step)
        step = previous[step]
    path.reverse()  # neg ... head
    parts = [head, f"not {neg}"]
    for a, b in pairwise(path):
        parts.append(f"not {b}" if graph[a][b] is False else b)
    return " -> ".join(parts)


def _strata(program: Program) -> tuple[list[list[str]], list[DatalogError]]:
    graph = dependency_graph(program)
    components = sccs(graph)
    errors: list[DatalogError] = []
    level: dict[str, int] = {}
    for component in components:
        members = set(component)
        for head in component:
            for dep, positive in sorted(graph[head].items()):
                if dep in members and not positive:
                    errors.append(
                        DatalogError(
                            "datalog.unstratifiable",
                            "negation through recursion: " + _cycle_text(graph, head, dep, members),
                        )
                    )
        stratum = 0
        for head in component:
            for dep, positive in graph[head].items():
                if dep not in members:
                    stratum = max(stratum, level[dep] + (0 if positive else 1))
        for head in component:
            level[head] = stratum
    strata: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for pred, lv in level.items():
        strata[lv].append(pred)
    return [sorted(s) for s in strata], errors


def stratify(program: Program) -> list[list[str]]:
    """Predicates grouped by stratum, lowest first; raises ``datalog.unstratifiable``."""
    strata, errors = _strata(program)
    if errors:
        raise errors[0]
    return strata


# all together


def find_errors(program: Program, fact_arities: Mapping[str, int] | None = None) -> list[DatalogError]:
    """Every static problem: arity mismatches, then unsafe variables, then negation cycles."""
    errors = _arity_errors(program, fact_arities or {})
    for rule in program.rules:
        errors.extend(rule_safety_errors(rule))
    errors.extend(_strata(program)[1])
    return errors


def check_program(program: Program, fact_arities: Mapping[str, int] | None = None) -> None:
    """Raise the first problem ``find_errors`` reports, if any."""
    errors = find_errors(program, fact_arities)
    if errors:
        raise errors[0]
