"""The canonical layout of policy text (``credential fmt``), comments kept.

The formatter prints the AST again in one layout (see ``docs/formatting.md``) and
puts every comment back next to the code it was written beside:

* a standalone comment line stays before the declaration or clause it precedes
  (declaration comments in column 1, clause comments indented like the clause);
* a trailing comment stays at the end of its line; one written on an inner line of a
  clause continued over several lines moves before that clause;
* an indented comment block directly under a declaration stays under it;
* comments after the last declaration stay at the end of the file.

Formatting is idempotent and never changes the AST: ``parse(fmt(p)) == parse(p)``.
Comment placement is worked out from the source lines, mirroring the layout rules of
:mod:`credential.syntax.layout` (a line indented deeper than the clause line above
continues that clause).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from credential.diagnostics import DiagnosticError, has_errors
from credential.syntax import ast
from credential.syntax.parser import ParseResult, parse_text

WIDTH = 100
"""Clauses whose condition makes the line longer than this are broken."""

INDENT = "  "
"""Indentation of a clause under its declaration."""

CONTINUATION = " " * 7
"""Indentation of a continuation line (``and``/``or`` of a broken condition)."""

TRAILING_GAP = "  "
"""Space between code and a trailing comment."""

_BLANKS = " \t\f\r"

# One-line declarations of these kinds are not separated by a blank line from a preceding
# declaration of the same kind.  Params stay grouped even with `from` lines, as in the
# language specification's complete example.
_GROUPED = (
    ast.SourceDecl,
    ast.ScaleDecl,
    ast.AttributeDecl,
    ast.MeasureDecl,
    ast.StatusDecl,
    ast.ParamDecl,
    ast.UseDecl,
)


# ---- public API ----------------------------------------------------------------


def format_text(text: str, path: str = "<string>") -> str:
    """Policy text in canonical layout; raises :class:`DiagnosticError` if it does not parse."""
    return format_policy(parse_text(text, path))


def format_policy(result: ParseResult) -> str:
    """The canonical text of a parsed policy, its comments kept.

    Raises :class:`DiagnosticError` when the parse had errors: the tree of a broken
    file is incomplete and printing it would lose text.
    """
    if has_errors(result.diagnostics):
        raise DiagnosticError([d for d in result.diagnostics if d.is_error])
    placed = _place_comments(result)
    return _render(result.tree.decls, placed)


# ---- conditions and values -------------------------------------------------------


def format_string(value: str) -> str:
    """A string literal that reads back as ``value``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def format_literal(lit: ast.Literal) -> str:
    if isinstance(lit, ast.NumberLit | ast.DateLit):
        return lit.text
    if isinstance(lit, ast.PercentLit):
        return f"{lit.text}%"
    if isinstance(lit, ast.StringLit):
        return format_string(lit.value)
    if isinstance(lit, ast.BoolLit):
        return "yes" if lit.value else "no"
    return f"{lit.amount} {lit.unit}"


def _arr_options(form: ast.Ident | None, within: ast.DurationLit | ast.Ref | None) -> str:
    out = ""
    if form is not None:
        out += f" as {form.name}"
    if within is not None:
        out += f" started within {format_value(within)}"
    return out


def format_value(v: ast.Value) -> str:
    if isinstance(v, ast.Ref):
        return f"{v.who}.{v.name.name}" if v.who else v.name.name
    if isinstance(v, ast.Aggregate):
        minimum = f" (minimum {format_value(v.minimum)})" if v.minimum is not None else ""
        return f"{v.func} {v.measure.name} over {v.amount} {v.unit}{minimum}"
    if isinstance(v, ast.Peer):
        minimum = f" (minimum {format_value(v.minimum)})" if v.minimum is not None else ""
        return f"{v.func} of {format_value(v.base)} among {v.among.name}{minimum}"
    if isinstance(v, ast.ArrangementCount):
        return f"count arrangements {v.role}{_arr_options(v.form, v.within)}"
    return format_literal(v)


def _members(members: tuple[ast.Ident, ...]) -> str:
    return "(" + ", ".join(m.name for m in members) + ")"


def format_cond(c: ast.Cond) -> str:
    """A condition on one line, with parentheses only where the grammar needs them."""
    if isinstance(c, ast.Or):
        return " or ".join(_operand(i, c) for i in c.items)
    if isinstance(c, ast.And):
        return " and ".join(_operand(i, c) for i in c.items)
    if isinstance(c, ast.Not):
        inner = format_cond(c.operand)
        return f"not ({inner})" if isinstance(c.operand, ast.And | ast.Or) else f"not {inner}"
    if isinstance(c, ast.Bare):
        return format_value(c.value)
    if isinstance(c, ast.Compare):
        return f"{format_value(c.left)} {c.op} {format_value(c.right)}{_age_suffix(c.age)}"
    if isinstance(c, ast.InList):
        return f"{format_value(c.value)} in {_members(c.members)}"
    if isinstance(c, ast.Quantified):
        values = ", ".join(format_value(v) for v in c.values)
        if c.op == "in" or c.right is None:
            return f"{c.quant} of {values} in {_members(c.members)}"
        return f"{c.quant} of {values} {c.op} {format_value(c.right)}{_age_suffix(c.age)}"
    if isinstance(c, ast.JudgedBy):
        return "judged by " + ", ".join(n.name for n in c.criteria)
    if c.held is not None:
        return f"held {c.held.name} at start of arrangement led{_arr_options(c.form, c.within)}"
    return f"{c.verb} arrangement{_arr_options(c.form, c.within)}"


def _age_suffix(age: ast.AgeLimit | None) -> str:
    """A comparison's own evidence age: ``, max age D[, stale may refuse]``."""
    if age is None:
        return ""
    return f", max age {format_value(age.max_age)}" + (", stale may refuse" if age.stale_refuses else "")


def _operand(item: ast.Cond, parent: ast.And | ast.Or) -> str:
    """An item of an ``and``/``or``: an ``or`` inside an ``and`` needs parentheses."""
    text = format_cond(item)
    if isinstance(parent, ast.And) and isinstance(item, ast.Or):
        return f"({text})"
    return text


def condition_lines(prefix: str, c: ast.Cond) -> list[str]:
    """``prefix`` + the condition, broken before top-level ``and``/``or`` when too long.

    Items are packed greedily: each continuation line starts with the operator and
    holds as many items as fit in :data:`WIDTH` columns.
    """
    flat = prefix + format_cond(c)
    if len(flat) <= WIDTH or not isinstance(c, ast.And | ast.Or) or len(c.items) < 2:
        return [flat]
    op = "and" if isinstance(c, ast.And) else "or"
    items = [_operand(i, c) for i in c.items]
    lines = [prefix + items[0]]
    for item in items[1:]:
        joined = f"{lines[-1]} {op} {item}"
        if len(joined) <= WIDTH:
            lines[-1] = joined
        else:
            lines.append(f"{CONTINUATION}{op} {item}")
    return lines


def format_type(t: ast.TypeExpr) -> str:
    if isinstance(t, ast.PrimType):
        return t.kind + (f" in {t.unit.name}" if t.unit is not None else "")
    if isinstance(t, ast.OneOfType):
        return "one of " + ", ".join(m.name for m in t.members)
    return t.name.name


# ---- declarations ----------------------------------------------------------------


def _header(d: ast.Decl) -> str:
    if isinstance(d, ast.PolicyDecl):
        return f"policy {d.name.name} {format_string(d.title.value)}"
    if isinstance(d, ast.SourceDecl):
        return f"source {d.name.name} {format_string(d.citation.value)}"
    if isinstance(d, ast.ScaleDecl):
        return f"scale {d.name.name}: " + " < ".join(lv.name for lv in d.levels)
    if isinstance(d, ast.AttributeDecl):
        return f"attribute {d.name.name}: {format_type(d.type)}"
    if isinstance(d, ast.MeasureDecl):
        return f"measure {d.name.name}: {format_type(d.type)}"
    if isinstance(d, ast.StatusDecl):
        title = f" {format_string(d.title.value)}" if d.title is not None else ""
        return f"status {d.name.name}{title}"
    if isinstance(d, ast.ParamDecl):
        return f"param {d.name.name} = {_param_value(d.value)}"
    if isinstance(d, ast.RuleDecl):
        title = f" {format_string(d.title.value)}" if d.title is not None else ""
        return f"{d.kind} {d.name.name}{title}"
    return f"use {format_string(d.path.value)}"


def _param_value(v: ast.Literal | ast.Ref | ast.Trajectory) -> str:
    if isinstance(v, ast.Trajectory):
        return (
            f"trajectory {format_value(v.start)} on {v.start_date.text} to {format_value(v.end)} on {v.end_date.text}"
        )
    return format_value(v)


_ROLE_WORDS = {
    None: "requires",
    "lead": "lead requires",
    "recipient": "recipient requires",
    "pair": "pair requires",
}

ClauseKey = int | str
"""A clause's key: its index in a rule's clauses or a param's steps, or a policy clause's name."""


def _clauses(d: ast.Decl) -> list[tuple[ClauseKey, list[str]]]:
    """The clause lines of a declaration, each clause keyed for comment placement."""
    out: list[tuple[ClauseKey, list[str]]] = []
    if isinstance(d, ast.PolicyDecl):
        if d.version is not None:
            out.append(("version", [f"{INDENT}version {format_string(d.version.value)}"]))
        if d.effective is not None:
            out.append(("effective", [f"{INDENT}effective {d.effective.text}"]))
        if d.expires is not None:
            out.append(("expires", [f"{INDENT}expires {d.expires.text}"]))
    elif isinstance(d, ast.MeasureDecl):
        if d.age is not None:
            out.append(("max", [f"{INDENT}max age {format_value(d.age.max_age)}"]))
        if (d.age is not None and d.age.stale_refuses) or d.stale_only is not None:
            out.append(("stale", [f"{INDENT}stale may refuse"]))
    elif isinstance(d, ast.ParamDecl):
        for i, step in enumerate(d.steps):
            out.append((i, [f"{INDENT}from {step.date.text} = {_param_value(step.value)}"]))
    elif isinstance(d, ast.RuleDecl):
        for i, c in enumerate(d.clauses):
            out.append((i, _clause_lines(c)))
    return out


def _clause_lines(c: ast.Clause) -> list[str]:
    if isinstance(c, ast.Cites):
        return [f"{INDENT}cites {c.source.name} {format_string(c.locator.value)}"]
    if isinstance(c, ast.Change):
        return [f"{INDENT}change {c.level.name}"]
    if isinstance(c, ast.Unless):
        return condition_lines(f"{INDENT}unless ", c.cond)
    if isinstance(c, ast.AppliesTo):
        return [f"{INDENT}applies to {c.attribute.name} in {_members(c.members)}"]
    if isinstance(c, ast.Prefer):
        head = f"{INDENT}prefer {c.name.name} {format_string(c.title.value)}"
        one = condition_lines(f"{head} when ", c.cond)
        if len(one) == 1 and len(one[0]) <= WIDTH:
            return one
        return [head, *condition_lines(f"{CONTINUATION}when ", c.cond)]  # `when` on a continuation line
    return condition_lines(f"{INDENT}{_ROLE_WORDS[c.role]} ", c.cond)


# ---- comment placement -------------------------------------------------------------


@dataclass
class _Placed:
    """The comments that belong to one declaration."""

    leading: list[tuple[str, bool]] = field(default_factory=list)  # (text, blank line before it)
    blank_after_leading: bool = False
    header_trailing: list[str] = field(default_factory=list)
    clause_leading: dict[ClauseKey, list[str]] = field(default_factory=dict)
    clause_trailing: dict[ClauseKey, list[str]] = field(default_factory=dict)
    inner_trailing: list[str] = field(default_factory=list)  # indented block right under it


@dataclass
class _Placement:
    decls: list[_Placed]
    tail: list[tuple[str, bool]]  # comments after the last declaration (text, blank before)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(_BLANKS))


def _place_comments(result: ParseResult) -> _Placement:
    src = result.source
    lines = src.text.split("\n")
    n = len(lines)
    decls = result.tree.decls
    placed = [_Placed() for _ in decls]

    # Where comments are, and which lines hold code.
    comment_at: dict[int, ast.Comment] = {}
    for comment in result.comments:
        line, _col = src.line_col(comment.span.start)
        comment_at[line - 1] = comment
    code = [False] * n
    for i, text in enumerate(lines):
        c = comment_at.get(i)
        cut = text if c is None else text[: src.line_col(c.span.start)[1] - 1]
        code[i] = bool(cut.strip(_BLANKS))
    blank = [not code[i] and i not in comment_at for i in range(n)]

    headers = [src.line_col(d.span.start)[0] - 1 for d in decls]
    ends: list[int] = []
    for k, h in enumerate(headers):
        limit = headers[k + 1] if k + 1 < len(headers) else n
        last = h
        for i in range(h + 1, limit):
            if code[i]:
                last = i
        ends.append(last)

    # Declarations and the comments inside them.
    for k, d in enumerate(decls):
        _place_inside(d, placed[k], lines, code, comment_at, headers[k], ends[k])

    # The gaps between declarations (and before the first, after the last).
    tail: list[tuple[str, bool]] = []
    for k in range(len(decls) + 1):
        start = ends[k - 1] + 1 if k > 0 else 0
        stop = headers[k] if k < len(decls) else n
        prev = placed[k - 1] if k > 0 else None
        leading = placed[k].leading if k < len(decls) else tail
        seen_blank = False
        for i in range(start, stop):
            if blank[i]:
                seen_blank = True
                continue
            c = comment_at.get(i)
            if c is None:  # pragma: no cover - every code line belongs to a declaration
                continue
            if prev is not None and not seen_blank and not leading and _indent(lines[i]) > 0:
                prev.inner_trailing.append(c.text)
                continue
            leading.append((c.text, seen_blank and bool(leading or prev is not None)))
            seen_blank = False
        if k < len(decls):
            placed[k].blank_after_leading = bool(leading) and seen_blank
    return _Placement(placed, tail)


def _slot_keys(d: ast.Decl, slots: list[tuple[int, int]], lines: list[str]) -> list[ClauseKey] | None:
    """The clause key of each logical clause line, or None if they cannot be matched."""
    if isinstance(d, ast.PolicyDecl):
        keys: list[ClauseKey] = []
        for first, _last in slots:
            word = re.match(r"[ \t\f]*([a-z]*)", lines[first])
            if word is None or word.group(1) not in ("version", "effective", "expires"):
                return None
            keys.append(word.group(1))
        return keys
    if isinstance(d, ast.MeasureDecl):
        keys = []
        for first, _last in slots:
            word = re.match(r"[ \t\f]*([a-z]*)", lines[first])
            if word is None or word.group(1) not in ("max", "stale"):
                return None
            keys.append(word.group(1))
        return keys
    count = 0
    if isinstance(d, ast.ParamDecl):
        count = len(d.steps)
    elif isinstance(d, ast.RuleDecl):
        count = len(d.clauses)
    return list(range(len(slots))) if count == len(slots) else None


def _place_inside(
    d: ast.Decl,
    placed: _Placed,
    lines: list[str],
    code: list[bool],
    comment_at: dict[int, ast.Comment],
    header: int,
    end: int,
) -> None:
    # Logical clause lines, as the layout post-lexer sees them.
    slots: list[tuple[int, int]] = []
    clause_indent = 0
    for i in range(header + 1, end + 1):
        if not code[i]:
            continue
        ind = _indent(lines[i])
        if slots and ind > clause_indent:
            slots[-1] = (slots[-1][0], i)
        else:
            slots.append((i, i))
            clause_indent = ind
    keys = _slot_keys(d, slots, lines)
    if keys is None:  # pragma: no cover - defensive: keep the comments, under the declaration
        placed.inner_trailing.extend(comment_at[i].text for i in range(header, end + 1) if i in comment_at)
        return
    # A duplicated policy clause keeps its last line; the comments of the others move before it.
    kept = {key: s for s, key in enumerate(keys)}
    for i in range(header, end + 1):
        c = comment_at.get(i)
        if c is None:
            continue
        if i == header:
            placed.header_trailing.append(c.text)
            continue
        s = next(s for s, (_first, last) in enumerate(slots) if last >= i)
        key = keys[s]
        if code[i] and i == slots[s][1] and kept[key] == s:
            placed.clause_trailing.setdefault(key, []).append(c.text)
        else:
            placed.clause_leading.setdefault(key, []).append(c.text)


# ---- rendering -------------------------------------------------------------------------


def _with_trailing(line: str, comments: list[str]) -> str:
    return f"{line}{TRAILING_GAP}{comments[-1]}" if comments else line


def _decl_lines(d: ast.Decl, placed: _Placed) -> list[str]:
    out = [_with_trailing(_header(d), placed.header_trailing)]
    for key, clause in _clauses(d):
        trailing = placed.clause_trailing.get(key, [])
        for text in [*placed.clause_leading.get(key, []), *trailing[:-1]]:
            out.append(f"{INDENT}{text}")
        clause = [*clause[:-1], _with_trailing(clause[-1], trailing[-1:])]
        out.extend(clause)
    out.extend(f"{INDENT}{text}" for text in placed.inner_trailing)
    return out


def _grouped(prev: ast.Decl, cur: ast.Decl) -> bool:
    return type(prev) is type(cur) and isinstance(cur, _GROUPED)


def _render(decls: tuple[ast.Decl, ...], placement: _Placement) -> str:
    out: list[str] = []

    def comments(block: list[tuple[str, bool]], blank_first: bool) -> None:
        for j, (text, blank_before) in enumerate(block):
            if out and (blank_before or (j == 0 and blank_first)):
                out.append("")
            out.append(text)

    for k, d in enumerate(decls):
        placed = placement.decls[k]
        separate = k > 0 and not _grouped(decls[k - 1], d)
        if placed.leading:
            comments(placed.leading, separate)
            if placed.blank_after_leading:
                out.append("")
        elif separate:
            out.append("")
        out.extend(_decl_lines(d, placed))
    comments(placement.tail, False)
    return "\n".join(out) + "\n" if out else ""
