"""The exit-code table of docs/cli.md, as a matrix: every command x every kind of bad input.

Each bad input gives the documented code and a message that names the input (one line for a
usage error); no traceback, nothing written to standard output but what the command reports.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "tests" / "fixtures" / "spec_example.cred")
DATA = str(ROOT / "tests" / "fixtures" / "hand_bundle")
TESTS = str(ROOT / "policies" / "tests" / "dalton_2014_example.yaml")


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.cred").write_text("")
    (d / "empty.jsonl").write_text("")
    (d / "empty.yaml").write_text("")
    (d / "wrong.cred").write_text("this is not a policy {{\n")
    (d / "wrong.jsonl").write_text("not json\n")
    (d / "wrong.yaml").write_text(": : [\n")
    (d / "wrong.csv").write_text("x,y\n1,2\n")
    (d / "folder").mkdir()
    (d / "emptydata").mkdir()
    for name in ("locked.cred", "locked.jsonl", "locked.yaml"):
        (d / name).write_text("x")
        (d / name).chmod(0)
    (d / "lockeddata").mkdir()
    (d / "lockeddata").chmod(0)
    paths = {p.name: str(p) for p in d.iterdir()}
    paths["missing"] = str(d / "no-such-file")
    paths["missing.cred"] = str(d / "no-such.cred")
    paths["dir"] = str(d)
    return paths


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


# (command template, where the bad input goes) -> a bad input replaces {P} (policy), {D} (data),
# {J} (decisions), {T} (test file); the others stay good.
COMMANDS = {
    "evaluate": ["evaluate", "--policy", "{P}", "--data", "{D}", "--as-of", "{A}"],
    "explain": ["explain", "R0A", "partner", "--policy", "{P}", "--data", "{D}", "--as-of", "{A}"],
    "verify": ["verify", "{J}", "--policy", "{P}", "--data", "{D}"],
    "check": ["check", "{P}"],
    "fmt": ["fmt", "--check", "{P}"],
    "compile": ["compile", "{P}"],
    "diff": ["diff", "{P}", POLICY, "--data", "{D}", "--as-of", "{A}"],
    "validate": ["validate", "--policy", "{P}", "--data", "{D}"],
    "test": ["test", "{T}", "--no-coverage"],
    "match": ["match", "RW6", "--form", "buddying", "--policy", "{P}", "--data", "{D}", "--as-of", "{A}"],
}
GOOD = {"P": POLICY, "D": DATA, "A": "2016-04-01", "J": "", "T": TESTS}

# kind of bad input -> (slot, name of the bad path in the fixture, expected exit code)
KINDS: dict[str, list[tuple[str, str, int]]] = {
    "missing file": [("P", "missing.cred", 2), ("D", "missing", 2), ("J", "missing", 2), ("T", "missing", 2)],
    "folder for a file": [("P", "folder", 2), ("J", "folder", 2)],
    "unreadable": [("P", "locked.cred", 2), ("D", "lockeddata", 2), ("J", "locked.jsonl", 2), ("T", "locked.yaml", 2)],
    "empty": [("P", "empty.cred", 1), ("D", "emptydata", 3), ("J", "empty.jsonl", 4), ("T", "empty.yaml", 2)],
    "wrong format": [("P", "wrong.cred", 1), ("D", "wrong.csv", 3), ("J", "wrong.jsonl", 2), ("T", "wrong.yaml", 2)],
    "bad date": [("A", "2016-13-45", 2), ("A", "yesterday-ish", 2)],
}


def cases() -> list[tuple[str, str, str, str, int]]:
    out = []
    for command, template in COMMANDS.items():
        slots = {s.strip("{}") for s in template if s.startswith("{")}
        for kind, entries in KINDS.items():
            for slot, name, code in entries:
                if slot not in slots:
                    continue
                if command == "fmt" and name == "folder":
                    continue  # fmt walks a folder for *.cred files
                if command == "fmt" and name == "empty.cred":
                    code = 0  # an empty file is already in the canonical layout (as gofmt)
                out.append((command, kind, slot, name, code))
    return out


@pytest.mark.parametrize(("command", "kind", "slot", "name", "code"), cases(), ids=lambda v: str(v))
def test_bad_input_gives_its_code_and_names_it(
    bad: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    kind: str,
    slot: str,
    name: str,
    code: int,
) -> None:
    if kind == "unreadable" and os.geteuid() == 0:
        # permissions do not stop root from reading: the system's answer for the locked paths is simulated
        import credential.inputs

        real = os.access
        monkeypatch.setattr(
            credential.inputs.os, "access", lambda p, mode: False if "locked" in str(p) else real(p, mode)
        )
    good = dict(GOOD)
    if command == "verify" or "J" in slot:
        good["J"] = _decisions(tmp_path)
    value = bad.get(name, name) if slot != "A" else name
    good[slot] = value
    args = [a.format(**good) for a in COMMANDS[command]]
    exit_code, out, err = invoke(*args)
    assert exit_code == code, f"{command} with {kind}: exit {exit_code}\n{out}{err}"
    text = out + err
    assert "Traceback" not in text
    if code == 0:
        return
    shown = Path(value).name if slot != "A" else value
    if kind == "empty" and slot == "D":
        shown = "providers"  # an empty folder: the table it lacks is named
    assert shown in text, f"{command} with {kind}: the message does not name {shown!r}:\n{text}"
    if code == 2:  # one line says it all: the error, the input
        assert any(shown in line and "error" in line.lower() for line in err.splitlines()), err


_DECISIONS: dict[str, str] = {}


def _decisions(tmp_path: Path) -> str:
    if "path" not in _DECISIONS:
        path = tmp_path / "d.jsonl"
        code, _, err = invoke(
            "evaluate", "--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01", "--format", "jsonl",
            "--output", str(path),
        )  # fmt: skip
        assert code == 0, err
        _DECISIONS["path"] = str(path)
    return _DECISIONS["path"]


@pytest.mark.parametrize(
    ("args", "code", "names"),
    [
        (["explain", "NOPE", "partner"], 2, "NOPE"),
        (["explain", "R0A", "no_such_credential"], 2, "no_such_credential"),
        (["explain", "R0A", "pair:no_form:R0A:RW6"], 2, "no_form"),
        (["evaluate", "--provider", "NOPE"], 2, "NOPE"),
        (["evaluate", "--subject", "form:nothing:*"], 2, "form:nothing:*"),
        (["evaluate", "--format", "csv", "--explain"], 2, "--explain"),
        (["evaluate", "--format", "table", "--explain"], 2, "--explain"),
        (["evaluate", "--output", "/no/such/folder/out.jsonl", "--format", "jsonl"], 2, "/no/such/folder"),
        (["evaluate", "--subject", "partner", "--fail-on", "not-granted"], 5, "--fail-on"),
        (["explain", "R0A", "partner", "--fail-on", "refused"], 5, "--fail-on"),
        (["test", TESTS, "-k", "nothing-matches-this", "--no-coverage"], 2, "nothing-matches-this"),
        (["test", TESTS, "-k", "(unclosed", "--no-coverage"], 2, "(unclosed"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else str(v),
)
def test_unknown_providers_subjects_and_gates(args: list[str], code: int, names: str) -> None:
    extra = ["--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01"] if args[0] in ("explain", "evaluate") else []
    exit_code, out, err = invoke(*args, *extra)
    assert exit_code == code, out + err
    assert names in err, err
    if code == 2:
        assert len([line for line in err.splitlines() if line.lower().startswith("error")]) == 1, err


def test_fail_on_writes_the_output_first(tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    code, _, err = invoke(
        "evaluate", "--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01", "--format", "jsonl",
        "--output", str(out), "--fail-on", "undetermined",
    )  # fmt: skip
    assert code == 5 and out.exists() and "matched" in err
    code, _, _ = invoke(
        "evaluate", "--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01", "--format", "jsonl",
        "--provider", "RW6", "--subject", "form:buddying:recipient", "--fail-on", "refused",
    )  # fmt: skip
    assert code in (0, 5)
