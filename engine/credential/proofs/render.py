"""Rendering proofs: an indented text tree for people (JSON is the proof itself)."""

from __future__ import annotations

from typing import Any

from credential.escaping import terminal_text
from credential.proofs.values import show, show_percent

MARK = {
    "granted": "✓",
    "true": "✓",
    "refused": "✗",
    "false": "✗",
    "undetermined": "?",
    "unknown": "?",
}


def _loc(src: dict[str, Any] | None) -> str:
    if not src:
        return ""
    return f"{src['file']}:{src['line']}"


_value_text = show


def _evidence_text(ev: list[dict[str, Any]], limit: int = 3) -> str:
    if not ev:
        return ""
    parts = []
    for e in ev[:limit]:
        vals = e.get("values", {})
        when = vals.get("period_end") or vals.get("start") or ""
        parts.append(f"{e['file']}:{e['row']}" + (f" ({when})" if when else ""))
    more = f" +{len(ev) - limit} more" if len(ev) > limit else ""
    return ", ".join(parts) + more


def _gap_text(gap: Any, unit: str | None) -> str:
    """A gap as a person reads it: a percent gap in percentage points, a number with its unit."""
    if isinstance(gap, int | float) and not isinstance(gap, bool) and unit:
        if unit == "percent":
            return show_percent(gap)[:-1] + " percentage points"
        return show(gap, None, unit)
    return str(gap)


def _not_applicable(node: dict[str, Any]) -> str | None:
    """The provider's value when a rule node does not apply to it (its scope is false), else None."""
    kids = node.get("children") or []
    if kids and kids[0].get("kind") == "scope" and kids[0].get("outcome") == "false":
        leaf = (kids[0].get("children") or [{}])[0]
        return _value_text(leaf.get("value"))
    return None


def _line(node: dict[str, Any]) -> str:
    kind = node["kind"]
    mark = MARK.get(node["outcome"], "?")
    if kind in ("criterion", "credential"):
        title = f" — {node['title']}" if node.get("title") else ""
        who = f" [{node['provider']}]" if node.get("provider_shown") else ""
        scope = _not_applicable(node)
        if scope is not None:
            return f"– {node['name']}{who}{title}: not applicable to {scope}"
        return f"{mark} {node['name']}{who}{title}"
    if kind == "scope":
        leaf = (node.get("children") or [{}])[0]
        return f"{mark} {node['text']}: {_value_text(leaf.get('value'))}"
    if kind == "judged":
        applies = node.get("applies") or []
        return f"{mark} {node['text']}: " + (", ".join(applies) + " applies" if applies else "none applies")
    if kind == "role":
        return f"{mark} {node['name']} {node['role']} [{node['provider']}]"
    if kind == "unless":
        return f"{mark} unless{' (waived)' if node.get('waived') else ''}"
    if kind in ("and", "or", "not"):
        return f"{mark} {kind}"
    if kind == "status":
        val = node.get("value")
        state = "active" if val is True else "not active" if val is False else "unknown"
        note = f" ({node['note']})" if node.get("note") else ""
        return f"{mark} {node['text']}: {state}{note}"
    text = node["text"]
    unit = node.get("unit")
    value = _value_text(node.get("value"), None, unit)
    stale = node.get("stale") or {}
    if len(stale) == 1 and node.get("value") is None and kind == "comparison":
        (s,) = stale.values()
        shown = _value_text(s.get("value"), None, unit)
        value = f"stale {shown} ({s.get('date') or 'no date'}, max age {s.get('max_age')})"
    counts = node.get("counts")
    if counts:  # a pooled rate: the counts it rests on
        value += f" ({counts['numerator']:g} of {counts['denominator']:g})"
    peer = node.get("peer")
    if peer:  # a peer-relative position: the value it ranks, its group and the cut-off
        base = _value_text(peer.get("base"), None, peer.get("unit"))
        group = (
            f"{peer['size']} with {peer['among']} {peer['group']}"
            if peer.get("group") is not None
            else (f"no {peer['among']}")
        )
        cutoff = peer.get("cutoff")
        cut = f", cut-off {_value_text(cutoff, None, peer.get('unit'))}" if cutoff is not None else ""
        value += f" (value {base} among {group}{cut})"
    thr = node.get("threshold", {})
    if kind == "arrangement" and node.get("grace"):
        g = node["grace"]
        shown = "; ".join(
            f"started {a['start'] or 'on an unknown date'}, {g['credential']} {a['held']} then"
            for a in g["arrangements"]
        )
        return f"{mark} {text}: {'kept in grace' if node['outcome'] == 'true' else 'no grace'}" + (
            f" ({shown})" if shown else " (no such arrangement)"
        )
    if kind == "arrangement":
        return f"{mark} {text}: {value} active"
    if "in" in thr:
        return f"{mark} {text}: {value}"
    tdesc = ""
    if thr.get("param"):
        since = f", since {thr['since']}" if thr.get("since") else ""
        traj = thr.get("trajectory")
        if traj:  # an objective on its way: the value today between its two anchors
            since = (
                f" on the trajectory from {_value_text(traj['from']['value'], None, unit)} on {traj['from']['date']}"
                f" to {_value_text(traj['to']['value'], None, unit)} on {traj['to']['date']}"
            )
        tdesc = f" ({thr['param']} = {_value_text(thr.get('value'), None, unit)}{since})"
    who = f" [{node['provider']}]" if node.get("provider") and node.get("pair_context") else ""
    return f"{mark} {text}: {value}{who} {node.get('op', '')} {_value_text(thr.get('value'), None, unit)}{tdesc}"


def render_text(record: dict[str, Any], width: int = 100) -> str:
    """One decision record with its proof, as an indented tree."""
    proof = record.get("proof") or {}
    head = (
        f"{record['provider']} {record.get('provider_name') or ''}: {record['subject']} "
        f"{record['outcome'].upper()} as of {record['as_of']}"
    )
    pol = record.get("policy", {})
    lines = [head.replace("  ", " ")]
    cites = proof.get("cites") or []
    cite_txt = "; ".join(f'cites {c["source"]}, "{c["locator"]}"' for c in cites)
    lines.append(
        f"  policy {pol.get('name')} {pol.get('version')}, {_loc(proof.get('source'))}"
        + (f" — {cite_txt}" if cite_txt else "")
    )

    def walk(node: dict[str, Any], depth: int) -> None:
        text = "  " * depth + _line(node)
        extra = _evidence_text(node.get("evidence", [])) or _loc(node.get("source"))
        if node.get("missing"):
            extra = "missing: " + ", ".join(node["missing"])
        pad = max(2, width - len(text) - len(extra)) if extra else 0
        lines.append(text + (" " * pad + extra if extra else ""))
        if node.get("kind") == "scope" or _not_applicable(node) is not None:
            return  # the scope's condition is on its line; a rule that does not apply shows no more
        for child in node.get("children", []):
            walk(child, depth + 1)

    for child in proof.get("children", []):
        walk(child, 1)
    pair = "pair:" in record["subject"]
    if proof.get("to_qualify"):
        lines.append("  to qualify:")
        for item in proof["to_qualify"]:
            gap = f" (gap {_gap_text(item['gap'], item.get('unit'))})" if item.get("gap") not in (None, "") else ""
            who = f"{item['provider']}: " if item.get("provider") and pair else ""
            lines.append(f"    - {who}{item['needs']}{gap}    {_loc(item.get('source'))}")
    if proof.get("ineligible"):
        lines.append("  not eligible (fixed facts, no change of performance alters them):")
        for item in proof["ineligible"]:
            who = f"{item['provider']}: " if item.get("provider") and pair else ""
            lines.append(f"    - {who}{item['needs']}    {_loc(item.get('source'))}")
    if proof.get("cannot_qualify"):
        lines.append(f"  to qualify: none; {proof['cannot_qualify']}")
    if record.get("missing"):
        lines.append("  missing: " + ", ".join(record["missing"]))
    return "\n".join(terminal_text(line) for line in lines) + "\n"  # names, titles, values: escaped


def leaf_lines(node: dict[str, Any], inner: bool = True) -> list[str]:
    """The one-line facts a proof node rests on: its leaves (comparisons, statuses, named
    rules), each as the proof tree shows it, without the and/or/not structure above them.
    A criterion is followed, one level deep (``inner``), by the facts it rests on."""
    if node.get("kind") in ("and", "or", "not"):
        return [line for child in node.get("children", []) for line in leaf_lines(child, inner)]
    line = _line(node)
    if inner and node.get("kind") == "criterion" and node.get("children") and _not_applicable(node) is None:
        facts = [f for child in node["children"] for f in leaf_lines(child, inner=False)]
        line = f"{line.split(' — ')[0]}: " + "; ".join(f[2:] if f[:2] in _MARKS else f for f in facts)
    return [terminal_text(line)]


_MARKS = {f"{m} " for m in MARK.values()} | {"– "}
