"""Policy strings and data values are only ever data: nothing is compiled or executed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from credential.datalog import Atom, Const, Program, Rule, Var, evaluate, format_program, parse_program

BACKENDS = ["pydatalog", "duckdb"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_injection_strings_are_data(tmp_path: Path, backend: str) -> None:
    target = tmp_path / "pwned"
    payloads = [
        f"__import__('os').system('touch {target}')",
        f'"); __import__("os").system("touch {target}"); ("',
        f"'; COPY (SELECT 1) TO '{target}'; --",
        f"\\'); COPY (SELECT 1) TO '{target}'; --",
        "X",
        "True",
    ]
    facts: dict[str, list[tuple[object, ...]]] = {"p": [(s,) for s in payloads]}
    rules = [Rule(Atom("q", (Var("X"), Const(s))), (Atom("p", (Var("X"),)),)) for s in payloads]
    rules.append(Rule(Atom("hit", (Var("X"),)), (Atom("p", (Var("X"),)), Atom("q", (Var("X"), Var("X"))))))
    program = Program(tuple(rules))
    # the printed program parses back to the same constants
    assert parse_program(format_program(program)) == program
    out = evaluate(facts, program, backend=backend)
    assert out["p"] == {(s,) for s in payloads}
    assert out["q"] == {(x, s) for x in payloads for s in payloads}
    assert out["hit"] == {(s,) for s in payloads}
    assert not target.exists()


def test_no_text_is_compiled_by_pydatalog(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate({"p": [(1,)]}, "q(X) :- p(X).")  # makes sure the backend is loaded
    parser = sys.modules["pyDatalog.pyParser"]

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("pyDatalog compiled text")

    monkeypatch.setattr(parser, "load", forbidden)
    monkeypatch.setattr(parser, "ask", forbidden)
    monkeypatch.setattr(parser, "add_program", forbidden)
    out = evaluate({"p": [("__import__('os')",)]}, 'q(X, "c") :- p(X), not r(X), X != "k".')
    assert out["q"] == {("__import__('os')", "c")}
