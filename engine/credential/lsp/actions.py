"""Code actions: the checker's "did you mean" suggestions as quick fixes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

_SUGGESTION = re.compile(r"did you mean `([A-Za-z_][A-Za-z0-9_]*)`\?")


def quick_fixes(uri: str, diagnostics: Sequence[types.Diagnostic]) -> list[types.CodeAction]:
    """One fix per diagnostic whose help suggests a name: replace the name with the suggestion."""
    out = []
    for d in diagnostics:
        data = d.data if isinstance(d.data, dict) else {}
        m = _SUGGESTION.search(str(data.get("help") or ""))
        if d.source != "credential" or m is None:
            continue
        name = m.group(1)
        out.append(
            types.CodeAction(
                title=f"Change to `{name}`",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=d.range, new_text=name)]}),
            )
        )
    return out
