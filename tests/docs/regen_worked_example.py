"""Regenerate docs/worked-example.md from real runs (tests/docs/test_docs.py checks it stays true).

Run from the repository root: ``PYTHONPATH=engine python3 tests/docs/regen_worked_example.py``.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from click.testing import CliRunner

from credential.cli import cli

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "tests" / "docs" / "worked-example.template.md"


def block(cmd: str) -> str:
    result = CliRunner().invoke(cli, shlex.split(cmd)[1:], catch_exceptions=False)
    out = "\n".join(line.rstrip() for line in (result.stdout + result.stderr).rstrip("\n").splitlines())
    return f"```console\n$ {cmd}\n{out}\n```\n"


def main() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    while "{{ " in text:
        start = text.index("{{ ")
        end = text.index(" }}", start)
        text = text[:start] + block(text[start + 3 : end]) + text[end + 3 :]
    (ROOT / "docs" / "worked-example.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
