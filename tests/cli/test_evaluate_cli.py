"""The evaluate / explain / verify / compile command contract: formats, exit codes, atomic output."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

from credential.cli import cli

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POLICY = str(FIX / "spec_example.cred")
DATA = str(FIX / "hand_bundle")
BASE = ["--policy", POLICY, "--data", DATA, "--as-of", "2016-04-01"]


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def test_formats_agree() -> None:
    _, jl, _ = invoke("evaluate", *BASE, "--format", "jsonl")
    _, js, _ = invoke("evaluate", *BASE, "--format", "json")
    _, cs, _ = invoke("evaluate", *BASE, "--format", "csv")
    from_jsonl = [json.loads(x) for x in jl.splitlines()]
    assert from_jsonl == json.loads(js)
    rows = list(csv.DictReader(io.StringIO(cs)))
    assert [(r["provider"], r["subject"], r["outcome"]) for r in rows] == [
        (x["provider"], x["subject"], x["outcome"]) for x in from_jsonl
    ]
    keys = list(from_jsonl[0])
    assert keys[:9] == [
        "provider",
        "provider_name",
        "subject",
        "outcome",
        "as_of",
        "missing",
        "policy",
        "data",
        "engine",
    ]
    assert from_jsonl == sorted(from_jsonl, key=lambda r: (r["provider"], r["subject"], r["as_of"]))


def test_reruns_are_byte_identical() -> None:
    a = invoke("evaluate", *BASE, "--format", "jsonl", "--explain", "--pairs")[1]
    b = invoke("evaluate", *BASE, "--format", "jsonl", "--explain", "--pairs")[1]
    assert a == b


def test_several_as_of_dates() -> None:
    _, out, _ = invoke(
        "evaluate",
        "--policy",
        POLICY,
        "--data",
        DATA,
        "--as-of",
        "2016-04-01",
        "--as-of",
        "2024-06-30",
        "--format",
        "jsonl",
    )
    assert {json.loads(x)["as_of"] for x in out.splitlines()} == {"2016-04-01", "2024-06-30"}


def test_output_written_atomically_and_verifiable(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "decisions.jsonl"
    code, stdout, err = invoke("evaluate", *BASE, "--format", "jsonl", "--output", str(missing))
    assert code == 2 and "usage.missing-output-dir" in err and str(missing.parent) in err
    assert not missing.parent.exists()  # never created silently
    out = tmp_path / "decisions.jsonl"
    code, stdout, err = invoke("evaluate", *BASE, "--format", "jsonl", "--explain", "--pairs", "--output", str(out))
    assert code == 0 and stdout == ""
    assert "wrote" in err
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left behind
    code, stdout, err = invoke("verify", str(out), "--policy", POLICY, "--data", DATA)
    assert code == 0, stdout
    assert "0 do not" in err


def test_verify_rejects_a_tampered_file(tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    invoke("evaluate", *BASE, "--format", "jsonl", "--explain", "--output", str(out))
    lines = out.read_text().splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith('{"provider"'))  # nodes come first
    rec = json.loads(lines[i])
    rec["outcome"] = "granted" if rec["outcome"] != "granted" else "refused"
    lines[i] = json.dumps(rec)
    out.write_text("\n".join(lines) + "\n")
    code, stdout, _ = invoke("verify", str(out), "--policy", POLICY, "--data", DATA)
    assert code == 4
    assert stdout.startswith(f"line {i + 1}:")


def test_policy_error_exit_1_and_nothing_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cred"
    bad.write_text('policy p "t"\n  version "1"\n  effective 2015-01-01\ncredential c\n  requires nothing_here\n')
    out = tmp_path / "o.jsonl"
    code, stdout, err = invoke("evaluate", "--policy", str(bad), "--data", DATA, "--output", str(out))
    assert code == 1 and stdout == ""
    assert "check.unknown-name" in err
    assert not out.exists()


def test_data_error_exit_3_and_nothing_written(tmp_path: Path) -> None:
    data = tmp_path / "bundle"
    data.mkdir()
    for f in Path(DATA).glob("*.csv"):
        (data / f.name).write_text(f.read_text())
    obs = data / "observations.csv"
    obs.write_text(obs.read_text().replace("RM3,surplus_pct,2016-03-31,0.02", "RM3,surplus_pct,2016-03-31,2"))
    out = tmp_path / "o.jsonl"
    code, stdout, err = invoke("evaluate", "--policy", POLICY, "--data", str(data), "--output", str(out))
    assert code == 3 and stdout == ""
    assert "observations.csv:8: error[data." in err
    assert not out.exists()
    # quarantine: the row is set aside, its value is missing, RM3's partner becomes undetermined
    code, stdout, err = invoke(
        "evaluate",
        "--policy",
        POLICY,
        "--data",
        str(data),
        "--as-of",
        "2016-04-01",
        "--format",
        "jsonl",
        "--on-invalid",
        "quarantine",
    )
    assert code == 0
    recs = {(r["provider"], r["subject"]): r for r in map(json.loads, stdout.splitlines())}
    assert recs[("RM3", "credential:partner")]["outcome"] == "granted"  # waived: RM3 is in its grace period
    assert recs[("RM3", "credential:supporter")]["outcome"] == "granted"


def test_usage_errors_exit_2() -> None:
    assert invoke("evaluate", "--as-of", "not-a-date")[0] == 2
    assert invoke("explain", "NOPE", "--policy", POLICY, "--data", DATA)[0] == 2
    assert invoke("explain", "RM3", "no_such_credential", "--policy", POLICY, "--data", DATA)[0] == 2


def test_every_command_has_help_with_an_example() -> None:
    for verb in ["evaluate", "explain", "check", "compile", "verify"]:
        code, out, _ = invoke(verb, "--help")
        assert code == 0 and "Example" in out, verb


def test_columnar_and_record_paths_write_the_same_bytes() -> None:
    import csv
    import datetime as dt
    import io
    import json

    from credential.engine import run
    from credential.evaluation.decisions import sort_records
    from credential.output.batch import CSV_COLUMNS
    from credential.output.records import records_for
    from credential.output.render import render, to_jsonl

    result = run(POLICY, DATA, [dt.date(2016, 4, 1), dt.date(2024, 6, 30)], pairs=True)
    # the record path (one walk per decision, ProofBuilder.missing) gives the frame's decisions
    by_record = sort_records([r for ev in result.evaluations for r in records_for(ev)])
    assert [r.to_jsonl() for r in by_record] == [r.to_jsonl() for r in result.records]
    assert any(r.missing for r in by_record) and any(r.subject.startswith("pair:") for r in by_record)
    # the columnar writer produces exactly what serialising the records one by one does
    assert render(result, "jsonl") == to_jsonl(by_record)
    assert json.loads(render(result, "json")) == [json.loads(r.to_jsonl()) for r in by_record]
    rows = list(csv.reader(io.StringIO(render(result, "csv"))))
    assert rows[0] == CSV_COLUMNS and len(rows) == len(by_record) + 1
    assert [(r[0], r[2], r[3], r[5]) for r in rows[1:]] == [
        (r.provider, r.subject, r.outcome.value, ";".join(r.missing)) for r in by_record
    ]
    explained = run(POLICY, DATA, [dt.date(2016, 4, 1), dt.date(2024, 6, 30)], pairs=True, explain=True)
    with_proofs = sort_records([r for ev in explained.evaluations for r in records_for(ev, explain=True)])
    # proofs written block by block (blocks smaller than one provider's decisions) are the records' proofs
    from credential.evaluation.evaluate import policy_ref
    from credential.output.batch import jsonl_chunks

    pref = policy_ref(explained.inputs.policy).model_dump()
    digests = dict(sorted(explained.inputs.bundle.digests.items()))
    chunks = list(jsonl_chunks(explained.frame, pref, digests, explained.backend, explained.proof_texts, block_rows=7))
    assert len(chunks) > 10
    written = b"".join(chunks).decode()
    assert written == to_jsonl(with_proofs) == to_jsonl(explained.records)
    # proofs are assembled from pieces encoded apart (ProofBuilder.proof_json): each line is still
    # exactly what encoding the whole record at once writes
    lines = written.splitlines()
    assert all(json.dumps(json.loads(x), ensure_ascii=False, separators=(", ", ": ")) == x for x in lines)
    assert sum('"evidence": [{' in x for x in lines) > 100 and sum('"to_qualify": [{' in x for x in lines) > 50
    # the file's content-addressed proofs (nodes before the records that use them), in blocks of any
    # size, are the same proofs once rebuilt
    from credential.proofs.store import expand_lines

    again = run(POLICY, DATA, [dt.date(2016, 4, 1), dt.date(2024, 6, 30)], pairs=True, explain=True)
    small = b"".join(jsonl_chunks(again.frame, pref, digests, again.backend, again.proof_block, block_rows=7)).decode()
    compact = render(explained, "jsonl")
    assert len(compact) < len(written)  # (much smaller at scale: docs/performance.md)
    assert expand_lines(small.splitlines()) == expand_lines(compact.splitlines()) == [json.loads(x) for x in lines]
    assert render(explained, "table") == render(result, "table")
    assert render(explained, "csv") == render(result, "csv")


def test_csv_fields_are_quoted_as_rfc_4180_says() -> None:
    import csv
    import io

    from credential.escaping import csv_field, csv_unneutralise

    # the csv module reads back exactly what was written (a lone CR included: it was not quoted before)
    for value in [
        "",
        "plain",
        "a,b",
        'say "hi"',
        "two\nlines",
        "cr\r",
        "\rlead",
        " lead",
        "semi;colon",
        "é",
        "=1+2",
        "'q",
    ]:
        line = csv_field(value) + ",x\r\n"
        (row,) = list(csv.reader(io.StringIO(line, newline="")))
        assert [csv_unneutralise(row[0]), row[1]] == [value, "x"], value
    assert csv_field("cr\r") == '"cr\r"'
    assert csv_field("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_field("=HYPERLINK(1)", raw=True) == "=HYPERLINK(1)"


def test_streamed_writes_are_whole_or_nothing(tmp_path: Path) -> None:
    import io

    import pytest

    from credential.cli.common import write_atomic
    from credential.cli.sink import _write_chunks

    target = tmp_path / "out.jsonl"
    write_atomic(target, (f"{i}\n".encode() if i % 2 else f"{i}\n" for i in range(10_000)))
    assert target.read_text() == "".join(f"{i}\n" for i in range(10_000))

    def failing() -> Iterator[bytes]:
        yield b"partial\n"
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        write_atomic(tmp_path / "never.jsonl", failing())
    assert not (tmp_path / "never.jsonl").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left behind

    class Full(io.BytesIO):
        def write(self, b: object) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        _write_chunks(Full(), (b"x" for _ in range(100)))
