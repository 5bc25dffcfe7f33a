"""Helpers shared by the CLI verbs: diagnostics output, exit codes, atomic writes."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import click

from credential.check import CheckedPolicy
from credential.diagnostics import Diagnostic, render_all_json, render_all_text

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_FAILED = 4

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


def write_atomic(path: str | Path, data: str | bytes | Iterable[str | bytes]) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then rename.

    ``data`` may be an iterable of chunks (text, or UTF-8 bytes), written as they come (streamed):
    a writer thread writes one chunk while the next is being made (file writes release the GIL),
    with at most a few chunks waiting, so memory stays bounded.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, str | bytes):
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            else:
                _write_chunks(fh, data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_chunks(fh: Any, chunks: Iterable[str | bytes]) -> None:
    import queue
    import threading

    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failed: list[BaseException] = []

    def writer() -> None:
        while (chunk := pending.get()) is not None:
            if not failed:
                try:
                    fh.write(chunk)
                except BaseException as e:  # reported by the producer
                    failed.append(e)

    thread = threading.Thread(target=writer, name="credential-writer", daemon=True)
    thread.start()
    try:
        for chunk in chunks:
            if failed:
                break
            pending.put(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]


class IsoDate(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A YYYY-MM-DD date option."""

    name = "date"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        import datetime as dt

        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


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
    from credential.engine import DataInvalid, PolicyInvalid

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
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
    default="pydatalog",
    show_default=True,
    help="Datalog backend (auto: pyDatalog for small bundles; for large ones numpy masks, or DuckDB with --pairs)",
)


ALLOW_EXPIRED_OPTION = click.option(
    "--allow-expired",
    "allow_expired",
    is_flag=True,
    help="evaluate as of a date after the policy's `expires` date (recorded in every decision record)",
)


DATA_OPTION = click.option(
    "--data",
    "data",
    type=click.Path(),
    default=None,
    help="data bundle: folder of CSV/Parquet files or one JSON file (default: bundled NHS data)",
)


def policy_data_options(fn: F) -> F:
    opts = [
        click.option(
            "--policy",
            "policy",
            type=click.Path(dir_okay=False),
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
