"""Hover: what a declared name is, where it comes from and what it says."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from credential.lsp.analysis import Analysis, Level, Symbol
from credential.lsp.positions import span_range
from credential.syntax import ast
from credential.syntax.format import format_type

_BANNER = re.compile(r"^([-=*]{2,}|[-=*]+\s.*\s[-=*]{2,})$")


def _code(text: str) -> str:
    return f"```cred\n{text}\n```"


def _written(node: Any) -> str:
    """A node's text as written (its span), or '' for a node without one."""
    span = getattr(node, "span", None)
    return span.text.strip() if span is not None else ""


def _decl_text(analysis: Analysis, sym: Symbol) -> str:
    """A declaration as written, without its comments and blank lines."""
    span = sym.decl.span
    text = span.source.text
    info = analysis.files.get(sym.path)
    pieces: list[str] = []
    at = span.start
    for c in info.result.comments if info else []:
        if span.start <= c.span.start < span.end:
            pieces.append(text[at : c.span.start])
            at = c.span.end
    pieces.append(text[at : span.end])
    return "\n".join(line.rstrip() for line in "".join(pieces).splitlines() if line.strip())


def doc_comment(analysis: Analysis, sym: Symbol) -> str:
    """Comment lines directly above a declaration and a comment at the end of its first line."""
    info = analysis.files.get(sym.path)
    if info is None:
        return ""
    src = info.source
    decl_line = sym.decl.span.line
    by_line = {c.span.line: c for c in info.result.comments}
    above: list[str] = []
    line = decl_line - 1
    while line in by_line and src.line_text(line).lstrip().startswith("#"):
        above.insert(0, by_line[line].text.lstrip("#").strip())
        line -= 1
    trailing = by_line.get(decl_line)
    # Section banners (`# ---- sources ----`) head a group of declarations, not this one.
    parts = [" ".join(t for t in above if t and not _BANNER.match(t))]
    if trailing is not None and not src.line_text(decl_line).lstrip().startswith("#"):
        parts.append(trailing.text.lstrip("#").strip())
    return "\n\n".join(p for p in parts if p)


def _extra_fields(d: Any, known: set[str]) -> list[str]:
    """Further clauses a declaration may carry (a unit, a maximum age, ...), as written.

    Read from the declaration's fields, so a clause added to the language shows up here
    without a change: a node by its text, a plain value as it is.
    """
    out = []
    for f in dataclasses.fields(d):
        if f.name in known or f.name == "span" or not f.compare:
            continue
        value = getattr(d, f.name)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value)
        elif value is not None and not isinstance(value, tuple | bool):
            text = _written(value)
        else:
            text = ""
        if text:
            out.append(f"**{f.name.replace('_', ' ')}**: `{text}`")
    return out


def _citation(analysis: Analysis, cite: ast.Cites) -> str:
    src = analysis.symbols.get(cite.source.name)
    full = src.decl.citation.value if src is not None and src.kind == "source" else "(unknown source)"
    return f"- `{cite.source.name}`, {cite.locator.value}: {full}"


def _policy_effective(analysis: Analysis) -> str | None:
    for d in analysis.declared_in(analysis.root):
        if isinstance(d, ast.PolicyDecl) and d.effective is not None:
            return d.effective.text
    return None


def describe(analysis: Analysis, sym: Symbol) -> str:
    """Markdown about a declared name."""
    d = sym.decl
    head = f"**{sym.kind}** `{sym.name}`"
    body: list[str] = []
    if isinstance(d, ast.ParamDecl):
        effective = _policy_effective(analysis)
        first = f"{effective} (the policy's `effective` date)" if effective else "the start"
        rows = [f"| {first} | `{_written(d.value)}` |"]
        rows += [f"| {s.date.text} | `{_written(s.value)}` |" for s in d.steps]
        body.append("| in force from | value |\n|---|---|\n" + "\n".join(rows))
        if any(isinstance(v, ast.Trajectory) for v in (d.value, *(s.value for s in d.steps))):
            body.append(
                "A `trajectory A on D1 to B on D2` is A up to D1, B from D2, and linear in days between "
                "(the value on the evaluation date is in every proof)."
            )
    elif isinstance(d, ast.MeasureDecl | ast.AttributeDecl):
        head += f": {format_type(d.type)}"
        body += _extra_fields(d, {"name", "type"})
    elif isinstance(d, ast.ScaleDecl):
        body.append("levels, lowest first: " + " < ".join(f"`{lv.name}`" for lv in d.levels))
    elif isinstance(d, ast.SourceDecl):
        body.append(d.citation.value)
        citing = sorted(
            {
                s.name
                for s in analysis.symbols.values()
                if isinstance(s.decl, ast.RuleDecl)
                and any(isinstance(c, ast.Cites) and c.source.name == sym.name for c in s.decl.clauses)
            }
        )
        if citing:
            body.append("cited by " + ", ".join(f"`{n}`" for n in citing))
    elif isinstance(d, ast.StatusDecl):
        if d.title is not None:
            body.append(d.title.value)
    elif isinstance(d, ast.RuleDecl):
        if d.title is not None:
            body.append(f"*{d.title.value}*")
        cites = [c for c in d.clauses if isinstance(c, ast.Cites)]
        if cites:
            body.append("cites:\n" + "\n".join(_citation(analysis, c) for c in cites))
    comment = doc_comment(analysis, sym)
    if comment:
        body.append(comment)
    body.append(_code(_decl_text(analysis, sym)))
    where = sym.path.name if sym.path != analysis.root else None
    if where:
        body.append(f"declared in `{where}` line {sym.span.line}")
    return "\n\n".join([head, *body])


def describe_level(analysis: Analysis, level: Level) -> str:
    """Markdown about a level of a scale or a member of a ``one of`` type."""
    owner = analysis.symbols[level.owner]
    found = _declared_level_names(owner.decl)
    listed = (" < " if isinstance(owner.decl, ast.ScaleDecl) else ", ").join(
        f"**`{n}`**" if n == level.name else f"`{n}`" for n in found
    )
    if isinstance(owner.decl, ast.ScaleDecl):
        return f"**level** `{level.name}` of scale `{owner.name}`\n\n{listed}"
    return f"**member** `{level.name}` of {owner.kind} `{owner.name}`: one of {listed}"


def _declared_level_names(d: Any) -> list[str]:
    if isinstance(d, ast.ScaleDecl):
        return [lv.name for lv in d.levels]
    if isinstance(d, ast.AttributeDecl | ast.MeasureDecl) and isinstance(d.type, ast.OneOfType):
        return [m.name for m in d.type.members]
    return []


def hover(analysis: Analysis, path: Path, offset: int) -> types.Hover | None:
    occ = analysis.at(path, offset)
    if occ is None:
        level = analysis.level_at(path, offset)
        if level is None or level.owner not in analysis.symbols:
            return None
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=describe_level(analysis, level)),
            range=span_range(level.span),
        )
    sym = analysis.symbols.get(occ.name)
    if sym is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=describe(analysis, sym)),
        range=span_range(occ.span),
    )
