"""One policy as an editor sees it: the check's diagnostics and an index of every name.

An :class:`Analysis` runs the same loader as ``credential check`` (:func:`credential.policy.load_checked`)
from a root file, reading open editor buffers instead of the disk where it has them, and then
indexes the parsed files: every declaration and every use of a declared name, with its span.
Nothing here re-parses or re-checks: the index reads the AST the parser built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credential.diagnostics import Diagnostic
from credential.policy import load_checked, read_policy_file
from credential.span import SourceFile, Span
from credential.syntax import ParseResult, ast, parse_source
from credential.syntax.parser import decode_policy_bytes

KINDS: dict[type, str] = {
    ast.SourceDecl: "source",
    ast.ScaleDecl: "scale",
    ast.AttributeDecl: "attribute",
    ast.MeasureDecl: "measure",
    ast.StatusDecl: "status",
    ast.ParamDecl: "param",
}

# Identifiers in these fields name levels or members, never a declaration (the resolver reads
# them against the type of the value they are compared with).
_LEVEL_FIELDS: dict[type, tuple[str, ...]] = {
    ast.ScaleDecl: ("levels",),
    ast.OneOfType: ("members",),
    ast.InList: ("members",),
    ast.Quantified: ("members",),
    ast.Change: ("level",),
    ast.Prefer: ("name",),  # a preference's own label, not a use of a declaration
}


def decl_kind(d: ast.Decl) -> str | None:
    """The symbol kind a declaration introduces (None for ``policy`` and ``use``)."""
    if isinstance(d, ast.RuleDecl):
        return d.kind
    return KINDS.get(type(d))


@dataclass(frozen=True)
class Occurrence:
    """A declared name written somewhere: its declaration (``is_decl``) or a use."""

    name: str
    path: Path
    span: Span
    is_decl: bool


@dataclass(frozen=True)
class Level:
    """A level of a scale or a member of a ``one of`` type, where declared or written.

    ``owner`` is the scale, attribute or measure that declares it. A use is recorded only
    when exactly one type has a level of that name (the checker resolves a level against
    the value it is compared with; a name that two types share is left unresolved here).
    """

    name: str
    owner: str
    path: Path
    span: Span
    is_decl: bool


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str
    decl: Any  # the declaration node
    path: Path
    span: Span  # of the declared name


@dataclass
class FileInfo:
    path: Path
    result: ParseResult

    @property
    def source(self) -> SourceFile:
        return self.result.source


@dataclass
class Analysis:
    """The check and the name index of one root file and every file it uses."""

    root: Path
    files: dict[Path, FileInfo]
    diagnostics: list[Diagnostic]
    symbols: dict[str, Symbol] = field(default_factory=dict)
    occurrences: list[Occurrence] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)

    def includes(self, path: Path) -> bool:
        return path in self.files

    def path_of(self, source: SourceFile) -> Path | None:
        for p, info in self.files.items():
            if info.source is source:
                return p
        return None

    def path_named(self, display: str) -> Path | None:
        for p, info in self.files.items():
            if info.source.path == display:
                return p
        return None

    def diagnostics_by_file(self) -> dict[Path, list[Diagnostic]]:
        """Every diagnostic under the file it is about (the root when it names none)."""
        out: dict[Path, list[Diagnostic]] = {p: [] for p in self.files}
        for d in self.diagnostics:
            where = None
            if d.span is not None:
                where = self.path_of(d.span.source) or self.path_named(d.span.path)
            elif d.file is not None:
                where = self.path_named(d.file)
            out.setdefault(where or self.root, []).append(d)
        return out

    def at(self, path: Path, offset: int) -> Occurrence | None:
        """The occurrence of a declared name at a character offset of a file."""
        for occ in self.occurrences:
            if occ.path == path and occ.span.start <= offset <= occ.span.end:
                return occ
        return None

    def level_at(self, path: Path, offset: int) -> Level | None:
        """The level or member written at a character offset of a file."""
        for lv in self.levels:
            if lv.path == path and lv.span.start <= offset <= lv.span.end:
                return lv
        return None

    def level_decl(self, level: Level) -> Level | None:
        return next((lv for lv in self.levels if lv.is_decl and (lv.name, lv.owner) == (level.name, level.owner)), None)

    def declared_in(self, path: Path) -> list[ast.Decl]:
        info = self.files.get(path)
        return list(info.result.tree.decls) if info else []

    def references(self, name: str) -> list[Occurrence]:
        return [o for o in self.occurrences if o.name == name]


def _idents(node: Any, skip_levels: bool = True, skip: tuple[type, ...] = ()) -> Iterator[ast.Ident]:
    """Every identifier below an AST node, except those naming levels or members (or below ``skip``)."""
    if isinstance(node, ast.Ident):
        yield node
        return
    if isinstance(node, tuple | list):
        for item in node:
            yield from _idents(item, skip_levels, skip)
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, (type, Span, SourceFile, *skip)):
        return
    skipped = _LEVEL_FIELDS.get(type(node), ()) if skip_levels else ()
    for f in dataclasses.fields(node):
        if f.name == "span" or f.name in skipped:
            continue
        yield from _idents(getattr(node, f.name), skip_levels, skip)


def _decl_uses(d: ast.Decl) -> Iterator[ast.Ident]:
    """Identifiers in a declaration that may name other declarations."""
    if isinstance(d, ast.PolicyDecl | ast.UseDecl):
        return
    if isinstance(d, ast.ParamDecl):
        return  # a param's value names a level, never a declaration
    for f in dataclasses.fields(d):
        if f.name in ("name", "span"):
            continue
        if f.name in _LEVEL_FIELDS.get(type(d), ()):
            continue
        yield from _idents(getattr(d, f.name))


def build_index(analysis: Analysis) -> None:
    """Fill the symbol table (first declaration of a name wins, as in the checker) and occurrences."""
    symbols: dict[str, Symbol] = {}
    occurrences: list[Occurrence] = []
    for path, info in analysis.files.items():
        for d in info.result.tree.decls:
            kind = decl_kind(d)
            if kind is None:
                continue
            name: ast.Ident = d.name  # type: ignore[union-attr]
            symbols.setdefault(name.name, Symbol(name.name, kind, d, path, name.span))
            occurrences.append(Occurrence(name.name, path, name.span, True))
    for path, info in analysis.files.items():
        for d in info.result.tree.decls:
            for ident in _decl_uses(d):
                if ident.name in symbols:
                    occurrences.append(Occurrence(ident.name, path, ident.span, False))
    analysis.symbols = symbols
    analysis.occurrences = sorted(occurrences, key=lambda o: (str(o.path), o.span.start))
    analysis.levels = _levels(analysis)


def _declared_levels(d: ast.Decl) -> tuple[str, tuple[ast.Ident, ...]] | None:
    if isinstance(d, ast.ScaleDecl):
        return d.name.name, d.levels
    if isinstance(d, ast.AttributeDecl | ast.MeasureDecl) and isinstance(d.type, ast.OneOfType):
        return d.name.name, d.type.members
    return None


def _levels(analysis: Analysis) -> list[Level]:
    decls: list[Level] = []
    owners: dict[str, set[str]] = {}
    for path, info in analysis.files.items():
        for d in info.result.tree.decls:
            found = _declared_levels(d)
            if found is None or analysis.symbols.get(found[0], None) is None:
                continue
            owner, idents = found
            if analysis.symbols[owner].decl is not d:
                continue  # a duplicate declaration: the first one counts
            for ident in idents:
                decls.append(Level(ident.name, owner, path, ident.span, True))
                owners.setdefault(ident.name, set()).add(owner)
    declared = {(lv.path, lv.span.start) for lv in decls}
    uses: list[Level] = []
    for path, info in analysis.files.items():
        for d in info.result.tree.decls:
            if isinstance(d, ast.PolicyDecl | ast.UseDecl):
                continue
            for ident in _idents(d, skip_levels=False, skip=(ast.Change,)):
                owner_set = owners.get(ident.name, set())
                if (
                    len(owner_set) == 1
                    and ident.name not in analysis.symbols
                    and (path, ident.span.start) not in declared
                ):
                    uses.append(Level(ident.name, next(iter(owner_set)), path, ident.span, False))
    return sorted([*decls, *uses], key=lambda lv: (str(lv.path), lv.span.start))


def parse_buffer(text: str, display: str) -> ParseResult:
    """Parse editor text exactly as ``parse_file`` parses the same bytes on disk."""
    src, diags = decode_policy_bytes(display, text.encode("utf-8"))
    if diags:
        return ParseResult(src, ast.PolicyFile((), span=src.span(0, 0)), diagnostics=diags)
    return parse_source(src)


ParseCache = dict[Path, tuple[str, str, ParseResult]]
"""The last parse of each open buffer, by path: (display name, text, result)."""


def analyse(root: Path, buffers: Mapping[Path, str], cache: ParseCache | None = None) -> Analysis:
    """Check ``root`` as ``credential check`` does, open buffers standing in for their files."""
    files: dict[Path, FileInfo] = {}
    memo: ParseCache = {} if cache is None else cache

    def read(path: Path, display: str) -> ParseResult:
        text = buffers.get(path)
        if text is None:
            result = read_policy_file(path, display)
        else:
            hit = memo.get(path)
            if hit is not None and hit[0] == display and hit[1] == text:
                result = hit[2]
            else:
                result = parse_buffer(text, display)
                memo[path] = (display, text, result)
        files[path] = FileInfo(path, result)
        return result

    _policy, diagnostics = load_checked(root, read=read)
    analysis = Analysis(root, files, diagnostics)
    build_index(analysis)
    return analysis
