"""Every example in the docs runs: policies check clean and console sessions print what the docs show.

Conventions in docs/*.md and README.md:

* a ```cred block is a complete policy; it must check with no errors (and no warnings
  unless the block's first line is ``# expect-warnings``);
* a ```console block holds ``$ credential ...`` commands, each followed by its exact
  output; the command runs from the repository root (``$ cd DIR`` lines change folder).
  A line ``...`` in the expected output matches any lines.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli
from credential.policy import load_checked
from support.examples import is_heavy

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("policies/*.md")])
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(kind: str) -> list[tuple[str, int, str]]:
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) == kind:
                line = text[: m.start()].count("\n") + 1
                out.append((doc.relative_to(ROOT).as_posix(), line, m.group(2)))
    return out


CRED = blocks("cred")
CONSOLE = blocks("console")


@pytest.mark.parametrize(("doc", "line", "body"), CRED, ids=[f"{d}:{n}" for d, n, _ in CRED])
def test_policy_examples_check(tmp_path: Path, doc: str, line: int, body: str) -> None:
    path = tmp_path / "example.cred"
    path.write_text(body, encoding="utf-8")
    policy, diags = load_checked(path)
    errors = [d.headline() for d in diags if d.is_error]
    assert not errors, f"{doc}:{line}: {errors}"
    if not body.startswith("# expect-warnings"):
        assert not diags, f"{doc}:{line}: {[d.headline() for d in diags]}"
    assert policy is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def sessions(body: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for raw in body.splitlines():
        if raw.startswith("$ "):
            out.append((raw[2:], []))
        elif out:
            out[-1][1].append(raw.rstrip())
    return out


# a session with a heavy command runs in the slow step (support/examples.py)
def _heavy(body: str) -> bool:
    return any(is_heavy(command) for command, _ in sessions(body))


@pytest.mark.parametrize(
    ("doc", "line", "body"),
    [pytest.param(d, n, b, id=f"{d}:{n}", marks=[pytest.mark.slow] if _heavy(b) else []) for d, n, b in CONSOLE],
)
def test_console_examples_run(doc: str, line: int, body: str) -> None:
    # examples write into build/ (gitignored); an --output folder must exist (docs/cli.md), as a user's would
    (ROOT / "build").mkdir(exist_ok=True)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for command, expected in sessions(body):
            argv = shlex.split(command)
            if argv[0] == "cd":
                os.chdir(ROOT / argv[1])
                continue
            assert argv[0] == "credential", f"{doc}:{line}: only credential commands run here: {command}"
            result = CliRunner().invoke(cli, argv[1:], catch_exceptions=False)
            actual = (result.stdout + result.stderr).rstrip("\n").splitlines()
            while expected and expected[-1] == "":
                expected = expected[:-1]
            assert matches(expected, [a.rstrip() for a in actual]), f"{doc}:{line}: `{command}` printed:\n" + "\n".join(
                actual
            )
    finally:
        os.chdir(cwd)


def test_every_diagnostic_code_is_documented() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "engine" / "credential").rglob("*.py"))
    codes = set(re.findall(r'"((?:parse|check|data|datalog|test)\.[a-z][a-z-]*)"', source))
    doc = "\n".join(
        (ROOT / "docs" / name).read_text(encoding="utf-8") for name in ("diagnostics.md", "policy-tests.md")
    )
    assert codes, "no codes found"
    missing = sorted(c for c in codes if f"`{c}`" not in doc)
    assert not missing, f"codes missing from docs/diagnostics.md: {missing}"


def test_diagnostic_examples_match_goldens() -> None:
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    for golden in sorted((ROOT / "tests" / "check" / "golden").glob("*.txt")):
        body = golden.read_text(encoding="utf-8").split("\n", 1)[1].rstrip("\n")
        assert body in doc, f"docs/diagnostics.md is stale for {golden.name}: run tests/docs/regen_diagnostics.py"


PYTHON = blocks("python")


@pytest.mark.parametrize(("doc", "line", "body"), PYTHON, ids=[f"{d}:{n}" for d, n, _ in PYTHON])
def test_python_examples_run(doc: str, line: int, body: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A ```python block runs from the repository root; a ```text block right after it is its output."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    after = text[text.index(body) + len(body) :]
    expected = None
    m = re.match(r"```\s*\n(?:[^`]*?\n)?```text\n(.*?)```", after, re.DOTALL)
    if m:
        expected = m.group(1)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(body, f"{doc}:{line}", "exec"), {"__name__": "__doc_example__"})
    finally:
        os.chdir(cwd)
    if expected is not None:
        assert capsys.readouterr().out == expected, f"{doc}:{line}"
