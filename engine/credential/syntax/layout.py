"""Line layout: turns physical lines into logical lines for the LALR parser.

* The first token of each logical line decides its indentation (its column - 1).
* A line indented deeper than the current *indented* logical line continues it: no
  token is emitted, so a long condition may be broken over several lines.
* Otherwise the previous logical line ends (``_NL``) and, if the new line is indented,
  an ``_IND`` token marks it as a clause of the declaration above.
* Parenthesis nesting is capped so hostile input cannot exhaust the recursion of later
  stages.
"""

from __future__ import annotations

from collections.abc import Iterator

from lark import Token

MAX_NESTING = 64


class NestingTooDeep(Exception):
    def __init__(self, token: Token):
        self.token = token
        super().__init__("nesting too deep")


class Layout:
    """A Lark post-lexer (see module docstring)."""

    always_accept: tuple[str, ...] = ("NEWLINE",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        line_indent: int | None = None
        pending_newline = False
        depth = 0
        last: Token | None = None
        for tok in stream:
            if tok.type == "NEWLINE":
                if line_indent is not None:
                    pending_newline = True
                continue
            indent = (tok.column or 1) - 1
            if line_indent is None:
                if indent > 0:
                    yield Token.new_borrow_pos("_IND", "", tok)
                line_indent = indent
            elif pending_newline and not (line_indent > 0 and indent > line_indent):
                yield Token.new_borrow_pos("_NL", "", last or tok)
                if indent > 0:
                    yield Token.new_borrow_pos("_IND", "", tok)
                line_indent = indent
            pending_newline = False
            if tok.type == "LPAR":
                depth += 1
                if depth > MAX_NESTING:
                    raise NestingTooDeep(tok)
            elif tok.type == "RPAR":
                depth = max(0, depth - 1)
            last = tok
            yield tok
        if line_indent is not None and last is not None:
            yield Token.new_borrow_pos("_NL", "", last)
