"""Hover, definition, references, rename, outline, completion and formatting over the protocol."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lsprotocol import types

from conftest import ROOT, Client
from credential.cli import cli
from credential.policy import load_checked
from credential.syntax.vocabulary import keywords

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIB = """\
source review "A review of provider options. London: Department of Health, 2014"
scale rating: inadequate < requires_improvement < good < outstanding
attribute sector: one of acute, community
measure ae_4h: percent  # share of A&E attendances seen within 4 hours
measure cqc_overall: rating
status special_measures "In special measures"
param ae_standard = 95%
  from 2023-04-01 = 76%
"""

MAIN = """\
policy p "P"
  version "1.0.0"
  effective 2015-04-01

use "lib.cred"

# Quality as the regulator rates it.
criterion good_quality "Rated good"
  cites review "chapter 2"
  requires cqc_overall >= good and not special_measures

credential supporter "Supporter"
  requires good_quality and ae_4h >= ae_standard

form buddying "Buddying"
  cites review "p. 4"
  change low
  lead requires supporter and sector = acute
  recipient requires special_measures or receives arrangement as buddying
  pair requires lead.good_quality and not recipient.supporter
  prefer meets_ae "Meets the A&E standard" when lead.ae_4h >= ae_standard
"""

NAMES = {
    "review": "source",
    "rating": "scale",
    "sector": "attribute",
    "ae_4h": "measure",
    "special_measures": "status",
    "ae_standard": "param",
    "good_quality": "criterion",
    "supporter": "credential",
    "buddying": "form",
}


@pytest.fixture
def policy(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "lib.cred").write_text(LIB, encoding="utf-8")
    (tmp_path / "main.cred").write_text(MAIN, encoding="utf-8")
    return tmp_path / "main.cred", tmp_path / "lib.cred"


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def at(text: str, needle: str, nth: int = 0, inside: int = 1) -> types.Position:
    """The position of the ``nth`` occurrence of ``needle`` (``inside`` characters into it)."""
    offsets = [m.start() for m in re.finditer(re.escape(needle), text)]
    off = offsets[nth] + inside
    line = text.count("\n", 0, off)
    return types.Position(line=line, character=off - (text.rfind("\n", 0, off) + 1))


def words(path: Path, name: str) -> set[tuple[str, int, int]]:
    """Where ``name`` is written as a word outside strings and comments: the oracle for references."""
    out = set()
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        code = re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), line).split("#")[0]
        for m in re.finditer(rf"\b{re.escape(name)}\b", code):
            out.add((path.resolve().as_uri(), i, m.start()))
    return out


async def open_policy(client: Client, main: Path) -> str:
    uri = client.open(main)
    await client.published_for(uri, 1)
    return uri


# ---- hover -------------------------------------------------------------------------


async def hover_text(client: Client, uri: str, pos: types.Position) -> str:
    h = await client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=pos))
    assert h is not None
    assert isinstance(h.contents, types.MarkupContent)
    return h.contents.value


async def test_hover_param_shows_every_effective_date(client: Client) -> None:
    path = ROOT / "policies" / "dalton_2014.cred"
    text = path.read_text(encoding="utf-8")
    uri = await open_policy(client, path)
    value = await hover_text(client, uri, at(text, ">= ae_standard", 0, 4))
    assert "**param** `ae_standard`" in value
    for piece in ("| 2015-04-01 (the policy's `effective` date) | `95%` |", "| 2023-04-01 | `76%` |",
                  "| 2024-04-01 | `trajectory 76% on 2024-03-31 to 78% on 2025-03-31` |", "| 2025-04-01 | `78%` |",
                  "linear in days between"):  # fmt: skip
        assert piece in value


HOVERS = {
    "measure": (
        "main",
        "ae_4h >=",
        ["**measure** `ae_4h`: percent", "share of A&E attendances seen within 4 hours",
         "declared in `lib.cred` line 4", "measure ae_4h: percent"],
    ),
    "criterion": (
        "main",
        "good_quality and",
        ["**criterion** `good_quality`", "*Rated good*", "Quality as the regulator rates it.",
         "- `review`, chapter 2: A review of provider options. London: Department of Health, 2014",
         "requires cqc_overall >= good and not special_measures"],
    ),
    "credential": ("main", "supporter and", ["**credential** `supporter`", "*Supporter*", "requires good_quality and"]),
    "form": ("main", "as buddying", ["**form** `buddying`", "*Buddying*", "- `review`, p. 4: A review", "change low"]),
    "source": (
        "main",
        "review",
        ["**source** `review`", "A review of provider options. London: Department of Health, 2014",
         "cited by `buddying`, `good_quality`"],
    ),
    "status": ("main", "special_measures", ["**status** `special_measures`", "In special measures"]),
    "attribute": ("main", "sector =", ["**attribute** `sector`: one of acute, community"]),
    "param": ("main", "ae_standard", ["**param** `ae_standard`", "| 2023-04-01 | `76%` |",
                                      "| 2015-04-01 (the policy's `effective` date) | `95%` |"]),
    "scale": ("lib", "rating\n", ["**scale** `rating`", "`inadequate` < `requires_improvement` < `good`"]),
    "level": ("main", "good and", ["**level** `good` of scale `rating`", "`requires_improvement` < **`good`** <"]),
    "member": ("main", "acute\n", ["**member** `acute` of attribute `sector`: one of **`acute`**, `community`"]),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(HOVERS))
async def test_hover(client: Client, policy: tuple[Path, Path], kind: str) -> None:
    main, lib = policy
    uri = await open_policy(client, main)
    where, needle, pieces = HOVERS[kind]
    if where == "lib":
        uri = client.open(lib)
        await client.published_for(uri, 1)
    text = MAIN if where == "main" else LIB
    value = await hover_text(client, uri, at(text, needle, 0, 3 if kind == "form" else 1))
    assert value.startswith(pieces[0])
    for piece in pieces[1:]:
        assert piece in value, (piece, value)


async def test_no_hover_on_keywords_comments_and_strings(client: Client, policy: tuple[Path, Path]) -> None:
    main, _ = policy
    uri = await open_policy(client, main)
    for needle in ("requires", "low\n", "# Quality", "chapter 2"):
        h = await client.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=at(MAIN, needle)))
        assert h is None, needle


# ---- definition and references -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NAMES))
async def test_definition_and_references_across_files(client: Client, policy: tuple[Path, Path], name: str) -> None:
    main, lib = policy
    uri = await open_policy(client, main)
    everywhere = words(main, name) | words(lib, name)
    if name == "rating":  # a scale's name is used in the library only
        assert {u for u, _, _ in everywhere} == {lib.resolve().as_uri()}
    decl_file = lib if NAMES[name] in ("source", "scale", "attribute", "measure", "status", "param") else main
    decl = min(words(decl_file, name), key=lambda w: w[1:])
    for u, line, col in sorted(everywhere):
        pos = types.Position(line=line, character=col + 1)
        target = await client.text_document_definition_async(types.DefinitionParams(text_document=doc(u), position=pos))
        assert isinstance(target, list) and len(target) == 1
        assert (target[0].uri, target[0].range.start.line, target[0].range.start.character) == decl
        assert target[0].range.end.character == decl[2] + len(name)
        if u != uri:
            continue
        refs = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc(u), position=pos, context=types.ReferenceContext(include_declaration=True)
            )
        )
        assert {(r.uri, r.range.start.line, r.range.start.character) for r in refs or []} == everywhere
        refs = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc(u), position=pos, context=types.ReferenceContext(include_declaration=False)
            )
        )
        assert {(r.uri, r.range.start.line, r.range.start.character) for r in refs or []} == everywhere - {decl}


async def test_keywords_and_change_levels_are_not_references(client: Client, policy: tuple[Path, Path]) -> None:
    main, _ = policy
    uri = await open_policy(client, main)
    for needle in ("requires", "low\n", "# Quality", "chapter 2"):
        target = await client.text_document_definition_async(
            types.DefinitionParams(text_document=doc(uri), position=at(MAIN, needle))
        )
        assert not target, needle


@pytest.mark.parametrize(("needle", "owner_line", "uses"), [("good and", 1, 1), ("acute\n", 2, 1)])
async def test_levels_and_members_go_to_their_type(
    client: Client, policy: tuple[Path, Path], needle: str, owner_line: int, uses: int
) -> None:
    main, lib = policy
    uri = await open_policy(client, main)
    pos = at(MAIN, needle)
    level = needle.strip().split()[0]
    target = await client.text_document_definition_async(types.DefinitionParams(text_document=doc(uri), position=pos))
    assert target and target[0].uri == lib.resolve().as_uri() and target[0].range.start.line == owner_line
    line = LIB.split("\n")[owner_line]
    assert line[target[0].range.start.character : target[0].range.end.character] == level
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(uri), position=pos, context=types.ReferenceContext(include_declaration=False)
        )
    )
    assert len(refs or []) == uses
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(uri), position=pos)
    )
    assert prepared is None  # a level names data values: renaming it is not an edit of the policy alone


# ---- rename ------------------------------------------------------------------------


def apply(edit: types.WorkspaceEdit) -> None:
    for uri, edits in (edit.changes or {}).items():
        path = Path(uri.removeprefix("file://"))
        lines = path.read_text(encoding="utf-8").split("\n")
        for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            assert e.range.start.line == e.range.end.line
            line = lines[e.range.start.line]
            lines[e.range.start.line] = line[: e.range.start.character] + e.new_text + line[e.range.end.character :]
        path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("name", sorted(NAMES))
async def test_rename_across_files(client: Client, policy: tuple[Path, Path], name: str) -> None:
    main, lib = policy
    uri = await open_policy(client, main)
    before = words(main, name) | words(lib, name)
    u, line, col = sorted(before)[-1]
    pos = types.Position(line=line, character=col)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(u), position=pos)
    )
    assert isinstance(prepared, types.Range) and prepared.end.character - prepared.start.character == len(name)
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(u), position=pos, new_name="renamed_x")
    )
    assert edit is not None
    assert sum(len(e) for e in (edit.changes or {}).values()) == len(before)
    apply(edit)
    assert words(main, name) | words(lib, name) == set()
    assert (words(main, "renamed_x") | words(lib, "renamed_x")) == before
    _policy, diags = load_checked(main)
    assert [d.code for d in diags] == []
    assert uri


async def test_rename_refuses_bad_names(client: Client, policy: tuple[Path, Path]) -> None:
    main, _ = policy
    uri = await open_policy(client, main)
    pos = at(MAIN, "supporter and")
    for new in ("requires", "ae_4h", "9lives", "two words"):
        with pytest.raises(Exception, match=r"reserved word|already declared|not a name"):
            await client.text_document_rename_async(
                types.RenameParams(text_document=doc(uri), position=pos, new_name=new)
            )
    nothing = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(uri), position=at(MAIN, "requires"))
    )
    assert nothing is None


# ---- outline -----------------------------------------------------------------------


async def test_document_symbols(client: Client, policy: tuple[Path, Path]) -> None:
    main, lib = policy
    uri = await open_policy(client, main)
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri)))
    assert [(s.name, s.kind) for s in syms] == [  # type: ignore[union-attr]
        ("p", types.SymbolKind.Module),
        ("lib.cred", types.SymbolKind.File),
        ("good_quality", types.SymbolKind.Function),
        ("supporter", types.SymbolKind.Class),
        ("buddying", types.SymbolKind.Struct),
    ]
    form = syms[-1]  # type: ignore[index]
    assert [c.name for c in form.children] == [
        "cites review",
        "change low",
        "lead requires",
        "recipient requires",
        "pair requires",
        "prefer meets_ae",
    ]
    lib_uri = client.open(lib)
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(lib_uri)))
    assert [s.name for s in syms] == ["review", "rating", "sector", "ae_4h", "cqc_overall", "special_measures",
                                      "ae_standard"]  # fmt: skip
    assert [c.name for c in syms[1].children] == ["inadequate", "requires_improvement", "good", "outstanding"]
    assert [c.name for c in syms[-1].children] == ["from 2023-04-01"]


# ---- completion --------------------------------------------------------------------


async def labels(client: Client, uri: str, pos: types.Position) -> list[str]:
    got = await client.text_document_completion_async(types.CompletionParams(text_document=doc(uri), position=pos))
    items = got.items if isinstance(got, types.CompletionList) else got or []
    return [i.label for i in items]


async def test_completion_in_context(client: Client, policy: tuple[Path, Path]) -> None:
    main, _ = policy
    text = MAIN + "\ncredential partner\n  requires supporter and \n  cites \n\n"
    uri = client.open(main, text)
    await client.published_for(uri, 1)
    cond = await labels(client, uri, at(text, "supporter and \n", 0, len("supporter and ")))
    for name in ("good_quality", "supporter", "special_measures", "ae_4h", "sector", "ae_standard", "not", "and"):
        assert name in cond
    assert "partner" not in cond and "buddying" not in cond and "review" not in cond
    cites = await labels(client, uri, at(text, "cites \n", 0, len("cites ")))
    assert cites == ["review"]
    top = await labels(client, uri, types.Position(line=text.count("\n"), character=0))
    assert {"policy", "criterion", "credential", "form", "measure", "param", "use"} <= set(top)
    clause = await labels(client, uri, at(text, "  cites \n", 0, 2))
    assert clause == ["cites", "requires"]


COMPLETIONS = {
    # what is typed on the last line of a half-typed file: (must be offered, must not be)
    '  prefer close "Close by" ': ({"when"}, {"ae_4h"}),
    "  lead requires lead.": (
        {"ae_4h", "cqc_overall", "good_quality", "sector", "special_measures", "supporter"},
        {"ae_standard", "review", "buddying"},
    ),
    "  requires mean ": ({"ae_4h", "cqc_overall"}, {"sector", "good_quality"}),
    "  requires count ": ({"arrangements", "ae_4h"}, {"sector"}),
    "  requires ae_4h >= ": ({"ae_4h", "ae_standard", "good"}, {"and"}),
    "  requires cqc_overall in (": ({"acute", "community", "good", "inadequate"}, {"ae_4h"}),
    "  requires cqc_overall in (good, ": ({"outstanding"}, {"ae_4h"}),
    "  change ": ({"high", "low", "medium", "very_high"}, {"ae_4h"}),
    "  recipient requires receives arrangement as ": ({"buddying"}, {"supporter"}),
    "  recipient requires leads arrangement started within ": ({"ae_standard"}, {"ae_4h"}),
    "  recipient requires leads ": ({"arrangement"}, {"ae_4h"}),
    "measure x: ": ({"rating", "number", "percent", "yes/no", "one of"}, {"ae_4h"}),
    "  requires mean ae_4h over 4 ": ({"months", "quarters", "years"}, {"ae_4h"}),
    "  cites ": ({"review"}, {"ae_4h", "supporter"}),
    "  requires all of ": ({"ae_4h", "sector"}, {"supporter"}),
    "  requires supporter and ": (
        {"good_quality", "special_measures", "ae_4h", "not", "leads arrangement"},
        {"review"},
    ),
    "  ": ({"change", "lead requires", "recipient requires", "pair requires", "prefer", "cites"}, {"unless", "ae_4h"}),
    "": ({"policy", "criterion", "credential", "form", "measure", "param", "use", "source"}, {"requires", "ae_4h"}),
    "criterion ": (set(), {"ae_4h", "policy"}),
    "  requires x # a comment ": (set(), {"ae_4h", "and"}),
    "  requires mean ae_4h ": ({"over"}, {"ae_4h"}),
    "  requires count arrangements ": ({"led", "received"}, {"ae_4h"}),
    "  requires count arrangements led ": ({"as", "started within"}, {"ae_4h"}),
    "  recipient requires receives arrangement as buddying ": ({"started within"}, {"as"}),
    "  recipient requires leads arrangement started ": ({"within"}, {"ae_4h"}),
    "  requires supporter = ": ({"yes", "no"}, set()),
    '  requires sector = "a#b" and ': ({"ae_4h", "good_quality"}, set()),
    '  cites review "half-typed ': (set(), {"ae_4h", "review"}),
}


@pytest.mark.parametrize("typed", sorted(COMPLETIONS))
async def test_completion(client: Client, policy: tuple[Path, Path], typed: str) -> None:
    main, _ = policy
    uri = await open_policy(client, main)
    text = MAIN + "\nform f\n" + typed
    client.replace(uri, text)
    got = set(await labels(client, uri, types.Position(line=text.count("\n"), character=len(typed))))
    must, must_not = COMPLETIONS[typed]
    assert must <= got, (typed, sorted(got))
    assert not (must_not & got), (typed, sorted(must_not & got))
    assert client.error is None


async def test_completion_offers_every_keyword_somewhere(client: Client, policy: tuple[Path, Path]) -> None:
    """Each reserved word of the grammar is offered in some context (a new keyword needs a context)."""
    main, _ = policy
    uri = await open_policy(client, main)
    contexts = [MAIN + "\nform f\n" + typed for typed in COMPLETIONS]
    contexts += ['policy q "Q"\n  ', "param x = 1\n  ", MAIN + "\ncriterion c\n  "]
    contexts += ["param x = ", "param x = trajectory 1% ", "param x = trajectory 1% on 2024-04-01 "]
    offered: set[str] = set()
    for text in contexts:
        client.replace(uri, text)
        pos = types.Position(line=text.count("\n"), character=len(text.split("\n")[-1]))
        for label in await labels(client, uri, pos):
            offered.update(re.split(r"[ /]", label))
    assert sorted(set(keywords()) - offered) == []


# ---- formatting ----------------------------------------------------------------------


async def test_formatting_is_exactly_fmt(client: Client, tmp_path: Path) -> None:
    messy = (ROOT / "policies" / "dalton_2014.cred").read_text(encoding="utf-8")
    messy = messy.replace("  requires ", "  requires   ").replace(" and ", "   and ")
    path = tmp_path / "messy.cred"
    path.write_text(messy, encoding="utf-8")
    uri = client.open(path)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert edits is not None and len(edits) == 1
    result = CliRunner().invoke(cli, ["fmt", str(path)])
    assert result.exit_code == 0, result.output
    assert edits[0].new_text == path.read_text(encoding="utf-8") != messy
    assert edits[0].range.start == types.Position(line=0, character=0)
    assert edits[0].range.end == types.Position(line=messy.count("\n"), character=0)
    # Already formatted: no edits.
    client.replace(uri, edits[0].new_text)
    again = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert again is not None and list(again) == []
    # A file that does not parse is left alone.
    client.replace(uri, "criterion x\n  requires (\n")
    broken = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    assert broken is None
    assert client.error is None


FORMAT_INPUTS = {
    "reference-2014": (ROOT / "policies" / "dalton_2014.cred").read_text(encoding="utf-8"),
    "reference-2017": (ROOT / "policies" / "dalton_2017.cred").read_text(encoding="utf-8"),
    "every-construct": (ROOT / "editors" / "vscode" / "test" / "sample.cred").read_text(encoding="utf-8"),
    "crlf": MAIN.replace("\n", "\r\n"),
    "comments": "# top\n"
    + MAIN.replace("  change low", "  # before a clause\n  change low   # trailing")
    + "\n# at the end\n",
    "tabs": MAIN.replace("  requires", "\trequires"),
}


@pytest.mark.parametrize("case", sorted(FORMAT_INPUTS))
async def test_formatting_matches_the_fmt_command(client: Client, tmp_path: Path, case: str) -> None:
    text = FORMAT_INPUTS[case]
    path = tmp_path / f"{case}.cred"
    path.write_bytes(text.encode("utf-8"))
    uri = client.open(path, text)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    result = CliRunner().invoke(cli, ["fmt", str(path)])
    assert result.exit_code == 0, result.output
    formatted = path.read_bytes().decode("utf-8")
    if formatted == text:
        assert edits is not None and list(edits) == []
    else:
        assert edits is not None and len(edits) == 1 and edits[0].new_text == formatted
    assert case not in ("reference-2014", "reference-2017") or formatted == text


async def test_outline_of_a_half_typed_file(client: Client, policy: tuple[Path, Path]) -> None:
    main, _ = policy
    text = MAIN + "\ncriterion half\n  requires (supporter and\n\nform\n"
    uri = client.open(main, text)
    await client.published_for(uri, 1)
    syms = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri)))
    assert [s.name for s in syms or []] == ["p", "lib.cred", "good_quality", "supporter", "buddying"]
    lines = text.split("\n")
    for s in syms or []:
        assert isinstance(s, types.DocumentSymbol)
        assert lines[s.selection_range.start.line][s.selection_range.start.character :].lstrip('"').startswith(s.name)


# ---- quick fixes and used files ----------------------------------------------------------


async def test_quick_fix_applies_the_did_you_mean(client: Client, tmp_path: Path) -> None:
    (tmp_path / "lib.cred").write_text(LIB, encoding="utf-8")
    path = tmp_path / "main.cred"
    text = MAIN.replace("cqc_overall >= good", "cqc_overal >= good").replace("as buddying", "as budying")
    path.write_text(text, encoding="utf-8")
    uri = client.open(path)
    diags = await client.published_for(uri, 1)
    assert sorted(d.code for d in diags) == ["check.unknown-name", "check.unknown-name"]
    fixes = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=99, character=0)),
            context=types.CodeActionContext(diagnostics=list(diags)),
        )
    )
    assert fixes is not None
    titles = sorted(f.title for f in fixes if isinstance(f, types.CodeAction))
    assert titles == ["Change to `buddying`", "Change to `cqc_overall`"]
    for fix in fixes:
        assert isinstance(fix, types.CodeAction) and fix.edit is not None
        apply(fix.edit)
    assert path.read_text(encoding="utf-8") == MAIN
    assert [d.code for d in load_checked(path)[1]] == []


async def test_definition_of_a_use_opens_the_used_file(client: Client, policy: tuple[Path, Path]) -> None:
    main, lib = policy
    uri = await open_policy(client, main)
    target = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(uri), position=at(MAIN, '"lib.cred"', 0, 3))
    )
    assert target and target[0].uri == lib.resolve().as_uri() and target[0].range.start.line == 0
