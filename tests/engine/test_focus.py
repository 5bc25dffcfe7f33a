"""Evaluating only the providers asked about gives exactly their decisions and proofs of a full run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from credential.datalog.ir import Atom, Program, Rule, Var
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.focus import is_provider_local
from credential.output.records import records_for
from credential.proofs.proof import ProofBuilder

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    (ROOT / "tests/fixtures/spec_example.cred", ROOT / "tests/fixtures/hand_bundle", dt.date(2016, 4, 1)),
    pytest.param(  # the whole bundled data: the slow step
        ROOT / "policies/dalton_2014.cred", ROOT / "fixtures/nhs", dt.date(2025, 6, 30), marks=pytest.mark.slow
    ),
]


@pytest.mark.parametrize(("policy", "data", "day"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_focused_records_and_proofs_equal_the_full_run(policy: Path, data: Path, day: dt.date) -> None:
    inputs = load_inputs(policy, data)
    assert is_provider_local(inputs.compiled.program(True))
    small = len(inputs.bundle.provider_codes) < 20
    full = evaluate_inputs(inputs, day, pairs=small)  # the pair program on N² candidates only when small
    codes = sorted(inputs.bundle.provider_codes)
    for code in codes[:: 1 if small else 25]:
        focused = evaluate_inputs(inputs, day, focus=[code])
        want = [r for r in records_for(full, explain=True, provider=code) if not r.subject.startswith("pair:")]
        # the same records but for the backend they name (`auto` takes masks for a plain run)
        got = records_for(focused, explain=True, provider=code)
        assert [r.model_copy(update={"backend": "-"}) for r in got] == [
            r.model_copy(update={"backend": "-"}) for r in want
        ]
    if not small:
        return
    lead, rec = codes[0], codes[1]
    for form in sorted(inputs.policy.forms):
        subject = f"pair:{form}:{lead}:{rec}"
        pair = evaluate_inputs(inputs, day, pairs=True, focus=[lead, rec])
        assert ProofBuilder(pair).proof(subject, (lead, rec)) == ProofBuilder(full).proof(subject, (lead, rec))


def test_a_rule_joining_another_provider_is_not_local() -> None:
    p, q = Var("P"), Var("Q")
    local = Program((Rule(Atom("c_x", (p,)), (Atom("provider", (p,)), Atom("v_attr_a", (p, q)))),))
    assert is_provider_local(local)  # Q is a value column of v_attr_a, not a provider
    joined = Program((Rule(Atom("c_x", (p,)), (Atom("provider", (p,)), Atom("c_y", (q,)))),))
    assert not is_provider_local(joined)
