"""Path option types: inputs and outputs are checked when the command line is read (exit 2).

The message names the option, the path and the diagnostic code (``credential.inputs``), the same
codes the Python API's ``UsageError`` carries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from credential.errors import UsageError
from credential.inputs import check_input_data, check_input_file, check_output_file


class _Checked(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    check: Callable[[str, str], Path]

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if value == "-" and self.allow_dash:
            return "-"
        try:
            type(self).check(str(value), "")
        except UsageError as exc:
            self.fail(f"{exc.message} [{exc.code}]", param, ctx)
        return str(value)

    def __init__(self, allow_dash: bool = False) -> None:
        self.allow_dash = allow_dash

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type="file")]


class InputFile(_Checked):
    """An existing, readable file (not a folder)."""

    name = "file"
    check = staticmethod(check_input_file)


class InputData(_Checked):
    """An existing, readable data bundle: a folder or a file."""

    name = "path"
    check = staticmethod(check_input_data)


class OutputFile(_Checked):
    """An output file whose folder exists (never created silently)."""

    name = "file"
    check = staticmethod(check_output_file)
