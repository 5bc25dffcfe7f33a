"""``credential fmt POLICY... [--check]``: rewrite policy files in the canonical layout."""

from __future__ import annotations

import click

from credential.cli.common import EXIT_OK, EXIT_POLICY, FORMAT_OPTION, emit_diagnostics
from credential.cli.sink import write_output
from credential.diagnostics import Diagnostic, error


@click.command("fmt")
@click.argument("policies", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="write nothing; list the files that would change and exit 1 if any would",
)
@FORMAT_OPTION
def command(policies: tuple[str, ...], check_only: bool, fmt: str) -> None:
    """Rewrite policy files in the canonical layout, keeping every comment.

    A file is rewritten (atomically) only when its layout changes.  A file that
    does not parse is reported and left untouched.  Exit 0 when every file is (or
    now is) formatted; 1 when a file does not parse, or with --check when a file
    would change (those files are listed on stdout).

    \b
    Example:
      credential fmt policies/dalton_2014.cred
      credential fmt --check policies/*.cred     # in CI: fail if not formatted
    """
    from credential.syntax.format import format_policy
    from credential.syntax.parser import decode_policy_bytes, parse_source

    diags: list[Diagnostic] = []
    changed: list[str] = []
    unchanged = 0
    for path in policies:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            diags.append(error("parse.io", f"cannot read policy file {path}: {exc.strerror or exc}"))
            continue
        src, decode_diags = decode_policy_bytes(path, data)
        result = parse_source(src) if not decode_diags else None
        if result is None or any(d.is_error for d in result.diagnostics):
            diags.extend(decode_diags if result is None else result.diagnostics)
            continue
        formatted = format_policy(result).encode("utf-8")
        if formatted == data:
            unchanged += 1
            continue
        changed.append(path)
        if check_only:
            click.echo(path, err=fmt == "json")
        else:
            write_output(path, formatted)
            click.echo(f"reformatted {path}", err=fmt == "json")
    emit_diagnostics(diags, fmt, stream="stdout" if fmt == "json" else "stderr")
    if fmt == "text":
        verb = "would be reformatted" if check_only else "reformatted"
        summary = f"{len(changed)} file(s) {verb}, {unchanged} unchanged"
        if diags:
            failed = len(policies) - len(changed) - unchanged
            summary += f", {failed} not parsed"
        click.echo(summary, err=True)
    failed_run = bool(diags) or (check_only and bool(changed))
    raise SystemExit(EXIT_POLICY if failed_run else EXIT_OK)
