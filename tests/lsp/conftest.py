"""The language server under test: ``credential lsp`` started as a subprocess, driven by pytest-lsp."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

import credential

ENGINE = str(Path(credential.__file__).resolve().parents[1])
ROOT = Path(__file__).resolve().parents[2]

SERVER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [ENGINE, os.environ.get("PYTHONPATH")] if p)}
SERVER = [sys.executable, "-c", "from credential.cli import main; main()", "lsp"]

TIMEOUT = 30.0


class Client(LanguageClient):
    """pytest-lsp's client, keeping every diagnostics notification and capability registration."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self.versions: dict[str, int] = {}

    # ---- documents ---------------------------------------------------------------
    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.versions[uri] = 1
        item = types.TextDocumentItem(
            uri=uri, language_id="cred", version=1, text=path.read_text(encoding="utf-8") if text is None else text
        )
        self.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        return uri

    def replace(self, uri: str, text: str) -> int:
        """Send the whole new text as one change; returns the new version."""
        version = self.versions[uri] = self.versions[uri] + 1
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return version

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> int:
        """An incremental change of a range (0-based line, character)."""
        version = self.versions[uri] = self.versions[uri] + 1
        rng = types.Range(
            start=types.Position(line=start[0], character=start[1]), end=types.Position(line=end[0], character=end[1])
        )
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(range=rng, text=text)],
            )
        )
        return version

    def close(self, uri: str) -> None:
        self.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    # ---- waiting for diagnostics -------------------------------------------------
    async def published_for(self, uri: str, version: int | None = None, after: int = 0) -> Sequence[types.Diagnostic]:
        """The first diagnostics published for ``uri`` (at ``version``) after notification number ``after``."""

        async def wait() -> Sequence[types.Diagnostic]:
            seen = after
            while True:
                for p in self.published[seen:]:
                    if p.uri == uri and (version is None or p.version == version):
                        return p.diagnostics
                seen = len(self.published)
                await asyncio.sleep(0.005)

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def settle(self, uri: str) -> None:
        """Wait until the server has handled everything sent so far.

        The server handles messages in order and sends a change's notifications before it
        answers the next request, so one answered request is enough.
        """
        await self.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )


def _publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def _register(client: Client, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def make_client() -> Client:
    c = Client()
    register_lsp_features(
        c,
        {
            **DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _publish,
            types.CLIENT_REGISTER_CAPABILITY: _register,
        },
    )
    return c


CONFIG = ClientServerConfig(server_command=SERVER, server_env=SERVER_ENV, client_factory=make_client)


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: Client):
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(
                did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)
            ),
            text_document=types.TextDocumentClientCapabilities(
                rename=types.RenameClientCapabilities(prepare_support=True),
                document_symbol=types.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            ),
        ),
        root_uri=ROOT.as_uri(),
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()
