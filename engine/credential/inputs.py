"""Checking input and output paths before any work starts (the CLI's options and the Python API).

Each check raises ``credential.errors.UsageError`` (exit code 2) with a one-line message naming
the path and the option it came from:

=========================  ===========================================================
``usage.missing-file``     the input does not exist
``usage.not-a-file``       a folder where a file is wanted (or a file where a folder is)
``usage.unreadable``       the input exists but cannot be read (permissions)
``usage.missing-output-dir``  an ``--output`` whose folder does not exist (never created silently)
=========================  ===========================================================
"""

from __future__ import annotations

import os
from pathlib import Path

from credential.errors import UsageError


def _label(what: str, path: str | Path) -> str:
    return f"{what} {str(path)!r}" if what else repr(str(path))


def check_input_file(path: str | Path, what: str = "") -> Path:
    """A readable regular file (or a FIFO/character device such as standard input's)."""
    p = Path(path)
    if not p.exists():
        raise UsageError("usage.missing-file", f"{_label(what, path)}: no such file")
    if p.is_dir():
        raise UsageError("usage.not-a-file", f"{_label(what, path)}: is a folder, not a file")
    if not os.access(p, os.R_OK):
        raise UsageError("usage.unreadable", f"{_label(what, path)}: cannot be read (permission denied)")
    return p


def check_input_data(path: str | Path, what: str = "--data") -> Path:
    """A data bundle: a readable folder, or a readable file (JSON, CSV or Parquet)."""
    p = Path(path)
    if not p.exists():
        raise UsageError("usage.missing-file", f"{_label(what, path)}: no such file or folder")
    if not os.access(p, os.R_OK) or (p.is_dir() and not os.access(p, os.X_OK)):
        raise UsageError("usage.unreadable", f"{_label(what, path)}: cannot be read (permission denied)")
    return p


def check_input_folder_or_file(path: str | Path, what: str = "") -> Path:
    """A readable folder or file (``credential test PATH``, ``fmt PATH``)."""
    return check_input_data(path, what)


def check_output_file(path: str | Path, what: str = "--output") -> Path:
    """Where an output file may go: its folder exists, and it is not itself a folder."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise UsageError("usage.not-a-file", f"{_label(what, path)}: is a folder, not a file")
    if not parent.exists():
        raise UsageError(
            "usage.missing-output-dir",
            f"{_label(what, path)}: the folder {str(parent)!r} does not exist (create it first)",
        )
    if not parent.is_dir():
        raise UsageError("usage.missing-output-dir", f"{_label(what, path)}: {str(parent)!r} is not a folder")
    return p
