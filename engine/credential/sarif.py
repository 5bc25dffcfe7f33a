"""Diagnostics as SARIF 2.1.0 (the Static Analysis Results Interchange Format, OASIS), for
code-scanning annotations (``credential check --format sarif``).

One run of the tool ``credential``; one rule per diagnostic code met (its id the code, e.g.
``check.unknown-name``); one result per diagnostic with its level (``error``/``warning``), its
message (and help), and its place: the file (a relative URI against ``%SRCROOT%`` when the path
is relative) and the region (1-based lines and columns, the end column exclusive, as SARIF says).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from credential.diagnostics import Diagnostic
from credential.version import __version__

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> tuple[str, bool]:
    p = PurePath(path)
    if p.is_absolute():
        return "file://" + quote(p.as_posix()), False
    return quote(p.as_posix()), True


def _location(d: Diagnostic) -> dict[str, Any] | None:
    path = d.span.path if d.span is not None else d.file
    if not path:
        return None
    uri, relative = _uri(path)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = "%SRCROOT%"
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if d.span is not None:
        physical["region"] = {
            "startLine": max(1, d.span.line),
            "startColumn": max(1, d.span.column),
            "endLine": max(1, d.span.end_line),
            "endColumn": max(1, d.span.end_column),
        }
    elif d.row is not None:
        physical["region"] = {"startLine": max(1, d.row)}
    return {"physicalLocation": physical}


def to_sarif(diags: Sequence[Diagnostic]) -> dict[str, Any]:
    codes = sorted({d.code for d in diags})
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for d in diags:
        text = d.message + (f" (help: {d.help})" if d.help else "")
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": "error" if d.is_error else "warning",
            "message": {"text": text},
        }
        loc = _location(d)
        if loc is not None:
            result["locations"] = [loc]
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "credential",
                        "version": __version__,
                        "rules": [
                            {"id": c, "name": c, "shortDescription": {"text": f"credential diagnostic {c}"}}
                            for c in codes
                        ],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the working directory"}}},
                "results": results,
            }
        ],
    }


def render_sarif(diags: Sequence[Diagnostic]) -> str:
    return json.dumps(to_sarif(diags), indent=2, ensure_ascii=False) + "\n"
