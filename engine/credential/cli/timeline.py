"""``credential timeline``: every decision at each as-of date of a range, with the changes and their causes."""

from __future__ import annotations

import datetime as dt

import click

from credential.cli.common import (
    EXIT_USAGE,
    default_data,
    default_policy,
    emit_diagnostics,
    fail,
    policy_data_options,
    run_guarded,
    write_atomic,
)


class AsOfDate(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A date as :func:`credential.timeline.parse_date` reads it (ISO, ``today``, ``YYYY-Qn``)."""

    name = "date"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        from credential.timeline import parse_date

        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def selection_options(fn: click.decorators.FC) -> click.decorators.FC:
    """``--provider CODE`` and ``--subject PATTERN``, both repeatable (shared with ``report``)."""
    fn = click.option(
        "--subject",
        "subjects",
        multiple=True,
        metavar="PATTERN",
        help="only subjects matching PATTERN (shell-style, e.g. 'form:*:lead'; "
        "a bare name is credential:NAME); repeatable",
    )(fn)
    return click.option(
        "--provider", "providers", multiple=True, metavar="CODE", help="only this provider; repeatable"
    )(fn)


@click.command("timeline")
@policy_data_options
@click.option("--from", "start", type=AsOfDate(), required=True, help="first as-of date")
@click.option("--to", "end", type=AsOfDate(), required=True, help="last as-of date (included)")
@click.option(
    "--every",
    type=click.Choice(["month", "quarter", "year"]),
    default="year",
    show_default=True,
    help="the step between as-of dates, from --from on",
)
@selection_options
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "jsonl"]), default="table", show_default=True)
@click.option("--changes-only", is_flag=True, help="only the decisions that changed since the date before")
@click.option(
    "--output", type=click.Path(dir_okay=False), default=None, help="write here (atomically) instead of stdout"
)
@run_guarded
def command(
    policy: str | None,
    data: str | None,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
    start: dt.date,
    end: dt.date,
    every: str,
    providers: tuple[str, ...],
    subjects: tuple[str, ...],
    fmt: str,
    changes_only: bool,
    output: str | None,
) -> None:
    """Every decision at each as-of date from --from to --to, with what changed and why.

    The policy and the data are loaded, checked and compiled once; each date is then
    evaluated on the same inputs.  A change is `gained`, `lost`, `became undetermined`,
    `became refused` or `kept in grace` (still granted, now only through a waiver), with the
    conditions whose truth changed and the provider's value before and after.  Dates are
    YYYY-MM-DD, `today` or a quarter end YYYY-Qn; the last date is always included.

    \b
    Examples:
      credential timeline --from 2016-01-01 --to 2026-01-01 --every year --changes-only
      credential timeline --from 2024-Q1 --to 2025-Q4 --every quarter --provider RTH --format csv
    """
    from credential.evaluation.evaluate import load_inputs
    from credential.timeline import UnknownSelection, as_of_dates, timeline_of

    try:
        dates = as_of_dates(start, end, every)
    except ValueError as exc:
        fail(EXIT_USAGE, f"error: {exc}")
    inputs = load_inputs(policy or default_policy(), data or default_data(), on_invalid, allow_expired)  # type: ignore[arg-type]
    emit_diagnostics(inputs.diagnostics)
    try:
        tl = timeline_of(inputs, dates, providers=providers, subjects=subjects, backend=backend)
    except UnknownSelection as exc:
        fail(EXIT_USAGE, f"error: {exc}")
    text = tl.render(fmt, changes_only)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}; {tl.summary()}", err=True)
    else:
        click.echo(text, nl=False)
