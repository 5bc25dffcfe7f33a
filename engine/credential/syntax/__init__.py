"""Policy text → AST (the only package that imports Lark), and the formatter."""

from credential.syntax.parser import ParseResult, parse_file, parse_source, parse_text

__all__ = ["ParseResult", "parse_file", "parse_source", "parse_text"]
