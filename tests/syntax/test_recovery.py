"""After a syntax error the parser goes on: every syntax error is reported, and the checks run
on the declarations that parsed (without the findings that follow from those that did not)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from credential.cli import cli
from credential.policy import load_checked
from credential.syntax.parser import MAX_SYNTAX_ERRORS, parse_text
from support.golden import assert_golden

HERE = Path(__file__).parent / "recovery"
CASES = sorted(p.name for p in HERE.glob("*.cred"))


def check(name: str, fmt: str) -> tuple[int, str, str]:
    cwd = os.getcwd()
    os.chdir(HERE)
    try:
        r = CliRunner().invoke(cli, ["check", "--format", fmt, name], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("name", CASES)
def test_recovery_golden(name: str) -> None:
    code, _out, err = check(name, "text")
    assert code == 1
    assert_golden(HERE / "golden" / f"{name}.txt", f"exit {code}\n{err}")


def test_every_syntax_error_and_the_checks_on_what_parsed() -> None:
    _code, out, _err = check("several_errors.cred", "json")
    found = [(d["code"], d["line"]) for d in json.loads(out)]
    assert found == [
        ("parse.unexpected-token", 8),
        ("parse.unexpected-token", 12),
        ("parse.unexpected-token", 13),
        ("check.unknown-name", 17),  # x: not declared anywhere
        ("check.unknown-name", 17),  # great: not a level of rating
        ("parse.unexpected-token", 26),
    ]
    # nothing about `n` (its declaration is broken), `c` (criterion broken) or unused measures
    messages = " ".join(d["message"] for d in json.loads(out))
    assert "`n`" not in messages and "`c`" not in messages and "unused" not in messages


def test_recovery_keeps_positions_and_never_returns_a_policy(tmp_path: Path) -> None:
    path = tmp_path / "p.cred"
    path.write_text((HERE / "several_errors.cred").read_text(encoding="utf-8"), encoding="utf-8")
    policy, diags = load_checked(path)
    assert policy is None
    assert all(d.span is not None and d.span.path.endswith("p.cred") for d in diags)


def test_the_number_of_syntax_errors_is_limited() -> None:
    text = 'policy p "t"\n  version "1"\n  effective 2015-01-01\n\n' + "".join(
        f'criterion c{i} "c"\n  requires m >= {i} {i}\n\n' for i in range(MAX_SYNTAX_ERRORS + 10)
    )
    diags = parse_text(text).diagnostics
    assert [d.code for d in diags].count("parse.unexpected-token") == MAX_SYNTAX_ERRORS
    assert diags[-1].code == "parse.too-many-errors" or "parse.too-many-errors" in [d.code for d in diags]


def test_a_file_without_errors_is_unchanged_by_recovery() -> None:
    text = 'policy p "t"\n  version "1"\n  effective 2015-01-01\n\nmeasure m: number\n'
    result = parse_text(text)
    assert not result.diagnostics and not result.unparsed and len(result.tree.decls) == 2
