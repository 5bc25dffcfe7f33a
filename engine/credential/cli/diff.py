"""``credential diff OLD.cred NEW.cred``: the decisions that change between two policy versions, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import cast

import click

from credential.cli.common import (
    ALLOW_EXPIRED_OPTION,
    BACKEND_OPTION,
    DATA_OPTION,
    EXIT_OK,
    ON_INVALID_OPTION,
    POLICY_PATH_OPTION,
    IsoDate,
    default_data,
    emit_diagnostics,
    run_guarded,
)
from credential.cli.paths import InputFile


@click.command("diff")
@click.argument("old", type=InputFile())
@click.argument("new", type=InputFile())
@DATA_OPTION
@click.option(
    "--as-of", "as_of", type=IsoDate(), default=None, help="evaluation date: today or YYYY-MM-DD (default today)"
)
@click.option("--pairs", is_flag=True, help="compare pair decisions too (slow: N² candidates per form)")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, JSON for machines",
)
@ON_INVALID_OPTION
@BACKEND_OPTION
@POLICY_PATH_OPTION
@ALLOW_EXPIRED_OPTION
def command(
    old: str,
    new: str,
    data: str | None,
    as_of: dt.date | None,
    pairs: bool,
    fmt: str,
    on_invalid: str,
    backend: str,
    allow_expired: bool,
) -> None:
    """Show every decision that changes from policy OLD to policy NEW, and the rule changes that caused it.

    Both versions are evaluated on the same data as of the same date.  Each changed decision
    (provider, subject, old outcome → new outcome; `absent` where the subject exists in one
    version only) names the changed declarations it depends on whose truth (or, for a param,
    value in force) differs for that provider.  Exit 0 whether or not anything changes;
    1 if a policy has errors, 3 if the data does not validate, 2 on bad usage.

    \b
    Example:
      credential diff policies/dalton_2014.cred policies/dalton_2017.cred --as-of 2026-11-22
      credential diff old.cred new.cred --data my_bundle/ --pairs --format json
    """
    guarded = cast("Callable[..., None]", run_guarded(_diff))
    guarded(old, new, data, as_of, pairs, fmt, on_invalid, backend, allow_expired)


def _diff(
    old: str,
    new: str,
    data: str | None,
    as_of: dt.date | None,
    pairs: bool,
    fmt: str,
    on_invalid: str,
    backend: str = "auto",
    allow_expired: bool = False,
) -> None:
    from credential.diffing.diff import diff_policies
    from credential.diffing.render import render_json, render_text
    from credential.escaping import terminal_text

    result = diff_policies(
        old,
        new,
        data or default_data(),
        as_of or dt.date.today(),
        pairs=pairs,
        on_invalid="quarantine" if on_invalid == "quarantine" else "reject",
        backend=backend,
        allow_expired=allow_expired,
    )
    emit_diagnostics(result.diagnostics)
    click.echo(render_json(result) if fmt == "json" else terminal_text(render_text(result), multiline=True), nl=False)
    raise SystemExit(EXIT_OK)
