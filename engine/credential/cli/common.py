"""Helpers shared by the CLI verbs: diagnostics output, exit codes, atomic writes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import click

from credential.check import CheckedPolicy
from credential.cli.paths import InputData, InputFile
from credential.diagnostics import Diagnostic, render_all_json, render_all_text

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_FAILED = 4
EXIT_FAIL_ON = 5  # --fail-on matched a decision (the table: docs/cli.md)
EXIT_IO = 6

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="diagnostics as text for people or JSON for machines",
)


def emit_diagnostics(diags: Sequence[Diagnostic], fmt: str = "text", stream: str = "stderr") -> None:
    if not diags and fmt == "text":
        return
    text = render_all_json(diags) if fmt == "json" else render_all_text(diags)
    err = stream == "stderr"
    if fmt == "text":
        from credential.cli.progress import colourise, use_colour

        if use_colour(sys.stderr if err else sys.stdout):
            click.echo(colourise(text), nl=False, err=err, color=True)
            return
    click.echo(text, nl=False, err=err)


def usage_exit(exc: Any) -> NoReturn:
    """A ``credential.errors.UsageError`` as one line on standard error, exit 2."""
    for d in exc.diagnostics:
        click.echo(f"error[{d.code}]: {d.message}", err=True)
    sys.exit(EXIT_USAGE)


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


def write_atomic(path: str | Path, data: str | bytes | Iterable[str | bytes]) -> None:
    """Write a whole output or nothing (see :mod:`credential.cli.sink`, which every output goes through).

    A regular file is replaced atomically and durably, a symlink written through, a FIFO or a
    character device streamed to; ``data`` may be an iterable of chunks, streamed.
    """
    from credential.cli.sink import write_output

    write_output(path, data)


class IsoDate(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A date option: every form of ``credential.dates.parse_date`` (``today``, ``YYYY-MM-DD``)."""

    name = "date"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        from credential.cli.dates import DateParam

        return DateParam().convert(value, param, ctx)


def default_policy() -> str:
    from credential.resources import reference_policy_path

    return str(reference_policy_path())


def default_data() -> str:
    from credential.resources import bundled_data_path

    return str(bundled_data_path())


F = TypeVar("F", bound=Callable[..., Any])


def run_guarded(fn: F) -> F:
    """Turn policy/data errors raised by the engine into diagnostics and exit codes 1 / 3."""
    import functools

    from credential.diagnostics import DiagnosticError
    from credential.errors import UsageError
    from credential.evaluation.evaluate import DataInvalid, PolicyInvalid

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            usage_exit(exc)
        except PolicyInvalid as exc:
            emit_diagnostics(exc.diagnostics)
            fail(EXIT_POLICY)
        except DataInvalid as exc:
            emit_diagnostics(exc.diagnostics)
            fail(EXIT_DATA)
        except DiagnosticError as exc:  # loaders: unreadable bundle
            emit_diagnostics(exc.diagnostics)
            fail(EXIT_DATA if any(d.code.startswith("data.") for d in exc.diagnostics) else EXIT_POLICY)

    return cast(F, wrapper)


ON_INVALID_OPTION = click.option(
    "--on-invalid",
    type=click.Choice(["reject", "quarantine"]),
    default="reject",
    show_default=True,
    help="reject an invalid bundle, or set offending rows aside and treat their values as missing",
)

BACKEND_OPTION = click.option(
    "--backend",
    type=click.Choice(["pydatalog", "duckdb", "auto"]),
    default="auto",
    show_default=True,
    help="Datalog backend (auto: numpy masks for plain runs; with --pairs pyDatalog for small bundles, DuckDB above)",
)


ALLOW_EXPIRED_OPTION = click.option(
    "--allow-expired",
    "allow_expired",
    is_flag=True,
    help="evaluate as of a date after the policy's `expires` date (recorded in every decision record)",
)


_DATA = click.option(
    "--data",
    "data",
    type=InputData(),
    default=None,
    help="data bundle: folder of CSV/Parquet files or one JSON file (default: bundled NHS data)",
)


def _enter_follow_symlinks(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    from credential.data.load import follow_symlinks

    ctx.with_resource(follow_symlinks(value))


_FOLLOW_SYMLINKS = click.option(
    "--follow-symlinks",
    is_flag=True,
    expose_value=False,
    callback=_enter_follow_symlinks,
    help="let the bundle's tables be symbolic links to files outside its folder",
)


def DATA_OPTION(fn: F) -> F:
    """``--data`` and ``--follow-symlinks``."""
    return _DATA(_FOLLOW_SYMLINKS(fn))


def _enter_policy_path(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> None:
    from credential.policy import policy_path

    ctx.with_resource(policy_path(value))


POLICY_PATH_OPTION = click.option(
    "--policy-path",
    "policy_path",
    multiple=True,
    type=click.Path(file_okay=False),
    expose_value=False,
    callback=_enter_policy_path,
    help="a folder (repeatable) whose .cred files `use` may name, besides the root policy's folder",
)


def policy_data_options(fn: F) -> F:
    opts = [
        POLICY_PATH_OPTION,
        click.option(
            "--policy",
            "policy",
            type=InputFile(),
            default=None,
            help="policy file (default: the bundled reference policy)",
        ),
        DATA_OPTION,
        ON_INVALID_OPTION,
        BACKEND_OPTION,
        ALLOW_EXPIRED_OPTION,
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn
