"""Writing decision records: jsonl, json, csv, and a table for people."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from credential.escaping import terminal_text
from credential.evaluation.decisions import DecisionRecord

if TYPE_CHECKING:
    from credential.output.records import RunResult

MARKS = {"granted": "✓", "refused": "✗", "undetermined": "?"}


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
    Codes and names are shown through :func:`credential.escaping.terminal_text`.
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
        names[p] = terminal_text(n) if isinstance(n, str) else ""
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
        line = f"{terminal_text(code):<6} {nm:<{name_width}} " + (f"{as_of} " if multi else "")
        out.write((line + "  ".join(f"{c:^{w}}" for c, w in zip(cells, widths, strict=True))).rstrip() + "\n")
    pairs = int(is_pair.sum())
    if pairs:
        out.write(_pair_rows(f[is_pair], pairs))
    out.write("\n✓ granted  ✗ refused  ? undetermined; form columns show lead/recipient\n")
    cut = [f for f in forms if len(f) > form_width]
    if cut:
        out.write("forms: " + ", ".join(cut) + "\n")
    out.write(summary(result) + "\n")
    return out.getvalue()


def _pair_rows(pairs: Any, n: int) -> str:
    """The pair records (granted or undetermined) under the table: form, lead, recipient, mark."""
    multi = pairs["as_of"].nunique() > 1
    lines = [
        f"\n{n} eligible or undetermined pairs:",
        f"  {'form':<28} {'lead':<6} {'recipient':<9} " + ("as_of      " if multi else "") + "outcome",
    ]
    for subject, outcome, as_of in zip(pairs["subject"], pairs["outcome"], pairs["as_of"], strict=True):
        _, form, lead, rec = str(subject).split(":")
        when = f"{as_of} " if multi else ""
        lines.append(f"  {form:<28} {lead:<6} {rec:<9} {when}{MARKS[str(outcome)]} {outcome}")
    return "\n".join(lines) + "\n"


def render_chunks(result: RunResult, fmt: str, *, csv_raw: bool = False) -> Iterator[bytes]:
    """A run's decisions in one of the formats of ``credential evaluate``, as UTF-8 blocks to stream.

    CSV cells a spreadsheet would run as formulas are neutralised unless ``csv_raw``.
    """
    from credential.evaluation.evaluate import policy_ref
    from credential.output.batch import csv_chunks, jsonl_chunks

    pref = policy_ref(result.inputs.policy, result.expired).to_json_dict()
    if fmt in ("jsonl", "json"):
        data = dict(sorted(result.inputs.bundle.digests.items()))
        proofs = result.proof_block if result.explain else None  # content-addressed (proofs.store)
        chunks = jsonl_chunks(result.frame, pref, data, result.backend, proofs=proofs)
        if fmt == "jsonl":
            yield from chunks
            return
        yield from _json_array(chunks)
    elif fmt == "csv":
        yield from csv_chunks(result.frame, pref, result.backend, raw=csv_raw)
    elif fmt == "parquet":
        from credential.output.parquet import parquet_chunks

        yield from parquet_chunks(result)
    else:
        yield to_table(result).encode()


def _json_array(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """JSON lines (each ending in a newline) as a JSON array with one record per line."""
    first = True
    for chunk in chunks:
        if not chunk:
            continue
        # JSON text never holds a raw newline (nor does UTF-8 make one), so the only ones are line ends
        yield (b"[\n" if first else b",\n") + chunk[:-1].replace(b"\n", b",\n")
        first = False
    yield b"[]\n" if first else b"\n]\n"


def render(result: RunResult, fmt: str, *, csv_raw: bool = False) -> str:
    """A run's decisions in one of the formats of ``credential evaluate``, as one string."""
    return b"".join(render_chunks(result, fmt, csv_raw=csv_raw)).decode()
