"""Loading a policy: parse the root file and every file it ``use``\\ s, then check them together."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from credential import resources
from credential.check import CheckedPolicy, check_files
from credential.diagnostics import Diagnostic, DiagnosticError, error, sort_diagnostics
from credential.span import SourceFile
from credential.syntax import ParseResult, ast, parse_file


def _display(path: Path) -> str:
    """How a policy file is named in diagnostics and proofs: stable across machines.

    A packaged reference policy is ``policies/NAME.cred``; any other file is named relative
    to the working directory when below it, else by its absolute path.
    """
    path = path.resolve()
    try:
        packaged = resources.resource_path("policies").resolve()
        if path.is_relative_to(packaged):
            return "policies/" + path.relative_to(packaged).as_posix()
    except FileNotFoundError:  # pragma: no cover - a broken installation
        pass
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _use_target(p: Path, name: str) -> Path | None:
    """The file a ``use`` in ``p`` names, resolved; None when the name cannot be a file's."""
    try:
        target = (p.parent / name).resolve()
        target.is_file()  # raises for a name the system refuses (too long, say)
    except (ValueError, OSError):
        return None
    return target


Reader = Callable[[Path, str], ParseResult]
"""Parses the file at a resolved path, named by its display name (an editor reads open buffers)."""


def read_policy_file(path: Path, display: str) -> ParseResult:
    """The default :data:`Reader`: the file as it is on disk."""
    return parse_file(str(path), display)


def parse_with_uses(path: str | Path, read: Reader = read_policy_file) -> tuple[list[ParseResult], list[Diagnostic]]:
    """The root file's parse and those of every file it uses (transitively, each once)."""
    root_path = Path(path).resolve()
    results: list[ParseResult] = []
    diags: list[Diagnostic] = []
    loaded: set[Path] = set()

    def visit(p: Path, display: str, stack: list[Path]) -> None:
        loaded.add(p)
        res = read(p, display)
        results.append(res)
        diags.extend(res.diagnostics)
        for d in res.tree.decls:
            if not isinstance(d, ast.UseDecl):
                continue
            target = _use_target(p, d.path.value)
            if target is None:  # no file can have this name (a NUL byte, a name too long)
                diags.append(
                    error(
                        "check.use-not-found",
                        f"cannot find `{d.path.value}` (not a usable file name)",
                        d.path.span,
                        help="paths in `use` are relative to the file that says `use`",
                    )
                )
                continue
            if target in stack or target == p:
                chain = " -> ".join(
                    _display(x) for x in [*stack, p, target][stack.index(target) if target in stack else -2 :]
                )
                diags.append(
                    error(
                        "check.use-cycle",
                        f"`use` makes a cycle: {chain}",
                        d.path.span,
                        help="move the shared declarations into a file both can use",
                    )
                )
                continue
            if target in loaded:
                continue
            if not target.is_file():
                diags.append(
                    error(
                        "check.use-not-found",
                        f"cannot find `{d.path.value}` (looked for {_display(target)})",
                        d.path.span,
                        help="paths in `use` are relative to the file that says `use`",
                    )
                )
                continue
            visit(target, _display(target), [*stack, p])

    visit(root_path, _display(root_path), [])
    return results, sort_diagnostics(diags)


def load_checked(path: str | Path, read: Reader = read_policy_file) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Parse and check a policy file (and the files it uses); ``read`` parses each file."""
    results, diags = parse_with_uses(path, read)
    if any(d.is_error for d in diags):
        return None, diags
    sources: list[SourceFile] = [r.source for r in results]
    policy, check_diags = check_files(results[0].tree, [r.tree for r in results[1:]], sources, results[0].source.path)
    return policy, sort_diagnostics([*diags, *check_diags])


def load_policy(path: str | Path) -> CheckedPolicy:
    """Like :func:`load_checked` but raises :class:`DiagnosticError` on any error."""
    policy, diags = load_checked(path)
    if policy is None:
        raise DiagnosticError([d for d in diags if d.is_error] or diags)
    return policy
