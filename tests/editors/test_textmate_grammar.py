"""The VS Code TextMate grammar (editors/vscode), tokenised as VS Code tokenises it.

``editors/vscode/test/tokenize.mjs`` runs vscode-textmate with vscode-oniguruma (installed by
``npm ci`` in that folder; ``.ci/run`` does it). The scopes of every token of the reference
policies and of a sample using every construct are pinned by golden files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from credential.syntax.vocabulary import keywords
from support.golden import assert_golden

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "editors" / "vscode" / "test"
GOLDEN = Path(__file__).resolve().parent / "golden"
FILES = {
    "dalton_2014": ROOT / "policies" / "dalton_2014.cred",
    "dalton_2017": ROOT / "policies" / "dalton_2017.cred",
    "sample": TOOLS / "sample.cred",
}


def _tools_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (TOOLS / "node_modules" / "vscode-textmate").is_dir():
        return f"run `npm ci` in {TOOLS.relative_to(ROOT)}"
    return None


@pytest.fixture(scope="module")
def tokens() -> dict[str, list[list[list[object]]]]:
    missing = _tools_missing()
    if missing:
        if os.environ.get("CREDENTIAL_REQUIRE_NODE"):
            pytest.fail(f"the grammar test tools are required here: {missing}")
        pytest.skip(missing)
    out = subprocess.run(
        ["node", str(TOOLS / "tokenize.mjs"), *(str(p) for p in FILES.values())],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    raw: dict[str, list[list[list[object]]]] = json.loads(out.stdout)
    return {name: raw[str(path)] for name, path in FILES.items()}


def render(text: str, lines: list[list[list[object]]]) -> str:
    """One block per source line: the line, then each token with its scopes (the root scope left out)."""
    out: list[str] = []
    for no, (line, toks) in enumerate(zip(text.split("\n"), lines, strict=False), start=1):
        out.append(f"{no:4} | {line}")
        for start, end, _root, *scopes in toks:
            piece = line[int(start) : int(end)]  # type: ignore[call-overload]
            if not piece.strip() and not scopes:
                continue
            out.append(f"     |   {piece!r:<24} {' '.join(str(s) for s in scopes) or '(no scope)'}")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("name", sorted(FILES))
def test_scopes_match_golden(tokens: dict[str, list[list[list[object]]]], name: str) -> None:
    text = FILES[name].read_text(encoding="utf-8")
    assert_golden(GOLDEN / f"{name}.tokens", render(text, tokens[name]))


def _scopes_of(lines: list[list[list[object]]], text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for line, toks in zip(text.split("\n"), lines, strict=False):
        for start, end, _root, *scopes in toks:
            found.setdefault(line[int(start) : int(end)].strip(), set()).update(str(s) for s in scopes)  # type: ignore[call-overload]
    return found


def test_every_code_token_has_a_scope(tokens: dict[str, list[list[list[object]]]]) -> None:
    for name, path in FILES.items():
        text = path.read_text(encoding="utf-8")
        for no, (line, toks) in enumerate(zip(text.split("\n"), tokens[name], strict=False), start=1):
            for start, end, _root, *scopes in toks:
                piece = line[int(start) : int(end)]  # type: ignore[call-overload]
                assert scopes or not piece.strip(), f"{path.name}:{no}: `{piece}` has no scope"


def test_every_keyword_of_the_grammar_is_highlighted(tokens: dict[str, list[list[list[object]]]]) -> None:
    """Each reserved word of grammar/credential.lark gets a keyword-like scope wherever it is written.

    A new keyword in the Lark grammar makes this fail until the TextMate grammar knows it.
    """
    text = " ".join(keywords())
    sample = TOOLS / "keywords.tmp.cred"
    try:
        sample.write_text("  requires " + text + "\n", encoding="utf-8")
        out = subprocess.run(
            ["node", str(TOOLS / "tokenize.mjs"), str(sample)], capture_output=True, text=True, check=True, timeout=60
        )
    finally:
        sample.unlink(missing_ok=True)
    lines = json.loads(out.stdout)[str(sample)]
    scopes = _scopes_of(lines, "  requires " + text)
    keyword_like = ("keyword.", "storage.", "support.", "constant.language.")
    plain = sorted(w for w in keywords() if not any(s.startswith(keyword_like) for s in scopes.get(w, set())))
    assert plain == [], f"keywords the TextMate grammar does not know (add them to editors/vscode/syntaxes): {plain}"


def test_scopes_of_each_kind(tokens: dict[str, list[list[list[object]]]]) -> None:
    text = FILES["sample"].read_text(encoding="utf-8")
    scopes = _scopes_of(tokens["sample"], text)
    expect = {
        "criterion": "keyword.declaration.criterion.cred",
        "strong": "entity.name.function.criterion.cred",
        "leader": "entity.name.class.credential.cred",
        "merger": "entity.name.type.form.cred",
        "ae_4h": "entity.name.variable.measure.cred",
        "sector": "entity.name.variable.attribute.cred",
        "2015-04-01": "constant.numeric.date.cred",
        "95": "constant.numeric.percent.cred",
        "24": "constant.numeric.cred",
        "months": "keyword.other.unit.cred",
        '"chapter 2, p. 32"': "string.quoted.double.citation.locator.cred",
        "review": "entity.name.label.source.cred",
        "Strong": "string.quoted.double.cred",
        "lead": "variable.language.role.cred",
        ".": "punctuation.accessor.cred",
        "a library": "comment.line.number-sign.cred",
        "requires": "keyword.other.clause.cred",
        "and": "keyword.operator.logical.cred",
        ">=": "keyword.operator.comparison.cred",
        "yes/no": "storage.type.primitive.cred",
        "good": "constant.other.level.cred",
        "-2.5": "constant.numeric.cred",
    }
    for token, scope in expect.items():
        assert scope in scopes.get(token, set()), (token, scopes.get(token))
