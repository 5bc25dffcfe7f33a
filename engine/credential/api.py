"""The Python API, mirroring the command line: evaluate, explain, verify (typed values)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from credential.check import CheckedPolicy
from credential.data.bundle import Bundle
from credential.decisions import DecisionRecord
from credential.engine import OnInvalid, RunResult, evaluate_inputs, load_inputs, records_for, run
from credential.proofs.verify import VerifyReport, verify_lines
from credential.resources import bundled_data_path, reference_policy_path

PolicyArg = str | Path | CheckedPolicy | None
DataArg = str | Path | Bundle | None


def _policy(policy: PolicyArg) -> str | Path | CheckedPolicy:
    return reference_policy_path() if policy is None else policy


def _data(data: DataArg) -> str | Path | Bundle:
    return bundled_data_path() if data is None else data


def evaluate_api(
    policy: PolicyArg = None,
    data: DataArg = None,
    as_of: Sequence[dt.date] | dt.date = (),
    *,
    pairs: bool = False,
    explain: bool = False,
    on_invalid: OnInvalid = "reject",
    backend: str = "pydatalog",
    allow_expired: bool = False,
) -> RunResult:
    """Decide every subject for every provider (``credential evaluate``); records are pydantic models.

    Raises ``credential.engine.PolicyInvalid`` / ``DataInvalid`` (with every diagnostic) on bad input.
    """
    dates = [as_of] if isinstance(as_of, dt.date) else list(as_of)
    return run(
        _policy(policy),
        _data(data),
        dates,
        pairs=pairs,
        explain=explain,
        on_invalid=on_invalid,
        backend=backend,
        allow_expired=allow_expired,
    )


def explain_api(
    code: str,
    subject: str | None = None,
    policy: PolicyArg = None,
    data: DataArg = None,
    as_of: dt.date | None = None,
    *,
    on_invalid: OnInvalid = "reject",
    backend: str = "pydatalog",
    allow_expired: bool = False,
) -> list[DecisionRecord]:
    """The decision record(s) of one provider with their proofs (``credential explain``).

    ``subject`` is e.g. ``credential:partner`` or a bare credential name; None explains every
    per-provider subject.  Render with ``credential.proofs.render.render_text(r.to_json_dict())``.
    """
    inputs = load_inputs(_policy(policy), _data(data), on_invalid, allow_expired)
    if subject is not None and ":" not in subject:
        subject = f"credential:{subject}"
    ev = evaluate_inputs(
        inputs, as_of or dt.date.today(), pairs=bool(subject and subject.startswith("pair:")), backend=backend
    )
    if subject is not None and subject.startswith("pair:"):
        parts = subject.split(":")
        records = [r for r in records_for(ev, explain=True, provider=code) if r.subject == subject]
        if not records:  # a refused pair: not in the listing, explain it directly
            from credential.proofs.proof import ProofBuilder

            builder = ProofBuilder(ev)
            proof = builder.proof(subject, (parts[2], parts[3]))
            base = records_for(ev, provider=code)[0]
            records = [
                base.model_copy(update={"subject": subject, "outcome": proof["outcome"], "missing": [], "proof": proof})
            ]
        return records
    return records_for(ev, explain=True, provider=code, subject=subject)


def verify_api(
    decisions: str | Path | Iterable[DecisionRecord | dict[str, Any]],
    policy: PolicyArg = None,
    data: DataArg = None,
    *,
    on_invalid: OnInvalid = "reject",
    allow_expired: bool = False,
) -> VerifyReport:
    """Re-check decision records (a JSONL file or records) against the policy and data (``credential verify``)."""
    inputs = load_inputs(_policy(policy), _data(data), on_invalid)
    if isinstance(decisions, str | Path):
        with open(decisions, encoding="utf-8") as fh:
            return verify_lines(fh, inputs.policy, inputs.bundle, allow_expired=allow_expired)
    lines = [
        json.dumps(d.to_json_dict() if isinstance(d, DecisionRecord) else d, ensure_ascii=False) for d in decisions
    ]
    return verify_lines(lines, inputs.policy, inputs.bundle, allow_expired=allow_expired)
