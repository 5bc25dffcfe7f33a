"""``credential.datalog``: a small standard Datalog -- IR, textual syntax, static checks, backends.

Programs are built as IR (``Program``/``Rule``/``Atom``...) or parsed from Soufflé-style text; the
static checks (arity, safety, stratification) run before any backend sees a program; backends
(``pydatalog``, ``duckdb``) compute the model. See docs/datalog.md.
"""

from __future__ import annotations

from .backend import Backend, available_backends, get_backend, register_backend
from .checks import check_program, find_errors, stratify
from .errors import DatalogError
from .evaluate import Model, evaluate, evaluate_program
from .ir import Atom, BinOp, BodyLiteral, Comparison, Const, Negation, Program, Rule, Term, Value, Var
from .limits import DEFAULT_LIMITS, Limits
from .syntax import format_program, format_rule, format_term, parse_program, parse_rule

__all__ = [
    "DEFAULT_LIMITS",
    "Atom",
    "Backend",
    "BinOp",
    "BodyLiteral",
    "Comparison",
    "Const",
    "DatalogError",
    "Limits",
    "Model",
    "Negation",
    "Program",
    "Rule",
    "Term",
    "Value",
    "Var",
    "available_backends",
    "check_program",
    "evaluate",
    "evaluate_program",
    "find_errors",
    "format_program",
    "format_rule",
    "format_term",
    "get_backend",
    "parse_program",
    "parse_rule",
    "register_backend",
    "stratify",
]
