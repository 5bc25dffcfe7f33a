"""Helpers shared by the CLI verbs: diagnostics output, exit codes, atomic writes."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from credential.check import CheckedPolicy
from credential.diagnostics import Diagnostic, render_all_json, render_all_text

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_FAILED = 4

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="diagnostics as text for people or JSON for machines",
)


def emit_diagnostics(diags: Sequence[Diagnostic], fmt: str = "text", stream: str = "stderr") -> None:
    if not diags and fmt == "text":
        return
    text = render_all_json(diags) if fmt == "json" else render_all_text(diags)
    click.echo(text, nl=False, err=(stream == "stderr"))


def fail(code: int, message: str | None = None) -> NoReturn:
    if message:
        click.echo(message, err=True)
    sys.exit(code)


def load_policy_or_exit(path: str | Path, fmt: str = "text", strict: bool = False) -> CheckedPolicy:
    """Load and check a policy; on errors print every diagnostic and exit 1."""
    from credential.policy import load_checked

    policy, diags = load_checked(path)
    bad = policy is None or (strict and any(not d.is_error for d in diags))
    if bad or diags:
        emit_diagnostics(diags, fmt if fmt in ("text", "json") else "text")
    if bad or policy is None:
        fail(EXIT_POLICY)
    return policy


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
