"""``credential explain CODE [SUBJECT]``: the proof of one provider's decision(s)."""

from __future__ import annotations

import datetime as dt
import json

import click

from credential.cli.common import (
    EXIT_USAGE,
    IsoDate,
    default_data,
    default_policy,
    fail,
    policy_data_options,
    run_guarded,
)


@click.command("explain")
@click.argument("code")
@click.argument("subject", required=False)
@policy_data_options
@click.option("--as-of", "as_of", type=IsoDate(), default=None, help="evaluation date (default today)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@run_guarded
def command(
    code: str,
    subject: str | None,
    policy: str | None,
    data: str | None,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
    as_of: dt.date | None,
    fmt: str,
) -> None:
    """Explain why a provider was (or was not) granted a credential or form role.

    SUBJECT is e.g. `credential:partner`, `form:acquisition:lead` or
    `pair:acquisition:RM3:RW6`; a bare credential name works too.  Without SUBJECT
    every subject of the provider is explained.

    \b
    Examples:
      credential explain RM3 partner
      credential explain RW6 form:buddying:recipient --format json
    """
    from credential.engine import evaluate_inputs, load_inputs, records_for
    from credential.proofs.render import render_text

    inputs = load_inputs(policy or default_policy(), data or default_data(), on_invalid, allow_expired)  # type: ignore[arg-type]
    if code not in inputs.bundle.provider_names():
        fail(EXIT_USAGE, f"error: no provider with code {code!r} in the bundle")
    subj = subject
    if subj is not None and ":" not in subj:
        subj = f"credential:{subj}"
    pairs = subj is not None and subj.startswith("pair:")
    ev = evaluate_inputs(inputs, as_of or dt.date.today(), pairs=pairs, backend=backend)
    valid = {s for s, _, _ in ev.subjects()}
    if subj is not None and not pairs and subj not in valid:
        fail(EXIT_USAGE, f"error: unknown subject {subj!r}; one of: {', '.join(sorted(valid))}")
    if pairs:
        assert subj is not None
        parts = subj.split(":")
        if len(parts) != 4 or parts[1] not in ev.policy.forms:
            fail(EXIT_USAGE, "error: a pair subject is pair:FORM:LEAD:RECIPIENT")
        from credential.proofs.proof import ProofBuilder

        builder = ProofBuilder(ev)
        args = (parts[2], parts[3])
        if parts[3] not in inputs.bundle.provider_names() or parts[2] != code:
            fail(EXIT_USAGE, "error: a pair's lead must be CODE and its recipient a provider of the bundle")
        from credential import __version__
        from credential.decisions import DecisionRecord, Outcome
        from credential.engine import policy_ref

        proof = builder.proof(subj, args)
        names = inputs.bundle.provider_names()
        outcome = Outcome(proof["outcome"])
        records = [
            DecisionRecord(
                provider=code,
                provider_name=names.get(code),
                subject=subj,
                outcome=outcome,
                as_of=ev.as_of.isoformat(),
                missing=builder.missing(subj, args) if outcome is Outcome.UNDETERMINED else [],
                policy=policy_ref(ev.policy, ev.expired),
                data=dict(sorted(inputs.bundle.digests.items())),
                engine=__version__,
                backend=ev.backend,
                proof=proof,
            )
        ]
    else:
        records = records_for(ev, explain=True, provider=code, subject=subj)
    if fmt == "json":
        payload = [r.to_json_dict() for r in records]
        click.echo(json.dumps(payload[0] if subj else payload, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(render_text(r.to_json_dict()) for r in records), nl=False)
