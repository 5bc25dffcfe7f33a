"""Spans (character offsets) to LSP positions (lines and UTF-16 code units), and back."""

from __future__ import annotations

from lsprotocol import types

from credential.span import SourceFile, Span


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position(source: SourceFile, offset: int) -> types.Position:
    """The LSP position of a character offset."""
    line, column = source.line_col(offset)
    prefix = source.line_text(line)[: column - 1]
    return types.Position(line=line - 1, character=_utf16_len(prefix))


def span_range(span: Span) -> types.Range:
    return types.Range(start=position(span.source, span.start), end=position(span.source, span.end))


def offset(source: SourceFile, pos: types.Position) -> int:
    """The character offset of an LSP position (clamped to the text)."""
    text = source.text
    start = 0
    for _ in range(pos.line):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    end = text.find("\n", start)
    line = text[start : len(text) if end < 0 else end]
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line.rstrip("\r"))


def whole(source: SourceFile) -> types.Range:
    """The range of the whole text."""
    return types.Range(start=types.Position(line=0, character=0), end=position(source, len(source.text)))
