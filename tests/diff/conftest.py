"""Fixtures for the diff tests: the small bundle on disk and a policy writer (data in diffcases.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from diffcases import ARRANGEMENTS, OBSERVATIONS, PROVIDERS


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("diff_bundle")
    (d / "providers.csv").write_text(PROVIDERS, encoding="utf-8")
    (d / "observations.csv").write_text(OBSERVATIONS, encoding="utf-8")
    (d / "statuses.csv").write_text("code,status,start,end\n", encoding="utf-8")
    (d / "arrangements.csv").write_text(ARRANGEMENTS, encoding="utf-8")
    return d


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        p = tmp_path / f"{name}.cred"
        p.write_text(text, encoding="utf-8")
        return p

    return write
