"""Choosing test cases as pytest does: ids (``FILE::TEST::CASE``) and ``-k`` expressions.

A ``-k`` expression is made of words, ``and``, ``or``, ``not`` and parentheses; a word matches a
case when it is a substring of the case's id (case-insensitive), e.g. ``-k partner``,
``-k "dalton_2014 and not fixture"``, ``-k "(RM3 or R0A) and lead"``.  It is parsed here, never
evaluated as code; a malformed expression raises ``UsageError`` (``usage.bad-argument``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from credential.errors import UsageError
from credential.testing.spec import CaseSpec, PolicyTest

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


def case_id(test: PolicyTest, case: CaseSpec) -> str:
    return f"{test.file}::{test.name}::{case.name}"


def keyword_matcher(expr: str) -> Callable[[str], bool]:
    """A predicate on case ids for a ``-k`` expression."""
    tokens = [m.group(1) for m in _TOKEN.finditer(expr)]
    pos = 0

    def bad(why: str) -> UsageError:
        return UsageError("usage.bad-argument", f"-k {expr!r}: {why}")

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        tok = peek()
        if tok is None:
            raise bad("the expression ends too early")
        pos += 1
        return tok

    def p_or() -> Callable[[str], bool]:
        left = p_and()
        while peek() == "or":
            take()
            left = _either(left, p_and())
        return left

    def p_and() -> Callable[[str], bool]:
        left = p_not()
        while peek() == "and":
            take()
            left = _both(left, p_not())
        return left

    def p_not() -> Callable[[str], bool]:
        if peek() == "not":
            take()
            inner = p_not()
            return lambda s: not inner(s)
        return p_atom()

    def p_atom() -> Callable[[str], bool]:
        tok = take()
        if tok == "(":
            inner = p_or()
            if take() != ")":
                raise bad("a `(` is not closed")
            return inner
        if tok in (")", "and", "or"):
            raise bad(f"unexpected `{tok}`")
        word = tok.lower()
        return lambda s: word in s.lower()

    if not tokens:
        raise bad("empty expression")
    match = p_or()
    if pos != len(tokens):
        raise bad(f"unexpected `{tokens[pos]}`")
    return match


def _either(a: Callable[[str], bool], b: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda s: a(s) or b(s)


def _both(a: Callable[[str], bool], b: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda s: a(s) and b(s)


def select_cases(tests: list[PolicyTest], keyword: str | None) -> list[PolicyTest]:
    """The tests with only the cases ``keyword`` selects (tests left with none are dropped)."""
    if not keyword:
        return tests
    match = keyword_matcher(keyword)
    out = []
    for t in tests:
        cases = tuple(c for c in t.cases if match(case_id(t, c)))
        if cases:
            out.append(dataclasses.replace(t, cases=cases))
    return out
