"""Proof trees as HTML: one ``<details>`` per node, rendered generically from the node's fields.

A node's summary line shows its outcome mark, its kind, what it is (a rule's name and title, a
condition's text) and, for a leaf, the provider's value against the threshold.  Its body lists
the citations, the data rows it rests on (every cell), the missing values, and every other field
the node carries under its own name, so a node kind this module has never heard of (a grace
period, stale evidence, "not applicable") still shows all it says.  Percents are shown as
percents: a value is a percent when the node says so (``unit``) or when the policy declares the
condition's operands percents.

This is the page-building hot path (every decision of every provider), so nodes are rendered
with f-strings and :func:`markupsafe.escape` rather than template calls, and a rule's subtree is
rendered once per page however many of the provider's proofs show it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from html import escape as _html_escape
from typing import Any

from markupsafe import Markup

from credential.check import CheckedPolicy, ir
from credential.types import PercentType

_ESCAPED: dict[str, str] = {}


def escape(v: Any) -> str:
    """HTML-escaped text (a plain ``str``: the tree is joined as text and marked safe once).

    Memoised: a report escapes the same rule texts, file names and values many times.
    """
    s = v if isinstance(v, str) else str(v)
    hit = _ESCAPED.get(s)
    if hit is None:
        if len(_ESCAPED) > 500_000:
            _ESCAPED.clear()
        hit = _ESCAPED[s] = _html_escape(s, quote=True)
    return hit


MARK = {"granted": "✓", "true": "✓", "refused": "✗", "false": "✗", "undetermined": "?", "unknown": "?"}
WORD = {"true": "holds", "false": "fails", "unknown": "unknown", "granted": "granted", "refused": "refused"}
WORD["undetermined"] = "undetermined"

# fields the summary line or the body shows in a dedicated way; any other field is listed as it is
_SHOWN = {
    "kind",
    "outcome",
    "name",
    "title",
    "text",
    "provider",
    "source",
    "cites",
    "children",
    "evidence",
    "missing",
    "value",
    "op",
    "threshold",
    "defined_at",
    "subject",
    "as_of",
    "to_qualify",
    "role",
    "lead",
    "recipient",
    "unit",
}


def fmt_percent(v: float) -> str:
    """A fraction as a percent, every digit the data has kept (0.781135 → 78.1135%)."""
    return f"{round(float(v) * 100, 8):.8g}%"


_MARKS: dict[str, str] = {}


def _mark_text(outcome: str) -> str:
    """An outcome's mark, read out as its word (the glyph alone means nothing to a screen reader)."""
    hit = _MARKS.get(outcome)
    if hit is None:
        word = escape(WORD.get(outcome, outcome))
        hit = _MARKS[outcome] = (
            f'<span class="mark o-{escape(outcome)}" role="img" aria-label="{word}">{MARK.get(outcome, "•")}</span>'
        )
    return hit


def mark(outcome: str) -> Markup:
    m = MARK.get(outcome, "•")
    return Markup(f'<span class="mark o-{escape(outcome)}" aria-hidden="true">{m}</span>')


class Units:
    """Which proof nodes' values are percents, from the policy's declarations."""

    def __init__(self, policy: CheckedPolicy):
        self.policy = policy
        self._by_place: dict[tuple[str, int, int], bool] = {}
        for rule in [*policy.criteria.values(), *policy.credentials.values()]:
            for cond in (rule.requires, rule.unless):
                if cond is not None:
                    self._index(cond)
        for form in policy.forms.values():
            for cond in (form.lead, form.recipient, form.pair):
                if cond is not None:
                    self._index(cond)
        self.percent_measures = {m for m, t in policy.measures.items() if isinstance(t, PercentType)}

    def _index(self, cond: ir.Cond) -> None:
        if isinstance(cond, ir.CAnd | ir.COr):
            for c in cond.items:
                self._index(c)
        elif isinstance(cond, ir.CNot):
            self._index(cond.item)
        elif isinstance(cond, ir.CCompare):
            key = (cond.span.path, cond.span.line, cond.span.column)
            self._by_place[key] = self._by_place.get(key, False) or isinstance(cond.left.type, PercentType)

    def is_percent(self, node: dict[str, Any]) -> bool:
        unit = node.get("unit")
        if isinstance(unit, str):
            return unit in ("percent", "%")
        src = node.get("source") or {}
        return self._by_place.get((src.get("file", ""), src.get("line", 0), src.get("column", 0)), False)


def value_text(v: Any, percent: bool = False) -> str:
    if v is None:
        return "missing"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if percent and isinstance(v, int | float):
        return fmt_percent(v)
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def loc(src: Any) -> str:
    if not isinstance(src, dict) or "file" not in src:
        return ""
    return f"{src['file']}:{src.get('line', '')}"


class ProofHtml:
    """Renders the proofs of one provider page (memoising rule subtrees for that page)."""

    def __init__(self, units: Units, link_rule: Callable[[str, str], str | None], own_decisions: set[str]):
        self.units = units
        self.link_rule = link_rule  # (kind, name) -> href of the rule's page, or None
        self.own = own_decisions  # subjects with a section on this page (credential:NAME ...)
        self._memo: dict[tuple[str, str, str, str], str] = {}
        self._cites: dict[tuple[tuple[str, str], ...], str] = {}

    # ---- the summary line ---------------------------------------------------
    def summary(self, node: dict[str, Any]) -> str:
        kind = str(node.get("kind", "node"))
        outcome = str(node.get("outcome", ""))
        parts = [_mark_text(outcome)]
        parts.append(f'<span class="kind">{escape(kind)}</span>')
        name = node.get("name")
        if kind in ("criterion", "credential") and isinstance(name, str):
            parts.append(f'<strong class="name">{escape(name)}</strong>')
            if node.get("title"):
                parts.append(f'<span class="title">— {escape(node["title"])}</span>')
        elif kind == "role":
            parts.append(f'<strong class="name">{escape(node.get("name", ""))} {escape(node.get("role", ""))}</strong>')
        elif kind == "unless":
            parts.append("<code>unless</code>" + (" (waived)" if node.get("waived") else ""))
        elif node.get("text") and kind not in ("and", "or", "not"):
            parts.append(f"<code>{escape(node['text'])}</code>")
        if "value" in node:
            parts.append(f'<span class="val">{escape(self._value_phrase(node))}</span>')
        where = loc(node.get("source"))
        if where:
            parts.append(f'<span class="loc">{escape(where)}</span>')
        return " ".join(parts)

    def _value_phrase(self, node: dict[str, Any]) -> str:
        kind = node.get("kind")
        v = node.get("value")
        pct = self.units.is_percent(node)
        if kind == "status":
            return "active" if v is True else "not active" if v is False else "unknown"
        if kind == "arrangement":
            return f"{value_text(v)} active"
        thr = node.get("threshold")
        if not isinstance(thr, dict):
            return value_text(v, pct)
        if "in" in thr:
            return f"{value_text(v, pct)} in {', '.join(map(str, thr['in']))}"
        op = node.get("op", "")
        t = value_text(thr.get("value"), pct)
        extra = ""
        if thr.get("param"):
            since = f", since {thr['since']}" if thr.get("since") else ""
            extra = f" ({thr['param']}{since})"
        who = f" [{node['provider']}]" if node.get("provider") and node.get("pair_context") else ""
        return f"{value_text(v, pct)}{who} {op} {t}{extra}"

    # ---- the body -----------------------------------------------------------
    def body(self, node: dict[str, Any], depth: int) -> str:
        out: list[str] = []
        name = node.get("name")
        if node.get("kind") in ("criterion", "credential") and isinstance(name, str):
            # links stay out of <summary> (an interactive control must not hold another)
            href = self.link_rule(str(node["kind"]), name)
            if href:
                out.append(f'<p class="rule-link"><a href="{escape(href)}">{escape(name)}: the rule\'s page</a></p>')
        cites = node.get("cites") or []
        if cites:
            key = tuple((c.get("citation") or c.get("source", ""), c.get("locator") or "") for c in cites)
            hit = self._cites.get(key)
            if hit is None:
                items = "".join(
                    f"<li><cite>{escape(c)}</cite>{', “' + escape(loc_) + '”' if loc_ else ''}</li>" for c, loc_ in key
                )
                hit = self._cites[key] = f'<ul class="cites" aria-label="citations">{items}</ul>'
            out.append(hit)
        if node.get("missing"):
            out.append('<p class="missing">Missing: ' + ", ".join(str(escape(m)) for m in node["missing"]) + "</p>")
        evidence = node.get("evidence") or []
        if evidence:
            out.append(self.evidence(evidence))
        extra = [(k, v) for k, v in node.items() if k not in _SHOWN]
        if extra:
            rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(value_text(v))}</dd>" for k, v in extra)
            out.append(f'<dl class="fields">{rows}</dl>')
        if node.get("defined_at"):
            out.append(f'<p class="defined">defined at {escape(loc(node["defined_at"]))}</p>')
        kids = node.get("children") or []
        if kids:
            out.append('<ul class="tree">' + "".join(f"<li>{self.node(c, depth + 1)}</li>" for c in kids) + "</ul>")
        return "".join(out)

    def evidence(self, rows: list[dict[str, Any]]) -> str:
        cols: list[str] = []
        for r in rows:
            for k in r.get("values", {}):
                if k not in cols:
                    cols.append(k)
        head = "".join(f'<th scope="col">{escape(c)}</th>' for c in ["row", *cols])
        body = []
        for r in rows:
            vals = r.get("values", {})
            pct = vals.get("measure") in self.units.percent_measures
            cells = []
            for c in cols:
                cell = str(vals.get(c, ""))
                if c == "value" and pct and cell:
                    with contextlib.suppress(ValueError):
                        cell = f"{cell} ({fmt_percent(float(cell))})"
                cells.append(f"<td>{escape(cell)}</td>")
            body.append(
                f'<tr><th scope="row">{escape(r.get("file", ""))}:{escape(r.get("row", ""))}</th>{"".join(cells)}</tr>'
            )
        return (
            f'<table class="evidence"><caption>Data rows used</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    def node(self, node: dict[str, Any], depth: int = 0) -> str:
        kind = str(node.get("kind", ""))
        name = node.get("name")
        if depth > 0 and kind == "credential" and f"credential:{name}" in self.own:
            # a credential this page decides in its own section: link there instead of repeating it
            return (
                f'<div class="ref">{self.summary(node)} '
                f'<a class="see" href="#d-credential-{escape(name)}">its proof</a></div>'
            )
        key = None
        if kind in ("criterion", "credential") and isinstance(name, str):
            key = (kind, name, str(node.get("provider", "")), str(node.get("outcome", "")) + str(node.get("source")))
            hit = self._memo.get(key)
            if hit is not None:
                return hit
        outcome = escape(str(node.get("outcome", "")))
        html = (
            f'<details class="node o-{outcome}"><summary>{self.summary(node)}</summary>'
            f'<div class="body">{self.body(node, depth)}</div></details>'
        )
        if key is not None:
            self._memo[key] = html
        return html

    # ---- a decision's section and its row in the page's summary table -------------
    @staticmethod
    def outcome_html(outcome: str) -> str:
        glyph = MARK.get(outcome, "•")
        return (
            f'<span class="outcome o-{escape(outcome)}"><span class="mark" aria-hidden="true">{glyph}</span> '
            f"{escape(outcome)}</span>"
        )

    def summary_row(self, d: dict[str, Any]) -> str:
        return (
            f'<tr><th scope="row"><a href="#{escape(d["anchor"])}">{escape(d["subject"])}</a></th>'
            f"<td>{self.outcome_html(d['outcome'])}</td><td>{escape(', '.join(d['missing']))}</td></tr>"
        )

    def section(self, d: dict[str, Any], policy_label: str) -> str:
        """One decision: its outcome, rule line, citations, missing values, gap to close, and its proof."""
        a, subject = escape(d["anchor"]), escape(d["subject"])
        out = [
            f'<section class="decision" id="{a}" aria-labelledby="h-{a}">\n'
            f'<h3 id="h-{a}">{subject}: {self.outcome_html(d["outcome"])}</h3>\n'
            f'<p class="rule-line">Policy {escape(policy_label)}, {escape(d["where"])}'
            + (f' · <a href="{escape(d["rule_href"])}">the rule\'s page</a>' if d.get("rule_href") else "")
            + "</p>\n"
        ]
        if d.get("cites"):
            key = tuple((c.get("citation") or c.get("source", ""), c.get("locator") or "") for c in d["cites"])
            out.append(
                '<ul class="cites" aria-label="citations">'
                + "".join(
                    f"<li><cite>{escape(c)}</cite>{', “' + escape(loc_) + '”' if loc_ else ''}</li>" for c, loc_ in key
                )
                + "</ul>\n"
            )
        if d.get("extra"):
            out.append(
                '<dl class="fields">'
                + "".join(f"<dt>{escape(k)}</dt><dd>{escape(value_text(v))}</dd>" for k, v in d["extra"])
                + "</dl>\n"
            )
        if d.get("missing"):
            out.append(f'<p class="missing">Missing: {escape(", ".join(d["missing"]))}</p>\n')
        if d.get("gap"):
            out.append(str(d["gap"]) + "\n")
        out.append(
            f'<details class="proof"><summary>Proof of {subject}</summary>\n{d["tree"]}\n</details>\n</section>\n'
        )
        return "".join(out)

    # ---- to_qualify -----------------------------------------------------------
    def gap(self, items: list[dict[str, Any]]) -> str:
        """``to_qualify`` as the gap to close: what each failing condition is and what it needs."""
        rows = []
        for it in items:
            pct = self.units.is_percent(it)
            gap = it.get("gap")
            if isinstance(gap, int | float) and not isinstance(gap, bool):
                gap_text = f"{round(gap * 100, 8):.8g} percentage points" if pct else f"{gap:.6g}"
            else:
                gap_text = "" if gap in (None, "") else str(gap)
            value = value_text(it.get("value"), pct) if "value" in it else ""
            need = value_text(it.get("threshold"), pct) if "threshold" in it else ""
            extra = [(k, v) for k, v in it.items() if k not in _GAP_SHOWN]
            more = "".join(f' <span class="field">{escape(k)}: {escape(value_text(v))}</span>' for k, v in extra)
            needs = str(it.get("needs", ""))
            m = _NEEDS.search(needs)
            if m and need:
                needs = f"{m.group(1)} {m.group(2)} {need}" + (" (value missing)" if "(value missing)" in needs else "")
            rows.append(
                f"<tr><td><code>{escape(it.get('text', ''))}</code>{more}</td><td>{escape(value)}</td>"
                f"<td>{escape(needs)}</td><td>{escape(gap_text)}</td><td>{escape(loc(it.get('source')))}</td></tr>"
            )
        return (
            '<table class="gap"><caption>Gap to close</caption><thead><tr><th scope="col">condition</th>'
            '<th scope="col">now</th><th scope="col">needs</th><th scope="col">gap</th>'
            '<th scope="col">policy line</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
        )


_NEEDS = re.compile(r"; (needs(?: not)?) (\S+) ")
_GAP_SHOWN = {"text", "source", "must_be", "provider", "value", "threshold", "needs", "gap", "unit"}
