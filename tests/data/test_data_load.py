"""Loading bundles: CSV, Parquet and JSON give the same raw tables, with source row numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credential.data.load import load_bundle
from credential.data.synthetic import generate_bundle, write_bundle
from credential.diagnostics import DiagnosticError


def write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def cells(frame: pd.DataFrame) -> dict[int, list[str | None]]:
    return {
        int(i): [None if pd.isna(v) else str(v) for v in row]
        for i, row in zip(frame.index, frame.to_numpy(), strict=True)
    }


def test_three_forms_load_to_equal_tables(tmp_path: Path) -> None:
    tables = generate_bundle(60, seed=3)
    raws = {fmt: load_bundle(write_bundle(tables, tmp_path / fmt, fmt)) for fmt in ("csv", "parquet", "json")}
    for name in ("providers", "observations", "statuses", "arrangements", "coverage"):
        base = raws["csv"].tables[name].frame
        assert len(base) == len(tables[name])
        for fmt in ("parquet", "json"):
            pd.testing.assert_frame_equal(base, raws[fmt].tables[name].frame)
    assert raws["csv"].tables["providers"].file == "providers.csv"
    assert raws["parquet"].tables["providers"].file == "providers.parquet"
    assert raws["json"].tables["providers"].file == "bundle.json#providers"
    assert set(raws["json"].digests) == {"bundle.json"}
    assert set(raws["csv"].digests) == {
        "providers.csv",
        "observations.csv",
        "statuses.csv",
        "arrangements.csv",
        "coverage.csv",
    }


def test_csv_rows_bom_quotes_newlines_and_empty_cells(tmp_path: Path) -> None:
    text = '\ufeffcode,name,region\nRM3,"Salford, Royal",North West\nRW6,"Two\nlines\nhere",\n\nR0A,,London\n'
    write(tmp_path, "providers.csv", text)
    t = load_bundle(tmp_path).tables["providers"]
    assert t.columns == ("code", "name", "region")
    assert cells(t.frame) == {
        2: ["RM3", "Salford, Royal", "North West"],
        3: ["RW6", "Two\nlines\nhere", None],
        7: ["R0A", None, "London"],
    }
    assert t.frame.index.name == "row"


def test_fast_and_slow_csv_paths_agree(tmp_path: Path) -> None:
    simple = "code,name\nRM3,a\nRW6,b\n"
    write(tmp_path / "a", "providers.csv", simple)
    # a quoted newline forces the csv-module path; the same rows otherwise
    write(tmp_path / "b", "providers.csv", 'code,name\nRM3,a\nRW6,b\nR0A,"x\ny"\n')
    fa = load_bundle(tmp_path / "a").tables["providers"].frame
    fb = load_bundle(tmp_path / "b").tables["providers"].frame
    pd.testing.assert_frame_equal(fa, fb.loc[[2, 3]])
    assert list(fb.index) == [2, 3, 4]


def test_crlf_and_bare_cr(tmp_path: Path) -> None:
    write(tmp_path / "a", "providers.csv", "code,name\r\nRM3,a\r\nRW6,b\r\n")
    assert cells(load_bundle(tmp_path / "a").tables["providers"].frame) == {2: ["RM3", "a"], 3: ["RW6", "b"]}
    write(tmp_path / "b", "providers.csv", "code,name\rRM3,a\rRW6,b\r")
    assert cells(load_bundle(tmp_path / "b").tables["providers"].frame) == {2: ["RM3", "a"], 3: ["RW6", "b"]}


def test_ragged_rows_are_kept_and_recorded(tmp_path: Path) -> None:
    write(tmp_path, "providers.csv", "code,name,region\nRM3,a\nRW6,b,c,d\nR0A,x,y\n")
    t = load_bundle(tmp_path).tables["providers"]
    assert t.ragged == {2: 2, 3: 4}
    assert cells(t.frame) == {2: ["RM3", "a", None], 3: ["RW6", "b", "c"], 4: ["R0A", "x", "y"]}


def test_duplicate_header_names(tmp_path: Path) -> None:
    write(tmp_path, "providers.csv", "code,name,code\nRM3,a,b\n")
    t = load_bundle(tmp_path).tables["providers"]
    assert t.duplicate_columns == ("code",)
    assert cells(t.frame) == {2: ["RM3", "a"]}


def test_non_utf8_is_a_coded_diagnostic(tmp_path: Path) -> None:
    write(tmp_path, "providers.csv", b"code,name\nRM3,Salford\n" + b"RW6,Pennine \xe9\n")
    with pytest.raises(DiagnosticError) as exc:
        load_bundle(tmp_path)
    (d,) = exc.value.diagnostics
    assert d.code == "data.encoding"
    assert (d.file, d.row) == ("providers.csv", 3)
    assert d.help and "UTF-8" in d.help


_BIG_BODY = b"".join(b"R%04d,Trust %d\n" % (i % 10000, i) for i in range(40000))  # about 600 KB


@pytest.mark.parametrize(
    "data",
    [
        b"code,na\xe9me\nRM3,Salford\n",  # in the header
        b'code,name\nRM3,"Sal\xe9ford, Greater"\nRW6,x\n',  # in a quoted value
        b"code,name\nRM3,Salford \xed\xa0\x80\n",  # an encoded surrogate
        b"code,name\nRM3,Salford \xc0\xaf\n",  # an overlong form
        b"\xef\xbb\xbfcode,name\nRM3,\xe9\n",  # after a byte-order mark
        b"code,name\nRM3,Salford,extra \xe9\n",  # on a ragged row (the csv-module path)
        b"code,name\n" + _BIG_BODY + b"RM3,far \xe9\n" + _BIG_BODY,  # far beyond the start
        b"code,name," + b"x" * (300 * 1024) + b"\xe9\nRM3,a,b\n",  # in a header longer than the start read
    ],
    ids=["header", "quoted", "surrogate", "overlong", "bom", "ragged", "far", "long-header"],
)
def test_non_utf8_anywhere_is_reported_at_its_first_bad_byte(tmp_path: Path, data: bytes) -> None:
    write(tmp_path, "providers.csv", data)
    with pytest.raises(DiagnosticError) as exc:
        load_bundle(tmp_path)
    (d,) = exc.value.diagnostics
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        offset = e.start
    assert d.code == "data.encoding"
    assert (d.file, d.row) == ("providers.csv", data.count(b"\n", 0, offset) + 1)
    assert f"at offset {offset} cannot be decoded" in d.message


def test_utf8_across_the_start_read_loads(tmp_path: Path) -> None:
    # a multi-byte character straddling the end of the part read as text for the header
    head = b"code,name\n" + b"RM3,x\n" * 40000
    pad = 4 * 65536 - len(head) - 5
    data = head + b"RW6," + b"y" * pad + "\u20ac".encode() + b"\nR0A,\xc3\xa9\n"
    assert data[4 * 65536 - 1 : 4 * 65536 + 1] == "\u20ac".encode()[:2]
    t = load_bundle(write(tmp_path, "providers.csv", data).parent).tables["providers"]
    assert t.frame["name"].iloc[-2] == "y" * pad + "\u20ac"
    assert t.frame["name"].iloc[-1] == "\u00e9"
    assert len(t.frame) == 40000 + 2


def test_missing_path_and_ambiguous_files(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as exc:
        load_bundle(tmp_path / "nope")
    assert exc.value.diagnostics[0].code == "data.missing-file"
    write(tmp_path, "providers.csv", "code,name\n")
    pq.write_table(pa.table({"code": ["RM3"], "name": ["a"]}), tmp_path / "providers.parquet")
    with pytest.raises(DiagnosticError) as exc:
        load_bundle(tmp_path)
    assert exc.value.diagnostics[0].code == "data.ambiguous-file"


def test_missing_optional_tables_are_absent(tmp_path: Path) -> None:
    write(tmp_path, "providers.csv", "code,name\nRM3,a\n")
    raw = load_bundle(tmp_path)
    assert set(raw.tables) == {"providers"}
    assert raw.file_name("observations") == "observations.csv"


def test_json_rows_numbers_and_errors(tmp_path: Path) -> None:
    doc = {
        "providers": [
            {"code": "RM3", "name": "a", "n": 0.920, "ft": True},
            {"code": "RW6", "name": None, "x": 1},
        ],
        "observations": [],
    }
    path = write(tmp_path, "b.json", json.dumps(doc).replace("0.92", "0.920"))
    raw = load_bundle(path)
    t = raw.tables["providers"]
    assert t.file == "b.json#providers"
    assert cells(t.frame) == {2: ["RM3", "a", "0.920", "true", None], 3: ["RW6", None, None, None, "1"]}
    assert raw.tables["observations"].frame.empty
    bad = write(tmp_path, "bad.json", '{"providers": [\n{"code": "RM3",}\n]}')
    with pytest.raises(DiagnosticError) as exc:
        load_bundle(bad)
    assert exc.value.diagnostics[0].code == "data.bad-json"
    assert exc.value.diagnostics[0].row == 2
    notobj = write(tmp_path, "n.json", '{"providers": [1, {"code": "RM3"}]}')
    with pytest.raises(DiagnosticError) as exc:
        load_bundle(notobj)
    assert (exc.value.diagnostics[0].code, exc.value.diagnostics[0].row) == ("data.bad-json", 2)


def test_typed_parquet_becomes_text(tmp_path: Path) -> None:
    import datetime as dt

    pq.write_table(
        pa.table(
            {
                "code": ["RM3", "RW6"],
                "measure": ["ae_4h", "ae_4h"],
                "period_end": pa.array([dt.date(2016, 1, 31), None], type=pa.date32()),
                "value": [0.92, 1e-05],
                "flag": [True, False],
                "n": pa.array([3, None], type=pa.int64()),
            }
        ),
        write(tmp_path, "providers.csv", "code,name\nRM3,a\nRW6,b\n").parent / "observations.parquet",
    )
    t = load_bundle(tmp_path).tables["observations"]
    assert cells(t.frame) == {
        2: ["RM3", "ae_4h", "2016-01-31", "0.92", "true", "3"],
        3: ["RW6", "ae_4h", None, "1e-05", "false", None],
    }


@pytest.mark.parametrize("type_", [pa.float64(), pa.float32(), pa.float16()])
def test_parquet_floats_are_written_as_python_repr(type_: pa.DataType) -> None:
    from credential.data.load import _arrow_to_strings

    special = [0.0, -0.0, float("nan"), float("inf"), -float("inf"), 5e-324, 1e300, 0.1, 1e-05, 1e16, 2.5]
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.choice(np.array(special), 500), np.round(rng.normal(0, 1, 500), 3)])
    mask = rng.random(len(values)) < 0.1
    col = pa.chunked_array([pa.array(values[:400], mask=mask[:400]), pa.array(values[400:], mask=mask[400:])]).cast(
        type_, safe=False
    )
    expected = [None if v is None else repr(float(v)) for v in col.to_pylist()]
    assert _arrow_to_strings(col).to_pylist() == expected
    assert _arrow_to_strings(pa.chunked_array([], type=type_)).to_pylist() == []
    assert _arrow_to_strings(pa.chunked_array([pa.array([None, None], type=type_)])).to_pylist() == [None, None]


def test_digests_are_sha256_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    content = b"code,name\nRM3,a\n"
    write(tmp_path, "providers.csv", content)
    raw = load_bundle(tmp_path)
    assert raw.digests == {"providers.csv": hashlib.sha256(content).hexdigest()}
