"""Report sites built once per test session from the small hand-made bundle (fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from credential.report import ReportSummary
from support.report_site import build_hand


@pytest.fixture(scope="session")
def hand_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportSummary]:
    out = tmp_path_factory.mktemp("report") / "site"
    return out, build_hand(out)
