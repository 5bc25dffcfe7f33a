"""``credential evaluate``: decide every subject for every provider."""

from __future__ import annotations

import datetime as dt
import sys

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


@click.command("evaluate")
@policy_data_options
@click.option("--as-of", "as_of", type=IsoDate(), multiple=True, help="evaluation date(s), YYYY-MM-DD (default today)")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="write here (atomically) instead of stdout",
)
@click.option("--explain", is_flag=True, help="attach a proof to every record")
@click.option("--pairs", is_flag=True, help="add a record for every granted or undetermined lead/recipient pair")
@run_guarded
def command(
    policy: str | None,
    data: str | None,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
    as_of: tuple[dt.date, ...],
    fmt: str,
    output: str | None,
    explain: bool,
    pairs: bool,
) -> None:
    """Decide every credential and form role for every provider.

    With no --policy/--data it runs the bundled reference policy on the bundled
    real NHS data.

    \b
    Examples:
      credential evaluate
      credential evaluate --policy my.cred --data bundle/ --as-of 2016-04-01 --format jsonl --output out.jsonl
    """
    from credential.engine import run
    from credential.output import render_chunks, summary

    progress = None
    if sys.stderr.isatty():

        def progress(msg: str) -> None:
            click.echo(msg, err=True)

    result = run(
        policy or default_policy(),
        data or default_data(),
        list(as_of),
        pairs=pairs,
        explain=explain,
        on_invalid=on_invalid,  # type: ignore[arg-type]
        backend=backend,
        progress=progress,
        allow_expired=allow_expired,
    )
    emit_diagnostics(result.inputs.diagnostics)
    chunks = render_chunks(result, fmt)
    if output:
        write_atomic(output, chunks)
        click.echo(f"wrote {len(result.frame)} records to {output}; {summary(result)}", err=True)
    else:
        for chunk in chunks:
            click.echo(chunk, nl=False)
