"""Parsing ``.cred`` text into the AST, with coded diagnostics for every syntax error.

A file is split into *declaration chunks* (a chunk starts at each line that begins in
column 1 with something other than a comment) and each chunk is parsed on its own, so
one broken declaration does not hide the problems of the others.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from credential import resources
from credential.diagnostics import Diagnostic, Severity, error, sort_diagnostics
from credential.span import SourceFile, Span
from credential.syntax import ast
from credential.syntax.layout import Layout, NestingTooDeep

MAX_FILE_BYTES = 2 * 1024 * 1024

# Human names for terminals in "expected ..." messages.
TERMINAL_NAMES: dict[str, str] = {
    "NAME": "a name",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "PERCENT": "a percent",
    "DATE": "a date (YYYY-MM-DD)",
    "_NL": "the end of the line",
    "_IND": "an indented clause",
    "$END": "the end of the file",
    "LE": "`<=`",
    "GE": "`>=`",
    "NE": "`!=`",
    "EQ": "`=`",
    "LT": "`<`",
    "GT": "`>`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "DOT": "`.`",
    "SLASH": "`/`",
}


def _describe_terminal(name: str) -> str:
    if name in TERMINAL_NAMES:
        return TERMINAL_NAMES[name]
    if re.fullmatch(r"[A-Z_]+", name):
        return f"`{name.lower().rstrip('_t') if name.endswith('_T') else name.lower()}`"
    return name


def _describe_token(tok: Token) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "_IND":
        return "indented line"
    if tok.type == "$END":
        return "end of file"
    return f"`{tok.value}`"


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    text = resources.grammar_path().read_text(encoding="utf-8")
    return Lark(
        text,
        parser="lalr",
        lexer="basic",
        postlex=Layout(),
        propagate_positions=True,
        maybe_placeholders=False,
        start="start",
    )


@dataclass
class ParseResult:
    source: SourceFile
    tree: ast.PolicyFile
    comments: list[ast.Comment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # declarations that did not parse, as (keyword, name) read from their first line (name may be "")
    unparsed: list[tuple[str, str]] = field(default_factory=list)


def decode_policy_bytes(path: str, data: bytes) -> tuple[SourceFile, list[Diagnostic]]:
    """Decode policy bytes as UTF-8 (a BOM is allowed); bad bytes give ``parse.encoding``."""
    if len(data) > MAX_FILE_BYTES:
        src = SourceFile(path, "")
        return src, [
            error(
                "parse.file-too-large",
                f"policy file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}",
                src.span(0, 0),
                help="split the policy into several files joined with `use`",
            )
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        src = SourceFile(path, good)
        return src, [
            error(
                "parse.encoding",
                f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                src.span(len(good), len(good)),
                help="save the policy as UTF-8",
            )
        ]
    return SourceFile(path, text), []


def parse_file(path: str, display: str | None = None) -> ParseResult:
    """Parse a policy file; diagnostics and spans name it ``display`` (default: ``path``)."""
    shown = display or path
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        src = SourceFile(shown, "")
        return ParseResult(
            src,
            ast.PolicyFile(()),
            diagnostics=[
                Diagnostic("parse.io", Severity.ERROR, f"cannot read policy file: {exc.strerror or exc}", file=shown)
            ],
        )
    src, diags = decode_policy_bytes(shown, data)
    if diags:
        return ParseResult(src, ast.PolicyFile((), span=src.span(0, 0)), diagnostics=diags)
    return parse_source(src)


def parse_text(text: str, path: str = "<string>") -> ParseResult:
    return parse_source(SourceFile(path, text))


_CHUNK_START = re.compile(r"^(?=[^\s#])", re.MULTILINE)
# A string as the lexer reads it (possibly unterminated), or a comment.
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\r\n]|\\[^\r\n])*"?|#[^\r\n]*')


def _chunks(text: str) -> list[tuple[int, int]]:
    starts = [m.start() for m in _CHUNK_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = [*starts, len(text)]
    return [(bounds[i], bounds[i + 1]) for i in range(len(starts)) if bounds[i] < bounds[i + 1]]


def parse_source(src: SourceFile) -> ParseResult:
    decls: list[ast.Decl] = []
    comments: list[ast.Comment] = []
    diags: list[Diagnostic] = []
    unparsed: list[tuple[str, str]] = []
    syntax_errors = 0
    text = src.text
    for m in _STRING_OR_COMMENT.finditer(text):
        # Strings are matched too (and skipped) so that a '#' inside one is not a comment.
        if m.group(0).startswith("#"):
            comments.append(ast.Comment(m.group(0).rstrip(), span=src.span(m.start(), m.end())))
    for start, end in _chunks(text):
        chunk = text[start:end]
        if not chunk.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in chunk.splitlines()):
            continue
        if syntax_errors >= MAX_SYNTAX_ERRORS:
            continue
        try:
            tree, errors = _parse_recovering(src, start, chunk)
            if errors:
                room = MAX_SYNTAX_ERRORS - syntax_errors
                diags.extend(errors[:room])
                syntax_errors += len(errors)
                unparsed.append(_decl_name(chunk))
                if syntax_errors >= MAX_SYNTAX_ERRORS:
                    diags.append(
                        error(
                            "parse.too-many-errors",
                            f"more than {MAX_SYNTAX_ERRORS} syntax errors; the rest of the file is not parsed",
                            src.span(start, start),
                            help="fix these first, then check again",
                        )
                    )
                continue
            assert tree is not None
        except NestingTooDeep as exc:
            diags.append(
                error(
                    "parse.too-deep",
                    f"parentheses nested more than {64} deep",
                    _tok_span(src, start, exc.token),
                    help="simplify the condition or name parts of it as criteria",
                )
            )
            unparsed.append(_decl_name(chunk))
            continue
        try:
            built = _ToAst(src, start).transform(tree)
        except RecursionError:  # pragma: no cover - guarded by MAX_NESTING
            diags.append(error("parse.too-deep", "declaration nested too deeply", src.span(start, start)))
            unparsed.append(_decl_name(chunk))
            continue
        decls.extend(built.children)
    span = src.span(0, len(text))
    return ParseResult(src, ast.PolicyFile(tuple(decls), span=span), comments, sort_diagnostics(diags), unparsed)


MAX_SYNTAX_ERRORS = 25  # per file; then parse.too-many-errors
_DECL_HEAD = re.compile(r"([A-Za-z_]\w*)(?:[ \t]+([A-Za-z_]\w*))?")


def _decl_name(chunk: str) -> tuple[str, str]:
    m = _DECL_HEAD.match(chunk)
    return (m.group(1), m.group(2) or "") if m else ("", "")


def _parse_recovering(src: SourceFile, offset: int, chunk: str) -> tuple[Tree[Any] | None, list[Diagnostic]]:
    """Parse one declaration; after a syntax error, go on to find the others in it.

    The line of each error is blanked (kept as spaces, so every position stays the same) and
    the declaration parsed again, until it parses or an error is on its first line or at its
    end (where nothing after it can be found).  Returns the tree only when there was no error.
    """
    text = chunk
    errors: list[Diagnostic] = []
    while True:
        try:
            tree = _parser().parse(text)
        except UnexpectedInput as exc:
            errors.append(_syntax_diagnostic(src, offset, chunk, exc))
            line = _error_line(exc, text)
            lines = text.split("\n")
            if line is None or line <= 1 or line > len(lines) or not lines[line - 1].strip():
                return None, errors
            lines[line - 1] = " " * len(lines[line - 1])
            text = "\n".join(lines)
            continue
        return (tree, []) if not errors else (None, errors)


def _error_line(exc: UnexpectedInput, text: str) -> int | None:
    """The 1-based line (within the declaration) a syntax error is on; None at the end of input."""
    if isinstance(exc, UnexpectedEOF):
        return None
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return None
        pos = tok.start_pos
        if pos is None:
            return None
        if tok.type == "_NL":  # the newline ends the line the error is on
            return text.count("\n", 0, pos) + 1
        return text.count("\n", 0, pos) + 1
    if isinstance(exc, UnexpectedCharacters):
        return text.count("\n", 0, exc.pos_in_stream or 0) + 1
    return None


def _tok_span(src: SourceFile, offset: int, tok: Token) -> Span:
    start = offset + (tok.start_pos or 0)
    end = offset + (tok.end_pos if tok.end_pos is not None else (tok.start_pos or 0) + len(tok.value))
    if tok.type == "_NL":
        return src.span(end, end)
    return src.span(start, max(end, start + 1) if tok.value else start)


def _accepts(exc: UnexpectedToken, terminal: str) -> bool:
    """Whether the parser, in the state of the error, really accepts ``terminal`` next."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is None:
        return True
    try:
        return terminal in interactive.accepts()
    except Exception:
        return True


def _syntax_diagnostic(src: SourceFile, offset: int, chunk: str, exc: UnexpectedInput) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream or 0
        pos = offset + at
        ch = chunk[at] if at < len(chunk) else ""
        if ch == '"':
            line_end = chunk.find("\n", at)
            line_end = len(chunk) if line_end < 0 else line_end
            return error(
                "parse.unterminated-string",
                "string is not closed on this line",
                src.span(pos, offset + line_end),
                help='add the closing `"` (strings cannot span lines; write `\\"` for a quote inside)',
            )
        shown = repr(ch)[1:-1] if not ch.isprintable() or ch.isspace() else ch
        return error(
            "parse.unexpected-character",
            f"unexpected character `{shown}`",
            src.span(pos, pos + 1),
            help="comments start with `#`; names use letters, digits and `_`",
        )
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        wanted = set(exc.expected)
        for merged in ("AMONG", "ON"):  # LALR lookahead merged from `percentile of ...`/`trajectory ...`
            if merged in wanted and not _accepts(exc, merged):
                wanted.discard(merged)
        expected = sorted(
            {_describe_terminal(t) for t in wanted if not t.startswith("__")},
            key=lambda e: (not e.startswith("the end"), not e[1:2].isalpha(), e),
        )
        help_text = _token_help(tok, set(exc.expected))
        if not help_text and expected:
            help_text = "expected " + ", ".join(expected if len(expected) <= 10 else [*expected[:10], "..."])
        return error(
            "parse.unexpected-token",
            f"unexpected {_describe_token(tok)}",
            _tok_span(src, offset, tok),
            help=help_text,
        )
    if isinstance(exc, UnexpectedEOF):
        end = offset + len(chunk)
        return error("parse.unexpected-end", "the declaration ends too early", src.span(end, end))
    return error("parse.syntax", str(exc).splitlines()[0], src.span(offset, offset))  # pragma: no cover


def _token_help(tok: Token, expected: set[str]) -> str | None:
    if tok.type == "_IND" and "_IND" not in expected:
        return "a declaration starts in column 1; only its clauses are indented"
    clause_words = {
        "REQUIRES",
        "CITES",
        "UNLESS",
        "CHANGE",
        "VERSION",
        "EFFECTIVE",
        "EXPIRES",
        "FROM",
        "LEAD",
        "RECIPIENT",
        "PAIR",
        "PREFER",
    }
    if tok.type in clause_words and ("_IND" in expected or tok.column == 1):
        return "indent clauses under their declaration (a line in column 1 starts a new declaration)"
    if tok.type == "_NL" and expected & {"GE", "LE", "EQ", "NE", "LT", "GT"} and len(expected) > 6:
        return None
    if tok.type == "NAME" and expected == {"_NL"}:
        return "a condition continues on the next line only when that line is indented further"
    return None


# ---- Lark tree -> AST --------------------------------------------------------


def _unescape(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _ToAst(Transformer[Token, Any]):
    def __init__(self, src: SourceFile, offset: int):
        super().__init__(visit_tokens=False)
        self.src = src
        self.offset = offset

    # helpers
    def _sp(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return self.src.span(self.offset, self.offset)
        return self.src.span(self.offset + meta.start_pos, self.offset + meta.end_pos)

    def _tsp(self, tok: Token) -> Span:
        return _tok_span(self.src, self.offset, tok)

    def _ident(self, tok: Token) -> ast.Ident:
        return ast.Ident(str(tok), span=self._tsp(tok))

    def _string(self, tok: Token) -> ast.StringLit:
        return ast.StringLit(_unescape(str(tok)), span=self._tsp(tok))

    def _date(self, tok: Token) -> ast.DateLit:
        return ast.DateLit(str(tok), span=self._tsp(tok))

    @staticmethod
    def _toks(children: list[Any], *types: str) -> list[Token]:
        return [c for c in children if isinstance(c, Token) and c.type in types]

    @staticmethod
    def _nodes(children: list[Any]) -> list[Any]:
        return [c for c in children if not isinstance(c, Token)]

    # declarations
    @v_args(meta=True)
    def start(self, meta: Any, children: list[Any]) -> Tree[Any]:
        return Tree("decls", children)

    @v_args(meta=True)
    def policy_decl(self, meta: Any, c: list[Any]) -> ast.PolicyDecl:
        name, title = c[1], c[2]
        found: dict[str, Any] = {}
        repeated: list[Span] = []
        for kind, value in self._nodes(c):
            if kind in found:
                repeated.append(value.span)
            else:
                found[kind] = value
        return ast.PolicyDecl(
            self._ident(name),
            self._string(title),
            found.get("version"),
            found.get("effective"),
            found.get("expires"),
            repeated=tuple(repeated),
            span=self._sp(meta),
        )

    def version_clause(self, c: list[Any]) -> tuple[str, Any]:
        return ("version", self._string(c[1]))

    def effective_clause(self, c: list[Any]) -> tuple[str, Any]:
        return ("effective", self._date(c[1]))

    def expires_clause(self, c: list[Any]) -> tuple[str, Any]:
        return ("expires", self._date(c[1]))

    @v_args(meta=True)
    def source_decl(self, meta: Any, c: list[Any]) -> ast.SourceDecl:
        return ast.SourceDecl(self._ident(c[1]), self._string(c[2]), span=self._sp(meta))

    @v_args(meta=True)
    def scale_decl(self, meta: Any, c: list[Any]) -> ast.ScaleDecl:
        names = self._toks(c, "NAME")
        return ast.ScaleDecl(self._ident(names[0]), tuple(self._ident(n) for n in names[1:]), span=self._sp(meta))

    @v_args(meta=True)
    def attribute_decl(self, meta: Any, c: list[Any]) -> ast.AttributeDecl:
        return ast.AttributeDecl(self._ident(c[1]), self._nodes(c)[0], span=self._sp(meta))

    @v_args(meta=True)
    def measure_decl(self, meta: Any, c: list[Any]) -> ast.MeasureDecl:
        nodes = self._nodes(c)
        clauses = [n for n in nodes[1:] if isinstance(n, tuple)]
        ages = [n[1] for n in clauses if n[0] == "age"]
        stale = [n[1] for n in clauses if n[0] == "stale"]
        age = None
        if ages:
            age = ast.AgeLimit(ages[-1][0], bool(stale), span=ages[-1][1])
        only = stale[-1] if stale and not ages else None
        return ast.MeasureDecl(self._ident(c[1]), nodes[0], span=self._sp(meta), age=age, stale_only=only)

    @v_args(meta=True)
    def max_age_clause(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return ("age", (self._nodes(c)[0], self._sp(meta)))

    @v_args(meta=True)
    def stale_clause(self, meta: Any, c: list[Any]) -> tuple[str, Any]:
        return ("stale", self._sp(meta))

    @v_args(meta=True)
    def age_limit(self, meta: Any, c: list[Any]) -> ast.AgeLimit:
        refuses = any(isinstance(t, Token) and t.type == "STALE" for t in c)
        return ast.AgeLimit(self._nodes(c)[0], refuses, span=self._sp(meta))

    @v_args(meta=True)
    def status_decl(self, meta: Any, c: list[Any]) -> ast.StatusDecl:
        strings = self._toks(c, "STRING")
        title = self._string(strings[0]) if strings else None
        return ast.StatusDecl(self._ident(c[1]), title, span=self._sp(meta))

    @v_args(meta=True)
    def use_decl(self, meta: Any, c: list[Any]) -> ast.UseDecl:
        return ast.UseDecl(self._string(c[1]), span=self._sp(meta))

    @v_args(meta=True)
    def number_type(self, meta: Any, c: list[Any]) -> ast.PrimType:
        return ast.PrimType("number", span=self._sp(meta))

    @v_args(meta=True)
    def number_unit_type(self, meta: Any, c: list[Any]) -> ast.PrimType:
        return ast.PrimType("number", self._ident(self._toks(c, "NAME")[0]), span=self._sp(meta))

    @v_args(meta=True)
    def percent_type(self, meta: Any, c: list[Any]) -> ast.PrimType:
        return ast.PrimType("percent", span=self._sp(meta))

    @v_args(meta=True)
    def text_type(self, meta: Any, c: list[Any]) -> ast.PrimType:
        return ast.PrimType("text", span=self._sp(meta))

    @v_args(meta=True)
    def date_type(self, meta: Any, c: list[Any]) -> ast.PrimType:
        return ast.PrimType("date", span=self._sp(meta))

    @v_args(meta=True)
    def bool_type(self, meta: Any, c: list[Any]) -> ast.PrimType:
        return ast.PrimType("yes/no", span=self._sp(meta))

    @v_args(meta=True)
    def one_of_type(self, meta: Any, c: list[Any]) -> ast.OneOfType:
        return ast.OneOfType(tuple(self._ident(t) for t in self._toks(c, "NAME")), span=self._sp(meta))

    @v_args(meta=True)
    def named_type(self, meta: Any, c: list[Any]) -> ast.NamedType:
        return ast.NamedType(self._ident(c[0]), span=self._sp(meta))

    @v_args(meta=True)
    def param_decl(self, meta: Any, c: list[Any]) -> ast.ParamDecl:
        nodes = self._nodes(c)
        value, steps = nodes[0], tuple(nodes[1:])
        return ast.ParamDecl(self._ident(c[1]), value, steps, span=self._sp(meta))

    @v_args(meta=True)
    def param_step(self, meta: Any, c: list[Any]) -> ast.ParamStep:
        date_tok = self._toks(c, "DATE")[0]
        return ast.ParamStep(self._date(date_tok), self._nodes(c)[0], span=self._sp(meta))

    @v_args(meta=True)
    def trajectory(self, meta: Any, c: list[Any]) -> ast.Trajectory:
        start, end = self._nodes(c)
        d1, d2 = self._toks(c, "DATE")
        return ast.Trajectory(start, self._date(d1), end, self._date(d2), span=self._sp(meta))

    def rule_kind(self, c: list[Any]) -> Token:
        tok: Token = c[0]
        return tok

    @v_args(meta=True)
    def rule_decl(self, meta: Any, c: list[Any]) -> ast.RuleDecl:
        kind_tok: Token = c[0]
        name = self._ident(c[1])
        strings = [t for t in c[2:] if isinstance(t, Token) and t.type == "STRING"]
        title = self._string(strings[0]) if strings else None
        clauses = tuple(self._nodes(c[2:]))
        kind = str(kind_tok)
        assert kind in ("criterion", "credential", "form")
        return ast.RuleDecl(kind, name, title, clauses, span=self._sp(meta))  # type: ignore[arg-type]

    # clauses
    @v_args(meta=True)
    def cites_clause(self, meta: Any, c: list[Any]) -> ast.Cites:
        return ast.Cites(self._ident(c[1]), self._string(c[2]), span=self._sp(meta))

    @v_args(meta=True)
    def requires_clause(self, meta: Any, c: list[Any]) -> ast.Requires:
        return ast.Requires(self._nodes(c)[0], None, span=self._sp(meta))

    @v_args(meta=True)
    def lead_clause(self, meta: Any, c: list[Any]) -> ast.Requires:
        return ast.Requires(self._nodes(c)[0], "lead", span=self._sp(meta))

    @v_args(meta=True)
    def recipient_clause(self, meta: Any, c: list[Any]) -> ast.Requires:
        return ast.Requires(self._nodes(c)[0], "recipient", span=self._sp(meta))

    @v_args(meta=True)
    def pair_clause(self, meta: Any, c: list[Any]) -> ast.Requires:
        return ast.Requires(self._nodes(c)[0], "pair", span=self._sp(meta))

    @v_args(meta=True)
    def prefer_clause(self, meta: Any, c: list[Any]) -> ast.Prefer:
        return ast.Prefer(
            self._ident(self._toks(c, "NAME")[0]),
            self._string(self._toks(c, "STRING")[0]),
            self._nodes(c)[0],
            span=self._sp(meta),
        )

    @v_args(meta=True)
    def applies_clause(self, meta: Any, c: list[Any]) -> ast.AppliesTo:
        names = self._toks(c, "NAME")
        return ast.AppliesTo(self._ident(names[0]), tuple(self._ident(n) for n in names[1:]), span=self._sp(meta))

    @v_args(meta=True)
    def judged_by(self, meta: Any, c: list[Any]) -> ast.JudgedBy:
        return ast.JudgedBy(tuple(self._ident(n) for n in self._toks(c, "NAME")), span=self._sp(meta))

    @v_args(meta=True)
    def unless_clause(self, meta: Any, c: list[Any]) -> ast.Unless:
        return ast.Unless(self._nodes(c)[0], span=self._sp(meta))

    @v_args(meta=True)
    def change_clause(self, meta: Any, c: list[Any]) -> ast.Change:
        return ast.Change(self._ident(c[1]), span=self._sp(meta))

    # conditions
    @v_args(meta=True)
    def or_cond(self, meta: Any, c: list[Any]) -> ast.Or:
        items: list[ast.Cond] = []
        for n in self._nodes(c):
            items.extend(n.items if isinstance(n, ast.Or) and not getattr(n, "_paren", False) else [n])
        return ast.Or(tuple(items), span=self._sp(meta))

    @v_args(meta=True)
    def and_cond(self, meta: Any, c: list[Any]) -> ast.And:
        items: list[ast.Cond] = []
        for n in self._nodes(c):
            items.extend(n.items if isinstance(n, ast.And) else [n])
        return ast.And(tuple(items), span=self._sp(meta))

    @v_args(meta=True)
    def not_cond(self, meta: Any, c: list[Any]) -> ast.Not:
        return ast.Not(self._nodes(c)[0], span=self._sp(meta))

    def paren(self, c: list[Any]) -> Any:
        return self._nodes(c)[0]

    @v_args(meta=True)
    def bare(self, meta: Any, c: list[Any]) -> ast.Bare:
        return ast.Bare(self._nodes(c)[0], span=self._sp(meta))

    def cmp_op(self, c: list[Any]) -> str:
        return str(c[0])

    @v_args(meta=True)
    def compare(self, meta: Any, c: list[Any]) -> ast.Compare:
        left, op, right = self._nodes(c)
        return ast.Compare(left, op, right, span=self._sp(meta))

    @v_args(meta=True)
    def compare_aged(self, meta: Any, c: list[Any]) -> ast.Compare:
        left, op, right, age = self._nodes(c)
        return ast.Compare(left, op, right, span=self._sp(meta), age=age)

    @v_args(meta=True)
    def quantified_aged(self, meta: Any, c: list[Any]) -> ast.Quantified:
        nodes = self._nodes(c)
        quant, values, op, right, age = nodes[0], nodes[1:-3], nodes[-3], nodes[-2], nodes[-1]
        return ast.Quantified(quant, tuple(values), op, right, span=self._sp(meta), age=age)

    @v_args(meta=True)
    def in_list(self, meta: Any, c: list[Any]) -> ast.InList:
        value = self._nodes(c)[0]
        members = tuple(self._ident(t) for t in self._toks(c, "NAME"))
        return ast.InList(value, members, span=self._sp(meta))

    def quant(self, c: list[Any]) -> str:
        return str(c[0])

    @v_args(meta=True)
    def quantified(self, meta: Any, c: list[Any]) -> ast.Quantified:
        nodes = self._nodes(c)
        quant, values, op, right = nodes[0], nodes[1:-2], nodes[-2], nodes[-1]
        return ast.Quantified(quant, tuple(values), op, right, span=self._sp(meta))

    @v_args(meta=True)
    def quantified_in(self, meta: Any, c: list[Any]) -> ast.Quantified:
        nodes = self._nodes(c)
        in_index = next(i for i, t in enumerate(c) if isinstance(t, Token) and t.type == "IN")
        members = tuple(self._ident(t) for t in self._toks(c[in_index:], "NAME"))
        return ast.Quantified(nodes[0], tuple(nodes[1:]), "in", None, members, span=self._sp(meta))

    def arr_verb(self, c: list[Any]) -> str:
        return str(c[0])

    def arr_role(self, c: list[Any]) -> str:
        return str(c[0])

    def agg(self, c: list[Any]) -> str:
        return str(c[0])

    def unit(self, c: list[Any]) -> str:
        return str(c[0])

    def arr_options(self, c: list[Any]) -> tuple[Any, Any]:
        form = None
        within = None
        it = iter(range(len(c)))
        for i in it:
            item = c[i]
            if isinstance(item, Token) and item.type == "AS":
                form = self._ident(c[i + 1])
            elif isinstance(item, Token) and item.type == "WITHIN":
                within = c[i + 1]
        return form, within

    @v_args(meta=True)
    def arrangement_cond(self, meta: Any, c: list[Any]) -> ast.ArrangementCond:
        verb = c[0]
        form, within = c[-1]
        return ast.ArrangementCond(verb, form, within, span=self._sp(meta))

    @v_args(meta=True)
    def held_cond(self, meta: Any, c: list[Any]) -> ast.ArrangementCond:
        form, within = c[-1]
        return ast.ArrangementCond("leads", form, within, span=self._sp(meta), held=self._ident(c[1]))

    @v_args(meta=True)
    def arrangement_count(self, meta: Any, c: list[Any]) -> ast.ArrangementCount:
        role = next(x for x in c if isinstance(x, str) and not isinstance(x, Token))
        form, within = c[-1]
        return ast.ArrangementCount("led" if role == "led" else "received", form, within, span=self._sp(meta))

    @v_args(meta=True)
    def aggregate(self, meta: Any, c: list[Any]) -> ast.Aggregate:
        func = c[0]
        names = self._toks(c, "NAME")
        number = self._toks(c, "NUMBER")[0]
        unit = c[-1]
        return ast.Aggregate(func, self._ident(names[0]), str(number), unit, span=self._sp(meta))

    @v_args(meta=True)
    def pooled(self, meta: Any, c: list[Any]) -> ast.Aggregate:
        names = self._toks(c, "NAME")
        number = self._toks(c, "NUMBER")[0]
        unit = next(x for x in c if isinstance(x, str) and not isinstance(x, Token))
        minimum = next((x for x in c if isinstance(x, ast.NumberLit | ast.Ref)), None)
        return ast.Aggregate("pooled", self._ident(names[0]), str(number), unit, minimum, span=self._sp(meta))

    def peer_func(self, c: list[Any]) -> str:
        return str(c[0])

    @v_args(meta=True)
    def peer(self, meta: Any, c: list[Any]) -> ast.Peer:
        func = c[0]
        base = c[2]  # peer_func OF value ...
        among = self._toks(c, "NAME")[-1]
        minimum = c[-1] if isinstance(c[-1], ast.NumberLit | ast.Ref) else None
        return ast.Peer(func, base, self._ident(among), minimum, span=self._sp(meta))

    def pool_minimum(self, c: list[Any]) -> ast.NumberLit | ast.Ref:
        tok: Token = c[2]
        if tok.type == "NUMBER":
            return ast.NumberLit(str(tok), span=self._tsp(tok))
        return ast.Ref(self._ident(tok), span=self._tsp(tok))

    @v_args(meta=True)
    def ref(self, meta: Any, c: list[Any]) -> ast.Ref:
        who = None
        if isinstance(c[0], Token) and c[0].type in ("LEAD", "RECIPIENT"):
            who = "lead" if c[0].type == "LEAD" else "recipient"
        name = self._toks(c, "NAME")[-1]
        return ast.Ref(self._ident(name), who, span=self._sp(meta))  # type: ignore[arg-type]

    # literals
    def number_lit(self, c: list[Any]) -> ast.NumberLit:
        return ast.NumberLit(str(c[0]), span=self._tsp(c[0]))

    def percent_lit(self, c: list[Any]) -> ast.PercentLit:
        return ast.PercentLit(str(c[0])[:-1], span=self._tsp(c[0]))

    def date_lit(self, c: list[Any]) -> ast.DateLit:
        return self._date(c[0])

    def string_lit(self, c: list[Any]) -> ast.StringLit:
        return self._string(c[0])

    def yes_lit(self, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, span=self._tsp(c[0]))

    def no_lit(self, c: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, span=self._tsp(c[0]))

    @v_args(meta=True)
    def duration(self, meta: Any, c: list[Any]) -> ast.DurationLit:
        return ast.DurationLit(str(c[0]), c[1], span=self._sp(meta))
