"""``to_qualify`` is a counterfactual: its changes grant the refused decision, and none can be left out.

Checked with the verifier's independent re-derivation (:class:`credential.proofs.recompute.Recompute`,
no Datalog): each item's value is set to its ``target`` and the subject re-evaluated.  Also: no item
is about a fixed provider attribute, one item per value, and a refusal with no items rests on fixed
attribute conditions (``ineligible``) that no change of the changeable values can get round (a
sound check that treats every changeable leaf as free).  On generated bundles (hypothesis) and on
the whole bundled NHS data.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential import resources
from credential.check import ir
from credential.data.synthetic import generate_bundle, write_bundle
from credential.evaluation.decisions import Outcome, Truth
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.policy import load_policy
from credential.proofs.proof import ProofBuilder
from credential.proofs.qualify import operands, value_id
from credential.proofs.recompute import Recompute
from credential.proofs.values import describe_value
from credential.types import DateType, NumberType, PercentType

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
POLICIES = {
    "dalton_2014": load_policy(ROOT / "policies" / "dalton_2014.cred"),
    "dalton_2017": load_policy(ROOT / "policies" / "dalton_2017.cred"),
    "spec_example": load_policy(FIX / "spec_example.cred"),
}
Args = tuple[str, ...]


def leaves(policy: ir.CheckedPolicy) -> dict[tuple[str, int, int], ir.Cond]:
    out: dict[tuple[str, int, int], ir.Cond] = {}

    def walk(c: ir.Cond) -> None:
        if isinstance(c, ir.CAnd | ir.COr):
            for i in c.items:
                walk(i)
        elif isinstance(c, ir.CNot):
            walk(c.item)
        elif not isinstance(c, ir.CRef):
            out[(c.text, c.span.line, c.span.column)] = c

    for rule in [*policy.criteria.values(), *policy.credentials.values()]:
        walk(rule.requires)
        if rule.unless is not None:
            walk(rule.unless)
    for form in policy.forms.values():
        for c in (form.lead, form.recipient, form.pair):
            if c is not None:
                walk(c)
    return out


def fixed(cond: ir.Cond) -> bool:
    """A leaf that reads only provider attributes, constants and params."""
    if isinstance(cond, ir.CStatus | ir.CArr):
        return False
    if isinstance(cond, ir.CJudged):  # whether a listed criterion applies: attributes only
        return all(fixed(scope) for scope in cond.scopes)
    ops = [cond.left, cond.right] if isinstance(cond, ir.CCompare) else [cond.value]  # type: ignore[union-attr]
    return all(isinstance(v, ir.VAttr | ir.VConst | ir.VParam) for v in ops)


def subject_truth(rc: Recompute, policy: ir.CheckedPolicy, subject: str, args: Args) -> Truth:
    kind, _, rest = subject.partition(":")
    if kind == "credential":
        return rc.rule_truth(policy.credentials[rest], args[0])
    if kind == "form":
        form, _, role = rest.partition(":")
        return rc.role_truth(policy.forms[form], role, args[0])
    return rc.pair_truth(policy.forms[rest.split(":")[0]], *args)


def can_be(rc: Recompute, policy: ir.CheckedPolicy, cond: Any, args: Args, want: bool) -> bool:
    """Can ``cond`` be made ``want`` with every changeable leaf free and fixed ones as they are?"""
    if isinstance(cond, ir.Rule):
        parts = [cond.requires] + ([cond.unless] if cond.unless is not None else [])
        res = [can_be(rc, policy, p, args, want) for p in parts]
        return any(res) if want else all(res)
    if isinstance(cond, ir.CRef):
        code = args[0] if len(args) == 1 else (args[0] if cond.who == "lead" else args[1])
        return can_be(rc, policy, policy.rule(cond.name), (code,), want)
    if isinstance(cond, ir.CNot):
        return can_be(rc, policy, cond.item, args, not want)
    if isinstance(cond, ir.CAnd | ir.COr):
        res = [can_be(rc, policy, i, args, want) for i in cond.items]
        return all(res) if isinstance(cond, ir.CAnd) == want else any(res)
    if fixed(cond):
        return rc.truth(cond, args) is (Truth.TRUE if want else Truth.FALSE)
    return True


def subject_can_be_granted(rc: Recompute, policy: ir.CheckedPolicy, subject: str, args: Args) -> bool:
    kind, _, rest = subject.partition(":")
    if kind == "credential":
        return can_be(rc, policy, policy.credentials[rest], args, True)
    if kind == "form":
        form, _, role = rest.partition(":")
        f = policy.forms[form]
        return can_be(rc, policy, f.lead if role == "lead" else f.recipient, args, True)
    f = policy.forms[rest.split(":")[0]]
    parts = [(f.lead, (args[0],)), (f.recipient, (args[1],))] + ([(f.pair, args)] if f.pair else [])
    return args[0] != args[1] and all(can_be(rc, policy, c, a, True) for c, a in parts)


def override_of(item: dict[str, Any], index: dict[tuple[str, int, int], ir.Cond]) -> tuple[Any, Any]:
    """The value an item changes (as Recompute names it) and its target as a runtime value."""
    code, change = item["provider"], item["change"]
    if change.startswith("status "):
        return ("status", change.removeprefix("status "), code), bool(item["target"])
    leaf = index[(item["text"], item["source"]["line"], item["source"]["column"])]
    for v in operands(leaf):
        if not isinstance(v, ir.VAttr | ir.VConst | ir.VParam) and describe_value(v) == change:
            target = item["target"]
            if isinstance(v.type, DateType) and isinstance(target, str):
                target = dt.date.fromisoformat(target)
            elif isinstance(v.type, NumberType | PercentType) and not isinstance(target, bool):
                target = float(target)
            return value_id(v, code), target
    raise AssertionError(f"item changes no value of its condition: {item}")


def check_refusal(
    rc: Recompute, policy: ir.CheckedPolicy, subject: str, args: Args, proof: dict[str, Any], attributes: set[str]
) -> None:
    index = leaves(policy)
    items = proof["to_qualify"]
    where = (subject, args)
    assert subject_truth(rc, policy, subject, args) is Truth.FALSE, where
    if not items:
        # no change grants: the fixed conditions are named, and nothing changeable gets round them
        assert proof.get("cannot_qualify"), where
        assert not subject_can_be_granted(rc, policy, subject, args), where
        if args[0] != args[-1] or len(args) == 1:
            assert proof.get("ineligible"), where
        for it in proof.get("ineligible", []):
            assert fixed(index[(it["text"], it["source"]["line"], it["source"]["column"])]), it
        return
    assert "ineligible" not in proof and "cannot_qualify" not in proof, where
    overrides = dict(override_of(it, index) for it in items)
    assert len(overrides) == len(items), ("one item per value", where, items)
    for it in items:
        assert not fixed(index[(it["text"], it["source"]["line"], it["source"]["column"])]), it
        assert it["change"] not in attributes, it
        asked = re.sub(r"\bamong \w+", "", it["text"])  # a peer group's attribute is not asked to change
        for a in attributes:
            assert not re.search(rf"\b{re.escape(a)}\b", asked), (a, it)
    try:
        rc.value_overrides = overrides
        assert subject_truth(rc, policy, subject, args) is Truth.TRUE, ("not sufficient", where, items)
        for vid in overrides:
            rc.value_overrides = {k: v for k, v in overrides.items() if k != vid}
            assert subject_truth(rc, policy, subject, args) is not Truth.TRUE, ("not minimal", vid, where, items)
    finally:
        rc.value_overrides = {}


def check_evaluation(ev: Any, pairs_of: int) -> int:
    """Check every refusal of an evaluation (and the pairs among its first providers); return how many."""
    policy = ev.policy
    builder = ProofBuilder(ev)
    rc = Recompute(policy, ev.inputs.bundle, ev.as_of)
    attributes = set(policy.attributes)
    codes = sorted(ev.inputs.bundle.provider_names())
    n = 0
    for code in codes:
        for subject, c, p in ev.subjects():
            if ev.outcome(c, p, (code,)) is Outcome.REFUSED:
                check_refusal(rc, policy, subject, (code,), builder.proof(subject, (code,)), attributes)
                n += 1
    for form in sorted(policy.forms):
        for lead in codes[:pairs_of]:
            for rec in codes[:pairs_of]:
                subject = f"pair:{form}:{lead}:{rec}"
                proof = builder.proof(subject, (lead, rec))
                if proof["outcome"] == "refused":
                    check_refusal(rc, policy, subject, (lead, rec), proof, attributes)
                    n += 1
    return n


SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    name=st.sampled_from(sorted(POLICIES)),
    as_of=st.sampled_from([dt.date(2016, 4, 1), dt.date(2019, 1, 31), dt.date(2024, 6, 30)]),
)
@pytest.mark.slow
def test_to_qualify_is_sufficient_and_minimal_on_generated_bundles(
    tmp_path_factory: Any, seed: int, name: str, as_of: dt.date
) -> None:
    policy = POLICIES[name]
    path = tmp_path_factory.mktemp("qualify") / "b"
    write_bundle(generate_bundle(10, seed, spec=policy.bundle_spec()), path, "csv")
    ev = evaluate_inputs(load_inputs(policy, path), as_of, pairs=True)
    assert check_evaluation(ev, pairs_of=4) > 0


def test_a_hand_made_refusal_that_rests_on_attributes() -> None:
    ev = evaluate_inputs(load_inputs(POLICIES["spec_example"], FIX / "hand_bundle"), dt.date(2016, 4, 1))
    proof = ProofBuilder(ev).proof("form:acquisition:lead", ("R0A",))
    assert proof["outcome"] == "refused" and proof["to_qualify"] == []
    assert [i["text"] for i in proof["ineligible"]] == ["foundation_trust"]
    assert proof["cannot_qualify"].startswith("no change of measures, statuses or arrangements")


@pytest.mark.slow
def test_to_qualify_on_the_whole_nhs_bundle() -> None:
    """Every refusal of the bundled NHS data as of 2026-12-04 (the issue's date): no attribute among
    the items, each refusal's items sufficient and minimal, one item per value."""
    policy = POLICIES["dalton_2014"]
    ev = evaluate_inputs(load_inputs(policy, resources.bundled_data_path()), dt.date(2026, 12, 4), pairs=True)
    # 2,641 when written: the 2,320 provider refusals as of that date and the first pairs' refusals
    assert check_evaluation(ev, pairs_of=6) >= 2000
    # RYR's merger lead: cqc_well_led once, at the strictest threshold (>= good covers > inadequate)
    items = ProofBuilder(ev).to_qualify("form:merger_acquisition:lead", ("RYR",))
    well_led = [i for i in items if i["change"] == "cqc_well_led"]
    assert len(well_led) == 1 and well_led[0]["threshold"] == "good" and well_led[0]["target"] == "good"
    assert well_led[0]["covers"][0]["text"] == "cqc_well_led > inadequate"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dalton_2014", "spec_example"])
def test_shared_answers_are_the_answers_computed_alone(tmp_path: Path, name: str) -> None:
    """Providers with the same leaf truths share an answer (the builder's cache): it must be, item
    for item, what the search gives for each provider on its own."""
    policy = POLICIES[name]
    write_bundle(generate_bundle(150, 11, spec=policy.bundle_spec()), tmp_path / "b", "csv")
    ev = evaluate_inputs(load_inputs(policy, tmp_path / "b"), dt.date(2024, 6, 30))
    shared, alone = ProofBuilder(ev), ProofBuilder(ev, templates=False)
    refusals = [
        (subject, code)
        for code in sorted(ev.inputs.bundle.provider_names())
        for subject, c, p in ev.subjects()
        if ev.outcome(c, p, (code,)) is Outcome.REFUSED
    ]
    assert len(refusals) > 500
    for subject, code in refusals:
        assert shared.to_qualify(subject, (code,)) == alone.to_qualify(subject, (code,)), (subject, code)
    assert shared._qualifier._shapes and not alone._qualifier._shapes


def _measure_of(change: str) -> str:
    """The measure a change names: "ae_4h", "pooled ae_4h over 3 years (minimum ...)" -> "ae_4h"."""
    words = change.split(" ")
    return words[1] if " over " in change else words[0]


def _reads(policy: ir.CheckedPolicy) -> dict[str, set[str]]:
    """How the policy reads each measure: 'latest' and/or window functions."""
    out: dict[str, set[str]] = {}
    for leaf in leaves(policy).values():
        if isinstance(leaf, ir.CStatus):
            continue
        for v in operands(leaf):
            if isinstance(v, ir.VLatest):
                out.setdefault(v.measure, set()).add("latest")
            elif isinstance(v, ir.VWindow):
                out.setdefault(v.measure, set()).add(f"{v.func}:{v.months}")
    return out


@pytest.mark.slow
def test_changing_the_data_as_to_qualify_says_grants_on_the_nhs_bundle(tmp_path: Path) -> None:
    """The counterfactual in the data, through the whole engine: for every NHS refusal whose changes
    are all measure values (latest values and window aggregates), add an observation dated the
    as-of day with the target (for a window, in place of the window's observations) and evaluate
    again: the decision is granted; leave the first change out and it is not."""
    import pandas as pd

    from credential.engine import run

    policy = POLICIES["dalton_2014"]
    # only measures the policy reads one way: changing their rows changes exactly the value the
    # item names (cancer_62d is read both as a latest value and pooled, so its rows are left alone)
    reads = {m: ways for m, ways in _reads(policy).items() if len(ways) == 1}
    assert {"ae_4h", "cqc_overall", "cqc_well_led"} <= set(reads), reads
    as_of = dt.date(2026, 12, 4)
    src = resources.bundled_data_path()
    ev = evaluate_inputs(load_inputs(policy, src), as_of)
    builder = ProofBuilder(ev)
    tables = {
        name: pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("providers", "observations", "statuses", "arrangements", "coverage")
    }
    by_subject: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {}
    for code in sorted(ev.inputs.bundle.provider_names()):
        for subject, c, p in ev.subjects():
            if ev.outcome(c, p, (code,)) is not Outcome.REFUSED:
                continue
            items = builder.to_qualify(subject, (code,))
            if items and all(_measure_of(it["change"]) in reads for it in items):
                by_subject.setdefault(subject, []).append((code, items))
    assert sum(len(v) for v in by_subject.values()) > 500  # 794 when written

    def with_changes(cases: list[tuple[str, list[dict[str, Any]]]], skip_first: bool) -> Path:
        obs = tables["observations"]
        drop = pd.Series(False, index=obs.index)
        added = []
        for code, items in cases:
            for it in items[1:] if skip_first else items:
                measure = _measure_of(it["change"])
                row = {"code": code, "measure": measure, "period_end": as_of.isoformat(), "value": str(it["target"])}
                if " over " in it["change"]:  # "mean ae_4h over 3 years": the window holds the target alone
                    months = int(next(iter(reads[measure])).split(":")[1])
                    lo = pd.Timestamp(as_of) - pd.DateOffset(months=months)
                    ends = pd.to_datetime(obs["period_end"])
                    drop |= (obs["code"] == code) & (obs["measure"] == measure) & (ends > lo)
                if it["change"].startswith("pooled "):  # a pooled rate needs its counts, above any minimum
                    den = 1_000_000
                    row |= {"numerator": str(math.ceil(float(it["target"]) * den)), "denominator": str(den)}
                    row["value"] = str(int(row["numerator"]) / den)
                added.append(row)
        out = tmp_path / ("skip" if skip_first else "all")
        out.mkdir(exist_ok=True)
        new_obs = pd.concat([obs[~drop], pd.DataFrame(added, columns=obs.columns)], ignore_index=True).fillna("")
        for name, frame in {**tables, "observations": new_obs}.items():
            frame.to_csv(out / f"{name}.csv", index=False)
        return out

    for subject, cases in sorted(by_subject.items()):
        for skip_first in (False, True):
            result = run(policy, with_changes(cases, skip_first), [as_of])
            f = result.frame
            rows = f[f["subject"] == subject]
            outcomes = dict(zip(rows["provider"], rows["outcome"], strict=True))
            for code, items in cases:
                got = str(outcomes[code])
                if skip_first:
                    assert got != "granted", (subject, code, items[0])
                else:
                    assert got == "granted", (subject, code, items)
