"""Writing decision records: jsonl, json, csv, and a table for people."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence

from credential.decisions import DecisionRecord

MARKS = {"granted": "✓", "refused": "✗", "undetermined": "?"}

CSV_COLUMNS = [
    "provider", "provider_name", "subject", "outcome", "as_of", "missing",
    "policy_name", "policy_version", "policy_sha256", "engine", "backend",
]


def to_jsonl(records: Sequence[DecisionRecord]) -> str:
    return "".join(r.to_jsonl() + "\n" for r in records)


def to_json(records: Sequence[DecisionRecord]) -> str:
    return json.dumps([r.to_json_dict() for r in records], ensure_ascii=False, indent=1) + "\n"


def to_csv(records: Sequence[DecisionRecord]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in records:
        w.writerow([
            r.provider, r.provider_name or "", r.subject, r.outcome.value, r.as_of, ";".join(r.missing),
            r.policy.name, r.policy.version, r.policy.sha256, r.engine, r.backend,
        ])
    return buf.getvalue()


def summary(records: Sequence[DecisionRecord]) -> str:
    counts = Counter(r.outcome.value for r in records)
    providers = len({r.provider for r in records})
    return (
        f"{len(records)} decisions for {providers} providers: "
        f"{counts['granted']} granted, {counts['refused']} refused, {counts['undetermined']} undetermined"
    )


def to_table(records: Sequence[DecisionRecord], name_width: int = 32, form_width: int = 12) -> str:
    """One row per provider (and as-of date): a column per credential, a column per form.

    A form's cell shows two marks, lead then recipient (``✓/✗``: may lead, may not receive).
    """
    singles = [r for r in records if not r.subject.startswith("pair:")]
    creds = sorted({r.subject.split(":", 1)[1] for r in singles if r.subject.startswith("credential:")})
    forms = sorted({r.subject.split(":")[1] for r in singles if r.subject.startswith("form:")})
    dates = sorted({r.as_of for r in singles})
    multi = len(dates) > 1
    grid: dict[tuple[str, str], dict[str, str]] = {}
    names: dict[str, str] = {}
    for r in singles:
        grid.setdefault((r.provider, r.as_of), {})[r.subject] = MARKS[r.outcome.value]
        names[r.provider] = r.provider_name or ""
    heads = creds + [f if len(f) <= form_width else f[: form_width - 1] + "…" for f in forms]
    widths = [max(len(h), 3) for h in heads]
    out = io.StringIO()
    out.write(f"{'code':<6} {'name':<{name_width}} " + ("as_of      " if multi else ""))
    out.write("  ".join(f"{h:^{w}}" for h, w in zip(heads, widths, strict=True)).rstrip() + "\n")
    for (code, as_of), row in sorted(grid.items()):
        nm = names.get(code, "")
        nm = nm if len(nm) <= name_width else nm[: name_width - 1] + "…"
        cells = [row.get(f"credential:{c}", " ") for c in creds]
        cells += [f"{row.get(f'form:{f}:lead', ' ')}/{row.get(f'form:{f}:recipient', ' ')}" for f in forms]
        line = f"{code:<6} {nm:<{name_width}} " + (f"{as_of} " if multi else "")
        out.write((line + "  ".join(f"{c:^{w}}" for c, w in zip(cells, widths, strict=True))).rstrip() + "\n")
    pairs = [r for r in records if r.subject.startswith("pair:")]
    if pairs:
        out.write(f"\n{len(pairs)} eligible or undetermined pairs (see --format jsonl for the list)\n")
    out.write("\n✓ granted  ✗ refused  ? undetermined; form columns show lead/recipient\n")
    cut = [f for f in forms if len(f) > form_width]
    if cut:
        out.write("forms: " + ", ".join(cut) + "\n")
    out.write(summary(records) + "\n")
    return out.getvalue()


def render(records: Sequence[DecisionRecord], fmt: str) -> str:
    if fmt == "jsonl":
        return to_jsonl(records)
    if fmt == "json":
        return to_json(records)
    if fmt == "csv":
        return to_csv(records)
    return to_table(records)
