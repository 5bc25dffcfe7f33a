"""The ``credential`` command line: thin click commands, one module per verb."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from credential import __version__

COMMANDS: dict[str, str] = {
    "evaluate": "credential.cli.evaluate",
    "explain": "credential.cli.explain",
    "check": "credential.cli.check",
    "fmt": "credential.cli.fmt",
    "test": "credential.cli.test",
    "diff": "credential.cli.diff",
    "validate": "credential.cli.validate",
    "compile": "credential.cli.compile",
    "verify": "credential.cli.verify",
    "timeline": "credential.cli.timeline",
    "report": "credential.cli.report",
}


class LazyGroup(click.Group):
    """Imports a verb's module only when that verb runs (fast start, independent modules)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, mod in COMMANDS.items() if importlib.util.find_spec(mod) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        mod = COMMANDS.get(cmd_name)
        if mod is None or importlib.util.find_spec(mod) is None:
            return None
        command: click.Command = importlib.import_module(mod).command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credential")
def cli() -> None:
    """Credentialing NHS providers by declarative policy.

    \b
    Example:
      credential evaluate                      # reference policy on the bundled NHS data
      credential check policies/dalton_2014.cred
    """


def main(argv: list[str] | None = None) -> Any:
    """Entry point: no traceback ever reaches the user (set CREDENTIAL_DEBUG=1 to see one)."""
    try:
        return cli.main(args=argv, prog_name="credential", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # pragma: no cover - last-resort guard, exercised by hostile-input tests
        if os.environ.get("CREDENTIAL_DEBUG"):
            raise
        click.echo(f"error[internal]: {type(exc).__name__}: {exc} (a bug: please report it)", err=True)
        sys.exit(1)
