"""``credential check POLICY...``: parse and check policy files."""

from __future__ import annotations

import click

from credential.cli.common import EXIT_OK, EXIT_POLICY, POLICY_PATH_OPTION, emit_diagnostics
from credential.cli.paths import InputFile
from credential.diagnostics import Diagnostic


@click.command("check")
@click.argument("policies", nargs=-1, required=True, type=InputFile())
@click.option("--strict", is_flag=True, help="warnings fail the check too")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="diagnostics as text for people, JSON for machines, SARIF 2.1.0 for code-scanning annotations",
)
@POLICY_PATH_OPTION
def command(policies: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Parse and check policy files; report every problem at once.

    After a syntax error the parser goes on (every syntax error is reported, up
    to a limit) and the checks run on the declarations that parsed.  Exit 0 when
    clean, 1 on any error (or any warning with --strict), 2 when a file is
    missing or unreadable.

    \b
    Examples:
      credential check policies/dalton_2014.cred --strict
      credential check policies/dalton_2014.cred policies/dalton_2017.cred --format sarif
    """
    from credential.policy import load_checked

    all_diags: list[Diagnostic] = []
    for path in policies:
        _policy, diags = load_checked(path)
        all_diags.extend(diags)
    if fmt == "sarif":
        from credential.sarif import render_sarif

        click.echo(render_sarif(all_diags), nl=False)
    else:
        emit_diagnostics(all_diags, fmt, stream="stdout" if fmt == "json" else "stderr")
    failed = any(d.is_error for d in all_diags) or (strict and bool(all_diags))
    if not failed and fmt == "text":
        click.echo(f"ok: {len(policies)} file(s) checked", err=True)
    raise SystemExit(EXIT_POLICY if failed else EXIT_OK)
