"""``credential explain CODE [SUBJECT]``: the proof of one provider's decision(s)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from credential.cli.common import (
    EXIT_FAIL_ON,
    EXIT_USAGE,
    IsoDate,
    default_data,
    default_policy,
    fail,
    policy_data_options,
    run_guarded,
)
from credential.cli.paths import InputFile
from credential.cli.selection import fail_on_count, selection_options
from credential.evaluation.decisions import DecisionRecord


@click.command("explain")
@click.argument("code", required=False)
@click.argument("subject", required=False)
@policy_data_options
@click.option(
    "--as-of", "as_of", type=IsoDate(), default=None, help="evaluation date: today or YYYY-MM-DD (default today)"
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--decisions",
    type=InputFile(),
    default=None,
    help="read the proofs from this file (evaluate --explain --format jsonl|json) instead of evaluating",
)
@selection_options
@run_guarded
def command(
    code: str | None,
    subject: str | None,
    policy: str | None,
    data: str | None,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
    as_of: dt.date | None,
    fmt: str,
    decisions: str | None,
    providers: tuple[str, ...],
    subjects: tuple[str, ...],
    fail_on: tuple[str, ...],
) -> None:
    """Explain why a provider was (or was not) granted a credential or form role.

    SUBJECT is e.g. `credential:partner`, `form:merger_acquisition:lead` or
    `pair:merger_acquisition:RM3:R0A`; a bare credential name works too.  Without
    SUBJECT every subject of the provider is explained.  --provider (repeatable)
    and --subject PATTERN (a glob) select several; only the providers named are
    evaluated.  Exit 0, or 5 when --fail-on matches a decision explained.

    \b
    Examples:
      credential explain RM3 partner
      credential explain R0A form:buddying:recipient --format json
      credential explain RM3 pair:merger_acquisition:RM3:R0A
      credential explain --provider RM3 --provider R0A --subject 'form:*:lead' --as-of 2025-06-30
      credential evaluate --explain --format jsonl --output d.jsonl
      credential explain --decisions d.jsonl RM3 partner

    With --decisions the proofs are read from a decisions file that `evaluate --explain` wrote
    (nothing is evaluated; --policy and --data are not read) and shown in full, as without it.
    """
    from credential.evaluation.evaluate import evaluate_inputs, load_inputs
    from credential.output.records import records_for
    from credential.selection import check_providers, check_subject_patterns, normalise_pattern, subject_regex

    codes = list(dict.fromkeys([*([code] if code else []), *providers]))
    if not codes:
        fail(EXIT_USAGE, "error[usage.bad-argument]: name a provider: CODE or --provider CODE")
    patterns = [*([subject] if subject else []), *subjects]
    if decisions is not None:
        from credential.proofs.reading import records_from_file

        match = subject_regex(patterns) if patterns else None
        when = as_of.isoformat() if as_of else None
        found = records_from_file(decisions, codes, lambda s: match is None or bool(match.fullmatch(s)), when)
        _show([r for c in codes for r in found[c]], codes, patterns, fmt, fail_on)
        return
    inputs = load_inputs(policy or default_policy(), data or default_data(), on_invalid, allow_expired)  # type: ignore[arg-type]
    check_providers(codes, inputs.bundle.provider_codes)
    day = as_of or dt.date.today()
    exact_pair = len(patterns) == 1 and normalise_pattern(patterns[0]).startswith("pair:") and not _glob(patterns[0])
    if exact_pair:
        records = [_pair_record(inputs, codes, normalise_pattern(patterns[0]), day, backend)]
    else:
        pairs = any(normalise_pattern(p).startswith("pair:") for p in patterns)
        ev = evaluate_inputs(inputs, day, pairs=pairs, backend=backend, focus=None if pairs else codes)
        if patterns:
            check_subject_patterns(patterns, [s for s, _, _ in ev.subjects()], ev.policy.forms)
        match = subject_regex(patterns) if patterns else None
        records = [
            r
            for c in codes
            for r in records_for(ev, explain=True, provider=c)
            if match is None or match.fullmatch(r.subject)
        ]
    _show([r.to_json_dict() for r in records], codes, patterns, fmt, fail_on)


def _show(
    records: list[dict[str, Any]], codes: list[str], patterns: list[str], fmt: str, fail_on: tuple[str, ...]
) -> None:
    """The records (with full proofs) as text or JSON; exit 5 when --fail-on matches one."""
    from credential.proofs.render import render_text

    if fmt == "json":
        single = len(codes) == 1 and len(patterns) == 1 and not _glob(patterns[0]) and len(records) == 1
        click.echo(json.dumps(records[0] if single else records, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(render_text(r) for r in records), nl=False)
    matched = fail_on_count((str(r["outcome"]) for r in records), fail_on)
    if matched:
        click.echo(f"--fail-on {'/'.join(fail_on)}: {matched} decision(s) matched", err=True)
        raise SystemExit(EXIT_FAIL_ON)


def _glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def _pair_record(inputs: object, codes: list[str], subj: str, day: dt.date, backend: str) -> DecisionRecord:
    """The record of one pair, evaluating only its lead's and recipient's facts."""
    from credential.errors import UsageError
    from credential.evaluation.decisions import Outcome
    from credential.evaluation.evaluate import Inputs, evaluate_inputs, policy_ref
    from credential.proofs.proof import ProofBuilder
    from credential.version import __version__

    assert isinstance(inputs, Inputs)
    parts = subj.split(":")
    forms = inputs.policy.forms
    if len(parts) != 4 or parts[1] not in forms:
        raise UsageError(
            "usage.unknown-subject",
            f"{subj!r}: a pair subject is pair:FORM:LEAD:RECIPIENT with FORM one of {', '.join(sorted(forms))}",
        )
    lead, rec = parts[2], parts[3]
    names = inputs.bundle.provider_names()
    if lead != codes[0] or len(codes) != 1:
        raise UsageError("usage.unknown-subject", f"{subj!r}: the pair's lead must be the provider explained")
    if rec not in names:
        from credential.selection import check_providers

        check_providers([rec], names)
    ev = evaluate_inputs(inputs, day, pairs=True, backend=backend, focus=[lead, rec])
    builder = ProofBuilder(ev)
    proof = builder.proof(subj, (lead, rec))
    outcome = Outcome(proof["outcome"])
    return DecisionRecord(
        provider=lead,
        provider_name=names.get(lead),
        subject=subj,
        outcome=outcome,
        as_of=ev.as_of.isoformat(),
        missing=builder.missing(subj, (lead, rec)) if outcome is Outcome.UNDETERMINED else [],
        policy=policy_ref(ev.policy, ev.expired),
        data=dict(sorted(inputs.bundle.digests.items())),
        engine=__version__,
        backend=ev.backend,
        proof=proof,
    )
