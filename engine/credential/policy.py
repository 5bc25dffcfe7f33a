"""Loading a policy: parse the root file and every file it ``use``\\ s, then check them together."""

from __future__ import annotations

import os
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


def parse_with_uses(path: str | Path) -> tuple[list[ParseResult], list[Diagnostic]]:
    """The root file's parse and those of every file it uses (transitively, each once)."""
    root_path = Path(path).resolve()
    results: list[ParseResult] = []
    diags: list[Diagnostic] = []
    loaded: set[Path] = set()

    def visit(p: Path, display: str, stack: list[Path]) -> None:
        loaded.add(p)
        res = parse_file(str(p), display)
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


def load_checked(path: str | Path) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Parse and check a policy file (and the files it uses)."""
    results, diags = parse_with_uses(path)
    sources: list[SourceFile] = [r.source for r in results]
    if any(d.is_error for d in diags):
        # Syntax errors: the checks still run on the declarations that parsed, and report what
        # does not depend on the ones that did not (an editor shows both at once).
        if any(d.code in FATAL_PARSE_CODES for d in diags if d.is_error):
            return None, diags
        _policy, check_diags = check_files(
            results[0].tree, [r.tree for r in results[1:]], sources, results[0].source.path
        )
        unparsed = [u for r in results for u in r.unparsed]
        kept = [d for d in check_diags if not _follows_from_unparsed(d, unparsed)]
        return None, sort_diagnostics([*diags, *kept])
    policy, check_diags = check_files(results[0].tree, [r.tree for r in results[1:]], sources, results[0].source.path)
    return policy, sort_diagnostics([*diags, *check_diags])


# Parse errors after which nothing can be checked (the file could not be read at all).
FATAL_PARSE_CODES = frozenset({"parse.io", "parse.encoding", "parse.file-too-large"})
# Whole-policy findings that declarations missing through syntax errors make unreliable.
_WHOLE_POLICY_CODES = frozenset({"check.unused", "check.risk-gradient"})


def _follows_from_unparsed(d: Diagnostic, unparsed: list[tuple[str, str]]) -> bool:
    """A check finding that may only be the consequence of a declaration that did not parse."""
    if not unparsed:
        return False
    if d.code in _WHOLE_POLICY_CODES:
        return True
    if d.code == "check.policy-header" and any(kind == "policy" for kind, _ in unparsed):
        return True
    if d.code == "check.unknown-name":
        names = {name for _, name in unparsed if name}
        # a name from a broken declaration, or a level of a broken scale / member of a broken type
        return any(f"`{n}`" in d.message for n in names) or any(kind == "scale" for kind, _ in unparsed)
    return False


def load_policy(path: str | Path) -> CheckedPolicy:
    """Like :func:`load_checked` but raises :class:`DiagnosticError` on any error."""
    policy, diags = load_checked(path)
    if policy is None:
        raise DiagnosticError([d for d in diags if d.is_error] or diags)
    return policy
