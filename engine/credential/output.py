"""Writing decision records: jsonl, json, csv, and a table for people."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from credential.decisions import DecisionRecord

if TYPE_CHECKING:
    from credential.engine import RunResult

MARKS = {"granted": "✓", "refused": "✗", "undetermined": "?"}

CSV_COLUMNS = [
    "provider",
    "provider_name",
    "subject",
    "outcome",
    "as_of",
    "missing",
    "policy_name",
    "policy_version",
    "policy_sha256",
    "engine",
    "backend",
]


def to_jsonl(records: Sequence[DecisionRecord]) -> str:
    return "".join(r.to_jsonl() + "\n" for r in records)


def wrap_json(lines: Sequence[str]) -> str:
    """A JSON array with one record per line (the same records as jsonl)."""
    return "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"


def summary(result: RunResult) -> str:
    f = result.frame
    counts = Counter(f["outcome"].tolist())
    providers = f["provider"].nunique()
    total = len(f)
    return (
        f"{total} decisions for {providers} providers: "
        f"{counts['granted']} granted, {counts['refused']} refused, {counts['undetermined']} undetermined"
    )


def to_table(result: RunResult, name_width: int = 32, form_width: int = 12) -> str:
    """One row per provider (and as-of date): a column per credential, a column per form.

    A form's cell shows two marks, lead then recipient (``✓/✗``: may lead, may not receive).
    """
    f = result.frame
    is_pair = f["subject"].str.startswith("pair:")
    singles = f[~is_pair]
    subjects = singles["subject"].unique().tolist()
    creds = sorted(s.split(":", 1)[1] for s in subjects if s.startswith("credential:"))
    forms = sorted({s.split(":")[1] for s in subjects if s.startswith("form:")})
    multi = singles["as_of"].nunique() > 1
    grid: dict[tuple[str, str], dict[str, str]] = {}
    names: dict[str, str] = {}
    for p, n, s, o, d in zip(
        singles["provider"],
        singles["provider_name"],
        singles["subject"],
        singles["outcome"],
        singles["as_of"],
        strict=True,
    ):
        grid.setdefault((p, d), {})[s] = MARKS[o]
        names[p] = n if isinstance(n, str) else ""
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
    pairs = int(is_pair.sum())
    if pairs:
        out.write(f"\n{pairs} eligible or undetermined pairs (see --format jsonl for the list)\n")
    out.write("\n✓ granted  ✗ refused  ? undetermined; form columns show lead/recipient\n")
    cut = [f for f in forms if len(f) > form_width]
    if cut:
        out.write("forms: " + ", ".join(cut) + "\n")
    out.write(summary(result) + "\n")
    return out.getvalue()


def render(result: RunResult, fmt: str) -> str:
    """A run's decisions in one of the formats of ``credential evaluate``."""
    from credential.batch import jsonl_lines
    from credential.batch import to_csv as frame_csv
    from credential.engine import policy_ref

    if fmt in ("jsonl", "json"):
        if result.explained is not None:
            lines = [r.to_jsonl() for r in result.explained]
        else:
            pref = policy_ref(result.inputs.policy).model_dump()
            data = dict(sorted(result.inputs.bundle.digests.items()))
            lines = jsonl_lines(result.frame, pref, data, result.backend)
        return wrap_json(lines) if fmt == "json" else "".join(line + "\n" for line in lines)
    if fmt == "csv":
        return frame_csv(result.frame, policy_ref(result.inputs.policy).model_dump(), result.backend)
    return to_table(result)
