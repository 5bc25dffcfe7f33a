"""``credential fmt [PATH...|-]``: policy files in the canonical layout, like gofmt / black / opa fmt."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from credential.cli.common import EXIT_OK, EXIT_POLICY, FORMAT_OPTION, emit_diagnostics, write_atomic
from credential.cli.paths import InputData
from credential.diagnostics import Diagnostic, error


def policy_files(paths: tuple[str, ...]) -> list[str]:
    """The files named, and every ``*.cred`` below each folder named (sorted; hidden folders skipped)."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            found = sorted(
                f
                for f in path.rglob("*.cred")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(path).parts[:-1])
            )
            out.extend(str(f) for f in found)
        else:
            out.append(p)
    return list(dict.fromkeys(out))


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=InputData(allow_dash=True))
@click.option("-w", "--write", "write", is_flag=True, help="rewrite files in place (the default without -d/-l/--check)")
@click.option("-d", "--diff", "diff", is_flag=True, help="print a unified diff of the changes; write nothing unless -w")
@click.option(
    "-l", "--list", "list_", is_flag=True, help="list the files whose layout would change; write nothing unless -w"
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="write nothing; list the files that would change and exit 1 if any would",
)
@FORMAT_OPTION
def command(paths: tuple[str, ...], write: bool, diff: bool, list_: bool, check_only: bool, fmt: str) -> None:
    """Rewrite policy files in the canonical layout, keeping every comment.

    PATH is a policy file, a folder (every *.cred below it), or - (read standard
    input, write the formatted text to standard output).  A file is rewritten
    (atomically) only when its layout changes; a file that does not parse is
    reported and left untouched.  Exit 0 when every file is (or now is)
    formatted; 1 when a file does not parse, or with --check when a file would
    change; 2 when a path does not exist.

    \b
    Examples:
      credential fmt policies/dalton_2014.cred
      credential fmt --check policies/     # in CI: fail if not formatted
      credential fmt -d policies/dalton_2017.cred
      credential fmt - < policies/dalton_2014.cred
    """
    from credential.syntax.format import format_policy
    from credential.syntax.parser import decode_policy_bytes, parse_source

    writing = write or not (diff or list_ or check_only)
    diags: list[Diagnostic] = []
    changed: list[str] = []
    unchanged = 0
    files = policy_files(paths)
    for path in files:
        shown = "<stdin>" if path == "-" else path
        try:
            if path == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(path, "rb") as fh:
                    data = fh.read()
        except OSError as exc:
            diags.append(error("parse.io", f"cannot read policy file {shown}: {exc.strerror or exc}"))
            continue
        src, decode_diags = decode_policy_bytes(shown, data)
        result = parse_source(src) if not decode_diags else None
        if result is None or any(d.is_error for d in result.diagnostics):
            diags.extend(decode_diags if result is None else result.diagnostics)
            continue
        formatted = format_policy(result).encode("utf-8")
        if path == "-" and not (diff or list_ or check_only):
            sys.stdout.buffer.write(formatted)
            sys.stdout.buffer.flush()
            if formatted != data:
                changed.append(shown)
            continue
        if formatted == data:
            unchanged += 1
            continue
        changed.append(shown)
        if diff:
            old = data.decode("utf-8", errors="replace").splitlines(keepends=True)
            new = formatted.decode("utf-8").splitlines(keepends=True)
            click.echo("".join(difflib.unified_diff(old, new, f"{shown} (original)", f"{shown} (formatted)")), nl=False)
        if list_ or (check_only and not diff):
            click.echo(shown, err=fmt == "json")
        if writing and path != "-":
            write_atomic(path, formatted)
            if not list_:
                click.echo(f"reformatted {shown}", err=fmt == "json")
    emit_diagnostics(diags, fmt, stream="stdout" if fmt == "json" else "stderr")
    if fmt == "text" and files != ["-"]:
        verb = "reformatted" if writing else "would be reformatted"
        summary = f"{len(changed)} file(s) {verb}, {unchanged} unchanged"
        if diags:
            failed = len(files) - len(changed) - unchanged
            summary += f", {failed} not parsed"
        click.echo(summary, err=True)
    failed_run = bool(diags) or (check_only and bool(changed))
    raise SystemExit(EXIT_POLICY if failed_run else EXIT_OK)
