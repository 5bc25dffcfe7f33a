"""``credential match RECIPIENT... --form FORM``: the eligible leads of a form, ranked by its preferences."""

from __future__ import annotations

import datetime as dt

import click

from credential.cli.common import (
    IsoDate,
    default_data,
    default_policy,
    emit_diagnostics,
    policy_data_options,
    run_guarded,
    write_atomic,
)


@click.command("match")
@click.argument("recipients", nargs=-1, required=True, metavar="RECIPIENT...")
@click.option("--form", "form", required=True, metavar="FORM", help="the organisational form (a form of the policy)")
@policy_data_options
@click.option(
    "--as-of", "as_of", type=IsoDate(), default=None, help="evaluation date: today or YYYY-MM-DD (default today)"
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@click.option("--proofs/--no-proofs", default=True, show_default=True, help="JSON: include each pair's proof")
@click.option(
    "--output", type=click.Path(dir_okay=False), default=None, help="write here (atomically) instead of stdout"
)
@run_guarded
def command(
    recipients: tuple[str, ...],
    form: str,
    policy: str | None,
    data: str | None,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
    as_of: dt.date | None,
    fmt: str,
    proofs: bool,
    output: str | None,
) -> None:
    """The leads eligible for FORM with RECIPIENT (or with every RECIPIENT of a batch), ranked.

    Eligible means the policy grants the pair pair:FORM:LEAD:RECIPIENT; with several
    recipients (a batched procurement) a lead must be eligible for each of them and still
    eligible to lead FORM after taking on all but the last (its capacity, by the policy's own
    rules).  Leads are ranked by the form's `prefer` clauses, most important first; leads
    equal on every preference share a rank.  A lead whose pair is undetermined is never
    ranked: it is listed apart with what is missing.  The list is a set of options for local
    agreement, not an allocation.  Exit 0 (also when no lead is eligible), 2 for an unknown
    form or provider.

    \b
    Examples:
      credential match RAJ --form buddying --as-of 2026-06-30
      credential match RAJ RCB RWA --form buddying --as-of 2026-06-30 --format csv
    """
    from credential.evaluation.evaluate import load_inputs
    from credential.matching import match_inputs

    inputs = load_inputs(policy or default_policy(), data or default_data(), on_invalid, allow_expired)  # type: ignore[arg-type]
    emit_diagnostics(inputs.diagnostics)
    result = match_inputs(inputs, form, list(recipients), as_of or dt.date.today(), backend=backend)
    if fmt == "json":
        text = result.to_json(proofs=proofs)
    elif fmt == "csv":
        text = result.to_csv()
    else:
        text = result.to_text()
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}; {len(result.options)} eligible lead(s)", err=True)
    else:
        click.echo(text, nl=False)
