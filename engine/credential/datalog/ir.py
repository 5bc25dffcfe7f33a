"""The Datalog IR: frozen dataclasses for terms, literals, rules and programs.

Terms are variables, constants (str, int, float, bool) and arithmetic (``BinOp``). A rule body holds
positive atoms, negated atoms and comparisons. A rule with an empty body is a fact (its head may
still hold arithmetic over constants). ``Rule.origin`` records where a rule came from (for instance
``policy.credential:12:5``) and, like a source location, is ignored by equality.

Constants compare by type and value, so ``Const(1)``, ``Const(1.0)`` and ``Const(True)`` are three
different nodes (they print differently). Names are validated on construction so that every IR value
can be printed as text that parses back to it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from .errors import DatalogError

__all__ = [
    "ARITHMETIC_OPS",
    "COMPARISON_OPS",
    "KEYWORDS",
    "Atom",
    "BinOp",
    "BodyLiteral",
    "Comparison",
    "Const",
    "Negation",
    "Program",
    "Rule",
    "Term",
    "Value",
    "Var",
    "check_value",
    "is_identifier",
    "term_variables",
]

Value: TypeAlias = str | int | float | bool

ARITHMETIC_OPS: frozenset[str] = frozenset({"+", "-", "*", "/"})
COMPARISON_OPS: frozenset[str] = frozenset({"=", "!=", "<", "<=", ">", ">="})
KEYWORDS: frozenset[str] = frozenset({"not", "true", "false"})

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_identifier(name: str) -> bool:
    """True if ``name`` can be written as a predicate or variable name (keywords excluded)."""
    return bool(_IDENT.match(name)) and name not in KEYWORDS


def check_value(value: object) -> Value:
    """Return ``value`` if it belongs to the Datalog value domain, else raise ``datalog.invalid-value``."""
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DatalogError("datalog.invalid-value", f"non-finite float {value!r} is not a Datalog value")
        return value
    raise DatalogError(
        "datalog.invalid-value",
        f"{value!r} of type {type(value).__name__} is not a Datalog value (str, int, float or bool)",
    )


@dataclass(frozen=True, slots=True)
class Var:
    """A variable; the name ``_`` is anonymous (each occurrence is a fresh variable)."""

    name: str

    def __post_init__(self) -> None:
        if self.name != "_" and not is_identifier(self.name):
            raise DatalogError("datalog.invalid-name", f"{self.name!r} is not a valid variable name")

    @property
    def is_anonymous(self) -> bool:
        return self.name == "_"


def _const_key(value: Value) -> tuple[str, Value]:
    return (type(value).__name__, value)


@dataclass(frozen=True, slots=True)
class Const:
    """A constant. Equality is by type and value: ``Const(1) != Const(True) != Const(1.0)``."""

    value: Value = field(compare=False)
    _key: tuple[str, Value] = field(init=False, repr=False, compare=True)

    def __post_init__(self) -> None:
        check_value(self.value)
        object.__setattr__(self, "_key", _const_key(self.value))


@dataclass(frozen=True, slots=True)
class BinOp:
    """Arithmetic ``left op right`` with ``op`` one of ``+ - * /``."""

    op: str
    left: Term
    right: Term

    def __post_init__(self) -> None:
        if self.op not in ARITHMETIC_OPS:
            raise ValueError(f"unknown arithmetic operator {self.op!r}")


Term: TypeAlias = Var | Const | BinOp


@dataclass(frozen=True, slots=True)
class Atom:
    """``pred(args...)``; zero-arity atoms are written ``pred()``."""

    pred: str
    args: tuple[Term, ...] = ()

    def __post_init__(self) -> None:
        if not is_identifier(self.pred):
            raise DatalogError("datalog.invalid-name", f"{self.pred!r} is not a valid predicate name")
        if not isinstance(self.args, tuple):
            object.__setattr__(self, "args", tuple(self.args))

    @property
    def arity(self) -> int:
        return len(self.args)


@dataclass(frozen=True, slots=True)
class Negation:
    """``not atom`` (also written ``!atom``)."""

    atom: Atom


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left op right`` with ``op`` one of ``= != < <= > >=``."""

    op: str
    left: Term
    right: Term

    def __post_init__(self) -> None:
        if self.op not in COMPARISON_OPS:
            raise ValueError(f"unknown comparison operator {self.op!r}")


BodyLiteral: TypeAlias = Atom | Negation | Comparison


@dataclass(frozen=True, slots=True)
class Rule:
    """``head :- body.``; an empty body makes a fact. ``origin`` is ignored by equality."""

    head: Atom
    body: tuple[BodyLiteral, ...] = ()
    origin: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.body, tuple):
            object.__setattr__(self, "body", tuple(self.body))
        if self.origin is not None and ("\n" in self.origin or "\r" in self.origin):
            raise ValueError("a rule origin must fit on one line")

    @property
    def is_fact(self) -> bool:
        return not self.body

    def atoms(self) -> Iterator[tuple[Atom, bool]]:
        """Every body atom with its polarity (True for positive)."""
        for lit in self.body:
            if isinstance(lit, Atom):
                yield lit, True
            elif isinstance(lit, Negation):
                yield lit.atom, False


@dataclass(frozen=True, slots=True)
class Program:
    """An ordered collection of rules (facts included)."""

    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.rules, tuple):
            object.__setattr__(self, "rules", tuple(self.rules))

    def __add__(self, other: Program) -> Program:
        return Program(self.rules + other.rules)

    def predicates(self) -> list[str]:
        """Every predicate named in the program, in order of first appearance."""
        seen: dict[str, None] = {}
        for rule in self.rules:
            seen.setdefault(rule.head.pred)
            for atom, _ in rule.atoms():
                seen.setdefault(atom.pred)
        return list(seen)


def term_variables(term: Term) -> Iterator[str]:
    """Names of the variables in ``term`` (``_`` included), left to right."""
    if isinstance(term, Var):
        yield term.name
    elif isinstance(term, BinOp):
        yield from term_variables(term.left)
        yield from term_variables(term.right)
