"""Trajectories (`param x = trajectory A on D1 to B on D2`): the value in force on each date, its
anchors in proofs and explanations, verify, the formatter and the checks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from credential.check import ir
from credential.cli import cli
from credential.engine import load_inputs, run
from credential.output.render import render
from credential.policy import load_checked
from credential.proofs.verify import Scope, verify_lines
from credential.syntax.format import format_text
from support.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"

POLICY = """policy t "Trajectory"
  version "1.0.0"
  effective 2015-04-01

measure ae_4h: percent

# 76% by March 2024, then a trajectory to 78% by March 2025, then 78%
param ae_standard = 95%
  from 2023-04-01 = 76%
  from 2024-04-01 = trajectory 76% on 2024-03-31 to 78% on 2025-03-31
  from 2025-04-01 = 78%

credential fast "Meets the A&E objective in force"
  requires ae_4h >= ae_standard
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    policy = tmp_path / "t.cred"
    policy.write_text(POLICY, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "providers.csv").write_text("code,name\nRA1,One\nRA2,Two\n", encoding="utf-8")
    (data / "observations.csv").write_text(
        "code,measure,period_end,value\n"
        "RA1,ae_4h,2024-09-30,0.775\n"  # above 77% (the objective on 2024-09-30), below 78%
        "RA2,ae_4h,2024-09-30,0.765\n",
        encoding="utf-8",
    )
    return policy, data


def test_the_value_moves_linearly_between_its_anchors() -> None:
    t = ir.Trajectory(0.76, dt.date(2024, 3, 31), 0.78, dt.date(2025, 3, 31))
    assert t.at(dt.date(2024, 1, 1)) == 0.76  # before the start: the start value
    assert t.at(dt.date(2024, 3, 31)) == 0.76
    assert t.at(dt.date(2024, 9, 30)) == pytest.approx(0.76 + 0.02 * 183 / 365)
    assert t.at(dt.date(2025, 3, 31)) == 0.78
    assert t.at(dt.date(2026, 1, 1)) == 0.78  # after the end: the end value


@given(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)))
def test_the_value_lies_between_its_anchors(day: dt.date) -> None:
    t = ir.Trajectory(0.70, dt.date(2025, 3, 31), 0.75, dt.date(2026, 3, 31))
    assert 0.70 <= t.at(day) <= 0.75
    if day < dt.date(2025, 10, 1):
        assert t.at(day) <= t.at(dt.date(2025, 10, 1))  # non-decreasing when the end is higher


def test_param_in_force(setup: tuple[Path, Path]) -> None:
    checked, diags = load_checked(setup[0])
    assert checked is not None and not [d for d in diags if d.is_error]
    p = checked.params["ae_standard"]
    assert p.value_at(dt.date(2023, 9, 30), None) == (0.76, dt.date(2023, 4, 1))  # the first objective, held
    value, since = p.value_at(dt.date(2024, 9, 30), None)
    assert since == dt.date(2024, 4, 1) and value == pytest.approx(0.77, abs=1e-3)
    assert p.value_at(dt.date(2025, 6, 30), None) == (0.78, dt.date(2025, 4, 1))
    expected = ir.Trajectory(0.76, dt.date(2024, 3, 31), 0.78, dt.date(2025, 3, 31))
    assert p.trajectory_at(dt.date(2024, 9, 30)) == expected
    assert p.trajectory_at(dt.date(2025, 6, 30)) is None


def test_outcomes_on_every_backend(setup: tuple[Path, Path]) -> None:
    policy, data = setup
    for backend in ("pydatalog", "duckdb", "masks"):
        result = run(policy, data, [dt.date(2024, 9, 30)], backend=backend)
        got = {r.provider: r.outcome.value for r in result.records}
        assert got == {"RA1": "granted", "RA2": "refused"}, backend
    # the bar from the April before would have refused RA1 (78% from 2024-04-01)
    result = run(policy, data, [dt.date(2025, 4, 1)])
    assert {r.provider: r.outcome.value for r in result.records}["RA1"] == "refused"


def test_proof_and_explain_show_the_value_and_both_anchors(setup: tuple[Path, Path]) -> None:
    policy, data = setup
    args = ["--policy", str(policy), "--data", str(data), "--as-of", "2024-09-30"]
    res = CliRunner().invoke(cli, ["explain", "RA2", "fast", *args, "--format", "json"])
    assert res.exit_code == 0, res.output
    leaf = json.loads(res.stdout)["proof"]["children"][0]
    assert leaf["threshold"]["param"] == "ae_standard" and leaf["threshold"]["since"] == "2024-04-01"
    assert leaf["threshold"]["trajectory"] == {
        "from": {"value": 0.76, "date": "2024-03-31"},
        "to": {"value": 0.78, "date": "2025-03-31"},
    }
    res = CliRunner().invoke(cli, ["explain", "RA2", "fast", *args])
    text = res.stdout.replace(str(policy), "t.cred")
    assert "(ae_standard = 77.0027% on the trajectory from 76% on 2024-03-31 to 78% on 2025-03-31)" in text
    assert_golden(GOLDEN / "trajectory_explain.txt", text)


def test_verify_rechecks_the_anchors(setup: tuple[Path, Path]) -> None:
    policy, data = setup
    inputs = load_inputs(policy, data)
    text = render(run(policy, data, [dt.date(2024, 9, 30)], explain=True), "jsonl")

    def problems(t: str) -> list[str]:
        report = verify_lines(t.splitlines(keepends=True), inputs.policy, inputs.bundle, Scope(complete=True))
        return [p.message for p in report.problems]

    assert problems(text) == []
    # a changed anchor does not verify (with content-addressed proof nodes, first as a node whose id
    # is not its content's hash)
    moved = text.replace('"date": "2025-03-31"', '"date": "2025-06-30"')
    assert moved != text and problems(moved) != []
    lowered = text.replace('"value": 0.76,', '"value": 0.75,', 1)
    assert lowered != text and problems(lowered) != []


def test_format_round_trip() -> None:
    messy = POLICY.replace("trajectory 76% on 2024-03-31", "trajectory   76%   on 2024-03-31")
    assert format_text(messy) == POLICY


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("trajectory 78% on 2025-03-31 to 76% on 2024-04-01", "check.trajectory-dates"),
        ("trajectory 76% on 2024-04-01 to 76% on 2024-04-01", "check.trajectory-dates"),
        ("trajectory 76% on 2024-04-01 to 0.78 on 2025-03-31", "check.trajectory-type"),
        ("trajectory 2 months on 2024-04-01 to 3 months on 2025-03-31", "check.trajectory-type"),
        ("trajectory 76% on 2024-02-30 to 78% on 2025-03-31", "check.bad-date"),
        ("trajectory 0.76 on 2024-04-01 to 0.78 on 2025-03-31", "check.type-mismatch"),  # a number step of a percent
    ],
)
def test_checks(tmp_path: Path, value: str, code: str) -> None:
    path = tmp_path / "p.cred"
    path.write_text(POLICY.replace("trajectory 76% on 2024-03-31 to 78% on 2025-03-31", value), encoding="utf-8")
    _, diags = load_checked(path)
    assert code in [d.code for d in diags if d.is_error], [d.headline() for d in diags]
