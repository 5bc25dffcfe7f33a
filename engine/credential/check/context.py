"""Shared state of the check passes: the parsed files, the symbol table, diagnostics."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from credential.check import ir
from credential.diagnostics import Diagnostic, Label, error, warning
from credential.span import Span
from credential.syntax import ast
from credential.types import ValueType

DECL_KINDS = ("source", "scale", "attribute", "measure", "status", "param", "criterion", "credential", "form")


@dataclass
class Symbol:
    kind: str
    name: str
    decl: Any
    span: Span


@dataclass
class CheckContext:
    files: list[ast.PolicyFile]
    root: ast.PolicyFile
    diagnostics: list[Diagnostic] = field(default_factory=list)
    symbols: dict[str, Symbol] = field(default_factory=dict)
    policy: ast.PolicyDecl | None = None
    # filled by later passes
    types: dict[str, ValueType] = field(default_factory=dict)  # scale name -> type
    attributes: dict[str, ValueType] = field(default_factory=dict)
    measures: dict[str, ValueType] = field(default_factory=dict)
    params: dict[str, ir.Param] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # attribute or measure -> its declared unit
    scopes: dict[str, ir.CIn] = field(default_factory=dict)  # criterion -> its `applies to` condition
    rules: dict[str, ir.Rule] = field(default_factory=dict)
    forms: dict[str, ir.Form] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # names referenced anywhere
    rule_deps: dict[str, set[str]] = field(default_factory=dict)  # criterion/credential -> rules it names

    def error(
        self, code: str, message: str, span: Span | None, help: str | None = None, labels: tuple[Label, ...] = ()
    ) -> None:
        self.diagnostics.append(error(code, message, span, help, labels))

    def warn(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(warning(code, message, span, help))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    def decls(self) -> Iterable[ast.Decl]:
        for f in self.files:
            yield from f.decls

    def kind_of(self, name: str) -> str | None:
        sym = self.symbols.get(name)
        return sym.kind if sym else None

    def suggest(self, name: str, candidates: Iterable[str]) -> str | None:
        matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
        return f"did you mean `{matches[0]}`?" if matches else None

    def unknown(self, ident: ast.Ident, what: str, candidates: Iterable[str]) -> None:
        self.error(
            "check.unknown-name",
            f"unknown {what} `{ident.name}`",
            ident.span,
            self.suggest(ident.name, candidates),
        )
