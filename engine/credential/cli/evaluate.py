"""``credential evaluate``: decide every subject for every provider."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter

import click

from credential.cli.common import (
    EXIT_FAIL_ON,
    EXIT_USAGE,
    default_data,
    default_policy,
    emit_diagnostics,
    fail,
    policy_data_options,
    run_guarded,
)
from credential.cli.dates import DatesParam, flatten
from credential.cli.paths import OutputFile
from credential.cli.selection import fail_on_count, selection_options
from credential.cli.sink import resolve_target, write_output

FORMATS = ["table", "jsonl", "csv", "json", "parquet"]
PROOF_FORMATS = ("jsonl", "json", "parquet")  # the formats that can carry a proof


@click.command("evaluate")
@policy_data_options
@click.option(
    "--as-of",
    "as_of",
    type=DatesParam(),
    multiple=True,
    metavar="DATE",
    help="evaluation date(s): today, YYYY-MM-DD, a quarter 2025Q1 (its last day) or 2024Q1..2025Q2 "
    "(each quarter's end); repeatable (default today)",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--output",
    type=OutputFile(),
    default=None,
    help="write here instead of stdout (its folder must exist): a file is replaced atomically, a symlink "
    "written through, a FIFO or device streamed to; - is stdout",
)
@click.option(
    "--csv-raw",
    is_flag=True,
    help="CSV: write cells starting with = + - @ as they are (by default they get a leading ' so "
    "spreadsheets do not run them as formulas)",
)
@click.option("--explain", is_flag=True, help="attach a proof to every record (formats jsonl, json, parquet)")
@click.option("--pairs", is_flag=True, help="add a record for every granted or undetermined lead/recipient pair")
@selection_options
@run_guarded
def command(
    policy: str | None,
    data: str | None,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
    as_of: tuple[list[dt.date], ...],
    fmt: str,
    output: str | None,
    csv_raw: bool,
    explain: bool,
    pairs: bool,
    providers: tuple[str, ...],
    subjects: tuple[str, ...],
    fail_on: tuple[str, ...],
) -> None:
    """Decide every credential and form role for every provider.

    With no --policy/--data it runs the bundled reference policy on the bundled
    real NHS data.  --provider and --subject keep only those decisions; --fail-on
    exits 5 when a decision kept is refused, undetermined or not granted (the
    output is written first).  Exit codes: docs/cli.md.

    \b
    Examples:
      credential evaluate
      credential evaluate --as-of 2025-06-30 --provider RM3 --subject 'form:*:lead'
      credential evaluate --as-of 2024Q1..2024Q4 --format csv --output decisions.csv
      credential evaluate --as-of today --subject partner --fail-on refused --format jsonl
    """
    target = resolve_target(output)  # a usage error before any work (or any import)

    from credential.engine import run
    from credential.output.render import render_chunks, summary

    if explain and fmt not in PROOF_FORMATS:
        fail(EXIT_USAGE, f"error[usage.bad-argument]: --explain needs --format {', '.join(PROOF_FORMATS)} (not {fmt})")
    if not pairs and any(s.strip().startswith("pair:") for s in subjects):
        fail(EXIT_USAGE, "error[usage.bad-argument]: --subject 'pair:...' selects pair records: add --pairs")
    if fmt == "parquet" and output is None and sys.stdout.isatty():
        fail(EXIT_USAGE, "error[usage.bad-argument]: --format parquet is binary: give --output FILE or a pipe")
    from credential.cli.progress import Progress

    with Progress(sys.stderr) as progress:
        result = run(
            policy or default_policy(),
            data or default_data(),
            flatten(as_of),
            pairs=pairs,
            explain=explain,
            on_invalid=on_invalid,  # type: ignore[arg-type]
            backend=backend,
            progress=progress.step if progress.enabled else None,
            providers=providers,
            subjects=subjects,
            allow_expired=allow_expired,
        )
        progress.track_proofs(result)
        emit_diagnostics(result.inputs.diagnostics)
        write_output(output, render_chunks(result, fmt, csv_raw=csv_raw))
        progress.close()
        if target.kind != "stdout":
            click.echo(f"wrote {len(result.frame)} records to {output}; {summary(result)}", err=True)
    matched = fail_on_count(result.frame["outcome"].astype(str), fail_on)
    if matched:
        counts = Counter(o for o in result.frame["outcome"].astype(str))
        shown = ", ".join(f"{counts[o]} {o}" for o in ("refused", "undetermined") if counts[o])
        click.echo(f"--fail-on {'/'.join(fail_on)}: {matched} decision(s) matched ({shown})", err=True)
        raise SystemExit(EXIT_FAIL_ON)
