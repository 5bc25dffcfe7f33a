"""Every example runs: each `credential ...` line in every command's --help, each line of every
```sh block in README.md and docs/, against the bundled data; and every link in the docs
resolves to a file inside the repository.

The examples are discovered, not listed here: a new command, help text or doc is checked as it
lands.  A shell line that cannot run here (an install, a shell start-up line, a placeholder
file) ends with the comment ``# illustrative``; a line whose command is not ``credential`` is
illustrative too.  Lines run in a copy of the repository's policies, fixtures and tests (so
`fmt` and `--output` touch nothing of the checkout), with exit code 0 or the code the line's
own ``|| echo "exit N"`` shows.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import COMMANDS, cli
from support.examples import is_heavy

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("policies/*.md")])
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# placeholders in prose examples (a user's own files) that the bundled files stand for
STAND_INS = {
    "policy.cred": "policies/dalton_2014.cred",
    "my.cred": "policies/dalton_2014.cred",
    "old.cred": "policies/dalton_2014.cred",
    "new.cred": "policies/dalton_2017.cred",
    "bundle/": "fixtures/nhs",
    "my_bundle/": "fixtures/nhs",
    "bundle.json": "fixtures/nhs",
}


# commands that serve a client on standard input (an editor's language server): not run as a batch
SERVERS = {"lsp"}


def _help_examples() -> list[tuple[str, str]]:
    out = []
    for name in [None, *COMMANDS]:
        args = ["--help"] if name is None else [name, "--help"]
        text = CliRunner().invoke(cli, args).output
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("credential ") and not s.startswith("credential:"):
                out.append((f"credential {name or ''} --help".replace("  ", " "), s))
    return out


def _sh_lines() -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) not in ("sh", "bash", "shell"):
                continue
            first = text[: m.start()].count("\n") + 2
            for i, line in enumerate(m.group(2).splitlines()):
                if line.strip() and not line.lstrip().startswith("#"):
                    out.append((f"{doc.relative_to(ROOT).as_posix()}:{first + i}", line.strip()))
    return out


HELP = _help_examples()
SH = _sh_lines()

# heavy examples run in the slow step (support/examples.py)


def _params(examples: list[tuple[str, str]]) -> list[object]:
    return [
        pytest.param(w, line, id=f"{w}: {line}", marks=[pytest.mark.slow] if is_heavy(line) else [])
        for w, line in examples
    ]


# a command line already run with success in this session (the same line in a --help and in a
# doc) is not run again: it would print the same
_PASSED: set[tuple[str, bytes | None]] = set()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    box = tmp_path_factory.mktemp("examples")
    for part in ("policies", "fixtures", "tests/fixtures", "docs/examples"):
        shutil.copytree(ROOT / part, box / part, ignore=shutil.ignore_patterns("__pycache__"))
    (box / "build").mkdir()
    return box


def _run_line(line: str, where: str, box: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if line.endswith("# illustrative"):
        return
    if not line.startswith("credential "):
        pytest.skip(f"not a credential command: {line}")
    if re.search(r"\[--?\w", line) or "|" in line.replace("||", ""):
        pytest.skip(f"a synopsis, not a command: {line}")
    line = re.sub(r"\s+#.*$", "", line)
    expect = 0
    m = re.search(r'\|\|\s*echo\s+"exit \$\?"$', line)
    if m:
        line = line[: m.start()].strip()
        expect = -1  # any documented non-zero code
    if " > " in line:
        line = line.partition(" > ")[0]
    if "--fail-on" in line:
        expect = -1  # exits 5 when a decision matches (docs/cli.md)
    stdin = None
    if " < " in line:
        line, _, src = line.partition(" < ")
        stdin = (box / src.strip()).read_bytes()
    argv = shlex.split(line)
    if not argv or argv[0] != "credential":
        pytest.skip(f"not a credential command: {line}")
    if argv[1:2] and argv[1] in SERVERS:
        pytest.skip(f"a server reading standard input, not a batch command: {line}")
    argv = [STAND_INS.get(a, a) for a in argv[1:]]
    key = (shlex.join(argv), stdin)
    if key in _PASSED:
        return
    monkeypatch.chdir(box)
    result = CliRunner().invoke(cli, argv, input=stdin, catch_exceptions=False)
    if expect == -1:
        assert result.exit_code in (1, 3, 4, 5), f"{where}: `{line}` exit {result.exit_code}\n{result.output}"
    else:
        assert result.exit_code == 0, f"{where}: `{line}` exit {result.exit_code}\n{result.output}{result.stderr}"
    _PASSED.add(key)


@pytest.mark.parametrize(("where", "line"), _params(HELP))
def test_help_examples_run(sandbox: Path, monkeypatch: pytest.MonkeyPatch, where: str, line: str) -> None:
    _run_line(line, where, sandbox, monkeypatch)


@pytest.mark.parametrize(("where", "line"), _params(SH))
def test_shell_examples_run(sandbox: Path, monkeypatch: pytest.MonkeyPatch, where: str, line: str) -> None:
    _run_line(line, where, sandbox, monkeypatch)


def test_every_help_has_an_example() -> None:
    named = {w.split()[1] for w, _ in HELP if len(w.split()) > 2}
    assert named == set(COMMANDS), f"commands without a runnable example: {set(COMMANDS) - named}"


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _links() -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        text = FENCE.sub("", doc.read_text(encoding="utf-8"))
        for target in LINK.findall(text):
            out.append((doc.relative_to(ROOT).as_posix(), target))
    return out


@pytest.mark.parametrize(("doc", "target"), _links(), ids=[f"{d} -> {t}" for d, t in _links()])
def test_links_resolve_inside_the_repository(doc: str, target: str) -> None:
    assert "://" not in target and not target.startswith("mailto:"), f"{doc}: links outside the repository: {target}"
    path = target.split("#", 1)[0]
    if not path:
        return
    resolved = ((ROOT / doc).parent / path).resolve()
    assert resolved.is_relative_to(ROOT), f"{doc}: {target} leaves the repository"
    assert resolved.exists(), f"{doc}: {target} does not exist"


def test_version() -> None:
    from credential import __version__

    r = CliRunner().invoke(cli, ["--version"])
    assert r.exit_code == 0 and r.output == f"credential, version {__version__}\n"
