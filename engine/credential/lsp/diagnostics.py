"""The checker's diagnostics as LSP diagnostics: the same code, span, message and help."""

from __future__ import annotations

from lsprotocol import types

from credential.diagnostics import Diagnostic, Severity
from credential.lsp.positions import span_range

SOURCE = "credential"

_ORIGIN = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))


def to_lsp(d: Diagnostic) -> types.Diagnostic:
    """One checker diagnostic; ``help`` is shown under the message and kept in ``data``."""
    rng = span_range(d.span) if d.span is not None else _ORIGIN
    message = d.message if not d.help else f"{d.message}\nhelp: {d.help}"
    return types.Diagnostic(
        range=rng,
        message=message,
        severity=types.DiagnosticSeverity.Error if d.severity is Severity.ERROR else types.DiagnosticSeverity.Warning,
        code=d.code,
        source=SOURCE,
        data={"help": d.help} if d.help else None,
    )
