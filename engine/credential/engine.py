"""The engine: a policy and a bundle decided as of dates, orchestrating the stages below it.

Stages stay pure and separate: ``policy.load_checked`` → ``data.validate_bundle`` →
``compile.compile_policy`` → ``compile.build_facts`` → ``datalog.evaluate_program`` →
outcomes read from the model (``credential.evaluation``) → the decision frame and records
(``credential.output``), proofs on demand (``credential.proofs``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from credential.check import CheckedPolicy
from credential.data.bundle import Bundle
from credential.errors import DataInvalid as DataInvalid  # the one exception family (re-exported)
from credential.errors import PolicyInvalid as PolicyInvalid
from credential.evaluation.evaluate import Evaluation, OnInvalid, check_expiry, evaluate_inputs, load_inputs
from credential.evaluation.evaluate import PolicyExpired as PolicyExpired
from credential.output.records import RunResult


def run(
    policy: str | Path | CheckedPolicy,
    data: str | Path | Bundle,
    as_of: Sequence[dt.date] = (),
    *,
    pairs: bool = False,
    explain: bool = False,
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
    progress: Callable[[str], None] | None = None,
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    allow_expired: bool = False,
) -> RunResult:
    """Decide every subject for every provider on every as-of date (default: today).

    ``providers`` (codes) and ``subjects`` (patterns, ``credential.selection``) keep only those
    decisions; a code or pattern that selects nothing raises ``UsageError``.  Without pairs, only
    the selected providers are evaluated.  Proofs (``explain``) are built when the records or the
    output ask for them, block by block.
    """
    from credential.output.batch import decision_frame, sort_frames
    from credential.selection import check_providers, check_subject_patterns, subject_regex

    inputs = load_inputs(policy, data, on_invalid, allow_expired)
    if providers:
        check_providers(providers, inputs.bundle.provider_codes)
    dates = list(dict.fromkeys(as_of)) or [dt.date.today()]
    for d in dates:  # before any work: an expired policy fails the whole run, never part of it
        check_expiry(inputs.policy, d, allow_expired)
    frames: list[Any] = []
    evaluations: list[Evaluation] = []
    for d in dates:
        if progress:
            progress(f"evaluating as of {d.isoformat()}")
        focus = list(providers) if providers and not pairs else None
        ev = evaluate_inputs(inputs, d, pairs=pairs, backend=backend, focus=focus)
        if subjects and not evaluations:
            check_subject_patterns(subjects, [s for s, _, _ in ev.subjects()], ev.policy.forms)
        evaluations.append(ev)
        frame = decision_frame(ev)
        if providers or subjects:
            keep = frame["provider"].isin(list(providers)) if providers else True
            if subjects:
                keep = keep & frame["subject"].astype(str).str.fullmatch(subject_regex(subjects))
            frame = frame[keep].reset_index(drop=True)
        frames.append(frame)
    return RunResult(inputs, evaluations, sort_frames(frames), explain=explain)
