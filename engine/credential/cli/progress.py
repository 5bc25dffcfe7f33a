"""A progress bar on standard error for long runs, only when standard error is a terminal."""

from __future__ import annotations

import os
import re
from types import TracebackType
from typing import IO, Any, TextIO, cast

import click


def on_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def use_colour(stream: IO[str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and on_terminal(stream)


_SEVERITY = re.compile(r"\b(error|warning)(\[[a-z0-9.-]+\])")


def colourise(text: str) -> str:
    """Diagnostics text with ``error[...]`` in red and ``warning[...]`` in yellow (for a terminal)."""

    def paint(m: re.Match[str]) -> str:
        return click.style(m.group(0), fg="red" if m.group(1) == "error" else "yellow", bold=True)

    return _SEVERITY.sub(paint, text)


class Progress:
    """Steps (one per as-of date) and, with ``--explain``, proofs built, as one bar."""

    def __init__(self, stream: IO[str], enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = on_terminal(stream) if enabled is None else enabled
        self._bar: Any = None
        self._label = ""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def step(self, message: str) -> None:
        """A stage of the run (no length known): one line, rewritten in place."""
        if self.enabled:
            click.echo(f"\r{message}\x1b[K", nl=False, file=self.stream)
            self._label = message

    def track_proofs(self, result: Any) -> None:
        """Advance a bar as the proofs of ``result`` are built (they are built while writing)."""
        if not self.enabled:
            return
        if self._label:
            click.echo("\r\x1b[K", nl=False, file=self.stream)
        if not result.explain or len(result.frame) == 0:
            return
        bar = click.progressbar(length=len(result.frame), label="proofs", file=cast(TextIO, self.stream), show_eta=True)
        bar.__enter__()
        self._bar = bar
        for name in ("proof_texts", "proof_block"):  # self-contained (parquet) or content-addressed (JSON)
            original = getattr(result, name)

            def built(start: int, stop: int, original: Any = original) -> Any:
                out = original(start, stop)
                bar.update(stop - start)
                return out

            setattr(result, name, built)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        elif self.enabled and self._label:
            click.echo("\r\x1b[K", nl=False, file=self.stream)
            self._label = ""
