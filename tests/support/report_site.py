"""The small report site the report tests build (the hand-made bundle: fast)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from credential.report import ReportSummary, build_report

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = FIX / "spec_example.cred"
DATA = FIX / "hand_bundle"
START, END = dt.date(2015, 1, 1), dt.date(2016, 4, 1)


def build_hand(out: Path) -> ReportSummary:
    """The hand bundle's report as of 2016-04-01 with a quarterly timeline from 2015-01-01."""
    return build_report(out, POLICY, DATA, start=START, end=END, every="quarter")
