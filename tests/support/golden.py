"""Golden-file comparison shared by the suite (``pytest --update-goldens`` rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path


def assert_golden(path: Path, actual: str) -> None:
    if os.environ.get("UPDATE_GOLDENS") or not path.exists():
        if not os.environ.get("UPDATE_GOLDENS") and os.environ.get("CI"):
            raise AssertionError(f"golden file missing in CI: {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"output differs from golden {path.name} (run pytest --update-goldens and review the diff)"
    )
