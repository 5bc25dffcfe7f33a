"""Completion: the keywords that fit where the cursor is and the names in scope there.

The context is read from the text before the cursor on its line (a half-typed line does not
parse), the names from the analysis of the file and the files it uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lsprotocol import types

from credential.check.ir import CHANGE_LEVELS
from credential.lsp.analysis import Analysis, Symbol
from credential.syntax import ast
from credential.syntax.format import format_type
from credential.syntax.vocabulary import keywords

DECLARATIONS = (
    "policy",
    "use",
    "source",
    "scale",
    "attribute",
    "measure",
    "status",
    "param",
    "criterion",
    "credential",
    "form",
)
CLAUSES: dict[str, tuple[str, ...]] = {
    "policy": ("version", "effective", "expires"),
    "param": ("from",),
    "criterion": ("cites", "applies to", "requires", "unless"),
    "measure": ("max age", "stale may refuse"),
    "credential": ("cites", "requires"),
    "form": ("change", "lead requires", "recipient requires", "pair requires", "prefer", "cites"),
}
CONDITION_WORDS = (
    "and",
    "or",
    "not",
    "in",
    "all of",
    "any of",
    "mean",
    "min",
    "max",
    "count",
    "count arrangements led",
    "count arrangements received",
    "leads arrangement",
    "receives arrangement",
    "pooled",
    "minimum",
    "percentile of",
    "rank of",
    "among",
    "judged by",
    "held",
    "at start of arrangement led",
    "max age",
    "stale may refuse",
)
TYPES = ("number", "percent", "text", "date", "yes/no", "one of")
UNITS = ("months", "quarters", "years", "month", "quarter", "year")

CONDITIONS = ("criterion", "credential", "status", "attribute", "measure")
VALUES = ("attribute", "measure", "param")

_KIND = {
    "criterion": types.CompletionItemKind.Function,
    "credential": types.CompletionItemKind.Class,
    "form": types.CompletionItemKind.Struct,
    "measure": types.CompletionItemKind.Property,
    "attribute": types.CompletionItemKind.Field,
    "status": types.CompletionItemKind.Event,
    "param": types.CompletionItemKind.Constant,
    "source": types.CompletionItemKind.Reference,
    "scale": types.CompletionItemKind.Enum,
}

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_WORD_END = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_OP_END = re.compile(r"(<=|>=|!=|=|<|>)\s*$")
_IN_LIST = re.compile(r"\bin\s*\(([^)]*)$")
_TYPE_POS = re.compile(r"^(attribute|measure)\s+\w+\s*:\s*$")
_UNIT_POS = re.compile(r"\bover\s+\d+\s+$")
_WINDOW_POS = re.compile(r"\b(mean|min|max|count)\s+(?!arrangements\b)\w+\s+$")
_ARR_OPTIONS = re.compile(r"\b(arrangement|arrangements\s+(led|received))(\s+as\s+\w+)?\s+$")
_ARR_AS = re.compile(r"\bas\s+\w+\s+$")


def _detail(sym: Symbol) -> str:
    d = sym.decl
    if isinstance(d, ast.MeasureDecl | ast.AttributeDecl):
        return f"{sym.kind}: {format_type(d.type)}"
    title = getattr(d, "title", None)
    if isinstance(d, ast.SourceDecl):
        title = d.citation
    return f"{sym.kind}: {title.value}" if title is not None else sym.kind


def _names(analysis: Analysis | None, kinds: Iterable[str], exclude: str | None) -> list[types.CompletionItem]:
    if analysis is None:
        return []
    wanted = set(kinds)
    return [
        types.CompletionItem(label=s.name, kind=_KIND.get(s.kind), detail=_detail(s))
        for s in sorted(analysis.symbols.values(), key=lambda s: s.name)
        if s.kind in wanted and s.name != exclude
    ]


def _words(
    words: Iterable[str], kind: types.CompletionItemKind = types.CompletionItemKind.Keyword
) -> list[types.CompletionItem]:
    return [types.CompletionItem(label=w, kind=kind) for w in words]


def _levels(analysis: Analysis | None) -> list[types.CompletionItem]:
    if analysis is None:
        return []
    out: dict[str, str] = {}
    for s in analysis.symbols.values():
        d = s.decl
        if isinstance(d, ast.ScaleDecl):
            for lv in d.levels:
                out.setdefault(lv.name, f"level of scale {s.name}")
        elif isinstance(d, ast.MeasureDecl | ast.AttributeDecl) and isinstance(d.type, ast.OneOfType):
            for m in d.type.members:
                out.setdefault(m.name, f"member of {s.kind} {s.name}")
    return [
        types.CompletionItem(label=n, kind=types.CompletionItemKind.EnumMember, detail=det)
        for n, det in sorted(out.items())
    ]


_PREFER_HEAD = re.compile(r'^\s+prefer\s+[A-Za-z_][A-Za-z0-9_]*\s+"(?:[^"\\]|\\.)*"\s+$')


def _enclosing(text: str, line_start: int) -> tuple[str | None, str | None, int | None]:
    """The declaration the cursor's line belongs to: (keyword, name, indent of its first clause)."""
    first_clause: int | None = None
    for line in reversed(text[:line_start].splitlines()):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            first_clause = len(line) - len(line.lstrip())
            continue
        words = line.split()
        name = words[1] if len(words) > 1 else None
        return words[0], name, first_clause
    return None, None, None


def complete(analysis: Analysis | None, text: str, offset: int) -> list[types.CompletionItem]:
    """The completions at a character offset of ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    prefix = text[line_start:offset]
    code = _STRINGS.sub('""', prefix)
    if "#" in code or code.count('"') % 2:
        return []  # in a comment or a string
    partial = _WORD_END.search(prefix)
    before = prefix[: partial.start()] if partial else prefix
    decl_word, decl_name, clause_indent = _enclosing(text, line_start)
    if before and before[0] not in " \t":  # on a declaration's own line
        decl_word, decl_name = before.split()[0], None
    own = decl_name if decl_word in ("criterion", "credential") else None

    if before == "":
        return _words(w for w in DECLARATIONS if w in keywords())
    if not before.strip():
        indent = len(before)
        if decl_word in CLAUSES and (clause_indent is None or indent <= clause_indent):
            return _words(CLAUSES[decl_word])
    stripped = before.rstrip()
    last = stripped.split()[-1] if stripped.split() else ""
    if before.endswith(("lead.", "recipient.")):
        return _names(analysis, CONDITIONS, None)
    if _TYPE_POS.search(before):
        return [*_names(analysis, ("scale",), None), *_words(TYPES, types.CompletionItemKind.TypeParameter)]
    if before[0] not in " \t" and not before.startswith("param"):
        return []  # a declaration's head names what it declares
    if _UNIT_POS.search(before):
        return _words(UNITS)
    if _IN_LIST.search(before):
        return _levels(analysis)
    if _PREFER_HEAD.match(before):  # `prefer NAME "TITLE" ` : its condition comes after `when`
        return _words(["when"])
    if last == "cites":
        return _names(analysis, ("source",), None)
    if last == "as":
        return _names(analysis, ("form",), None)
    if last == "change":
        return _words(CHANGE_LEVELS, types.CompletionItemKind.EnumMember)
    if last in ("mean", "min", "max"):
        return _names(analysis, ("measure",), None)
    if last == "count":
        return [*_words(["arrangements"]), *_names(analysis, ("measure",), None)]
    if last == "arrangements":
        return _words(["led", "received"])
    if last == "within":
        return _names(analysis, ("param",), None)
    if last == "started":
        return _words(["within"])
    if last in ("leads", "receives"):
        return _words(["arrangement"])
    if _ARR_OPTIONS.search(before):
        return _words(["as", "started within"] if not _ARR_AS.search(before) else ["started within"])
    if _WINDOW_POS.search(before):
        return _words(["over"])
    if last in ("percentile", "rank"):
        return _words(["of"])
    if last == "among":
        return _names(analysis, ("attribute",), None)
    if last == "of":
        return _names(analysis, ("attribute", "measure"), None)
    words = stripped.split()
    if decl_word == "param" and "trajectory" in words and before.endswith((" ", "\t")):
        anchors = words[len(words) - words[::-1].index("trajectory") :]  # `A on D1 to B on D2`
        if len(anchors) in (1, 4):
            return _words(["on"])
        if len(anchors) == 3:
            return _words(["to"])
    if decl_word == "param" and stripped.endswith("="):
        return [*_levels(analysis), *_words(["trajectory"])]
    if _OP_END.search(before):
        return [*_names(analysis, VALUES, None), *_levels(analysis), *_words(["yes", "no"])]
    return [
        *_names(analysis, (*CONDITIONS, "param"), own),
        *_words(CONDITION_WORDS),
    ]
