"""Render docs/images/editor.png: a policy highlighted by the TextMate grammar, with the
diagnostics and a hover that ``credential lsp`` really sends for it.

Usage (from the repository root, after ``npm ci`` in editors/vscode/test)::

    PYTHONPATH=engine python3 editors/vscode/test/screenshot.py [--chromium /usr/bin/chromium]

The page is built from the grammar's scopes (tokenize.mjs) and the server's replies (the
server runs as a subprocess and is spoken to over the protocol), then captured with headless
Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[3]
TOOLS = Path(__file__).resolve().parent
OUT = ROOT / "docs" / "images" / "editor.png"

POLICY = """\
policy access "Access standards"
  version "1.0.0"
  effective 2015-04-01

source dalton_review "Dalton D. Examining new options and opportunities for providers of NHS care. 2014"

scale rating: inadequate < requires_improvement < good < outstanding
attribute sector: one of acute, mental_health, community
measure cqc_overall: rating
measure ae_4h: percent  # share of A&E attendances seen within 4 hours, monthly

# The A&E 4-hour standard; planning guidance later set interim targets.
param ae_standard = 95%
  from 2023-04-01 = 76%
  from 2024-04-01 = 78%

criterion rated_good "Rated Good or Outstanding overall by the CQC"
  cites dalton_review "credentialing of high-performing providers"
  requires cqc_overal >= good

credential supporter "Supporter"
  requires rated_good and meets_access and ae_4h >= 0.95

criterion meets_access "Acute trusts meet the A&E 4-hour standard"
  requires sector != acute or mean ae_4h over 3 years >= ae_standard
"""

BLANK_LINES = 12  # room for the hover below the last line

HOVER_AT = ("mean ae_4h over 3 years >= ae_standard", len("mean ae_4h over 3 years >= ae_"))

# Colours after VS Code's "Dark+" theme, by scope prefix (the longest prefix wins).
THEME = {
    "comment": "#6a9955",
    "string": "#ce9178",
    "string.quoted.double.citation": "#d7ba7d",
    "constant.numeric": "#b5cea8",
    "constant.language": "#569cd6",
    "constant.other": "#4fc1ff",
    "keyword": "#c586c0",
    "keyword.operator": "#d4d4d4",
    "keyword.other.unit": "#569cd6",
    "keyword.declaration": "#569cd6",
    "storage.type": "#4ec9b0",
    "support.function": "#dcdcaa",
    "entity.name": "#4ec9b0",
    "entity.name.function": "#dcdcaa",
    "entity.name.label": "#9cdcfe",
    "variable": "#9cdcfe",
    "punctuation": "#d4d4d4",
}


def colour(scopes: list[str]) -> str:
    best, length = "#d4d4d4", -1
    for scope in scopes:
        for prefix, c in THEME.items():
            if (scope == prefix or scope.startswith(prefix + ".")) and len(prefix) > length:
                best, length = c, len(prefix)
    return best


async def ask_server(path: Path) -> tuple[list[types.Diagnostic], types.Hover | None]:
    client = LanguageClient("screenshot", "1")
    got: list[types.PublishDiagnosticsParams] = []

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        got.append(params)

    engine = str(ROOT / "engine")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [engine, os.environ.get("PYTHONPATH")] if p)}
    await client.start_io(sys.executable, "-c", "from credential.cli import main; main()", "lsp", env=env)
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    item = types.TextDocumentItem(uri=uri, language_id="cred", version=1, text=POLICY)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    while not got:
        await asyncio.sleep(0.01)
    needle, into = HOVER_AT
    off = POLICY.index(needle) + into
    line = POLICY.count("\n", 0, off)
    pos = types.Position(line=line, character=off - (POLICY.rfind("\n", 0, off) + 1))
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos)
    )
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return list(got[-1].diagnostics), hover


def inline(text: str) -> str:
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", out)
    return re.sub(r"\*([^*]+)\*", r"<i>\1</i>", out)


def markdown(md: str) -> str:
    """The small Markdown subset hovers use: paragraphs, tables, lists, code blocks."""
    parts = []
    for block in md.split("\n\n"):
        lines = block.split("\n")
        if block.startswith("```"):
            parts.append("<pre>" + html.escape("\n".join(lines[1:-1])) + "</pre>")
        elif block.startswith("|"):
            rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines if not ln.startswith("|---")]
            head, *body = rows
            cells = "".join(f"<th>{inline(c)}</th>" for c in head)
            trs = "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in body)
            parts.append(f"<table><tr>{cells}</tr>{trs}</table>")
        else:
            parts.append("<p>" + "<br>".join(inline(ln) for ln in lines) + "</p>")
    return "".join(parts)


def page(tokens: list[list[list[object]]], diags: list[types.Diagnostic], hover: types.Hover | None) -> str:
    lines = POLICY.split("\n")
    marks: dict[int, list[tuple[int, int, str]]] = {}
    for d in diags:
        sev = "squiggle-error" if d.severity == types.DiagnosticSeverity.Error else "squiggle-warning"
        marks.setdefault(d.range.start.line, []).append((d.range.start.character, d.range.end.character, sev))
    rows = []
    for no, (line, toks) in enumerate(zip(lines, tokens, strict=False)):
        spans = []
        for start, end, _root, *scopes in toks:
            s, e = int(start), int(end)  # type: ignore[call-overload]
            piece = html.escape(line[s:e])
            cls = ""
            for ms, me, sev in marks.get(no, []):
                if ms <= s and e <= me:
                    cls = f' class="{sev}"'
            spans.append(f'<span style="color:{colour([str(x) for x in scopes])}"{cls}>{piece}</span>')
        rows.append(f'<div class="line"><span class="no">{no + 1}</span>{"".join(spans) or " "}</div>')
        if hover is not None and hover.range is not None and no == hover.range.start.line:
            assert isinstance(hover.contents, types.MarkupContent)
            left = 5.2 + hover.range.start.character * 0.6
            rows.append(f'<div class="hover" style="left:{left:.1f}em">{markdown(hover.contents.value)}</div>')
    rows += [f'<div class="line"><span class="no">{len(lines) + i + 1}</span> </div>' for i in range(BLANK_LINES)]
    problems = "".join(
        f'<div class="problem"><span class="icon {("error" if d.severity == 1 else "warning")}">'
        f"{'✖' if d.severity == 1 else '⚠'}</span> {inline(d.message.splitlines()[0])} "
        f'<span class="code">{d.source}({d.code})</span> <span class="at">[Ln {d.range.start.line + 1}, '
        f"Col {d.range.start.character + 1}]</span>"
        + "".join(f'<div class="help">{inline(h)}</div>' for h in d.message.splitlines()[1:])
        + "</div>"
        for d in diags
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin:0; background:#1e1e1e; color:#d4d4d4; font-family: 'DejaVu Sans Mono', monospace; font-size:14px; }}
.tab {{ background:#252526; color:#fff; padding:6px 14px; font-family: 'DejaVu Sans', sans-serif; font-size:13px; }}
.editor {{ position:relative; padding:8px 0; }}
.line {{ white-space:pre; height:19px; line-height:19px; }}
.no {{ display:inline-block; width:3.2em; color:#858585; text-align:right; margin-right:2em; }}
.squiggle-error {{ text-decoration: underline wavy #f14c4c; text-underline-offset: 3px; }}
.squiggle-warning {{ text-decoration: underline wavy #cca700; text-underline-offset: 3px; }}
.hover {{ position:absolute; z-index:2; margin-top:2px; width:540px; background:#252526; border:1px solid #454545;
  padding:4px 12px; font-family:'DejaVu Sans', sans-serif; font-size:13px; box-shadow: 0 2px 8px #000; }}
.hover pre {{ background:#1e1e1e; padding:6px; font-family:'DejaVu Sans Mono', monospace; font-size:12.5px;
  color:#d4d4d4; white-space:pre-wrap; }}
.hover table {{ border-collapse:collapse; }} .hover td, .hover th {{ border:1px solid #454545; padding:2px 8px; }}
code {{ color:#d7ba7d; font-family:'DejaVu Sans Mono', monospace; }}
.panel {{ border-top:1px solid #454545; background:#1e1e1e; padding:6px 14px; font-family:'DejaVu Sans', sans-serif;
  font-size:13px; }}
.panel .title {{ color:#e7e7e7; font-size:11px; letter-spacing:1px; margin-bottom:6px; }}
.problem {{ margin:4px 0; }} .icon.error {{ color:#f14c4c; }} .icon.warning {{ color:#cca700; }}
.code, .at {{ color:#8b8b8b; }} .help {{ margin-left:1.6em; color:#b0b0b0; }}
</style></head><body>
<div class="tab">access.cred</div>
<div class="editor">{"".join(rows)}</div>
<div class="panel"><div class="title">PROBLEMS</div>{problems}</div>
</body></html>"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--output", type=Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "access.cred"
        path.write_text(POLICY, encoding="utf-8")
        raw = subprocess.run(
            ["node", str(TOOLS / "tokenize.mjs"), str(path)], capture_output=True, text=True, check=True
        ).stdout
        tokens = json.loads(raw)[str(path)]
        diags, hover = asyncio.run(ask_server(path))
        html_path = Path(tmp) / "page.html"
        html_path.write_text(page(tokens, diags, hover), encoding="utf-8")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        profile = Path(tmp) / "profile"
        subprocess.run(
            [
                args.chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={args.output}",
                "--window-size=1100,880",
                html_path.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
