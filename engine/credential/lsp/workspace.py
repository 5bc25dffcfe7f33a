"""The policies an editor has open: their buffers, their root files and their analyses.

Every open file is checked from a *root*: itself when it has a ``policy`` declaration;
otherwise (a library brought in by ``use``) an open file or a file of the workspace that uses
it, so that a library is checked as part of the policy it belongs to and not reported for
lacking a header of its own. A library no policy uses is checked alone, as ``credential check``
would check it. After a change only the analyses that read the changed file are redone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from credential.diagnostics import Diagnostic
from credential.lsp.analysis import Analysis, ParseCache, analyse, parse_buffer
from credential.syntax import ast

MAX_SCANNED_FILES = 2000
"""At most this many ``.cred`` files are looked at when searching a library's policy."""

_SKIPPED_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache"}


def _has_policy(analysis: Analysis, path: Path) -> bool:
    info = analysis.files.get(path)
    return info is not None and any(isinstance(d, ast.PolicyDecl) for d in info.result.tree.decls)


class PolicyWorkspace:
    def __init__(self, folders: Iterable[Path] = ()) -> None:
        self.folders = [f.resolve() for f in folders]
        self.buffers: dict[Path, str] = {}
        self.cache: ParseCache = {}
        self.analyses: dict[Path, Analysis] = {}
        self._library_roots: dict[Path, Path | None] = {}
        self._alone: dict[Path, Analysis] = {}  # each open library checked on its own

    # ---- buffers -------------------------------------------------------------------
    def open(self, path: Path, text: str) -> None:
        self.buffers[path] = text
        self.refresh({path})

    def change(self, path: Path, text: str) -> None:
        self.buffers[path] = text
        self.refresh({path})

    def close(self, path: Path) -> None:
        self.buffers.pop(path, None)
        self.cache.pop(path, None)
        self._library_roots.pop(path, None)
        self.refresh({path})

    def files_changed(self) -> None:
        """Files changed on disk (saved, created, deleted): re-check everything.

        Everything, not only the analyses that read a changed file: a created file may be
        one a ``use`` could not find before.
        """
        self._library_roots.clear()
        self.refresh(None)

    # ---- analyses ------------------------------------------------------------------
    def _analyse(self, root: Path) -> Analysis:
        return analyse(root, self.buffers, self.cache)

    def refresh(self, changed: set[Path] | None = None) -> None:
        """Recompute the roots and redo each analysis that reads a changed file (all when None)."""
        old = {**self._alone, **self.analyses}
        new: dict[Path, Analysis] = {}

        def get(root: Path) -> Analysis:
            if root in new:
                return new[root]
            prev = old.get(root)
            if prev is not None and changed is not None and not any(prev.includes(p) for p in changed):
                new[root] = prev
            else:
                new[root] = self._analyse(root)
            return new[root]

        libraries: dict[Path, Analysis] = {}
        for path in self.buffers:
            alone = get(path)
            if not _has_policy(alone, path):
                libraries[path] = new.pop(path)
        for lib, alone in libraries.items():
            if any(a.includes(lib) for a in new.values()):
                continue
            root = self._library_root(lib)
            if root is not None and get(root).includes(lib):
                continue
            new[lib] = alone  # used by no policy: checked alone, as `credential check` would
        self.analyses = new
        self._alone = libraries

    def _library_root(self, lib: Path) -> Path | None:
        """A policy file on disk that uses ``lib`` (directly or through other files), if any."""
        if lib in self._library_roots:
            return self._library_roots[lib]
        found = None
        for candidate in self._candidates(lib):
            try:
                text = candidate.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "use" not in text or lib.stem not in text:
                continue
            if not any(isinstance(d, ast.PolicyDecl) for d in parse_buffer(text, str(candidate)).tree.decls):
                continue
            if self._analyse(candidate).includes(lib):
                found = candidate
                break
        self._library_roots[lib] = found
        return found

    def _candidates(self, lib: Path) -> list[Path]:
        """``.cred`` files that might use ``lib``: its folder, the one above, then the workspace."""
        out: list[Path] = []
        seen: set[Path] = {lib}

        def add(p: Path) -> None:
            p = p.resolve()
            if p not in seen and p not in self.buffers and len(out) < MAX_SCANNED_FILES:
                seen.add(p)
                out.append(p)

        for top in (lib.parent, lib.parent.parent):
            for p in sorted(top.glob("*.cred")):
                add(p)
        for folder in self.folders:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS and not d.startswith("."))
                for name in sorted(filenames):
                    if name.endswith(".cred"):
                        add(Path(dirpath) / name)
                if len(out) >= MAX_SCANNED_FILES:
                    return out
        return out

    # ---- queries -------------------------------------------------------------------
    def analyses_for(self, path: Path) -> list[Analysis]:
        """The analyses that read ``path``, the one rooted at it first."""
        found = [a for a in self.analyses.values() if a.includes(path)]
        return sorted(found, key=lambda a: a.root != path)

    def diagnostics(self) -> dict[Path, list[Diagnostic]]:
        """Every file of every analysis with its diagnostics (an empty list for a clean file)."""
        out: dict[Path, list[Diagnostic]] = {}
        seen: dict[Path, set[tuple[object, ...]]] = {}
        for a in self.analyses.values():
            for path, diags in a.diagnostics_by_file().items():
                bucket = out.setdefault(path, [])
                keys = seen.setdefault(path, set())
                for d in diags:
                    key = d.sort_key()
                    if key not in keys:
                        keys.add(key)
                        bucket.append(d)
        return {p: sorted(ds, key=lambda d: d.sort_key()) for p, ds in out.items()}
