"""Bad input over the protocol: the server answers, never crashes, never leaves stale diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from test_lsp_diagnostics import CLEAN, HEADER, check_api, got

from conftest import Client

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOSTILE = {
    "nul-bytes": HEADER + "measure a\x00b: percent\n",
    "deep-parens": HEADER + "credential c\n  requires " + "(" * 200 + "x" + ")" * 200 + "\n",
    "tabs-and-emoji": HEADER + 'source s "\U0001f600 review"\ncredential c "\U0001f600"\n\trequires x\n',
    "use-cycle": HEADER + 'use "use-cycle.cred"\n',
    "use-directory": HEADER + 'use "."\n',
    "use-absolute-missing": HEADER + 'use "/no/such/dir/x.cred"\n',
    "crlf": CLEAN.replace("\n", "\r\n"),
    "only-comments": "# nothing here\n   # indented\n",
    "long-line": HEADER + "credential c\n  requires " + " and ".join(f"x{i}" for i in range(2000)) + "\n",
}


async def requests_all_answer(client: Client, uri: str, text: str) -> None:
    lines = text.split("\n")
    positions = [types.Position(line=0, character=0), types.Position(line=len(lines) + 5, character=999)]
    positions += [types.Position(line=i, character=len(lines[i]) // 2) for i in range(0, len(lines), 3)]
    d = types.TextDocumentIdentifier(uri=uri)
    for pos in positions[:12]:
        await client.text_document_hover_async(types.HoverParams(text_document=d, position=pos))
        await client.text_document_definition_async(types.DefinitionParams(text_document=d, position=pos))
        await client.text_document_completion_async(types.CompletionParams(text_document=d, position=pos))
        await client.text_document_references_async(
            types.ReferenceParams(
                text_document=d, position=pos, context=types.ReferenceContext(include_declaration=True)
            )
        )
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=d, position=pos))
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=d))
    await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=d, options=types.FormattingOptions(tab_size=2, insert_spaces=True))
    )


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_text(client: Client, tmp_path: Path, case: str) -> None:
    path = tmp_path / f"{case}.cred"
    path.write_text(HOSTILE[case], encoding="utf-8", newline="")
    uri = client.open(path, HOSTILE[case])
    assert got(await client.published_for(uri, 1)) == check_api(path)
    await requests_all_answer(client, uri, HOSTILE[case])
    version = client.replace(uri, CLEAN)
    assert list(await client.published_for(uri, version)) == []
    assert client.error is None


async def test_untitled_buffer_and_unknown_document(client: Client) -> None:
    uri = "untitled:Untitled-1"
    client.versions[uri] = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="cred", version=1, text=CLEAN + "credential x\n")
        )
    )
    diags = await client.published_for(uri, 1)
    assert [d.code for d in diags] == ["check.missing-clause"]
    await requests_all_answer(client, uri, CLEAN)
    # A request about a file the editor never opened gets an answer too.
    await requests_all_answer(client, Path("/no/such/file.cred").as_uri(), "")
    assert client.error is None


async def test_two_policies_do_not_share_names(client: Client, tmp_path: Path) -> None:
    a, b = tmp_path / "a.cred", tmp_path / "b.cred"
    a.write_text(CLEAN, encoding="utf-8")
    b.write_text(CLEAN, encoding="utf-8")
    ua, ub = client.open(a), client.open(b)
    await client.published_for(ub, 1)
    edit = await client.text_document_rename_async(
        types.RenameParams(
            text_document=types.TextDocumentIdentifier(uri=ua),
            position=types.Position(line=CLEAN.split("\n").index("measure ae_4h: percent"), character=9),
            new_name="ae_four_hours",
        )
    )
    assert edit is not None and set(edit.changes or {}) == {ua}
    assert len((edit.changes or {})[ua]) == 2


async def test_positions_are_utf16_code_units(client: Client, tmp_path: Path) -> None:
    line = '  requires region = "\U0001f600\U0001f600" and zz'
    text = HEADER + "attribute region: text\n\ncredential c\n" + line + "\n"
    path = tmp_path / "emoji.cred"
    uri = client.open(path, text)
    diags = await client.published_for(uri, 1)
    assert [d.code for d in diags] == ["check.unknown-name"]
    col = len(line[: line.index("zz")].encode("utf-16-le")) // 2  # each emoji is two UTF-16 units
    assert col == line.index("zz") + 2
    assert (diags[0].range.start.character, diags[0].range.end.character) == (col, col + 2)
    at_region = types.Position(line=text.split("\n").index(line), character=len("  requires re"))
    target = await client.text_document_definition_async(
        types.DefinitionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=at_region)
    )
    assert target and target[0].range.start.line == text.split("\n").index("attribute region: text")


async def test_dropping_a_use_clears_the_used_files_diagnostics(client: Client, tmp_path: Path) -> None:
    lib = tmp_path / "broken_lib.cred"
    lib.write_text("measure a: percent\nmeasure a: number\n", encoding="utf-8")
    text = HEADER + 'use "broken_lib.cred"\n\ncredential c\n  requires a >= 1%\n'
    path = tmp_path / "root.cred"
    path.write_text(text, encoding="utf-8")
    uri = client.open(path)
    await client.published_for(uri, 1)
    await client.settle(uri)
    assert [d.code for d in client.diagnostics[lib.as_uri()]] == ["check.duplicate-name"]
    version = client.replace(uri, CLEAN)
    assert list(await client.published_for(uri, version)) == []
    await client.settle(uri)
    assert list(client.diagnostics[lib.as_uri()]) == []
