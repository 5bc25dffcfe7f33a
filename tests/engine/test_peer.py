"""Peer-relative values (`percentile of X among A`, `rank of X among A`): outcomes on every backend,
ties and small groups, proofs with the group, its size and the cut-off, missing lists, verify."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from credential.cli import cli
from credential.data.asof import peer_positions
from credential.engine import load_inputs, run
from credential.output.render import render
from credential.policy import load_checked
from credential.proofs.values import peer_cutoff
from credential.proofs.verify import Scope, verify_lines
from credential.syntax import ast
from credential.syntax.format import format_value
from credential.syntax.parser import parse_text
from support.golden import assert_golden

FIX = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
POLICY = FIX / "peer.cred"
DATA = FIX / "peer_bundle"
AS_OF = dt.date(2026, 2, 1)
ARGS = ["--policy", str(POLICY), "--data", str(DATA), "--as-of", AS_OF.isoformat()]

# ae_4h among acute: RA1 0.9, RA2 0.8, RA3 0.8 (a tie), RA4 0.7, RA5 0.6, RA6 none: a group of 5.
# percentile = (members strictly below) / (5 - 1); rank = 1 + (members strictly above).
EXPECTED = {
    ("RA1", "credential:upper_tier"): ("granted", []),  # 100%
    ("RA2", "credential:upper_tier"): ("granted", []),  # 50%: ties share the lower position
    ("RA3", "credential:upper_tier"): ("granted", []),
    ("RA4", "credential:upper_tier"): ("refused", []),  # 25%
    ("RA5", "credential:upper_tier"): ("refused", []),  # 0%
    ("RA6", "credential:upper_tier"): ("undetermined", ["ae_4h"]),
    ("RC1", "credential:upper_tier"): (
        "undetermined",
        ["percentile of ae_4h among sector: 1 with sector community, fewer than 2"],
    ),
    ("RC2", "credential:upper_tier"): ("undetermined", ["ae_4h"]),
    ("RS1", "credential:upper_tier"): (
        "undetermined",
        ["percentile of ae_4h among sector: 1 with sector specialist, fewer than 2"],
    ),
    ("RZ1", "credential:upper_tier"): ("undetermined", ["sector"]),
    ("RA2", "credential:leader"): ("granted", []),  # rank 2 (tied with RA3): both are among the best two
    ("RA3", "credential:leader"): ("granted", []),
    ("RA4", "credential:leader"): ("refused", []),
    # waits_12h among acute: RA1 40, RA2 0, RA3 12, RA4 0: lower is better, `<= 25%`
    ("RA2", "credential:calm"): ("granted", []),
    ("RA4", "credential:calm"): ("granted", []),
    ("RA3", "credential:calm"): ("refused", []),
    ("RA1", "credential:calm"): ("refused", []),
    ("RA5", "credential:calm"): ("undetermined", ["waits_12h"]),
}


def _strip(text: str) -> list[dict[str, object]]:
    return [{k: v for k, v in json.loads(line).items() if k != "backend"} for line in text.splitlines()]


@pytest.mark.parametrize("backend", ["pydatalog", "duckdb", "masks"])
def test_outcomes_on_every_backend(backend: str) -> None:
    result = run(POLICY, DATA, [AS_OF], backend=backend)
    got = {(r.provider, r.subject): (r.outcome.value, r.missing) for r in result.records}
    for key, want in EXPECTED.items():
        assert got[key] == want, key
    ref = run(POLICY, DATA, [AS_OF], backend="pydatalog", explain=True)
    other = run(POLICY, DATA, [AS_OF], backend=backend, explain=True)
    assert _strip(render(other, "jsonl")) == _strip(render(ref, "jsonl"))


def _peer_node(proof: dict[str, object]) -> dict[str, object]:
    stack = [proof]
    while stack:
        node = stack.pop()
        if "peer" in node:
            return node
        stack.extend(node.get("children", []))  # type: ignore[arg-type]
    raise AssertionError("no peer node")


def test_proof_shows_value_position_group_size_and_cut_off() -> None:
    res = CliRunner().invoke(cli, ["explain", "RA4", "credential:upper_tier", *ARGS, "--format", "json"])
    assert res.exit_code == 0, res.output
    node = _peer_node(json.loads(res.stdout)["proof"])
    assert node["value"] == 0.25
    assert node["peer"] == {
        "of": "ae_4h",
        "base": 0.7,
        "among": "sector",
        "group": "acute",
        "size": 5,
        "cutoff": 0.8,
        "unit": "percent",
    }
    assert node["threshold"] == {"text": "upper_half", "value": 0.5, "param": "upper_half", "since": "2015-04-01"}


def test_explain_text_is_pinned() -> None:
    runner = CliRunner()
    subjects = [
        ("RA4", "credential:leader"),
        ("RA3", "credential:calm"),
        ("RC1", "credential:upper_tier"),
        ("RA6", "credential:upper_tier"),
        ("RZ1", "credential:upper_tier"),
    ]
    text = "".join(runner.invoke(cli, ["explain", code, subject, *ARGS]).stdout for code, subject in subjects)
    assert "25% (value 70% among 5 with sector acute, cut-off 80%) >= 50%" in text
    assert "4 (value 70% among 5 with sector acute, cut-off 80%) <= 2" in text
    assert "66.6667% (value 12 among 4 with sector acute, cut-off 0) <= 25%" in text
    assert_golden(GOLDEN / "peer_explain.txt", text)
    res = runner.invoke(cli, ["explain", "RA4", "credential:leader", *ARGS, "--format", "json"])
    assert_golden(GOLDEN / "peer_explain_RA4.json", res.stdout.replace(str(FIX), "tests/fixtures"))


def test_compiled_program_is_pinned() -> None:
    res = CliRunner().invoke(cli, ["compile", str(POLICY)])
    assert res.exit_code == 0
    assert "v_percentile_latest_ae_4h_among_sector(P, X), param_upper_half(Y), X >= Y" in res.stdout
    assert_golden(GOLDEN / "peer.datalog", res.stdout.replace(str(FIX), "tests/fixtures"))


def test_batch_missing_lists_agree_with_the_proofs() -> None:
    plain = run(POLICY, DATA, [AS_OF])
    explained = run(POLICY, DATA, [AS_OF], explain=True)
    assert [(r.provider, r.subject, r.missing) for r in plain.records] == [
        (r.provider, r.subject, r.missing) for r in explained.records
    ]


def test_proofs_verify_and_tampered_peer_blocks_are_caught() -> None:
    inputs = load_inputs(POLICY, DATA)
    text = render(run(POLICY, DATA, [AS_OF], explain=True), "jsonl")

    def check(t: str) -> list[str]:
        report = verify_lines(t.splitlines(keepends=True), inputs.policy, inputs.bundle, Scope(complete=True))
        return [p.message for p in report.problems]

    assert check(text) == []
    for field, good, bad in [
        ("size", '"size": 5', '"size": 6'),
        ("cutoff", '"cutoff": 0.8', '"cutoff": 0.7'),
        ("group", '"group": "acute"', '"group": "community"'),
        ("base", '"base": 0.7,', '"base": 0.75,'),
    ]:
        assert good in text, field
        problems = check(text.replace(good, bad, 1))
        assert any(f"peer.{field}" in p for p in problems), (field, problems)


def test_verify_cli_holds(tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    runner = CliRunner()
    res = runner.invoke(cli, ["evaluate", *ARGS, "--explain", "--format", "jsonl", "--output", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["verify", str(out), *ARGS[:4]])
    assert res.exit_code == 0, res.output


# ---- the ranking itself, against a count provider by provider -----------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", None]), st.one_of(st.none(), st.sampled_from([0.1, 0.5, 0.5, 0.9]))),
        min_size=0,
        max_size=12,
    ),
    st.sampled_from(["percentile", "rank"]),
    st.sampled_from([None, 3.0]),
)
def test_positions_match_a_count(rows: list[tuple[str | None, float | None]], func: str, minimum: float | None) -> None:
    base = np.array([np.nan if v is None else v for _, v in rows], dtype=float)
    group = pd.Series(pd.array([g for g, _ in rows], dtype="string"))
    positions, sizes = peer_positions(func, base, group, minimum)
    for i, (g, v) in enumerate(rows):
        members = [w for h, w in rows if h is not None and h == g and w is not None]
        if g is None:
            assert np.isnan(sizes[i])
        else:
            assert sizes[i] == len(members)
        if g is None or v is None or len(members) < max(2, minimum or 0):
            assert np.isnan(positions[i])
        elif func == "percentile":
            assert positions[i] == sum(w < v for w in members) / (len(members) - 1)
        else:
            assert positions[i] == 1 + sum(w > v for w in members)


def test_cut_off_is_the_boundary_value_of_the_passing_side() -> None:
    members = [(0.9, 1.0), (0.8, 0.5), (0.8, 0.5), (0.7, 0.25), (0.6, 0.0)]
    assert peer_cutoff("percentile", ">=", 0.5, members) == 0.8
    assert peer_cutoff("percentile", "<", 0.5, members) == 0.7
    ranks = [(0.9, 1.0), (0.8, 2.0), (0.8, 2.0), (0.7, 4.0)]
    assert peer_cutoff("rank", "<=", 2, ranks) == 0.8
    assert peer_cutoff("rank", ">", 3, ranks) == 0.7
    assert peer_cutoff("percentile", ">=", 1.5, members) is None  # nobody passes
    assert peer_cutoff("percentile", "=", 0.5, members) is None


# ---- syntax and checks ---------------------------------------------------------------------


def test_parse_spans_and_format() -> None:
    text = (
        'policy p "P"\n  version "1"\n  effective 2015-04-01\n\n'
        "credential c\n"
        "  requires percentile of pooled ae_4h over 3 years (minimum 1000) among sector (minimum n) >= 75%\n"
    )
    result = parse_text(text, "p.cred")
    rule = result.tree.decls[-1]
    assert isinstance(rule, ast.RuleDecl)
    req = rule.clauses[0]
    assert isinstance(req, ast.Requires) and isinstance(req.cond, ast.Compare)
    peer = req.cond.left
    assert isinstance(peer, ast.Peer) and peer.func == "percentile" and peer.among.name == "sector"
    assert isinstance(peer.base, ast.Aggregate) and peer.base.func == "pooled"
    assert peer.span.text == "percentile of pooled ae_4h over 3 years (minimum 1000) among sector (minimum n)"
    assert peer.among.span.text == "sector"
    assert format_value(peer) == peer.span.text


def _checked_codes(tmp_path: Path, requires: str, extra: str = "") -> list[str]:
    path = tmp_path / "p.cred"
    path.write_text(
        'policy p "P"\n  version "1"\n  effective 2015-04-01\n\n'
        "attribute sector: one of acute, community\nattribute region: text\nmeasure ae_4h: percent\n"
        f"{extra}\ncredential c\n  requires {requires}\n",
        encoding="utf-8",
    )
    _, diags = load_checked(path)
    return [d.code for d in diags if d.is_error]


@pytest.mark.parametrize(
    ("requires", "code"),
    [
        ("percentile of ae_4h among sector >= 0.75", "check.type-mismatch"),  # a percent: 75%
        ("rank of ae_4h among sector <= 10%", "check.type-mismatch"),  # a rank is a number
        ("percentile of ae_4h among sectr >= 75%", "check.unknown-name"),
        ("percentile of ae_4h among ae_4h >= 75%", "check.peer-group"),
        ("percentile of region among sector >= 75%", "check.peer-not-numeric"),
        ("percentile of ae_4h among sector (minimum -1) >= 75%", "check.bad-number"),
    ],
)
def test_peer_checks(tmp_path: Path, requires: str, code: str) -> None:
    assert code in _checked_codes(tmp_path, requires)


def test_peer_in_pair_requires_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.cred"
    path.write_text(
        'policy p "P"\n  version "1"\n  effective 2015-04-01\n\n'
        "attribute sector: one of acute, community\nmeasure ae_4h: percent\nstatus sm\n\n"
        "form f\n  change low\n  lead requires not sm\n  recipient requires sm\n"
        "  pair requires percentile of ae_4h among sector >= 50%\n",
        encoding="utf-8",
    )
    _, diags = load_checked(path)
    assert "check.pair-unqualified" in [d.code for d in diags if d.is_error]


def test_accepted_forms(tmp_path: Path) -> None:
    assert _checked_codes(tmp_path, "rank of ae_4h among region (minimum k) <= 3", "param k = 5") == []
    assert _checked_codes(tmp_path, "percentile of mean ae_4h over 1 year among sector < 25%") == []
