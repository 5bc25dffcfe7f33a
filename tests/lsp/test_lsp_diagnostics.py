"""Diagnostics over the protocol: exactly what the checker API says for the same text, kept fresh."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from conftest import ROOT, Client
from credential.diagnostics import Diagnostic
from credential.policy import load_checked

pytestmark = pytest.mark.asyncio(loop_scope="module")

HEADER = 'policy p "P"\n  version "1.0.0"\n  effective 2015-04-01\n\n'
CLEAN = HEADER + 'measure ae_4h: percent\n\ncredential fast "Fast"\n  requires ae_4h >= 95%\n'

BAD_INPUTS = {
    "half-typed": HEADER + 'measure ae_4h: percent\n\ncredential fast "Fast"\n  requires ae_4h >=\ncriterion x',
    "only-errors": 'requires\n  policy\n)))\n"unclosed\n@@\n',
    "unknown-names": HEADER + 'credential c "C"\n  requires cqc_overal >= good and special\n',
    "missing-use": HEADER + 'use "no_such_file.cred"\n\ncredential c\n  requires c2\n',
    "empty": "",
    "type-errors": CLEAN + "credential slow\n  requires ae_4h >= 0.95 and fast = 3\n  unless fast\n",
}


def expected(diags: list[Diagnostic], display: str) -> list[tuple[object, ...]]:
    """The checker's diagnostics about one file, as (code, severity, range, message) tuples."""
    out = []
    for d in diags:
        j = d.to_json()
        if j.get("file") != display:
            continue
        line, col = (j["line"] - 1, j["column"] - 1) if "line" in j else (0, 0)
        end = (j["end_line"] - 1, j["end_column"] - 1) if "line" in j else (0, 0)
        message = d.message + (f"\nhelp: {d.help}" if d.help else "")
        out.append((d.code, 1 if d.is_error else 2, (line, col), end, message))
    return sorted(out, key=str)


def got(diags: object) -> list[tuple[object, ...]]:
    return sorted(
        (
            (
                d.code,
                int(d.severity),
                (d.range.start.line, d.range.start.character),
                (d.range.end.line, d.range.end.character),
                d.message,
            )
            for d in diags  # type: ignore[attr-defined]
        ),
        key=str,
    )


def check_api(path: Path) -> list[tuple[object, ...]]:
    _policy, diags = load_checked(path)
    return expected(diags, str(path.resolve()))


async def test_reference_policies_are_clean(client: Client) -> None:
    for name in ("dalton_2014", "dalton_2017"):
        uri = client.open(ROOT / "policies" / f"{name}.cred")
        assert got(await client.published_for(uri, 1)) == check_api(ROOT / "policies" / f"{name}.cred") == []


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
async def test_diagnostics_equal_the_checker_api(client: Client, tmp_path: Path, case: str) -> None:
    path = tmp_path / f"{case}.cred"
    path.write_text(BAD_INPUTS[case], encoding="utf-8")
    want = check_api(path)
    uri = client.open(path)
    assert got(await client.published_for(uri, 1)) == want
    assert want or case == "empty"
    # Every problem is reported, with its help text.
    _p, all_diags = load_checked(path)
    assert len(want) == len([d for d in all_diags if d.span is None or d.span.path == str(path)])


async def test_diagnostics_follow_every_change_and_clear_when_fixed(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "p.cred"
    path.write_text(CLEAN, encoding="utf-8")
    uri = client.open(path)
    assert got(await client.published_for(uri, 1)) == []
    # Typing a condition character by character: every version gets the checker's verdict for its text.
    text = CLEAN
    for i, ch in enumerate(" and ae_4h < 99%"):
        line = text.count("\n") - 1
        col = len(text.rstrip("\n").split("\n")[-1])
        version = client.edit(uri, (line, col), (line, col), ch)
        text = text[:-1] + ch + "\n"
        if i % 5 == 4 or ch == "%":
            path.write_text(text, encoding="utf-8")
            assert got(await client.published_for(uri, version)) == check_api(path), text
    # Break it, then fix it: the errors go away (an empty list is published).
    broken = text.replace("requires", "requirs")
    version = client.replace(uri, broken)
    path.write_text(broken, encoding="utf-8")
    assert got(await client.published_for(uri, version)) == check_api(path) != []
    version = client.replace(uri, CLEAN)
    assert list(await client.published_for(uri, version)) == []


async def test_half_typed_file_then_only_errors_then_clean(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "p.cred"
    uri = client.open(path, "")
    await client.published_for(uri, 1)
    for text in [*BAD_INPUTS.values(), CLEAN, *(CLEAN[:n] for n in range(0, len(CLEAN), 7)), CLEAN]:
        version = client.replace(uri, text)
        path.write_text(text, encoding="utf-8")
        assert got(await client.published_for(uri, version)) == check_api(path)
    assert client.error is None


async def test_used_file_diagnostics_and_recheck_when_it_changes(client: Client, tmp_path: Path) -> None:
    lib = tmp_path / "lib.cred"
    lib.write_text("measure ae_4h: percent\nstatus special_measures\n", encoding="utf-8")
    root = tmp_path / "root.cred"
    root.write_text(HEADER + 'use "lib.cred"\n\ncredential fast\n  requires ae_4h >= 95% and not special_measures\n')
    uri = client.open(root)
    assert got(await client.published_for(uri, 1)) == check_api(root) == []
    # The used file changes on disk: the root is re-checked and now has an error.
    mark = len(client.published)
    lib.write_text("measure ae_4h: number\nstatus special_measures\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=lib.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    assert got(await client.published_for(uri, None, mark)) == check_api(root) != []
    # Open the library and break it in the editor: its own diagnostics come from the root's check.
    lib_uri = client.open(lib)
    await client.published_for(lib_uri, 1)
    lib_text = "measure ae_4h: percent\nstatus special_measures\nmeasure ae_4h: number\n"
    version = client.replace(lib_uri, lib_text)
    lib_diags = await client.published_for(lib_uri, version)
    lib.write_text(lib_text, encoding="utf-8")
    _p, api = load_checked(root)
    assert got(lib_diags) == expected(api, str(lib)) != []
    assert [d.code for d in lib_diags] == ["check.duplicate-name"]  # no header error for a library
    await client.settle(uri)
    assert got(client.diagnostics[uri]) == expected(api, str(root))
    # Fix it in the editor: both files clear.
    mark = len(client.published)
    version = client.replace(lib_uri, "measure ae_4h: percent\nstatus special_measures\n")
    assert list(await client.published_for(lib_uri, version)) == []
    await client.settle(uri)
    assert list(client.diagnostics[uri]) == []


async def test_missing_used_file_then_created(client: Client, tmp_path: Path) -> None:
    root = tmp_path / "root.cred"
    root.write_text(HEADER + 'use "later.cred"\n\ncredential c\n  requires s\n', encoding="utf-8")
    uri = client.open(root)
    first = await client.published_for(uri, 1)
    assert got(first) == check_api(root)
    # the checks still run without the missing file: `s` is unknown until it exists
    assert [d.code for d in first] == ["check.use-not-found", "check.unknown-name"]
    later = tmp_path / "later.cred"
    later.write_text("status s\n", encoding="utf-8")
    mark = len(client.published)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=later.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    assert list(await client.published_for(uri, None, mark)) == [] == check_api(root)


async def test_closing_a_file_clears_its_diagnostics(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "p.cred"
    path.write_text(BAD_INPUTS["unknown-names"], encoding="utf-8")
    uri = client.open(path)
    assert list(await client.published_for(uri, 1))
    mark = len(client.published)
    client.close(uri)
    assert list(await client.published_for(uri, None, mark)) == []


async def test_the_server_asks_to_watch_policy_files(client: Client, tmp_path: Path) -> None:
    uri = client.open(tmp_path / "p.cred", CLEAN)
    await client.settle(uri)
    methods = [r.method for r in client.registrations]
    assert methods == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]


async def test_library_opened_alone_is_checked_from_the_policy_that_uses_it(client: Client, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    lib = tmp_path / "sub" / "shared.cred"
    lib.write_text("measure ae_4h: percent\nmeasure ae_4h: number\n", encoding="utf-8")
    root = tmp_path / "policy.cred"
    root.write_text(HEADER + 'use "sub/shared.cred"\n\ncredential fast\n  requires ae_4h >= 95%\n', encoding="utf-8")
    uri = client.open(lib)
    diags = await client.published_for(uri, 1)
    _p, api = load_checked(root)
    assert got(diags) == expected(api, str(lib))
    assert [d.code for d in diags] == ["check.duplicate-name"]  # not check.policy-header
    # A library nothing uses is checked alone, as `credential check` would check it.
    orphan = tmp_path / "orphan.cred"
    orphan.write_text("status s\n", encoding="utf-8")
    orphan_uri = client.open(orphan)
    assert got(await client.published_for(orphan_uri, 1)) == check_api(orphan)
    assert [d.code for d in client.diagnostics[orphan_uri]] == ["check.policy-header"]
