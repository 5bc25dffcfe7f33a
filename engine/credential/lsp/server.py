"""``credential lsp``: the Language Server Protocol server (pygls) over stdio.

The handlers are thin: they turn LSP positions into paths and offsets, ask the
:class:`~credential.lsp.workspace.PolicyWorkspace` for the analyses that see a file, and hand
them to the feature modules. Diagnostics are published for every file an analysis reads after
each change, and cleared (an empty list) for a file that no longer has any.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from credential.lsp import actions, completion, hover, navigation
from credential.lsp.analysis import Analysis, parse_buffer
from credential.lsp.diagnostics import to_lsp
from credential.lsp.positions import offset as to_offset
from credential.lsp.positions import whole
from credential.lsp.workspace import PolicyWorkspace
from credential.span import SourceFile
from credential.syntax.format import format_policy
from credential.version import __version__

log = logging.getLogger(__name__)

WATCHED = "**/*.cred"


class CredentialServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("credential", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.policies = PolicyWorkspace()
        self.uris: dict[Path, str] = {}  # open documents' URIs by path (any scheme)
        self.published: dict[str, list[types.Diagnostic]] = {}

    # ---- paths and URIs ------------------------------------------------------------
    def path_of(self, uri: str) -> Path:
        fs = to_fs_path(uri) if uri.startswith("file:") else None
        if fs is not None:
            return Path(fs).resolve()
        # An unsaved buffer (untitled:, ...) is checked as a file of a private folder.
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in uri)
        return (Path(tempfile.gettempdir()) / "credential-lsp" / f"{safe}.cred").resolve()

    def uri_of(self, path: Path) -> str:
        return self.uris.get(path) or from_fs_path(str(path)) or path.as_uri()

    def text_of(self, uri: str) -> str:
        """An open document's text (a file the editor has not opened is read from disk, if it can be)."""
        try:
            return self.workspace.get_text_document(uri).source
        except (OSError, UnicodeDecodeError):
            return ""

    # ---- diagnostics ---------------------------------------------------------------
    def publish(self, versions: dict[str, int | None] | None = None) -> None:
        """Publish diagnostics that changed (always for the documents in ``versions``)."""
        versions = versions or {}
        current: dict[str, list[types.Diagnostic]] = {}
        for path, found in self.policies.diagnostics().items():
            current[self.uri_of(path)] = [to_lsp(d) for d in found]
        analysed = set(current)
        for uri in self.published:
            current.setdefault(uri, [])  # no longer checked: clear what it showed
        for uri, diags in current.items():
            if uri in versions or self.published.get(uri) != diags:
                self.text_document_publish_diagnostics(
                    types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=versions.get(uri))
                )
        self.published = {uri: d for uri, d in current.items() if d or uri in analysed}

    # ---- queries -------------------------------------------------------------------
    def locate(self, uri: str, pos: types.Position) -> tuple[Path, int, list[Analysis]]:
        path = self.path_of(uri)
        analyses = self.policies.analyses_for(path)
        info = analyses[0].files[path] if analyses else None
        source = info.source if info is not None else SourceFile(str(path), self.text_of(uri))
        return path, to_offset(source, pos), analyses


server = CredentialServer()


@server.feature(types.INITIALIZE)
def initialize(ls: CredentialServer, params: types.InitializeParams) -> None:
    folders = [ls.path_of(f.uri) for f in params.workspace_folders or []]
    if not folders and params.root_uri:
        folders = [ls.path_of(params.root_uri)]
    ls.policies = PolicyWorkspace(folders)


@server.feature(types.INITIALIZED)
def initialized(ls: CredentialServer, params: types.InitializedParams) -> None:
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps is not None else None
    if watched is not None and watched.dynamic_registration:
        ls.client_register_capability(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="credential-watch-policies",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=[types.FileSystemWatcher(glob_pattern=WATCHED)]
                        ),
                    )
                ]
            )
        )


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CredentialServer, params: types.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    path = ls.path_of(doc.uri)
    ls.uris[path] = doc.uri
    ls.policies.open(path, doc.text)
    ls.publish({doc.uri: doc.version})


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CredentialServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.policies.change(ls.path_of(uri), ls.text_of(uri))
    ls.publish({uri: params.text_document.version})


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: CredentialServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.policies.files_changed()
    ls.publish()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CredentialServer, params: types.DidCloseTextDocumentParams) -> None:
    path = ls.path_of(params.text_document.uri)
    ls.policies.close(path)
    ls.uris.pop(path, None)
    ls.publish()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: CredentialServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.policies.files_changed()
    ls.publish()


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: CredentialServer, params: types.HoverParams) -> types.Hover | None:
    path, off, analyses = ls.locate(params.text_document.uri, params.position)
    for a in analyses:
        found = hover.hover(a, path, off)
        if found is not None:
            return found
    return None


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: CredentialServer, params: types.DefinitionParams) -> list[types.Location]:
    path, off, analyses = ls.locate(params.text_document.uri, params.position)
    return navigation.definition(analyses, path, off, ls.uri_of)


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: CredentialServer, params: types.ReferenceParams) -> list[types.Location]:
    path, off, analyses = ls.locate(params.text_document.uri, params.position)
    return navigation.references(analyses, path, off, params.context.include_declaration, ls.uri_of)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_document_symbol(ls: CredentialServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    path = ls.path_of(params.text_document.uri)
    analyses = ls.policies.analyses_for(path)
    if analyses:
        return navigation.document_symbols(analyses[0].declared_in(path))
    return navigation.document_symbols(parse_buffer(ls.text_of(params.text_document.uri), str(path)).tree.decls)


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
def on_completion(ls: CredentialServer, params: types.CompletionParams) -> types.CompletionList:
    uri = params.text_document.uri
    text = ls.text_of(uri)
    path = ls.path_of(uri)
    analyses = ls.policies.analyses_for(path)
    off = to_offset(SourceFile(str(path), text), params.position)
    items = completion.complete(analyses[0] if analyses else None, text, off)
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: CredentialServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    """The whole document as ``credential fmt`` writes it; nothing when it does not parse."""
    uri = params.text_document.uri
    text = ls.text_of(uri)
    result = parse_buffer(text, str(ls.path_of(uri)))
    if any(d.is_error for d in result.diagnostics):
        return None
    formatted = format_policy(result)
    if formatted == text:
        return []
    return [types.TextEdit(range=whole(result.source), new_text=formatted)]


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix])
)
def on_code_action(ls: CredentialServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Quick fixes for the diagnostics the editor sends back (they carry the checker's help)."""
    return actions.quick_fixes(params.text_document.uri, params.context.diagnostics)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def on_prepare_rename(ls: CredentialServer, params: types.PrepareRenameParams) -> types.Range | None:
    path, off, analyses = ls.locate(params.text_document.uri, params.position)
    return navigation.prepare_rename(analyses, path, off)


@server.feature(types.TEXT_DOCUMENT_RENAME)
def on_rename(ls: CredentialServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
    path, off, analyses = ls.locate(params.text_document.uri, params.position)
    # Every analysis that sees the declaration, so that uses in other open policies are renamed too.
    found = navigation.symbol_at(analyses, path, off)
    if found is not None:
        analyses = ls.policies.analyses_for(found[1].path)
    try:
        return navigation.rename(analyses, path, off, params.new_name, ls.uri_of)
    except navigation.RenameError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc


def run(**_: Any) -> None:
    """Serve on stdin/stdout until the client says ``exit``."""
    logging.basicConfig(level=logging.WARNING)
    server.start_io()
