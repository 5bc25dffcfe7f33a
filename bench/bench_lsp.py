"""Latency of the language server: from a ``didChange`` to its ``publishDiagnostics``.

Usage::

    PYTHONPATH=engine python3 bench/bench_lsp.py [--policy policies/dalton_2014.cred] [--changes 40]

Starts ``credential lsp`` as a subprocess, opens the reference policy (385 lines) and sends
edits as an editor does while someone types (one character at a time, incremental changes,
alternately breaking and mending a threshold so that the diagnostics change), timing each
change until the diagnostics for that version arrive. Prints the median and the spread.
Target: median at most 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "engine"
TARGET_MS = 200.0


async def run(policy: Path, changes: int) -> list[float]:
    client = LanguageClient("bench", "1")
    arrived: dict[int, float] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived.setdefault(params.version, time.perf_counter())

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [str(ENGINE), os.environ.get("PYTHONPATH")] if p)}
    await client.start_io(sys.executable, "-c", "from credential.cli import main; main()", "lsp", env=env)
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    text = policy.read_text(encoding="utf-8")
    uri = policy.resolve().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="cred", version=1, text=text)
        )
    )
    while 1 not in arrived:
        await asyncio.sleep(0.001)
    # The edit point: the end of the first `requires` line.
    line_no = next(i for i, line in enumerate(text.splitlines()) if line.startswith("  requires "))
    col = len(text.splitlines()[line_no])
    latencies: list[float] = []
    typed = " and ae_4h >= 9x5%"  # the `x` makes it a syntax error until it is deleted again
    version = 1
    for i in range(changes):
        version += 1
        ch = typed[i % len(typed)]
        if i % len(typed) == 0 and i:
            # delete what was typed so far, in one change, then start again
            rng = types.Range(
                start=types.Position(line=line_no, character=col),
                end=types.Position(line=line_no, character=col + len(typed)),
            )
            change = types.TextDocumentContentChangePartial(range=rng, text=ch)
        else:
            at = col + (i % len(typed))
            pos = types.Position(line=line_no, character=at)
            change = types.TextDocumentContentChangePartial(range=types.Range(start=pos, end=pos), text=ch)
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )
        while version not in arrived:
            await asyncio.sleep(0.0005)
        latencies.append((arrived[version] - sent) * 1000)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", type=Path, default=ROOT / "policies" / "dalton_2014.cred")
    ap.add_argument("--changes", type=int, default=40)
    args = ap.parse_args()
    latencies = asyncio.run(run(args.policy, args.changes))
    lines = len(args.policy.read_text(encoding="utf-8").splitlines())
    median = statistics.median(latencies)
    q = statistics.quantiles(latencies, n=10)
    print(f"policy: {args.policy.name} ({lines} lines), {len(latencies)} changes")
    print(f"didChange -> publishDiagnostics: median {median:.1f} ms, p10 {q[0]:.1f} ms, p90 {q[-1]:.1f} ms, "
          f"max {max(latencies):.1f} ms (target <= {TARGET_MS:.0f} ms)")  # fmt: skip
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
