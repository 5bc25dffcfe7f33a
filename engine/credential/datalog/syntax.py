"""Textual Datalog (Soufflé conventions): a hand-written tokenizer, a recursive-descent parser and a printer.

Grammar (``.`` after a rule is optional; comments ``// ...`` and ``/* ... */``)::

    program    := rule*
    rule       := atom [":-" literal ("," literal)*] ["."]
    literal    := ("not" | "!") atom | atom | expr cmp expr
    atom       := IDENT "(" [expr ("," expr)*] ")"
    cmp        := "=" | "!=" | "<" | "<=" | ">" | ">="
    expr       := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := "-" NUMBER | "-" unary | primary
    primary    := NUMBER | STRING | "true" | "false" | IDENT | "(" expr ")"

Every identifier in an argument position is a variable (any case); ``_`` is anonymous. ``not``,
``true`` and ``false`` are keywords. ``-`` directly before a number makes a negative constant; before
anything else it means ``0 - x``. A line ``// origin: TEXT`` right before a rule sets its origin, so
``format_program`` output parses back with origins intact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import DatalogError
from .ir import (
    KEYWORDS,
    Atom,
    BinOp,
    BodyLiteral,
    Comparison,
    Const,
    Negation,
    Program,
    Rule,
    Term,
    Var,
)

__all__ = ["format_literal", "format_program", "format_rule", "format_term", "parse_program", "parse_rule"]

_ORIGIN_PREFIX = "// origin: "
_PUNCT = (":-", "!=", "<=", ">=", "(", ")", ",", ".", "!", "<", ">", "=", "+", "-", "*", "/")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_CMP_OPS = ("=", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "ident", "number", "string", "punct", "origin", "eof"
    text: str
    value: object
    line: int
    column: int


def _error(message: str, line: int, column: int) -> DatalogError:
    return DatalogError("datalog.parse", f"line {line}, column {column}: {message}", line=line, column=column)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, line_start, n = 0, 1, 0, len(text)
    while i < n:
        c = text[i]
        col = i - line_start + 1
        if c == "\n":
            i += 1
            line, line_start = line + 1, i
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            comment = text[i:end].rstrip("\r")
            if comment.startswith(_ORIGIN_PREFIX):
                origin = comment[len(_ORIGIN_PREFIX) :]
                tokens.append(_Token("origin", comment, origin, line, col))
            i = end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _error("unterminated comment", line, col)
            for j in range(i, end):
                if text[j] == "\n":
                    line, line_start = line + 1, j + 1
            i = end + 2
            continue
        if c.isascii() and (c.isalpha() or c == "_"):
            j = i + 1
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(_Token("ident", text[i:j], text[i:j], line, col))
            i = j
            continue
        if c.isascii() and c.isdigit():
            i = _number(text, i, line, col, tokens)
            continue
        if c == '"':
            i = _string(text, i, line, col, tokens)
            continue
        for p in _PUNCT:
            if text.startswith(p, i):
                tokens.append(_Token("punct", p, p, line, col))
                i += len(p)
                break
        else:
            raise _error(f"unexpected character {c!r}", line, col)
    tokens.append(_Token("eof", "", None, line, i - line_start + 1))
    return tokens


def _digits(text: str, j: int) -> int:
    while j < len(text) and text[j].isascii() and text[j].isdigit():
        j += 1
    return j


def _number(text: str, i: int, line: int, col: int, tokens: list[_Token]) -> int:
    j = _digits(text, i)
    is_float = False
    if j + 1 < len(text) and text[j] == "." and text[j + 1].isascii() and text[j + 1].isdigit():
        j = _digits(text, j + 1)
        is_float = True
    if j < len(text) and text[j] in "eE":
        k = j + 1
        if k < len(text) and text[k] in "+-":
            k += 1
        if k < len(text) and text[k].isascii() and text[k].isdigit():
            j = _digits(text, k)
            is_float = True
    lexeme = text[i:j]
    if j < len(text) and text[j].isascii() and (text[j].isalpha() or text[j] == "_"):
        raise _error(f"malformed number {text[i : j + 1]!r}", line, col)
    value: int | float
    if is_float:
        value = float(lexeme)
        if not math.isfinite(value):
            raise _error(f"number {lexeme} is out of range", line, col)
    else:
        value = int(lexeme)
    tokens.append(_Token("number", lexeme, value, line, col))
    return j


def _string(text: str, i: int, line: int, col: int, tokens: list[_Token]) -> int:
    out: list[str] = []
    j = i + 1
    n = len(text)
    while True:
        if j >= n or text[j] == "\n":
            raise _error("unterminated string", line, col)
        c = text[j]
        if c == '"':
            break
        if c != "\\":
            out.append(c)
            j += 1
            continue
        if j + 1 >= n:
            raise _error("unterminated string", line, col)
        e = text[j + 1]
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
            j += 2
        elif e in "uU":
            width = 4 if e == "u" else 8
            digits = text[j + 2 : j + 2 + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise _error(f"bad escape \\{e}{digits}", line, col + (j - i))
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise _error(f"bad escape \\{e}{digits}", line, col + (j - i))
            out.append(chr(code))
            j += 2 + width
        else:
            raise _error(f"bad escape \\{e}", line, col + (j - i))
    tokens.append(_Token("string", text[i : j + 1], "".join(out), line, col))
    return j + 1


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    # token helpers (origin tokens are skipped everywhere but before a rule)
    def _skip_origins(self) -> None:
        while self.tokens[self.pos].kind == "origin":
            self.pos += 1

    def peek(self, offset: int = 0) -> _Token:
        self._skip_origins()
        k = self.pos
        while True:
            if self.tokens[k].kind == "eof":
                return self.tokens[k]
            if self.tokens[k].kind != "origin":
                if offset == 0:
                    return self.tokens[k]
                offset -= 1
            k += 1

    def next(self) -> _Token:
        tok = self.peek()
        self.pos += 1
        return tok

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok.kind == "punct" and tok.text == text

    def expect(self, text: str, what: str | None = None) -> _Token:
        tok = self.peek()
        if tok.kind == "punct" and tok.text == text:
            return self.next()
        raise self.unexpected(tok, what or f"'{text}'")

    def unexpected(self, tok: _Token, expected: str) -> DatalogError:
        found = "end of input" if tok.kind == "eof" else repr(tok.text)
        return _error(f"expected {expected}, found {found}", tok.line, tok.column)

    # grammar
    def program(self) -> Program:
        rules: list[Rule] = []
        while True:
            origin = None
            while self.tokens[self.pos].kind == "origin":
                origin = str(self.tokens[self.pos].value)
                self.pos += 1
            if self.peek().kind == "eof":
                return Program(tuple(rules))
            rules.append(self.rule(origin))

    def rule(self, origin: str | None) -> Rule:
        head = self.atom()
        body: list[BodyLiteral] = []
        if self.at(":-"):
            self.next()
            body.append(self.literal())
            while self.at(","):
                self.next()
                body.append(self.literal())
        if self.at("."):
            self.next()
        else:
            tok = self.peek()
            if not (tok.kind == "eof" or tok.kind == "ident"):
                raise self.unexpected(tok, "',' or '.'" if body else "':-' or '.'")
        return Rule(head, tuple(body), origin)

    def atom(self) -> Atom:
        tok = self.peek()
        if tok.kind != "ident" or tok.text in KEYWORDS or tok.text == "_":
            raise self.unexpected(tok, "a predicate name")
        self.next()
        self.expect("(", "'(' after the predicate name")
        args: list[Term] = []
        if not self.at(")"):
            args.append(self.expr())
            while self.at(","):
                self.next()
                args.append(self.expr())
        self.expect(")", "',' or ')'")
        return Atom(tok.text, tuple(args))

    def literal(self) -> BodyLiteral:
        tok = self.peek()
        if (tok.kind == "ident" and tok.text == "not") or (tok.kind == "punct" and tok.text == "!"):
            self.next()
            return Negation(self.atom())
        nxt = self.peek(1)
        if (
            tok.kind == "ident"
            and tok.text not in KEYWORDS
            and tok.text != "_"
            and nxt.kind == "punct"
            and nxt.text == "("
        ):
            return self.atom()
        left = self.expr()
        op = self.peek()
        if op.kind != "punct" or op.text not in _CMP_OPS:
            raise self.unexpected(op, "a comparison operator (= != < <= > >=)")
        self.next()
        return Comparison(op.text, left, self.expr())

    def expr(self) -> Term:
        left = self.term()
        while self.at("+") or self.at("-"):
            op = self.next().text
            left = BinOp(op, left, self.term())
        return left

    def term(self) -> Term:
        left = self.unary()
        while self.at("*") or self.at("/"):
            op = self.next().text
            left = BinOp(op, left, self.unary())
        return left

    def unary(self) -> Term:
        if self.at("-"):
            self.next()
            tok = self.peek()
            if tok.kind == "number":
                self.next()
                assert isinstance(tok.value, int | float)
                return Const(-tok.value)
            return BinOp("-", Const(0), self.unary())
        return self.primary()

    def primary(self) -> Term:
        tok = self.peek()
        if tok.kind == "number" or tok.kind == "string":
            self.next()
            assert isinstance(tok.value, int | float | str)
            return Const(tok.value)
        if tok.kind == "ident":
            if tok.text == "true" or tok.text == "false":
                self.next()
                return Const(tok.text == "true")
            if tok.text == "not":
                raise self.unexpected(tok, "a term")
            self.next()
            if self.at("("):
                raise _error(f"'{tok.text}(' is an atom, which cannot be used as a term", tok.line, tok.column)
            return Var(tok.text)
        if tok.kind == "punct" and tok.text == "(":
            self.next()
            inner = self.expr()
            self.expect(")")
            return inner
        raise self.unexpected(tok, "a term")


def parse_program(text: str) -> Program:
    """Parse Datalog text into a ``Program`` (raises ``DatalogError`` with code ``datalog.parse``)."""
    return _Parser(text).program()


def parse_rule(text: str) -> Rule:
    """Parse exactly one rule (or fact)."""
    program = parse_program(text)
    if len(program.rules) != 1:
        raise DatalogError("datalog.parse", f"expected exactly one rule, found {len(program.rules)}")
    return program.rules[0]


# printing

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _format_string(s: str) -> str:
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c.isprintable():
            out.append(c)
        elif ord(c) <= 0xFFFF:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)


def _format_const(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _format_string(value)
    return repr(value)


def format_term(term: Term) -> str:
    """Print a term with the fewest parentheses that parse back to the same tree."""
    if isinstance(term, Var):
        return term.name
    if isinstance(term, Const):
        return _format_const(term.value)
    prec = _PRECEDENCE[term.op]
    left = format_term(term.left)
    if isinstance(term.left, BinOp) and _PRECEDENCE[term.left.op] < prec:
        left = f"({left})"
    right = format_term(term.right)
    if isinstance(term.right, BinOp) and _PRECEDENCE[term.right.op] <= prec:
        right = f"({right})"
    return f"{left} {term.op} {right}"


def _format_atom(atom: Atom) -> str:
    return f"{atom.pred}({', '.join(format_term(a) for a in atom.args)})"


def format_literal(literal: BodyLiteral) -> str:
    if isinstance(literal, Atom):
        return _format_atom(literal)
    if isinstance(literal, Negation):
        return f"not {_format_atom(literal.atom)}"
    return f"{format_term(literal.left)} {literal.op} {format_term(literal.right)}"


def format_rule(rule: Rule) -> str:
    """``head :- body.`` on one line (origins are printed by ``format_program``)."""
    head = _format_atom(rule.head)
    if not rule.body:
        return f"{head}."
    return f"{head} :- {', '.join(format_literal(lit) for lit in rule.body)}."


def format_program(program: Program, with_origins: bool = True) -> str:
    """One rule per line; a rule with an origin is preceded by ``// origin: <origin>``."""
    lines: list[str] = []
    for rule in program.rules:
        if with_origins and rule.origin is not None:
            lines.append(_ORIGIN_PREFIX + rule.origin)
        lines.append(format_rule(rule))
    return "".join(line + "\n" for line in lines)
