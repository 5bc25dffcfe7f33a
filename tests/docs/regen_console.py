"""Rewrite the output of the docs' ```console sessions that no longer match what the commands print.

Run from the repository root after a change that alters user-visible output:
``PYTHONPATH=engine python3 tests/docs/regen_console.py [DOC ...]`` (default: every document that
tests/docs/test_docs.py checks). A session that still matches is left alone. In one that does not,
the output is replaced by what the command prints now; where the old output elided lines with a
``...`` line, the new one keeps as many lines before and after the ``...`` as the old one had.
Read the resulting ``git diff`` before committing it: the prose around a block may need updating too.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from test_docs import DOCS, FENCE, ROOT, matches  # noqa: E402

from credential.cli import cli  # noqa: E402


def run(command: str) -> list[str]:
    argv = shlex.split(command)
    result = CliRunner().invoke(cli, argv[1:], catch_exceptions=False)
    return [a.rstrip() for a in (result.stdout + result.stderr).rstrip("\n").splitlines()]


def elide(old: list[str], new: list[str]) -> list[str]:
    if "..." not in old:
        return new
    i = old.index("...")
    head, tail = i, len(old) - i - 1
    if head + tail >= len(new):
        return new
    return [*new[:head], "...", *(new[len(new) - tail :] if tail else [])]


def regen_block(body: str) -> str:
    out: list[str] = []
    lines = body.splitlines()
    k = 0
    while k < len(lines):
        raw = lines[k]
        if not raw.startswith("$ "):
            out.append(raw)
            k += 1
            continue
        command = raw[2:]
        out.append(raw)
        k += 1
        old: list[str] = []
        while k < len(lines) and not lines[k].startswith("$ "):
            old.append(lines[k].rstrip())
            k += 1
        argv = shlex.split(command)
        if argv[0] == "cd":
            os.chdir(ROOT / argv[1])
            out.extend(old)
            continue
        trailing = 0
        while old and old[-1] == "":
            old.pop()
            trailing += 1
        new = run(command)
        out.extend(old if matches(old, new) else elide(old, new))
        out.extend([""] * trailing)
    return "\n".join(out) + "\n"


def regen(doc: Path) -> bool:
    text = doc.read_text(encoding="utf-8")
    pieces: list[str] = []
    last = 0
    for m in FENCE.finditer(text):
        if m.group(1) != "console":
            continue
        os.chdir(ROOT)
        pieces.append(text[last : m.start(2)])
        pieces.append(regen_block(m.group(2)))
        last = m.end(2)
    pieces.append(text[last:])
    new = "".join(pieces)
    if new != text:
        doc.write_text(new, encoding="utf-8")
        return True
    return False


def main(argv: list[str]) -> int:
    (ROOT / "build").mkdir(exist_ok=True)
    docs = [ROOT / a for a in argv] if argv else DOCS
    for doc in docs:
        if regen(doc):
            print(f"rewrote {doc.relative_to(ROOT)}")
    os.chdir(ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
