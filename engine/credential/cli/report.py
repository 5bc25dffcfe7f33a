"""``credential report``: a static audit site (one folder, offline, deterministic) of every decision."""

from __future__ import annotations

import datetime as dt

import click

from credential.cli.common import EXIT_USAGE, default_data, default_policy, fail, policy_data_options, run_guarded
from credential.cli.timeline import AsOfDate, selection_options

EXIT_WRITE = 6


@click.command("report")
@policy_data_options
@click.option("--as-of", "as_of", type=AsOfDate(), default=None, help="evaluation date (default today)")
@click.option("--from", "start", type=AsOfDate(), default=None, help="with --to: a timeline from this date")
@click.option("--to", "end", type=AsOfDate(), default=None, help="with --from: the report is as of this date")
@click.option(
    "--every",
    type=click.Choice(["month", "quarter", "year"]),
    default="year",
    show_default=True,
    help="the step of the timeline (with --from/--to)",
)
@selection_options
@click.option("--output", type=click.Path(file_okay=False), required=True, help="the folder to write (replaced)")
@run_guarded
def command(
    policy: str | None,
    data: str | None,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
    as_of: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
    every: str,
    providers: tuple[str, ...],
    subjects: tuple[str, ...],
    output: str,
) -> None:
    """Write a static report site into OUTPUT: overview, providers table, a page per provider and per rule.

    The folder opens from disk in any browser (no server, no network) and the same inputs give
    the same bytes.  Each provider page holds every decision with its proof, the gap to close
    for refusals, its eligible partners for each form and, with --from/--to, its timeline.

    \b
    Examples:
      credential report --as-of 2026-01-01 --output build/report
      credential report --from 2016-01-01 --to 2026-01-01 --every year --output build/report
    """
    from credential.evaluation.evaluate import load_inputs
    from credential.report import build_from_inputs
    from credential.timeline import UnknownSelection

    if as_of is not None and (start is not None or end is not None):
        fail(EXIT_USAGE, "error: give --as-of or --from/--to, not both")
    if (start is None) != (end is None):
        fail(EXIT_USAGE, "error: a range needs both --from and --to")
    if start is not None and end is not None and end < start:
        fail(EXIT_USAGE, f"error: the range ends ({end}) before it starts ({start})")
    from pathlib import Path

    data_path = data or default_data()
    inputs = load_inputs(policy or default_policy(), data_path, on_invalid, allow_expired)  # type: ignore[arg-type]
    try:
        summary = build_from_inputs(
            output,
            inputs,
            as_of=as_of,
            start=start,
            end=end,
            every=every,
            providers=providers,
            subjects=subjects,
            backend=backend,
            data_path=Path(data_path),
        )
    except UnknownSelection as exc:
        fail(EXIT_USAGE, f"error: {exc}")
    except OSError as exc:
        fail(EXIT_WRITE, f"error[io]: cannot write the report to {output}: {exc.strerror or exc}")
    click.echo(
        f"wrote {summary.pages} pages ({summary.files} files, {summary.bytes / 1e6:.1f} MB) to {output} "
        f"in {summary.seconds:.1f} s; {summary.decisions} decisions for {summary.providers} providers "
        f"as of {summary.as_of}",
        err=True,
    )
