"""YAML that remembers where it was written: every mapping, list and string carries a span.

Test files are read with PyYAML's *base* loader, so no scalar is guessed into another type:
``yes`` stays the string ``"yes"`` and ``2016-04-01`` the string ``"2016-04-01"`` (the test
runner and the bundle validator parse them by what they mean).  A plain ``~``/``null`` or an
empty plain value is ``None``.  Anchors, aliases and ``<<`` merge keys work as usual.
"""

from __future__ import annotations

from typing import Any

import yaml

from credential.diagnostics import Diagnostic, error
from credential.span import SourceFile, Span

NULLS = frozenset({"~", "null", "Null", "NULL", ""})


class YStr(str):
    """A string scalar with the span it was written at."""

    span: Span


class YMap(dict[str, Any]):
    """A mapping; ``key_spans`` gives where each key was written."""

    span: Span
    key_spans: dict[str, Span]


class YList(list[Any]):
    span: Span


def span_of(value: Any, default: Span) -> Span:
    span = getattr(value, "span", None)
    return span if isinstance(span, Span) else default


class _Converter:
    def __init__(self, source: SourceFile):
        self.source = source
        self.diags: list[Diagnostic] = []
        self.depth = 0

    def span(self, node: yaml.Node) -> Span:
        start, end = node.start_mark.index, node.end_mark.index
        if isinstance(node, yaml.ScalarNode):
            # a plain multi-line scalar may end on the next line: keep the span on its first line
            end = min(end, start + max(1, len(str(node.value))))
        return self.source.span(start, end)

    def convert(self, node: yaml.Node) -> Any:
        self.depth += 1
        try:
            if self.depth > 100:
                message = "the YAML nests too deeply (a recursive alias?)"
                self.diags.append(error("test.bad-file", message, self.span(node)))
                return None
            if isinstance(node, yaml.ScalarNode):
                if node.style is None and node.value in NULLS:
                    return None
                s = YStr(node.value)
                s.span = self.span(node)
                return s
            if isinstance(node, yaml.SequenceNode):
                items = YList(self.convert(n) for n in node.value)
                items.span = self.span(node)
                return items
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node)
        finally:
            self.depth -= 1

    def mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap()
        out.span = self.span(node)
        out.key_spans = {}
        merged: list[YMap] = []
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                self.diags.append(error("test.bad-file", "a key must be a plain name", self.span(knode)))
                continue
            key = str(knode.value)
            if key == "<<":
                value = self.convert(vnode)
                sources = value if isinstance(value, list) else [value]
                merged.extend(v for v in sources if isinstance(v, YMap))
                continue
            if key in out:
                twice = error(
                    "test.duplicate-key",
                    f"the key `{key}` is given twice",
                    self.span(knode),
                    help="a mapping holds each key once; remove one of them",
                )
                self.diags.append(twice)
                continue
            out.key_spans[key] = self.span(knode)
            out[key] = self.convert(vnode)
        for m in merged:  # explicit keys win over merged ones; earlier merges over later ones
            for key, value in m.items():
                if key not in out:
                    out[key] = value
                    out.key_spans[key] = m.key_spans.get(key, m.span)
        return out


def load_documents(text: str, display: str) -> tuple[SourceFile, list[Any], list[Diagnostic]]:
    """Every YAML document in ``text`` (empty documents left out), with diagnostics."""
    source = SourceFile(display, text)
    conv = _Converter(source)
    docs: list[Any] = []
    try:
        for node in yaml.compose_all(text, Loader=yaml.BaseLoader):
            if node is not None:
                docs.append(conv.convert(node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = source.span(mark.index, mark.index + 1) if mark is not None else source.span(0, 0)
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "not valid YAML"
        conv.diags.append(
            error(
                "test.yaml",
                f"not valid YAML: {message}",
                at,
                help="check the indentation and quoting around this place",
            )
        )
    except yaml.YAMLError as exc:  # pragma: no cover - every parser error carries a mark
        conv.diags.append(error("test.yaml", f"not valid YAML: {exc}", source.span(0, 0)))
    return source, docs, conv.diags
