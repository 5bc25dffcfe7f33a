"""Go to definition, find references, rename and the outline of a file."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from lsprotocol import types

from credential.lsp.analysis import Analysis, Level, Occurrence, Symbol, decl_kind
from credential.lsp.positions import span_range
from credential.syntax import ast
from credential.syntax.vocabulary import keywords

UriOf = Callable[[Path], str]

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class RenameError(ValueError):
    """A rename that cannot be made (the message says why)."""


def symbol_at(analyses: Sequence[Analysis], path: Path, offset: int) -> tuple[Occurrence, Symbol] | None:
    """The declared name written at a position, and its declaration."""
    for a in analyses:
        occ = a.at(path, offset)
        if occ is not None and occ.name in a.symbols:
            return occ, a.symbols[occ.name]
    return None


def _same(sym: Symbol, other: Symbol | None) -> bool:
    return other is not None and other.path == sym.path and other.span.start == sym.span.start


def occurrences(analyses: Sequence[Analysis], sym: Symbol) -> list[Occurrence]:
    """Every place the declaration ``sym`` is written or used, across every analysis that sees it."""
    seen: set[tuple[Path, int]] = set()
    out: list[Occurrence] = []
    for a in analyses:
        if not _same(sym, a.symbols.get(sym.name)):
            continue
        for occ in a.references(sym.name):
            key = (occ.path, occ.span.start)
            if key not in seen:
                seen.add(key)
                out.append(occ)
    return sorted(out, key=lambda o: (str(o.path), o.span.start))


def level_at(analyses: Sequence[Analysis], path: Path, offset: int) -> tuple[Analysis, Level] | None:
    """The level or member written at a position (in the first analysis that resolves it)."""
    for a in analyses:
        lv = a.level_at(path, offset)
        if lv is not None:
            return a, lv
    return None


def _level_locations(
    analyses: Sequence[Analysis], path: Path, offset: int, uri_of: UriOf, include_declaration: bool
) -> list[types.Location]:
    found = level_at(analyses, path, offset)
    if found is None:
        return []
    a, lv = found
    decl = a.level_decl(lv)
    seen: set[tuple[Path, int]] = set()
    out: list[types.Location] = []
    for b in analyses:
        if decl is None or b.level_decl(lv) != decl:
            continue
        for other in b.levels:
            key = (other.path, other.span.start)
            if (other.name, other.owner) == (lv.name, lv.owner) and key not in seen:
                if other.is_decl and not include_declaration:
                    continue
                seen.add(key)
                out.append(types.Location(uri=uri_of(other.path), range=span_range(other.span)))
    return out


def _used_file(analyses: Sequence[Analysis], path: Path, offset: int) -> Path | None:
    """The file a ``use "..."`` at a position brings in, when it exists."""
    for a in analyses[:1]:
        for d in a.declared_in(path):
            if isinstance(d, ast.UseDecl) and d.path.span.start <= offset <= d.path.span.end:
                target = (path.parent / d.path.value).resolve()
                return target if target in a.files else None
    return None


def definition(analyses: Sequence[Analysis], path: Path, offset: int, uri_of: UriOf) -> list[types.Location]:
    used = _used_file(analyses, path, offset)
    if used is not None:
        start = types.Position(line=0, character=0)
        return [types.Location(uri=uri_of(used), range=types.Range(start=start, end=start))]
    found = symbol_at(analyses, path, offset)
    if found is None:
        lv = level_at(analyses, path, offset)
        decl = lv[0].level_decl(lv[1]) if lv is not None else None
        return [] if decl is None else [types.Location(uri=uri_of(decl.path), range=span_range(decl.span))]
    _occ, sym = found
    return [types.Location(uri=uri_of(sym.path), range=span_range(sym.span))]


def references(
    analyses: Sequence[Analysis], path: Path, offset: int, include_declaration: bool, uri_of: UriOf
) -> list[types.Location]:
    found = symbol_at(analyses, path, offset)
    if found is None:
        return _level_locations(analyses, path, offset, uri_of, include_declaration)
    return [
        types.Location(uri=uri_of(o.path), range=span_range(o.span))
        for o in occurrences(analyses, found[1])
        if include_declaration or not o.is_decl
    ]


def prepare_rename(analyses: Sequence[Analysis], path: Path, offset: int) -> types.Range | None:
    found = symbol_at(analyses, path, offset)
    return None if found is None else span_range(found[0].span)


def rename(
    analyses: Sequence[Analysis], path: Path, offset: int, new_name: str, uri_of: UriOf
) -> types.WorkspaceEdit | None:
    """Every occurrence of the declared name at a position renamed, in every file that has one."""
    found = symbol_at(analyses, path, offset)
    if found is None:
        return None
    _occ, sym = found
    if not NAME.fullmatch(new_name):
        raise RenameError(f"`{new_name}` is not a name: use letters, digits and `_`, not starting with a digit")
    if new_name in keywords():
        raise RenameError(f"`{new_name}` is a reserved word")
    for a in analyses:
        if new_name in a.symbols and new_name != sym.name:
            other = a.symbols[new_name]
            raise RenameError(
                f"`{new_name}` is already declared as a {other.kind} ({other.path.name}:{other.span.line})"
            )
    changes: dict[str, list[types.TextEdit]] = {}
    for o in occurrences(analyses, sym):
        changes.setdefault(uri_of(o.path), []).append(types.TextEdit(range=span_range(o.span), new_text=new_name))
    return types.WorkspaceEdit(changes=changes)


_SYMBOL_KIND = {
    "policy": types.SymbolKind.Module,
    "use": types.SymbolKind.File,
    "source": types.SymbolKind.String,
    "scale": types.SymbolKind.Enum,
    "attribute": types.SymbolKind.Field,
    "measure": types.SymbolKind.Property,
    "status": types.SymbolKind.Event,
    "param": types.SymbolKind.Constant,
    "criterion": types.SymbolKind.Function,
    "credential": types.SymbolKind.Class,
    "form": types.SymbolKind.Struct,
}


def _clause_label(c: ast.Clause) -> str:
    if isinstance(c, ast.Cites):
        return f"cites {c.source.name}"
    if isinstance(c, ast.Change):
        return f"change {c.level.name}"
    if isinstance(c, ast.Unless):
        return "unless"
    if isinstance(c, ast.AppliesTo):
        return f"applies to {c.attribute.name}"
    if isinstance(c, ast.Prefer):
        return f"prefer {c.name.name}"
    return f"{c.role} requires" if c.role else "requires"


def _symbol(
    name: str,
    detail: str | None,
    kind: str,
    whole: ast.Decl,
    sel: types.Range,
    children: list[types.DocumentSymbol] | None = None,
) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=name,
        detail=detail,
        kind=_SYMBOL_KIND.get(kind, types.SymbolKind.Key),
        range=span_range(whole.span),
        selection_range=sel,
        children=children or None,
    )


def document_symbols(decls: Sequence[ast.Decl]) -> list[types.DocumentSymbol]:
    """The outline of a file: its declarations, with levels, steps and clauses under them."""
    out: list[types.DocumentSymbol] = []
    for d in decls:
        if isinstance(d, ast.UseDecl):
            out.append(_symbol(d.path.value, "use", "use", d, span_range(d.path.span)))
            continue
        if isinstance(d, ast.PolicyDecl):
            title = d.title.value + (f" (version {d.version.value})" if d.version else "")
            out.append(_symbol(d.name.name, title, "policy", d, span_range(d.name.span)))
            continue
        kind = decl_kind(d) or "?"
        children: list[types.DocumentSymbol] = []
        detail: str | None = kind
        if isinstance(d, ast.ScaleDecl):
            children = [
                types.DocumentSymbol(
                    name=lv.name,
                    kind=types.SymbolKind.EnumMember,
                    range=span_range(lv.span),
                    selection_range=span_range(lv.span),
                )
                for lv in d.levels
            ]
        elif isinstance(d, ast.ParamDecl):
            children = [
                types.DocumentSymbol(
                    name=f"from {s.date.text}",
                    detail=s.value.span.text,
                    kind=types.SymbolKind.Constant,
                    range=span_range(s.span),
                    selection_range=span_range(s.date.span),
                )
                for s in d.steps
            ]
            detail = f"param = {d.value.span.text}"
        elif isinstance(d, ast.RuleDecl):
            detail = f"{d.kind}" + (f": {d.title.value}" if d.title else "")
            children = [
                types.DocumentSymbol(
                    name=_clause_label(c),
                    kind=types.SymbolKind.Key,
                    range=span_range(c.span),
                    selection_range=span_range(c.span),
                )
                for c in d.clauses
            ]
        elif isinstance(d, ast.StatusDecl) and d.title is not None:
            detail = f"status: {d.title.value}"
        name: ast.Ident = d.name
        out.append(_symbol(name.name, detail, kind, d, span_range(name.span), children))
    return out
