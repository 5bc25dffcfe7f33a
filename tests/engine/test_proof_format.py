"""The content-addressed proof format (docs/proof-format.md): schema, round trip, ``explain --decisions``, ``verify``.

What ``evaluate --explain`` writes must validate against ``docs/proof-format.schema.json`` line
by line; every proof read back from the file must be the proof ``explain`` builds from the
policy and the data (every NHS decision); ``verify`` checks the whole file or one provider's
records in it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from credential.cli import cli
from credential.engine import run
from credential.evaluation.evaluate import evaluate_inputs, load_inputs
from credential.output.records import records_for
from credential.output.render import render
from credential.proofs.reading import records_from_file
from credential.proofs.store import FORMAT, is_compact
from credential.resources import bundled_data_path, reference_policy_path
from support.golden import assert_golden

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "proof-format.schema.json").read_text(encoding="utf-8"))
FIX = ROOT / "tests" / "fixtures"
SPEC, HAND = FIX / "spec_example.cred", FIX / "hand_bundle"
NHS_AS_OF = dt.date(2025, 6, 30)
GOLDEN = ROOT / "tests" / "engine" / "golden" / "proof_format"


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: Any) -> Path:
    path = tmp_path_factory.mktemp("spec") / "d.jsonl"
    path.write_text(render(run(SPEC, HAND, [dt.date(2016, 4, 1)], pairs=True, explain=True), "jsonl"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nhs_file(tmp_path_factory: Any) -> Path:
    path = tmp_path_factory.mktemp("nhs") / "d.jsonl"
    code, _, err = invoke(
        "evaluate", "--explain", "--as-of", NHS_AS_OF.isoformat(), "--format", "jsonl", "--output", str(path)
    )
    assert code == 0, err
    return path


def test_the_schema_is_a_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_every_line_written_validates(spec_file: Path) -> None:
    validator = Draft202012Validator(SCHEMA)
    kinds: dict[str, int] = {}
    for n, line in enumerate(spec_file.read_text(encoding="utf-8").splitlines(), start=1):
        obj = json.loads(line)
        errors = [e.message for e in validator.iter_errors(obj)]
        assert not errors, (n, errors[:3])
        kind = obj.get("kind", "record")
        kinds[kind] = kinds.get(kind, 0) + 1
    assert set(kinds) == {"node", "row", "record"}  # pairs, leaves and evidence are all in this file


def test_the_schema_rejects_a_self_contained_proof_and_a_bad_reference(spec_file: Path) -> None:
    validator = Draft202012Validator(SCHEMA)
    rec = next(json.loads(line) for line in spec_file.read_text().splitlines() if line.startswith('{"provider"'))
    assert rec["proof"]["format"] == FORMAT
    assert not validator.is_valid({**rec, "proof": {"kind": "credential", "children": []}})
    assert not validator.is_valid({**rec, "proof": {**rec["proof"], "root": "sha256:123"}})


def test_records_stay_one_per_line_for_grep_and_jq(spec_file: Path) -> None:
    lines = spec_file.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.startswith('{"provider"')]
    assert records and all(is_compact(r["proof"]) for r in records)
    assert all(json.loads(line).get("kind") in ("node", "row") for line in lines if not line.startswith('{"provider"'))


def test_what_verify_says_of_a_broken_node_and_reference(spec_file: Path, tmp_path: Path) -> None:
    """The problems of a content-addressed file, as printed (pinned by a golden file)."""
    lines = spec_file.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if line.startswith('{"kind": "node"') and '"text": ' in line)
    lines[i] = lines[i].replace('"text": "', '"text": "not ', 1)  # content changed, id kept
    j = next(n for n, line in enumerate(lines) if line.startswith('{"provider"'))
    lines[j] = lines[j].replace('"root": "sha256:', '"root": "sha256:0', 1)  # refers to no node
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines), encoding="utf-8")
    code, out, err = invoke("verify", str(bad), "--policy", str(SPEC), "--data", str(HAND))
    assert code == 4
    text = out.replace(str(bad), "FILE")
    assert "[verify.node-hash]" in text and "[verify.unresolved]" in text
    assert_golden(GOLDEN / "verify_broken_nodes.txt", text + err)
    code, _, err = invoke("explain", "--decisions", str(bad), "RXH", "partner")
    assert code == 2
    assert_golden(GOLDEN / "explain_decisions_broken.txt", err.replace(str(bad), "FILE"))


def test_shared_nodes_are_written_once(spec_file: Path) -> None:
    ids = [json.loads(line)["id"] for line in spec_file.read_text().splitlines() if line.startswith('{"kind"')]
    assert len(ids) == len(set(ids))


@pytest.mark.slow
def test_explain_from_the_file_is_explain_from_policy_and_data_for_every_nhs_decision(nhs_file: Path) -> None:
    inputs = load_inputs(str(reference_policy_path()), str(bundled_data_path()))
    ev = evaluate_inputs(inputs, NHS_AS_OF)
    want = [r.to_json_dict() for r in records_for(ev, explain=True)]
    codes = sorted({r["provider"] for r in want})
    found = records_from_file(str(nhs_file), codes, lambda s: True)
    got = [r for c in codes for r in found[c]]
    want.sort(key=lambda r: (r["provider"], r["subject"]))
    assert len(got) == len(want) == 4242
    for g, w in zip(got, want, strict=True):
        assert json.dumps(g, ensure_ascii=False) == json.dumps(w, ensure_ascii=False), (w["provider"], w["subject"])


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_explain_decisions_prints_what_explain_prints(nhs_file: Path, fmt: str) -> None:
    for args in (["RM3"], ["RM3", "partner"], ["R0A", "form:buddying:recipient"]):
        want = invoke("explain", *args, "--as-of", NHS_AS_OF.isoformat(), "--format", fmt)
        got = invoke("explain", "--decisions", str(nhs_file), *args, "--format", fmt)
        assert got == want and got[0] == 0


@pytest.mark.slow
def test_explain_decisions_errors_are_coded(nhs_file: Path, tmp_path: Path) -> None:
    code, _, err = invoke("explain", "--decisions", str(nhs_file), "ZZZ9")
    assert code == 2 and "usage.unknown-provider" in err
    plain = tmp_path / "plain.jsonl"
    assert invoke("evaluate", "--as-of", "2025-06-30", "--format", "jsonl", "--output", str(plain))[0] == 0
    code, _, err = invoke("explain", "--decisions", str(plain), "RM3")
    assert code == 2 and "usage.bad-decisions" in err and "--explain" in err


@pytest.mark.slow
def test_the_nhs_file_verifies_whole_and_one_provider_alone(nhs_file: Path) -> None:
    code, out, err = invoke("verify", str(nhs_file))
    assert (code, out) == (0, ""), out[:2000]
    assert "verified 4242 record(s), 4242 with proofs: 4242 hold, 0 do not" in err
    code, out, err = invoke("verify", str(nhs_file), "--provider", "RM3")
    assert (code, out) == (0, ""), out[:2000]
    assert "verified 21 record(s), 21 with proofs: 21 hold, 0 do not" in err
    code, out, err = invoke("verify", str(nhs_file), "--provider", "RM3", "--subject", "partner")
    assert (code, out) == (0, "") and "verified 1 record(s)" in err
