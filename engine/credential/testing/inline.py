"""Inline data bundles: a test file's ``data:`` mapping of tables, validated like any bundle.

The mapping is the JSON bundle form (``providers``, ``observations``, ``statuses``,
``arrangements``, each a list of row objects), so it is read by the JSON bundle reader and
checked by the same validator.  Diagnostics then point back into the test file: the row
(and the cell, where the problem names a column) where it was written.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from credential.data.bundle import Bundle
from credential.data.load import TABLES, RawBundle, read_json_bundle
from credential.data.validate import validate_bundle
from credential.diagnostics import Diagnostic, DiagnosticError, sort_diagnostics
from credential.evaluation.evaluate import DataInvalid
from credential.span import Span
from credential.testing.yamlsrc import YMap, span_of
from credential.types import BundleSpec


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return None if value is None else str(value)


def inline_bundle(data: YMap, spec: BundleSpec, test_file: str) -> tuple[Bundle, list[Diagnostic]]:
    """The validated bundle and its warnings; raises :class:`DataInvalid` (diagnostics in the test file)."""
    base = Path(test_file).name
    doc = {k: _plain(v) if v is not None else [] for k, v in data.items() if k in TABLES}
    with tempfile.TemporaryDirectory(prefix="credential-test-") as tmp:
        path = Path(tmp) / f"{base}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        try:
            tables, digest = read_json_bundle(path)
        except DiagnosticError as exc:
            raise DataInvalid(_relocate(exc.diagnostics, data, base, path.name)) from None
    named = {n: dataclasses.replace(t, file=f"{base}#{n}") for n, t in tables.items()}
    expected = {n: f"{base}#{n}" for n in TABLES}
    raw = RawBundle(Path(test_file), "json", named, {f"{base}#data": digest}, expected)
    result = validate_bundle(raw, spec, on_invalid="reject")
    diags = _relocate(result.diagnostics, data, base, base)
    if result.bundle is None:
        raise DataInvalid(diags)
    return result.bundle, [d for d in diags if not d.is_error]


def _relocate(diags: list[Diagnostic], data: YMap, base: str, file_base: str) -> list[Diagnostic]:
    """Point each data diagnostic at the row (or cell) of the test file it is about."""
    out = []
    for d in diags:
        table = (d.file or "").partition("#")[2]
        if d.span is not None or not (d.file or "").startswith(file_base):
            out.append(d)
            continue
        at: Span = data.span
        rows = data.get(table)
        if table in data.key_spans:
            at = data.key_spans[table]
        if isinstance(rows, list) and d.row is not None and 0 <= d.row - 2 < len(rows):
            row = rows[d.row - 2]
            at = span_of(row, at)
            if isinstance(row, YMap) and d.column and d.column in row:
                at = span_of(row[d.column], row.key_spans.get(d.column, at))
        prefix = f"{table}: " if table else ""
        if table and d.row is not None:
            prefix = f"{table} row {d.row - 1}: "
        out.append(dataclasses.replace(d, span=at, message=prefix + d.message, file=None, row=None))
    return sort_diagnostics(out)
