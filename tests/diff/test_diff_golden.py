"""``credential diff policies/dalton_2014.cred policies/dalton_2017.cred`` on the bundled real data.

The text and JSON outputs are pinned by golden files (``UPDATE_GOLDENS=1`` or
``pytest --update-goldens`` rewrites them), and docs/policy-diff.md pastes the text output
between markers: the pasted copy must match the golden (it is rewritten with the goldens).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import credential.diffing.diff
from credential.cli import cli
from credential.diffing.diff import DiffResult, diff_policies
from support.golden import assert_golden

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
DOC = ROOT / "docs" / "policy-diff.md"
ARGS = ["diff", "policies/dalton_2014.cred", "policies/dalton_2017.cred", "--as-of", "2026-11-22"]
BEGIN = "<!-- BEGIN credential diff output (tests/diff/golden/dalton_2014_2017.txt) -->\n```text\n"
END = "```\n<!-- END credential diff output -->"


@pytest.fixture(scope="module")
def outputs() -> Iterator[dict[str, str]]:
    """Both formats through the command line; the two runs share one evaluation (for speed)."""
    cwd = os.getcwd()
    os.chdir(ROOT)  # paths in the output are as given, relative to the repository root
    memo: dict[tuple[Any, ...], DiffResult] = {}

    def once(*args: Any, **kwargs: Any) -> DiffResult:
        key = (*map(str, args), *sorted(kwargs.items()))
        if key not in memo:
            memo[key] = diff_policies(*args, **kwargs)
        return memo[key]

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(credential.diffing.diff, "diff_policies", once)
            out = {}
            for fmt in ("text", "json"):
                result = CliRunner().invoke(cli, [*ARGS, "--format", fmt], catch_exceptions=False)
                assert result.exit_code == 0, result.stderr
                assert result.stderr == ""
                out[fmt] = result.stdout
        assert len(memo) == 1
        yield out
    finally:
        os.chdir(cwd)


def test_text_golden(outputs: dict[str, str]) -> None:
    assert_golden(GOLDEN / "dalton_2014_2017.txt", outputs["text"])


def test_json_golden(outputs: dict[str, str]) -> None:
    assert_golden(GOLDEN / "dalton_2014_2017.json", outputs["json"])


def test_real_figures(outputs: dict[str, str]) -> None:
    """What the 2017 header promises, checked on the real data (not only pinned)."""
    payload = json.loads(outputs["json"])
    by_cause = payload["summary"]["by_cause"]
    # the dropped and the two new forms change every provider's two role decisions
    providers = payload["providers"]
    for form in ("franchise", "shared_leadership", "single_shared_service"):
        assert by_cause[f"form:{form}"] == 2 * providers
    # every other change comes from the stronger group_leader (Outstanding well-led, and for acute
    # trusts the top quartile of acute trusts for A&E: the two changes of its definition go together)
    others = [c for c in payload["changes"] if c["attribution"] != "declaration"]
    group_leader = {
        "credential:group_leader",
        "criterion:outstanding_leadership",
        "criterion:outstanding_care_or_leadership",
        "criterion:ae_top_quartile",
        "param:top_quartile",
    }
    assert others and all({x["declaration"] for x in c["causes"]} == group_leader for c in others)
    # the cap 3 -> 5 changes nothing: the trust at the cap (RW4, three takeovers) is no group leader
    assert by_cause["param:max_led_arrangements"] == 0
    assert len(payload["changes"]) == payload["decisions"]["changed"]


def test_doc_pastes_the_real_output() -> None:
    golden = (GOLDEN / "dalton_2014_2017.txt").read_text(encoding="utf-8")
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC.name} lacks the output markers"
    start = text.index(BEGIN) + len(BEGIN)
    stop = text.index(END, start)
    if os.environ.get("UPDATE_GOLDENS"):
        DOC.write_text(text[:start] + golden + text[stop:], encoding="utf-8")
        return
    assert text[start:stop] == golden, f"{DOC.name} shows stale diff output (run pytest --update-goldens)"
