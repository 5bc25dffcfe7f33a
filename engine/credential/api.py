"""The Python API, mirroring the command line: evaluate, explain, verify (typed values)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credential.check import CheckedPolicy
from credential.data.bundle import Bundle
from credential.dates import parse_date, parse_dates
from credential.diagnostics import DiagnosticError
from credential.engine import run
from credential.errors import CredentialError, DataInvalid, PolicyInvalid, UsageError
from credential.evaluation.decisions import DecisionRecord
from credential.evaluation.evaluate import OnInvalid, evaluate_inputs, load_inputs
from credential.inputs import check_input_data, check_input_file
from credential.output.records import RunResult, records_for
from credential.policy import policy_path as _policy_path
from credential.proofs.verify import Scope, VerifyReport, verify_lines
from credential.resources import bundled_data_path, reference_policy_path

if TYPE_CHECKING:
    from credential.matching import MatchResult
    from credential.report import ReportSummary
    from credential.timeline import Timeline

PolicyArg = str | Path | CheckedPolicy | None
DataArg = str | Path | Bundle | None
DateArg = dt.date | dt.datetime | str  # a date, a datetime (its date), or "today" / "2025-06-30" / "2025Q1"

# Every bad argument raises credential.errors.UsageError (codes usage.*, as the CLI prints them);
# a policy with errors PolicyInvalid, a bundle that does not validate DataInvalid: all three are
# credential.errors.CredentialError (see docs/python-api.md).


def _policy(policy: PolicyArg) -> str | Path | CheckedPolicy:
    if policy is None:
        return reference_policy_path()
    if isinstance(policy, CheckedPolicy):
        return policy
    if not isinstance(policy, str | Path):
        raise UsageError("usage.bad-argument", f"policy must be a path or a CheckedPolicy, not {type(policy).__name__}")
    check_input_file(policy, "policy")
    return policy


def _data(data: DataArg) -> str | Path | Bundle:
    if data is None:
        return bundled_data_path()
    if isinstance(data, Bundle):
        return data
    if not isinstance(data, str | Path):
        raise UsageError("usage.bad-argument", f"data must be a path or a Bundle, not {type(data).__name__}")
    check_input_data(data, "data")
    return data


def _dates(as_of: Sequence[DateArg] | DateArg | None) -> list[dt.date]:
    if as_of is None:
        return []
    if isinstance(as_of, dt.date | str):
        return parse_dates(as_of)
    if not isinstance(as_of, Iterable):
        raise UsageError("usage.bad-date", f"as_of must be a date, an ISO string or a list of them, not {as_of!r}")
    return [d for item in as_of for d in _dates(item)]


def _date(as_of: DateArg | None) -> dt.date:
    return dt.date.today() if as_of is None else parse_date(as_of)


def _guard(fn: Any) -> Any:
    """A loader's raw DiagnosticError (an unreadable bundle) as the family's DataInvalid / PolicyInvalid."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CredentialError:
            raise
        except DiagnosticError as exc:
            data = any(d.code.startswith("data.") for d in exc.diagnostics)
            raise (DataInvalid if data else PolicyInvalid)(exc.diagnostics) from None

    return wrapper


@_guard
def evaluate_api(
    policy: PolicyArg = None,
    data: DataArg = None,
    as_of: Sequence[DateArg] | DateArg | None = (),
    *,
    pairs: bool = False,
    explain: bool = False,
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
    policy_path: Sequence[str | Path] = (),
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    allow_expired: bool = False,
) -> RunResult:
    """Decide every subject for every provider (``credential evaluate``); records are pydantic models.

    ``as_of``: a date, datetime, ISO string, ``"today"``, a quarter (``"2025Q1"``), a range of
    quarters (``"2024Q1..2024Q4"``) or a list of those (default today).  ``providers`` / ``subjects``
    select decisions as ``--provider`` / ``--subject`` do.  ``use`` in the policy reaches only files
    below its folder and the ``policy_path`` folders.  Raises ``credential.errors.UsageError``
    on a bad argument, ``PolicyInvalid`` / ``DataInvalid`` (with every diagnostic) on bad input.
    """
    if isinstance(providers, str) or isinstance(subjects, str):
        raise UsageError("usage.bad-argument", "providers and subjects are lists of strings, not one string")
    with _policy_path(policy_path):
        return run(
            _policy(policy),
            _data(data),
            _dates(as_of),
            pairs=pairs,
            explain=explain,
            on_invalid=_on_invalid(on_invalid),
            backend=_backend(backend),
            providers=list(providers),
            subjects=list(subjects),
            allow_expired=allow_expired,
        )


def _on_invalid(value: str) -> OnInvalid:
    if value not in ("reject", "quarantine"):
        raise UsageError("usage.bad-argument", f"on_invalid must be 'reject' or 'quarantine', not {value!r}")
    return value  # type: ignore[return-value]


def _backend(value: str) -> str:
    from credential.datalog.backend import available_backends

    names = [*available_backends(), "auto"]
    if value not in names:
        raise UsageError("usage.bad-argument", f"backend must be one of {', '.join(names)}, not {value!r}")
    return value


@_guard
def explain_api(
    code: str,
    subject: str | None = None,
    policy: PolicyArg = None,
    data: DataArg = None,
    as_of: DateArg | None = None,
    *,
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
    policy_path: Sequence[str | Path] = (),
    allow_expired: bool = False,
) -> list[DecisionRecord]:
    """The decision record(s) of one provider with their proofs (``credential explain``).

    ``subject`` is e.g. ``credential:partner`` or a bare credential name; None explains every
    per-provider subject.  Only that provider (or pair) is evaluated.  Render with
    ``credential.proofs.render.render_text(r.to_json_dict())``.  Raises ``UsageError`` for an
    unknown provider or subject (``usage.unknown-provider`` / ``usage.unknown-subject``).
    """
    from credential.selection import check_providers, check_subject_patterns

    day = _date(as_of)
    with _policy_path(policy_path):
        inputs = load_inputs(_policy(policy), _data(data), _on_invalid(on_invalid), allow_expired)
    if not isinstance(code, str):
        raise UsageError("usage.bad-argument", f"code must be a provider code (a string), not {code!r}")
    check_providers([code], inputs.bundle.provider_codes)
    if subject is not None and ":" not in subject:
        subject = f"credential:{subject}"
    is_pair = bool(subject and subject.startswith("pair:"))
    if is_pair:
        assert subject is not None
        parts = subject.split(":")
        if len(parts) != 4 or parts[1] not in inputs.policy.forms or parts[2] != code:
            raise UsageError("usage.unknown-subject", f"{subject!r}: a pair subject is pair:FORM:{code}:RECIPIENT")
        check_providers([parts[3]], inputs.bundle.provider_codes)
    focus = [code, subject.split(":")[3]] if is_pair and subject else [code]
    ev = evaluate_inputs(inputs, day, pairs=is_pair, backend=_backend(backend), focus=focus)
    if subject is not None and not is_pair:
        check_subject_patterns([subject], [s for s, _, _ in ev.subjects()], ev.policy.forms)
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


@_guard
def verify_api(
    decisions: str | Path | Iterable[DecisionRecord | dict[str, Any]],
    policy: PolicyArg = None,
    data: DataArg = None,
    *,
    on_invalid: OnInvalid = "reject",
    policy_path: Sequence[str | Path] = (),
    allow_expired: bool = False,
) -> VerifyReport:
    """Re-check decision records (a JSONL file or records) against the policy and data (``credential verify``)."""
    if isinstance(decisions, str | Path):
        check_input_file(decisions, "decisions")
    with _policy_path(policy_path):
        inputs = load_inputs(_policy(policy), _data(data), _on_invalid(on_invalid), allow_expired)
    if isinstance(decisions, str | Path):
        with open(decisions, encoding="utf-8", newline="") as fh:
            # a file: every record evaluate writes for its dates must be there (see credential verify)
            return verify_lines(fh, inputs.policy, inputs.bundle, Scope(complete=True), allow_expired=allow_expired)
    lines = [
        json.dumps(d.to_json_dict() if isinstance(d, DecisionRecord) else d, ensure_ascii=False) for d in decisions
    ]
    return verify_lines(lines, inputs.policy, inputs.bundle, allow_expired=allow_expired)


def timeline_api(
    start: dt.date,
    end: dt.date,
    every: str = "year",
    policy: PolicyArg = None,
    data: DataArg = None,
    *,
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
) -> Timeline:
    """Every decision at each as-of date from ``start`` to ``end`` (``credential timeline``).

    Loading, validation and compilation happen once; ``Timeline.rows`` holds one
    ``TimelineRow`` per provider, subject and date, ``Timeline.changes()`` the changed ones with
    their causes.  Raises ``ValueError`` for a bad range and
    ``credential.timeline.UnknownSelection`` for an unknown provider or a subject pattern that
    matches nothing.
    """
    from credential.timeline import as_of_dates, timeline_of

    inputs = load_inputs(_policy(policy), _data(data), on_invalid)
    return timeline_of(inputs, as_of_dates(start, end, every), providers=providers, subjects=subjects, backend=backend)


def report_api(
    output: str | Path,
    policy: PolicyArg = None,
    data: DataArg = None,
    as_of: dt.date | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    every: str = "year",
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
) -> ReportSummary:
    """Write the static audit report (``credential report``) into the folder ``output``.

    With ``start``/``end`` the report is as of ``end`` and carries each provider's timeline.
    """
    from credential.report import build_report

    return build_report(
        output,
        _policy(policy),
        _data(data),
        as_of=as_of,
        start=start,
        end=end,
        every=every,
        providers=providers,
        subjects=subjects,
        on_invalid=on_invalid,
        backend=backend,
    )


@_guard
def match_api(
    recipients: str | Sequence[str],
    form: str,
    policy: PolicyArg = None,
    data: DataArg = None,
    as_of: DateArg | None = None,
    *,
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
    policy_path: Sequence[str | Path] = (),
    allow_expired: bool = False,
) -> MatchResult:
    """The leads eligible for ``form`` with a recipient, or with every recipient of a batch,
    ranked by the form's ``prefer`` clauses (``credential match``).

    ``MatchResult.options`` are the eligible leads, best first (``rank``; equal ranks share a
    number), each with its preferences, reasons and per-recipient proofs; ``undetermined`` and
    ``over_capacity`` the leads that are not ranked and why.  Render with ``to_text()``,
    ``to_json()`` or ``to_csv()``.  Raises ``UsageError`` for an unknown form or provider
    (``usage.unknown-form`` / ``usage.unknown-provider``).
    """
    from credential.matching import match_inputs

    codes = [recipients] if isinstance(recipients, str) else list(recipients)
    if not all(isinstance(c, str) for c in codes):
        raise UsageError("usage.bad-argument", f"recipients must be provider codes (strings), not {recipients!r}")
    if not isinstance(form, str):
        raise UsageError("usage.bad-argument", f"form must be a form's name (a string), not {form!r}")
    with _policy_path(policy_path):
        inputs = load_inputs(_policy(policy), _data(data), _on_invalid(on_invalid), allow_expired)
    return match_inputs(inputs, form, codes, _date(as_of), backend=_backend(backend))
