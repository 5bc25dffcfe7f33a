"""Loading a policy: parse the root file and every file it ``use``\\ s, then check them together."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PurePosixPath, PureWindowsPath

from credential import resources
from credential.check import CheckedPolicy, check_files
from credential.diagnostics import Diagnostic, DiagnosticError, error, sort_diagnostics, warning
from credential.escaping import BIDI_CONTROLS, char_name, confusables
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


POLICY_SUFFIX = ".cred"

_POLICY_PATH: ContextVar[tuple[Path, ...]] = ContextVar("credential_policy_path", default=())


@contextmanager
def policy_path(folders: Iterable[str | Path]) -> Iterator[None]:
    """Within the block, ``use`` may also name files below these folders (``--policy-path``)."""
    token = _POLICY_PATH.set(tuple(Path(f) for f in folders))
    try:
        yield
    finally:
        _POLICY_PATH.reset(token)


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)


def _resolve(base: Path, name: str) -> Path | None:
    try:
        target = (base / name).resolve()
        target.is_file()  # raises for a name the system refuses (too long, say)
    except (ValueError, OSError):
        return None
    return target


def _use_target(p: Path, d: ast.UseDecl, roots: Sequence[Path]) -> tuple[Path | None, Diagnostic | None]:
    """The file a ``use`` in ``p`` names, resolved, or the diagnostic that says why not.

    A ``use`` path is relative (to the file that says ``use``, then to each ``--policy-path``
    folder), names a ``.cred`` file, and resolves (symbolic links followed) inside the root
    policy's folder or a ``--policy-path`` folder.  Nothing outside is ever opened, and no
    message says whether a file outside exists.
    """
    name = d.path.value
    span = d.path.span
    where = " or ".join(f"`{_display(r)}`" for r in roots)
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or name.startswith("~"):
        return None, error(
            "check.use-outside",
            f"`use` paths are relative: `{name}` is absolute",
            span,
            help="name the file relative to the policy's folder (add others with --policy-path)",
        )
    if not name.endswith(POLICY_SUFFIX):
        return None, error(
            "check.use-not-policy",
            f"`use` names policy files (`*{POLICY_SUFFIX}`): `{name}` is not one",
            span,
            help="only .cred files can be used",
        )
    bases = [p.parent, *(r for r in roots[1:] if r != p.parent)]
    escaped = False
    first_inside: Path | None = None
    for base in bases:
        target = _resolve(base, name)
        if target is None:
            return None, error(
                "check.use-not-found",
                f"cannot find `{name}` (not a usable file name)",
                span,
                help="paths in `use` are relative to the file that says `use`",
            )
        if not _inside(target, roots):
            escaped = True
            continue
        if target.is_file():
            if not target.name.endswith(POLICY_SUFFIX):  # a .cred link to another kind of file
                return None, error(
                    "check.use-not-policy",
                    f"`use` names policy files (`*{POLICY_SUFFIX}`): `{name}` leads to one that is not",
                    span,
                    help="only .cred files can be used",
                )
            return target, None
        first_inside = first_inside or target
    if first_inside is None and escaped:
        return None, error(
            "check.use-outside",
            f"`{name}` leads outside the policy's folder ({where})",
            span,
            help="keep used files below the root policy's folder, or name their folder with --policy-path",
        )
    shown = _display(first_inside) if first_inside is not None else name
    return None, error(
        "check.use-not-found",
        f"cannot find `{name}` (looked for {shown})",
        span,
        help="paths in `use` are relative to the file that says `use`",
    )


def confusable_warnings(source: SourceFile) -> list[Diagnostic]:
    """``check.confusable-character``: a bidirectional control or zero-width character anywhere in
    the text (a string, a name, a citation or a comment), one warning per line.

    Such characters make the text a reviewer sees differ from the text the engine reads
    ("Trojan Source", CVE-2021-42574).
    """
    out: list[Diagnostic] = []
    last_line = 0
    for offset, ch in confusables(source.text):
        line = source.line_col(offset)[0]
        if line == last_line:
            continue
        last_line = line
        kind = "bidirectional control" if ch in BIDI_CONTROLS else "zero-width character"
        out.append(
            warning(
                "check.confusable-character",
                f"invisible {kind} {char_name(ch)}: the text shown may not be the text read",
                source.span(offset, offset + 1),
                help="delete it (policy text never needs it); diagnostics show it escaped",
            )
        )
    return out


Reader = Callable[[Path, str], ParseResult]
"""Parses the file at a resolved path, named by its display name (an editor reads open buffers)."""


def read_policy_file(path: Path, display: str) -> ParseResult:
    """The default :data:`Reader`: the file as it is on disk."""
    return parse_file(str(path), display)


def _root_identity(path: Path) -> Path:
    """A root policy's identity: its resolved path, or (for a pipe such as ``<(cat p.cred)``) its name."""
    resolved = path.resolve()
    return resolved if resolved.is_file() else Path(os.path.abspath(path))


def parse_with_uses(
    path: str | Path, policy_path: Sequence[str | Path] | None = None, read: Reader = read_policy_file
) -> tuple[list[ParseResult], list[Diagnostic]]:
    """The root file's parse and those of every file it uses (transitively, each once); ``read``
    parses each file (an editor reads open buffers).

    ``use`` is confined to the root file's folder and the ``policy_path`` folders (default: those
    of the enclosing :func:`policy_path` block, empty outside one).
    """
    given = Path(path)
    root_path = _root_identity(given)
    extra = _POLICY_PATH.get() if policy_path is None else tuple(Path(f) for f in policy_path)
    roots = [root_path.parent, *(r.resolve() for r in extra)]
    results: list[ParseResult] = []
    diags: list[Diagnostic] = []
    loaded: set[Path] = set()

    def visit(p: Path, display: str, stack: list[Path], read_as: Path) -> None:
        loaded.add(p)
        res = read(read_as, display)
        results.append(res)
        diags.extend(res.diagnostics)
        diags.extend(confusable_warnings(res.source))
        for d in res.tree.decls:
            if not isinstance(d, ast.UseDecl):
                continue
            target, problem = _use_target(p, d, roots)
            if problem is not None:
                diags.append(problem)
                continue
            assert target is not None
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
            visit(target, _display(target), [*stack, p], target)

    shown = _display(root_path) if root_path.is_file() else str(given)
    visit(root_path, shown, [], given)
    return results, sort_diagnostics(diags)


def load_checked(
    path: str | Path, policy_path: Sequence[str | Path] | None = None, read: Reader = read_policy_file
) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Parse and check a policy file (and the files it uses; see :func:`parse_with_uses`);
    ``read`` parses each file."""
    results, diags = parse_with_uses(path, policy_path, read)
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


def load_policy(path: str | Path, policy_path: Sequence[str | Path] | None = None) -> CheckedPolicy:
    """Like :func:`load_checked` but raises :class:`DiagnosticError` on any error."""
    policy, diags = load_checked(path, policy_path)
    if policy is None:
        raise DiagnosticError([d for d in diags if d.is_error] or diags)
    return policy
