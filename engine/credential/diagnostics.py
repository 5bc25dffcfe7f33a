"""One diagnostic type for every stage, with stable namespaced codes.

Rendering follows the language spec::

    FILE:LINE:COL: error[CODE]: message
       |
    12 |   requires cqc_overal >= good
       |            ^^^^^^^^^^
       = help: did you mean `cqc_overall`?
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from credential.escaping import terminal_text
from credential.span import Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Label:
    """A secondary span of a diagnostic and what it is (shown under its text)."""

    span: Span
    text: str

    def to_json(self) -> dict[str, Any]:
        s = self.span
        return {
            "text": self.text,
            "line": s.line,
            "column": s.column,
            "end_line": s.end_line,
            "end_column": s.end_column,
        }


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in policy text, data or a program.

    ``span`` locates it in policy text; data diagnostics instead carry ``file`` and
    ``row`` (1-based line number of the CSV, header = 1) and optionally ``column``
    and ``value``.
    """

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    help: str | None = None
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    labels: tuple[Label, ...] = ()
    """Secondary spans with a word each (e.g. each side of a comparison with its kind)."""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[Any, ...]:
        if self.span is not None:
            return (self.span.path, self.span.start, self.span.end, self.code, self.message)
        return (self.file or "", self.row or 0, self.column or "", self.code, self.message)

    def location(self) -> str:
        if self.span is not None:
            return self.span.location()
        if self.file is not None and self.row is not None:
            return f"{self.file}:{self.row}"
        return self.file or "<input>"

    def headline(self) -> str:
        return f"{self.location()}: {self.severity.value}[{self.code}]: {self.message}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.span is not None:
            out["file"] = self.span.path
            out["line"] = self.span.line
            out["column"] = self.span.column
            out["end_line"] = self.span.end_line
            out["end_column"] = self.span.end_column
        else:
            if self.file is not None:
                out["file"] = self.file
            if self.row is not None:
                out["row"] = self.row
            if self.column is not None:
                out["column_name"] = self.column
            if self.value is not None:
                out["value"] = self.value
        if self.labels:
            out["labels"] = [label.to_json() for label in self.labels]
        out["help"] = self.help
        return out


def error(
    code: str, message: str, span: Span | None = None, help: str | None = None, labels: tuple[Label, ...] = ()
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, help, labels=labels)


def warning(code: str, message: str, span: Span | None = None, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, help)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by position and de-duplicated (same code, place and message)."""
    seen: set[tuple[Any, ...]] = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=lambda d: d.sort_key()):
        key = d.sort_key()
        if key in seen:
            continue
        seen.add(key)
        out.append(d)
    return out


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


def _underline(span: Span, line_no: int, text: str) -> tuple[int, int]:
    """The column and width of ``span``'s caret on line ``line_no`` (whose text is ``text``)."""
    col = span.column if span.line == line_no else 1
    width = max(1, span.end_column - col) if span.end_line == line_no else max(1, len(text) - col + 1)
    return col, width


def _label_lines(span: Span, labels: Sequence[Label], pad: str) -> list[str]:
    """Caret lines under the primary snippet for the labels on its line; a label on another line
    gets its own snippet."""
    out: list[str] = []
    text = span.source.line_text(span.line)
    for label in labels:
        if label.span.line == span.line and len(text) <= 200:
            col, width = _underline(label.span, span.line, text)
            out.append(f"{pad} | {' ' * (col - 1)}{'-' * width} {label.text}")
        else:
            snippet = _snippet(label.span)
            out.extend(snippet[1:-1])
            last = snippet[-1]
            out.append(last.replace("^", "-") + f" {label.text}")
    return out


def _snippet(span: Span, labels: Sequence[Label] = ()) -> list[str]:
    line_no = span.line
    text = span.source.line_text(line_no)
    # Tabs would misalign the caret; show them as single spaces.  Control characters are
    # escaped (so the line cannot drive the terminal) and the caret placed under the escapes.
    raw = text.replace("\t", " ")
    col0 = span.column
    width0 = max(1, span.end_column - col0) if span.end_line == line_no else max(1, len(text) - col0 + 1)
    before = terminal_text(raw[: col0 - 1])
    marked = terminal_text(raw[col0 - 1 : col0 - 1 + width0])
    shown = before + marked + terminal_text(raw[col0 - 1 + width0 :])
    col = len(before) + 1
    width = max(1, len(marked))
    if len(shown) > 200:  # very long lines: show a window around the caret
        lo = max(0, col - 80)
        shown = ("..." if lo else "") + shown[lo : lo + 160] + "..."
        col = col - lo + (3 if lo else 0)
        width = min(width, 80)
    gutter = str(line_no)
    pad = " " * len(gutter)
    return [
        f"{pad} |",
        f"{gutter} | {shown}",
        f"{pad} | {' ' * (col - 1)}{'^' * width}",
        *_label_lines(span, labels, pad),
    ]


def render_text(diag: Diagnostic) -> str:
    lines = [terminal_text(diag.headline())]
    if diag.span is not None and diag.span.source.text:
        lines.extend(_snippet(diag.span, diag.labels))
    if diag.help:
        lines.append(f"  = help: {terminal_text(diag.help)}")
    return "\n".join(lines)


def render_all_text(diags: Sequence[Diagnostic]) -> str:
    if not diags:
        return ""
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    body = "\n\n".join(render_text(d) for d in diags)
    return f"{body}\n\n{errors} error(s), {warnings} warning(s)\n"


def render_all_json(diags: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diags], indent=2, ensure_ascii=False) + "\n"


class DiagnosticError(Exception):
    """Raised by stage entry points that cannot go on; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0].headline() if self.diagnostics else "error"
        super().__init__(first)
