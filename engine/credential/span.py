"""Source files and spans: where every piece of policy text came from.

A :class:`Span` is a half-open character range in a :class:`SourceFile`; lines and
columns are 1-based.  AST and IR nodes carry a span that equality ignores, so two
policies that say the same thing compare equal wherever they were written.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True, eq=False)
class SourceFile:
    """A named piece of text with a line index."""

    path: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        for i, ch in enumerate(self.text):
            if ch == "\n":
                starts.append(i + 1)
        object.__setattr__(self, "_line_starts", tuple(starts))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        idx = bisect.bisect_right(self._line_starts, offset) - 1
        return idx + 1, offset - self._line_starts[idx] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def span(self, start: int, end: int) -> Span:
        return Span(self, start, max(start, end))


@dataclass(frozen=True, eq=False)
class Span:
    """A character range [start, end) of a source file."""

    source: SourceFile
    start: int
    end: int

    @property
    def path(self) -> str:
        return self.source.path

    @cached_property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @cached_property
    def column(self) -> int:
        return self.source.line_col(self.start)[1]

    @cached_property
    def end_line(self) -> int:
        return self.source.line_col(self.end)[0]

    @cached_property
    def end_column(self) -> int:
        return self.source.line_col(self.end)[1]

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def merge(self, other: Span) -> Span:
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))

    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def __repr__(self) -> str:
        return f"Span({self.location()})"


NO_SOURCE = SourceFile("<none>", "")
NOWHERE = Span(NO_SOURCE, 0, 0)
