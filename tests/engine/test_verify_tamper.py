"""``verify`` without holes: every kind of change to a decisions file is caught, with its own message.

The file is what ``evaluate --explain --pairs --format jsonl`` writes for the language spec's
example on the hand-made bundle.  Each tamper changes one thing; the report must fail and name it
(problem code and a phrase of the message).  An untouched file always verifies (here, and with
generated bundles in ``test_untouched_files_verify``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential.data.synthetic import generate_bundle, write_bundle
from credential.engine import run
from credential.evaluation.evaluate import load_inputs
from credential.jsontext import dumps
from credential.output.render import render
from credential.policy import load_policy
from credential.proofs.store import Encoder, NodeStore, digest, is_compact
from credential.proofs.verify import Scope, VerifyReport, verify_lines

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = FIX / "spec_example.cred"
DATA = FIX / "hand_bundle"
AS_OF = dt.date(2016, 4, 1)
Records = list[dict[str, Any]]


def expand(text: str) -> Records:
    """The records of a decisions file with full proof trees (a content-addressed file rebuilt)."""
    store = NodeStore()
    out: Records = []
    for line in text.splitlines():
        obj = json.loads(line)
        if obj.get("kind") in ("node", "row"):
            store.add(obj)
        else:
            if is_compact(obj.get("proof")):
                obj["proof"] = store.expand(obj["proof"], obj["provider"])
            out.append(obj)
    return out


def compact(recs: Records) -> str:
    """Records with full proofs written in the content-addressed form (nodes before their records)."""
    enc = Encoder()
    out: list[str] = []
    for rec in recs:
        proof = rec.get("proof")
        if isinstance(proof, dict) and "kind" in proof and isinstance(rec.get("provider"), str):
            lines, text = enc.encode(proof, rec["provider"])
            out.extend(lines)
            rec = {**rec, "proof": json.loads(text)}
        out.append(json.dumps(rec, ensure_ascii=False) + "\n")
    return "".join(out)


@pytest.fixture(scope="module")
def written() -> str:
    """What ``evaluate --explain --pairs --format jsonl`` writes (content-addressed proofs)."""
    return render(run(POLICY, DATA, [AS_OF], pairs=True, explain=True), "jsonl")


@pytest.fixture(scope="module", params=["self-contained", "content-addressed"])
def original(request: Any, written: str) -> tuple[str, Any]:
    """The file in each proof format: full trees in every record, or nodes written once."""
    text = _lines(expand(written)) if request.param == "self-contained" else written
    return text, load_inputs(POLICY, DATA)


def records_of(text: str) -> Records:
    return expand(text)


def lines_like(text: str, recs: Records) -> str:
    """Records written in the format of ``text``."""
    return compact(recs) if '"kind": "node"' in text else _lines(recs)


def check(text: str, inputs: Any) -> VerifyReport:
    return verify_lines(text.splitlines(keepends=True), inputs.policy, inputs.bundle, Scope(complete=True))


def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("children", []):
        out.extend(nodes(child))
    return out


def first(recs: Records, pred: Callable[[dict[str, Any], dict[str, Any]], bool]) -> dict[str, Any]:
    """The first proof node (of any record) for which ``pred(record, node)`` holds."""
    for rec in recs:
        for n in nodes(rec["proof"]):
            if pred(rec, n):
                return n
    raise AssertionError("no such node in the file")


def record(recs: Records, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(r for r in recs if pred(r))


def refused_with_items(recs: Records) -> dict[str, Any]:
    return record(recs, lambda r: r["outcome"] == "refused" and bool(r["proof"]["to_qualify"]))


def edit(f: Callable[[Records], None]) -> Callable[[Records], Records]:
    def go(recs: Records) -> Records:
        f(recs)
        return recs

    return go


def _set(d: dict[str, Any], key: str, value: Any) -> None:
    d[key] = value


# Each tamper: (name, change to the records, problem code, a phrase of the message)
TAMPERS: list[tuple[str, Callable[[Records], Records], str, str]] = [
    (
        "outcome",
        edit(lambda rs: _set(record(rs, lambda r: r["outcome"] == "granted"), "outcome", "refused")),
        "verify.outcome",
        'outcome: "refused" in the file',
    ),
    (
        "missing",
        edit(lambda rs: record(rs, lambda r: r["outcome"] == "undetermined")["missing"].pop()),
        "verify.missing",
        "missing",
    ),
    (
        "policy digest",
        edit(lambda rs: rs[3]["policy"].update(sha256="0" * 64)),
        "verify.policy-digest",
        "policy.sha256",
    ),
    (
        "policy version",
        edit(lambda rs: rs[3]["policy"].update(version="9.9.9")),
        "verify.policy",
        "policy.version",
    ),
    (
        "data digest swap",
        edit(
            lambda rs: rs[4]["data"].update(
                {"observations.csv": rs[4]["data"]["providers.csv"], "providers.csv": rs[4]["data"]["observations.csv"]}
            )
        ),
        "verify.data-digest",
        "data.observations.csv",
    ),
    ("forged engine", edit(lambda rs: _set(rs[5], "engine", "9.0.0")), "verify.engine", "engine"),
    ("forged backend", edit(lambda rs: _set(rs[6], "backend", "fake")), "verify.backend", "backend"),
    ("backend of one record", edit(lambda rs: _set(rs[6], "backend", "duckdb")), "verify.backend", "backend"),
    ("provider name", edit(lambda rs: _set(rs[7], "provider_name", "Elsewhere")), "verify.provider-name", "Elsewhere"),
    ("removed proof", edit(lambda rs: rs[8].pop("proof")), "verify.proof-missing", "no proof"),
    (
        "title",
        edit(lambda rs: _set(first(rs, lambda r, n: bool(n.get("title"))), "title", "A better title")),
        "verify.proof",
        "title",
    ),
    (
        "citation",
        edit(lambda rs: first(rs, lambda r, n: bool(n.get("cites")))["cites"][0].update(locator="p. 1")),
        "verify.proof",
        "cites[0].locator",
    ),
    (
        "comparison value",
        edit(
            lambda rs: _set(
                first(rs, lambda r, n: n["kind"] == "comparison" and n.get("value") == "good"), "value", "outstanding"
            )
        ),
        "verify.proof",
        '"outstanding" in the file',
    ),
    (
        "threshold",
        edit(
            lambda rs: first(rs, lambda r, n: n["kind"] == "comparison" and "param" in n["threshold"])[
                "threshold"
            ].update(value=0.5)
        ),
        "verify.proof",
        "threshold.value",
    ),
    (
        "threshold effective date",
        edit(
            lambda rs: first(rs, lambda r, n: n["kind"] == "comparison" and "param" in n["threshold"])[
                "threshold"
            ].update(since="2000-01-01")
        ),
        "verify.proof",
        "threshold.since",
    ),
    (
        "status node",
        edit(lambda rs: _set(first(rs, lambda r, n: n["kind"] == "status" and n["value"] is True), "value", False)),
        "verify.proof",
        "value: false in the file",
    ),
    (
        "arrangement node",
        edit(lambda rs: _set(first(rs, lambda r, n: n["kind"] == "arrangement"), "value", 7)),
        "verify.proof",
        "value: 7 in the file",
    ),
    (
        "and node outcome",
        edit(
            lambda rs: _set(first(rs, lambda r, n: n["kind"] == "and" and n["outcome"] == "true"), "outcome", "false")
        ),
        "verify.proof",
        "outcome",
    ),
    (
        "or node text",
        edit(lambda rs: _set(first(rs, lambda r, n: n["kind"] == "or"), "text", "anything goes")),
        "verify.proof",
        "anything goes",
    ),
    (
        "not node child removed",
        edit(lambda rs: first(rs, lambda r, n: n["kind"] == "not")["children"].clear()),
        "verify.proof",
        "0 item(s) in the file",
    ),
    (
        "unless waived flag",
        edit(
            lambda rs: _set(
                first(rs, lambda r, n: n["kind"] == "unless"),
                "waived",
                not first(rs, lambda r, n: n["kind"] == "unless")["waived"],
            )
        ),
        "verify.proof",
        "waived",
    ),
    (
        "criterion provider",
        edit(lambda rs: _set(first(rs, lambda r, n: n["kind"] == "criterion"), "provider", "RXH")),
        "verify.proof",
        "provider",
    ),
    (
        "role node",
        edit(lambda rs: _set(first(rs, lambda r, n: n["kind"] == "role"), "role", "recipient")),
        "verify.proof",
        "role",
    ),
    (
        "pair node",
        edit(lambda rs: _set(first(rs, lambda r, n: n["kind"] == "pair"), "recipient", "R0A")),
        "verify.proof",
        "recipient",
    ),
    (
        "source line",
        edit(lambda rs: first(rs, lambda r, n: n["kind"] == "comparison")["source"].update(line=999)),
        "verify.proof",
        "source.line",
    ),
    (
        "source file",
        edit(lambda rs: first(rs, lambda r, n: n["kind"] == "comparison")["source"].update(file="other.cred")),
        "verify.proof",
        "source.file",
    ),
    (
        "evidence row",
        edit(lambda rs: first(rs, lambda r, n: bool(n.get("evidence")))["evidence"][0].update(row=100_000)),
        "verify.proof",
        "evidence[0].row",
    ),
    (
        "evidence cell",
        edit(lambda rs: first(rs, lambda r, n: bool(n.get("evidence")))["evidence"][0]["values"].update(code="ZZZ")),
        "verify.proof",
        "values.code",
    ),
    (
        "added field",
        edit(lambda rs: first(rs, lambda r, n: n["kind"] == "comparison").update(note="trust me")),
        "verify.proof",
        "no 'note'",
    ),
    (
        "node missing values",
        edit(lambda rs: first(rs, lambda r, n: bool(n.get("missing")))["missing"].append("cqc_caring")),
        "verify.proof",
        "missing",
    ),
    (
        "to_qualify gap",
        edit(lambda rs: refused_with_items(rs)["proof"]["to_qualify"][0].update(gap="9 level(s)")),
        "verify.to-qualify",
        "gap",
    ),
    (
        "to_qualify item dropped",
        edit(lambda rs: refused_with_items(rs)["proof"]["to_qualify"].pop()),
        "verify.to-qualify",
        "item(s) in the file",
    ),
    (
        "to_qualify item added",
        edit(
            lambda rs: refused_with_items(rs)["proof"]["to_qualify"].append(
                copy.deepcopy(refused_with_items(rs)["proof"]["to_qualify"][0])
            )
        ),
        "verify.to-qualify",
        "item(s) in the file",
    ),
    (
        "to_qualify target",
        edit(lambda rs: refused_with_items(rs)["proof"]["to_qualify"][0].update(target="inadequate")),
        "verify.to-qualify",
        "target",
    ),
    (
        "to_qualify needs",
        edit(lambda rs: refused_with_items(rs)["proof"]["to_qualify"][0].update(needs="nothing at all")),
        "verify.to-qualify",
        "needs",
    ),
    (
        "ineligible removed",
        edit(lambda rs: record(rs, lambda r: "ineligible" in r.get("proof", {}))["proof"].pop("ineligible")),
        "verify.to-qualify",
        "proof.ineligible: missing",
    ),
    (
        "cannot_qualify changed",
        edit(
            lambda rs: record(rs, lambda r: "cannot_qualify" in r.get("proof", {}))["proof"].update(
                cannot_qualify="it just cannot"
            )
        ),
        "verify.to-qualify",
        "cannot_qualify",
    ),
    ("record deleted", lambda rs: rs[:2] + rs[3:], "verify.missing-record", "no record of this decision"),
    ("record duplicated", lambda rs: [*rs[:3], rs[2], *rs[3:]], "verify.duplicate", "the same decision as line 3"),
    ("records reordered", lambda rs: [rs[1], rs[0], *rs[2:]], "verify.order", "out of order"),
    (
        "record 2 deleted, record 1 duplicated",
        lambda rs: [rs[0], rs[0], *rs[2:]],
        "verify.missing-record",
        "no record of this decision",
    ),
    (
        "record of another provider",
        edit(lambda rs: _set(rs[0], "provider", "ZZZ99")),
        "verify.unexpected-record",
        "no provider 'ZZZ99'",
    ),
    (
        "refused pair added",
        lambda rs: [*rs, {**copy.deepcopy(rs[0]), "subject": "pair:acquisition:RXH:RW6", "provider": "RXH"}],
        "verify.unexpected-record",
        "refused pair",
    ),
    (
        "subject renamed",
        edit(lambda rs: _set(rs[0], "subject", "credential:grand_master")),
        "verify.unexpected-record",
        "no subject",
    ),
]


def _lines(recs: Records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)


def test_the_untouched_file_verifies(original: tuple[str, Any]) -> None:
    text, inputs = original
    report = check(text, inputs)
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert report.checked == report.proofs == len(records_of(text))


def test_there_are_at_least_twenty_kinds_of_tamper() -> None:
    assert len(TAMPERS) >= 20


@pytest.mark.parametrize(("name", "tamper", "code", "phrase"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_every_tamper_is_caught(
    original: tuple[str, Any], name: str, tamper: Callable[[Records], Records], code: str, phrase: str
) -> None:
    text, inputs = original
    recs = records_of(text)
    tampered = lines_like(text, tamper(copy.deepcopy(recs)))
    assert tampered != text, "the tamper changed nothing"
    report = check(tampered, inputs)
    assert not report.ok
    hits = [p for p in report.problems if p.code == code and phrase in p.message]
    assert hits, (name, [str(p) for p in report.problems[:6]])


def test_empty_and_truncated_files_fail(original: tuple[str, Any]) -> None:
    text, inputs = original
    empty = check("", inputs)
    assert [p.code for p in empty.problems] == ["verify.empty"]
    cut = text[: len(text) - 40]
    report = check(cut, inputs)
    assert any(p.code == "verify.truncated" for p in report.problems)
    at_boundary = "".join(text.splitlines(keepends=True)[:-1])  # the last line is a record
    assert any(p.code == "verify.missing-record" for p in check(at_boundary, inputs).problems)


def test_the_json_array_verifies_and_is_checked_the_same(original: tuple[str, Any]) -> None:
    _, inputs = original
    text = render(run(POLICY, DATA, [AS_OF], pairs=True, explain=True), "json")
    assert text.startswith("[\n")
    assert check(text, inputs).ok
    items = json.loads(text)
    i = [n for n, r in enumerate(items) if "provider" in r][1]  # the second record (nodes come first)
    items[i]["outcome"] = "granted" if items[i]["outcome"] != "granted" else "refused"
    tampered = "[\n" + ",\n".join(json.dumps(r) for r in items) + "\n]\n"
    problems = check(tampered, inputs).problems
    assert [(p.line, p.code) for p in problems] == [(i + 2, "verify.outcome")]


POLICY_TEXT = load_policy(POLICY)
SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 10_000), fmt=st.sampled_from(["jsonl", "json"]), explain=st.booleans())
def test_untouched_files_verify(tmp_path_factory: Any, seed: int, fmt: str, explain: bool) -> None:
    """What evaluate writes (JSON lines or JSON, with proofs or without, with pairs) always verifies, as a whole."""
    path = tmp_path_factory.mktemp("untouched") / "b"
    write_bundle(generate_bundle(15, seed, spec=POLICY_TEXT.bundle_spec()), path, "csv")
    as_of = [dt.date(2024, 6, 30), dt.date(2019, 1, 31)]
    text = render(run(POLICY_TEXT, path, as_of, pairs=True, explain=explain), fmt)
    report = check(text, load_inputs(POLICY_TEXT, path))
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert report.checked > 0 and report.proofs == (report.checked if explain else 0)


# ---- the content-addressed form: tampers with nodes, rows and references ------------------------

Lines = list[dict[str, Any]]


def _objs(text: str) -> Lines:
    return [json.loads(line) for line in text.splitlines()]


def _write(objs: Lines) -> str:
    return "".join(dumps(o) + "\n" for o in objs)


def _first(objs: Lines, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(o for o in objs if pred(o))


def _rehash(obj: dict[str, Any]) -> None:
    obj["id"] = digest(dumps(obj["node" if obj["kind"] == "node" else "row"]))


def _leafy(o: dict[str, Any]) -> bool:
    return "provider" in o and bool(o["proof"]["leaves"])


def _with_evidence(o: dict[str, Any]) -> bool:
    return "provider" in o and any(e.get("evidence") for e in o["proof"]["leaves"])


def _edit_node(objs: Lines, rehash: bool) -> Lines:
    node = _first(objs, lambda o: o.get("kind") == "node" and "text" in o["node"])
    node["node"]["text"] = "something else"
    if rehash:
        _rehash(node)
    return objs


def _other_row(objs: Lines) -> Lines:
    rows = [o["row"] for o in objs if o.get("kind") == "row"]
    rec = _first(objs, _with_evidence)
    leaf = next(e for e in rec["proof"]["leaves"] if e.get("evidence"))
    other = next(r for r in rows if [r["file"], r["row"]] != leaf["evidence"][0])
    leaf["evidence"][0] = [other["file"], other["row"]]
    return objs


def _no_such_row(objs: Lines) -> Lines:
    leaf = next(e for e in _first(objs, _with_evidence)["proof"]["leaves"] if e.get("evidence"))
    leaf["evidence"][0] = [leaf["evidence"][0][0], 999_999]
    return objs


def _row_values(objs: Lines) -> Lines:
    """A cited row's values changed and the row re-hashed: consistent, but false."""
    rec = _first(objs, _with_evidence)
    ref = next(e for e in rec["proof"]["leaves"] if e.get("evidence"))["evidence"][0]
    row = _first(objs, lambda o: o.get("kind") == "row" and [o["row"]["file"], o["row"]["row"]] == ref)
    values = row["row"]["values"]
    values[next(iter(values))] = "tampered"
    _rehash(row)
    return objs


def _edit_row(objs: Lines) -> Lines:
    row = _first(objs, lambda o: o.get("kind") == "row")
    row["row"]["row"] += 1
    return objs


def _move_record_first(objs: Lines) -> Lines:
    i = next(n for n, o in enumerate(objs) if "provider" in o)
    return [objs[i], *objs[:i], *objs[i + 1 :]]


def _root_swapped(objs: Lines) -> Lines:
    recs = [o for o in objs if "provider" in o]
    a = recs[0]
    b = next(
        r
        for r in recs
        if r["proof"]["root"] != a["proof"]["root"] and len(r["proof"]["leaves"]) == len(a["proof"]["leaves"])
    )
    a["proof"]["root"] = b["proof"]["root"]
    return objs


def _dup_node(objs: Lines) -> Lines:
    i = next(n for n, o in enumerate(objs) if o.get("kind") == "node")
    return [*objs[: i + 1], copy.deepcopy(objs[i]), *objs[i + 1 :]]


def _drop_node(objs: Lines) -> Lines:
    rec = _first(objs, lambda o: "provider" in o)
    return [o for o in objs if o.get("id") != rec["proof"]["root"]]


COMPACT_TAMPERS: list[tuple[str, Callable[[Lines], Lines], str, str]] = [
    ("node edited, id kept", lambda os: _edit_node(os, False), "verify.node-hash", "not its content's hash"),
    ("node edited and re-hashed", lambda os: _edit_node(os, True), "verify.unresolved", "not written before it"),
    ("node removed", _drop_node, "verify.unresolved", "not written before it"),
    ("node written twice", _dup_node, "verify.node-duplicate", "more than once"),
    ("record before its nodes", _move_record_first, "verify.unresolved", "not written before it"),
    (
        "leaf entry dropped",
        lambda os: [*os] if _first(os, _leafy)["proof"]["leaves"].pop() else os,
        "verify.leaves",
        "fewer entries",
    ),
    (
        "leaf entry added",
        lambda os: [*os] if _first(os, _leafy)["proof"]["leaves"].append({"value": 1}) is None else os,
        "verify.leaves",
        "more entries",
    ),
    ("evidence of another row", _other_row, "verify.", "evidence"),
    ("evidence of a row not written", _no_such_row, "verify.unresolved", "no such row"),
    ("row edited, id kept", lambda os: _edit_row(os), "verify.node-hash", "not its content's hash"),
    ("row values changed consistently", _row_values, "verify.proof", "tampered"),
    (
        "proof format",
        lambda os: (
            [*os] if _first(os, lambda o: "provider" in o)["proof"].update(format="credential-proof/9") is None else os
        ),
        "verify.proof-format",
        "credential-proof/9",
    ),
    ("root of another skeleton", _root_swapped, "verify.", ""),
]


@pytest.mark.parametrize(("name", "tamper", "code", "phrase"), COMPACT_TAMPERS, ids=[t[0] for t in COMPACT_TAMPERS])
def test_every_tamper_of_nodes_and_references_is_caught(
    written: str, name: str, tamper: Callable[[Lines], Lines], code: str, phrase: str
) -> None:
    inputs = load_inputs(POLICY, DATA)
    objs = _objs(written)
    tampered = _write(tamper(copy.deepcopy(objs)))
    assert tampered != written, "the tamper changed nothing"
    report = check(tampered, inputs)
    assert not report.ok
    hits = [p for p in report.problems if p.code.startswith(code) and phrase in p.message]
    assert hits, (name, [str(p) for p in report.problems[:6]])


def test_the_writer_and_the_reference_encoding_agree(written: str) -> None:
    """The writer's quick path gives, record by record, what encoding each full tree gives."""
    recs = expand(written)
    again = compact(copy.deepcopy(recs))
    assert [o.get("proof") for o in _objs(again) if "provider" in o] == [
        o.get("proof") for o in _objs(written) if "provider" in o
    ]
    assert {line for line in again.splitlines() if not line.startswith('{"provider"')} == {
        line for line in written.splitlines() if not line.startswith('{"provider"')
    }


def test_one_provider_of_a_whole_file(written: str) -> None:
    """``--provider`` on a content-addressed file: that provider's records alone, with the nodes they use."""
    inputs = load_inputs(POLICY, DATA)
    code = _first(_objs(written), lambda o: "provider" in o)["provider"]
    lines = written.splitlines(keepends=True)
    report = verify_lines(lines, inputs.policy, inputs.bundle, Scope(complete=True, provider=code))
    assert report.ok, [str(p) for p in report.problems[:5]]
    assert report.checked == sum(1 for o in _objs(written) if o.get("provider") == code)
    objs = _objs(written)
    rec = _first(objs, lambda o: o.get("provider") == code and o["outcome"] == "granted")
    rec["outcome"] = "refused"
    report = verify_lines(_write(objs).splitlines(True), inputs.policy, inputs.bundle, Scope(provider=code))
    assert [p.code for p in report.problems] == ["verify.outcome"]
