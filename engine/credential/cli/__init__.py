"""The ``credential`` command line: thin click commands, one module per verb."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any, NoReturn

import click

from credential.version import __version__

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
    "lsp": "credential.cli.lsp",
    "timeline": "credential.cli.timeline",
    "report": "credential.cli.report",
    "match": "credential.cli.match",
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
    """Entry point: no traceback ever reaches the user (set CREDENTIAL_DEBUG=1 to see one).

    Exit codes beyond the commands' own: 6 when standard output cannot be written, 130 on
    Ctrl-C (SIGINT), 128 + N on signal N (143 for SIGTERM, 129 for SIGHUP); an interrupted
    run leaves no temporary file behind (see ``credential.cli.sink``).
    """
    from credential.cli import sink

    sink.install_signal_handlers()
    try:
        try:
            rv = cli.main(args=argv, prog_name="credential", standalone_mode=False)
            sys.stdout.flush()
        finally:
            sink.remove_live_temps()
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            _interrupted("interrupted", 130)
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _interrupted("interrupted", 130)
    except sink.Terminated as exc:
        _interrupted(f"terminated by signal {exc.signum}", 128 + exc.signum)
    except BrokenPipeError:
        sink.silence_stdout()
        sys.exit(0)
    except OSError as exc:
        if exc.errno not in sink.WRITE_ERRNOS:
            _internal(exc)
        sink.silence_stdout()
        sink.OutputError("standard output", exc).show()
        sys.exit(sink.EXIT_IO)
    except Exception as exc:  # pragma: no cover - last-resort guard, exercised by hostile-input tests
        _internal(exc)
    sys.exit(rv if isinstance(rv, int) else 0)


def _interrupted(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _internal(exc: BaseException) -> NoReturn:
    if os.environ.get("CREDENTIAL_DEBUG"):
        raise exc
    click.echo(f"error[internal]: {type(exc).__name__}: {exc} (a bug: please report it)", err=True)
    sys.exit(1)
