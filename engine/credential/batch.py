"""Decisions in columns: outcomes for every provider and subject as one DataFrame, written fast.

The record path (:func:`credential.engine.records_for`) makes one pydantic model per decision,
which is what an API user wants but costs too much for 100,000 providers × 20 subjects.  Here the
outcomes come from the model's predicate sets with vectorised membership tests, and JSON lines are
assembled from pre-escaped parts; the bytes are identical to serialising the records one by one
(tested).  Proofs are not built here: ``--explain`` takes the record path.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from credential import __version__

if TYPE_CHECKING:
    from credential.engine import Evaluation

COLUMNS = ["provider", "provider_name", "subject", "outcome", "as_of", "missing"]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def decision_frame(ev: Evaluation) -> pd.DataFrame:
    """Every per-provider decision (and, with pairs, every granted/undetermined pair) of one evaluation."""
    from credential.proofs.proof import ProofBuilder

    names = ev.inputs.bundle.provider_names()
    codes = np.array(sorted(names), dtype=object)
    code_index = pd.Index(codes)
    parts: list[pd.DataFrame] = []
    for subject, c, p in ev.subjects():
        # hash-based membership (np.isin on object arrays compares pairwise)
        certain = code_index.isin({r[0] for r in ev.rel(c)})
        possible = code_index.isin({r[0] for r in ev.rel(p)})
        outcome = np.where(certain, "granted", np.where(possible, "undetermined", "refused"))
        parts.append(pd.DataFrame({"provider": codes, "subject": subject, "outcome": outcome}))
    if ev.pairs:
        rows = [(lead, f"pair:{form}:{lead}:{rec}", o.value) for form, lead, rec, o in ev.pair_outcomes()]
        if rows:
            parts.append(pd.DataFrame(rows, columns=["provider", "subject", "outcome"]))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["provider", "subject", "outcome"])
    frame = frame.sort_values(["provider", "subject"], kind="stable", ignore_index=True)
    frame.insert(1, "provider_name", frame["provider"].map(names))
    frame["as_of"] = ev.as_of.isoformat()
    undetermined = np.flatnonzero((frame["outcome"] == "undetermined").to_numpy())
    missing: list[list[str]] = [[] for _ in range(len(frame))]
    if len(undetermined):
        builder = ProofBuilder(ev)
        subj = frame["subject"].to_numpy()
        prov = frame["provider"].to_numpy()
        for i in undetermined:
            s = str(subj[i])
            args = tuple(s.split(":")[2:4]) if s.startswith("pair:") else (str(prov[i]),)
            missing[i] = builder.missing(s, args)
    frame["missing"] = missing
    return frame[COLUMNS]


def sort_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return out.sort_values(["provider", "subject", "as_of"], kind="stable", ignore_index=True)


def _tail(policy: dict[str, str], data: dict[str, str], backend: str) -> str:
    return (
        f', "policy": {_dumps(policy)}, "data": {_dumps(data)}, "engine": {_dumps(__version__)}, '
        f'"backend": {_dumps(backend)}}}'
    )


def jsonl_lines(frame: pd.DataFrame, policy: dict[str, str], data: dict[str, str], backend: str) -> list[str]:
    """The decision records as JSON lines, byte-identical to ``DecisionRecord.to_jsonl``."""
    tail = _tail(policy, data, backend)
    prov = {c: _dumps(c) for c in frame["provider"].unique()}
    names = {
        c: _dumps(n if isinstance(n, str) else None)
        for c, n in zip(frame["provider"], frame["provider_name"], strict=True)
    }
    subj = {s: _dumps(s) for s in frame["subject"].unique()}
    dates = {d: _dumps(d) for d in frame["as_of"].unique()}
    return [
        f'{{"provider": {prov[p]}, "provider_name": {names[p]}, "subject": {subj[s]}, "outcome": "{o}", '
        f'"as_of": {dates[d]}, "missing": {_dumps(m) if m else "[]"}{tail}'
        for p, s, o, d, m in zip(
            frame["provider"],
            frame["subject"],
            frame["outcome"],
            frame["as_of"],
            frame["missing"],
            strict=True,
        )
    ]


def to_csv(frame: pd.DataFrame, policy: dict[str, str], backend: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    from credential.output import CSV_COLUMNS

    w.writerow(CSV_COLUMNS)
    for p, n, s, o, d, m in zip(
        frame["provider"],
        frame["provider_name"],
        frame["subject"],
        frame["outcome"],
        frame["as_of"],
        frame["missing"],
        strict=True,
    ):
        w.writerow(
            [
                p,
                n if isinstance(n, str) else "",
                s,
                o,
                d,
                ";".join(m),
                policy["name"],
                policy["version"],
                policy["sha256"],
                __version__,
                backend,
            ]
        )
    return buf.getvalue()
