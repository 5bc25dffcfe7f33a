"""Hypothesis properties of evaluation, proofs and verification on synthetic bundles."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential.data.synthetic import generate_bundle, write_bundle
from credential.engine import run
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.output.records import records_for
from credential.output.render import render
from credential.policy import load_policy
from credential.proofs.verify import verify_lines

FIX = Path(__file__).resolve().parents[1] / "fixtures"
SPEC_EXAMPLE = load_policy(FIX / "spec_example.cred")
MONOTONE = load_policy(FIX / "monotone.cred")
AS_OF = dt.date(2024, 6, 30)
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
RANK = {"refused": 0, "undetermined": 1, "granted": 2}


def bundle_dir(tmp: Path, policy: Any, n: int, seed: int, name: str = "b") -> tuple[Path, dict[str, pd.DataFrame]]:
    tables = generate_bundle(n, seed, spec=policy.bundle_spec())
    path = tmp / name
    write_bundle(tables, path, "csv")
    return path, tables


def jsonl_without_digests(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        rec = json.loads(line)
        rec.pop("data")
        out.append(rec)
    return out


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 10_000), shuffle_seed=st.integers(0, 10_000))
def test_shuffling_rows_changes_nothing(tmp_path_factory: Any, seed: int, shuffle_seed: int) -> None:
    tmp = tmp_path_factory.mktemp("shuffle")
    tables = generate_bundle(25, seed, spec=SPEC_EXAMPLE.bundle_spec())
    shuffled = {k: v.sample(frac=1.0, random_state=shuffle_seed).reset_index(drop=True) for k, v in tables.items()}
    write_bundle(tables, tmp / "a", "csv")
    write_bundle(shuffled, tmp / "b", "csv")
    ra = run(SPEC_EXAMPLE, tmp / "a", [AS_OF], pairs=True)
    rb = run(SPEC_EXAMPLE, tmp / "b", [AS_OF], pairs=True)
    # The table view carries no file digests: byte-identical.
    assert render(ra, "table") == render(rb, "table")
    # JSON lines are identical but for the digests of the (differently ordered) files.
    assert jsonl_without_digests(render(ra, "jsonl")) == jsonl_without_digests(render(rb, "jsonl"))


def improve(tables: dict[str, pd.DataFrame], rng: random.Random) -> dict[str, pd.DataFrame]:
    """Raise one provider's observations of one measure (a better rating, a higher A&E share)."""
    obs = tables["observations"].copy()
    codes = sorted(set(obs["code"].dropna()))
    code = rng.choice(codes)
    measure = rng.choice(["cqc_overall", "cqc_safe", "cqc_well_led", "ae_4h"])
    mask = (obs["code"] == code) & (obs["measure"] == measure) & obs["value"].notna()
    levels = ["inadequate", "requires_improvement", "good", "outstanding"]

    def up(v: str) -> str:
        if measure == "ae_4h":
            return f"{min(1.0, float(v) + 0.2):.4f}"
        return levels[min(3, levels.index(v) + 1)]

    obs.loc[mask, "value"] = obs.loc[mask, "value"].map(up)
    return {**tables, "observations": obs}


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 10_000))
def test_improving_a_value_never_turns_granted_into_refused(tmp_path_factory: Any, seed: int, pick: int) -> None:
    tmp = tmp_path_factory.mktemp("mono")
    tables = generate_bundle(25, seed, spec=MONOTONE.bundle_spec())
    better = improve(tables, random.Random(pick))
    write_bundle(tables, tmp / "a", "csv")
    write_bundle(better, tmp / "b", "csv")
    before = {(r.provider, r.subject): r.outcome.value for r in run(MONOTONE, tmp / "a", [AS_OF]).records}
    after = {(r.provider, r.subject): r.outcome.value for r in run(MONOTONE, tmp / "b", [AS_OF]).records}
    for key, old in before.items():
        assert RANK[after[key]] >= RANK[old], (key, old, after[key])


def explained_lines(tmp: Path, seed: int) -> tuple[list[str], Any]:
    path, _ = bundle_dir(tmp, SPEC_EXAMPLE, 20, seed)
    inputs = load_inputs(SPEC_EXAMPLE, path)
    ev = evaluate_inputs(inputs, AS_OF, pairs=True)
    lines = [r.to_jsonl() for r in records_for(ev, explain=True)]
    return lines, inputs


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_every_proof_verifies(tmp_path_factory: Any, seed: int) -> None:
    lines, inputs = explained_lines(tmp_path_factory.mktemp("verify"), seed)
    report = verify_lines(lines, inputs.policy, inputs.bundle)
    assert report.checked == len(lines)
    assert report.ok, [str(p) for p in report.problems[:5]]


REFERENCE = load_policy(Path(__file__).resolve().parents[2] / "policies" / "dalton_2014.cred")


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 10_000), reference=st.booleans())
def test_proof_text_is_what_encoding_the_tree_writes(tmp_path_factory: Any, seed: int, reference: bool) -> None:
    """``proof_json`` assembles a proof from pieces encoded apart and from templates other providers
    built (and to_qualify from answers other providers share); the text must be the tree's
    encoding, and what building it directly (nothing shared) gives."""
    from credential.jsontext import dumps
    from credential.proofs.proof import ProofBuilder

    policy = REFERENCE if reference else SPEC_EXAMPLE
    path, _ = bundle_dir(tmp_path_factory.mktemp("text"), policy, 12, seed)
    ev = evaluate_inputs(load_inputs(policy, path), AS_OF, pairs=True)
    builder, direct = ProofBuilder(ev), ProofBuilder(ev, templates=False)
    records = records_for(ev)
    assert records
    for i, r in enumerate(records):
        if i % 5 == 0:
            builder.forget()  # what a writer does between blocks: the text must not depend on it
        args = tuple(r.subject.split(":")[2:4]) if r.subject.startswith("pair:") else (r.provider,)
        text = builder.proof_json(r.subject, args)
        tree = json.loads(text)
        assert dumps(tree) == text
        assert (tree["subject"], tree["outcome"], tree["as_of"]) == (r.subject, r.outcome.value, r.as_of)
        # filled from a template another provider's truths built, or built directly: the same text
        assert text == direct.proof_json(r.subject, args)
    assert builder._tries and not builder._untemplated and not direct._tries


def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("children", []):
        out.extend(nodes(child))
    return out


def mutate(rec: dict[str, Any], rng: random.Random) -> str | None:
    """One mutation of a value, threshold, outcome or evidence row; None if this record has no such part."""
    proof = rec["proof"]
    leaves = [n for n in nodes(proof) if n.get("kind") in ("comparison", "arrangement")]
    with_evidence = [n for n in nodes(proof) if n.get("evidence")]
    choices = (
        ["outcome", "node_outcome"]
        + (["value", "threshold"] if leaves else [])
        + (["evidence_values", "evidence_row"] if with_evidence else [])
    )
    kind = rng.choice(choices)
    if kind == "outcome":
        rec["outcome"] = {"granted": "refused", "refused": "undetermined", "undetermined": "granted"}[rec["outcome"]]
    elif kind == "node_outcome":
        n = rng.choice(nodes(proof)[1:] or [proof])
        flip = {
            "true": "false",
            "false": "unknown",
            "unknown": "true",
            "granted": "refused",
            "refused": "undetermined",
            "undetermined": "granted",
        }
        n["outcome"] = flip[n["outcome"]]
    elif kind == "value":
        n = rng.choice(leaves)
        v = n.get("value")
        n["value"] = (
            (v + 0.5) if isinstance(v, float | int) and not isinstance(v, bool) else ("zzz" if v is not None else 0.5)
        )
    elif kind == "threshold":
        n = rng.choice(leaves)
        thr = n["threshold"]
        key = "value" if "value" in thr else "in"
        thr[key] = "zzz" if thr[key] != "zzz" else "yyy"
    elif kind == "evidence_values":
        n = rng.choice(with_evidence)
        e = rng.choice(n["evidence"])
        col = rng.choice(sorted(e["values"]))
        e["values"][col] = str(e["values"][col]) + "x"
    else:
        n = rng.choice(with_evidence)
        e = rng.choice(n["evidence"])
        e["row"] = int(e["row"]) + 100_000
    return kind


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 10_000), pick=st.integers(0, 10_000))
def test_every_single_mutation_is_rejected(tmp_path_factory: Any, seed: int, pick: int) -> None:
    lines, inputs = explained_lines(tmp_path_factory.mktemp("mutate"), seed)
    rng = random.Random(pick)
    index = rng.randrange(len(lines))
    rec = json.loads(lines[index])
    mutated = copy.deepcopy(rec)
    kind = mutate(mutated, rng)
    lines[index] = json.dumps(mutated)
    report = verify_lines(lines, inputs.policy, inputs.bundle)
    assert {p.line for p in report.problems} == {index + 1}, (kind, [str(p) for p in report.problems[:3]])
