"""``credential lsp``: the language server for editors, over stdin/stdout."""

from __future__ import annotations

import click


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="talk over stdin/stdout (the default and only transport)")
def command(stdio: bool) -> None:
    """Run the Language Server Protocol server for policy files (.cred) over stdio.

    Editors start it and talk to it; it reports the diagnostics of `credential check`
    as you type, and offers hover, go to definition, references, rename, outline,
    completion and formatting (exactly `credential fmt`). See docs/editor.md.

    \b
    Example:
      credential lsp        # started by the editor, not by hand
    """
    from credential.lsp.server import run

    run()
