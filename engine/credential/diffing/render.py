"""``credential diff`` output: text for people, JSON for machines (both deterministic)."""

from __future__ import annotations

import json
import textwrap
from collections import defaultdict

from credential.diffing.declarations import DeclChange
from credential.diffing.result import ABSENT, Cause, DecisionChange, DiffResult

OUTCOME_RANK = {"granted": 0, "undetermined": 1, "refused": 2, ABSENT: 3}
LIST_NAMES_UP_TO = 10
"""A bucket of at most this many decisions lists one provider a line with its name; a larger
one lists the codes only, wrapped (the JSON output has every name)."""
WIDTH = 100


def render_json(result: DiffResult) -> str:
    """Indented JSON, except that each changed decision takes one line (there can be thousands)."""
    payload = result.to_json_dict()
    changes = payload.pop("changes")
    head = json.dumps(payload, ensure_ascii=False, indent=2)
    assert head.endswith("\n}")
    if not changes:
        return head[:-2] + ',\n  "changes": []\n}\n'
    body = ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in changes)
    return head[:-2] + ',\n  "changes": [\n' + body + "\n  ]\n}\n"


def _decl_label(decl: DeclChange) -> str:
    return decl.label + ("" if decl.status == "changed" else f" ({decl.status})")


def _cause_text(cause: Cause, change: DecisionChange, decls: dict[str, DeclChange]) -> str:
    decl = decls.get(cause.declaration)
    label = decl.label if decl is not None else cause.declaration
    who = ""
    if change.subject.startswith("pair:") and cause.providers:
        lead, rec = change.subject.split(":")[2:4]
        roles: dict[tuple[str, ...], str] = {(lead,): "lead", (rec,): "recipient"}
        role = roles.get(cause.providers)
        who = f" [{role}]" if role else ""
    if change.attribution == "declaration" and decl is not None and decl.status != "changed":
        return f"{label} {decl.status}"
    text = label + who
    if cause.old is not None and cause.new is not None:
        if cause.old == ABSENT:
            text += f" (added): {cause.new}"
        elif cause.new == ABSENT:
            text += f" (removed): was {cause.old}"
        else:
            text += f": {cause.old} → {cause.new}"
    elif decl is not None and decl.status != "changed":
        text += f" ({decl.status})"
    if cause.via:
        text += " (" + "; ".join(cause.via) + ")"
    return text


def _because(change: DecisionChange, decls: dict[str, DeclChange]) -> str:
    """``because A`` then ``and B`` a line each (joined by newlines)."""
    causes = [_cause_text(c, change, decls) for c in change.causes] or ["no changed declaration found"]
    first = "because "
    if change.attribution == "fallback":
        first += "(not separable by truth: every changed dependency) "
    return "\n".join([first + causes[0], *("    and " + c for c in causes[1:])])


def _who(change: DecisionChange) -> str:
    if change.subject.startswith("pair:"):
        lead, rec = change.subject.split(":")[2:4]
        return f"{lead}→{rec}"
    return change.provider


def _summary_line(name: str, count: int, rest: str, width: int) -> str:
    return f"  {name:<{width}} {count:>5}  {rest}".rstrip()


def render_text(result: DiffResult) -> str:
    decls = {d.id: d for d in result.declarations}
    old, new = result.old_policy, result.new_policy
    day = result.as_of.isoformat()
    lines = [
        f"credential diff: {old.name} {old.version} → {new.name} {new.version}, as of {day}"
        + (" (pairs included)" if result.pairs else ""),
        f"{result.providers} providers; {result.decisions_old} decisions before, "
        f"{result.decisions_new} after; {len(result.changes)} changed",
        "",
    ]

    by_subject = result.by_subject()
    lines.append("Changed decisions by subject")
    if not by_subject:
        lines.append("  (none)")
    width = max([len(g) for g in by_subject] + [10])
    for group, transitions in by_subject.items():
        parts = sorted(transitions.items(), key=lambda kv: (-kv[1], kv[0]))
        counts = ", ".join(f"{t} {n}" for t, n in parts)
        lines.append(_summary_line(group, sum(transitions.values()), counts, width))
    lines.append("")

    by_cause = result.by_cause()
    lines.append("Changed decisions by cause (a decision with several causes counts under each)")
    if not by_cause:
        lines.append("  (none)")
    labels = {d: _decl_label(decls[d]) for d in by_cause}
    width = max([len(v) for v in labels.values()] + [10])
    for decl_id, count in by_cause.items():
        note = ""
        if not count:
            pair_only = decls[decl_id].part == "pair" and not result.pairs
            note = "changes no decision" + (" (pairs not compared: --pairs)" if pair_only else "")
        lines.append(_summary_line(labels[decl_id], count, note, width))
    lines.append("")

    lines.append("Changed declarations")
    if not result.declarations:
        lines.append("  (none: the two versions mean the same)")
    decisive = [d for d in result.declarations if d.decisive]
    other = [d for d in result.declarations if not d.decisive]
    for d in decisive + other:
        where = " → ".join(w for w in (d.old_source, d.new_source) if w)
        head = f"  {_decl_label(d)}" + ("" if d.decisive else " [cannot change a decision]")
        lines.append(head + (f"  ({where})" if where else ""))
        lines.extend(f"      {detail}" for detail in d.details)
    lines.append("")

    lines.append("Changed decisions")
    if not result.changes:
        lines.append("  (none)")
    groups: dict[str, list[DecisionChange]] = defaultdict(list)
    for c in result.changes:
        groups[c.group].append(c)
    for group, changes in groups.items():
        lines.append(f"{group}: {len(changes)} change{'s' if len(changes) != 1 else ''}")
        buckets: dict[tuple[str, str, str], list[DecisionChange]] = defaultdict(list)
        for c in changes:
            buckets[(c.old, c.new, _because(c, decls))].append(c)
        order = sorted(buckets, key=lambda k: (OUTCOME_RANK.get(k[0], 9), OUTCOME_RANK.get(k[1], 9), k[2]))
        for key in order:
            members = buckets[key]
            lines.append(f"  {key[0]} → {key[1]} ({len(members)})")
            lines.extend("    " + line for line in key[2].split("\n"))
            if len(members) <= LIST_NAMES_UP_TO:
                for c in members:
                    named = c.provider_name and not c.subject.startswith("pair:")
                    name = f"  {c.provider_name}" if named else ""
                    lines.append(f"      {_who(c)}{name}")
            else:
                lines.extend(
                    textwrap.wrap(
                        ", ".join(_who(c) for c in members),
                        WIDTH,
                        initial_indent="      ",
                        subsequent_indent="      ",
                        break_on_hyphens=False,
                        break_long_words=False,
                    )
                )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
