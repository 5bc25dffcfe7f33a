"""``credential check POLICY...``: parse and check policy files."""

from __future__ import annotations

import click

from credential.cli.common import EXIT_OK, EXIT_POLICY, FORMAT_OPTION, POLICY_PATH_OPTION, emit_diagnostics
from credential.diagnostics import Diagnostic


@click.command("check")
@click.argument("policies", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--strict", is_flag=True, help="warnings fail the check too")
@FORMAT_OPTION
@POLICY_PATH_OPTION
def command(policies: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Parse and check policy files; report every problem at once.

    Exit 0 when clean, 1 on any error (or any warning with --strict).

    \b
    Example:
      credential check policies/dalton_2014.cred --strict
    """
    from credential.policy import load_checked

    all_diags: list[Diagnostic] = []
    for path in policies:
        _policy, diags = load_checked(path)
        all_diags.extend(diags)
    emit_diagnostics(all_diags, fmt, stream="stdout" if fmt == "json" else "stderr")
    failed = any(d.is_error for d in all_diags) or (strict and bool(all_diags))
    if not failed and fmt == "text":
        click.echo(f"ok: {len(policies)} file(s) checked", err=True)
    raise SystemExit(EXIT_POLICY if failed else EXIT_OK)
