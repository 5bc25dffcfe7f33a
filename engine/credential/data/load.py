"""Loading a data bundle: CSV folder, Parquet folder or one JSON file, into raw string tables.

Every cell stays the raw string it was in the file (an empty cell is missing, ``NA``), so
validation can report exactly what was written.  Each table's index is the *source row
number* of its rows, the number a diagnostic prints after ``FILE:``:

* CSV: the line on which the record starts (header = line 1), counting the extra lines of
  quoted fields that contain newlines;
* JSON: the 1-based position of the row object in its list, plus 1 (same convention);
* Parquet: the row's 0-based index plus 2.

CSV files are read by pyarrow when every record sits on one physical line (the common case,
fast), and otherwise by the standard :mod:`csv` module, which knows the line each record
starts on.  Both give the same table.  The SHA-256 of every file read is kept.
"""

from __future__ import annotations

import codecs
import csv
import errno
import hashlib
import io
import json
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from credential.diagnostics import Diagnostic, DiagnosticError, Severity
from credential.escaping import clip

TABLES: tuple[str, ...] = ("providers", "observations", "statuses", "arrangements", "coverage")
"""The tables of a bundle, in the order they are read and reported (``coverage``: the periods
each status list covers, optional; see docs/data-bundle.md)."""

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "providers": ("code", "name"),
    "observations": ("code", "measure", "period_end", "value"),
    "statuses": ("code", "status", "start", "end"),
    "arrangements": ("lead", "recipient", "form", "start", "end"),
    "coverage": ("status", "start", "end"),
}
"""Columns every table must have (providers also needs one column per declared attribute)."""

OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "observations": ("numerator", "denominator", "inherited", "source_code"),
    "arrangements": ("parties",),
}
"""Columns a table may have (absent: not given; see docs/data-bundle.md)."""

BundleFormat = Literal["csv", "parquet", "json"]

_BOM = b"\xef\xbb\xbf"
_STR = "str"


@dataclass
class RawTable:
    """One table as read: every cell a string or missing, indexed by source row number."""

    name: str
    """Table name: ``providers``, ``observations``, ``statuses`` or ``arrangements``."""
    file: str
    """The name diagnostics and evidence use: ``providers.csv``, ``providers.parquet``,
    or ``bundle.json#providers`` for a table inside a JSON bundle."""
    frame: pd.DataFrame
    """Columns in header order (first occurrence of a repeated name), dtype ``str``, NA for
    empty cells; the index (named ``row``) holds source row numbers."""
    duplicate_columns: tuple[str, ...] = ()
    """Header names that occur more than once (only the first is kept)."""
    ragged: dict[int, int] = field(default_factory=dict)
    """Rows whose number of fields differs from the header's: row -> fields found.  Short
    rows are padded with missing cells, long rows cut to the header's width."""
    header_known: bool = True
    """False for an empty JSON list, which cannot say which columns it has: validation then
    takes the expected columns as present (and empty)."""

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.frame.columns)

    def row_values(self, row: int) -> dict[str, str]:
        """The raw cells of one source row ("" for an empty cell)."""
        rec = self.frame.loc[row]
        return {str(k): ("" if pd.isna(v) else str(v)) for k, v in rec.items()}


@dataclass
class RawBundle:
    """A bundle as read from disk, before validation."""

    path: Path
    format: BundleFormat
    tables: dict[str, RawTable]
    """Tables present in the bundle, by table name (absent optional files are simply missing)."""
    digests: dict[str, str]
    """SHA-256 (hex) of every file read, by file name."""
    expected_files: dict[str, str] = field(default_factory=dict)
    """For each table, the file name it is (or would be) read from."""

    def table(self, name: str) -> RawTable | None:
        return self.tables.get(name)

    def file_name(self, table: str) -> str:
        if table in self.tables:
            return self.tables[table].file
        return self.expected_files.get(table, f"{table}.csv")


# --------------------------------------------------------------------------- helpers


def _data_error(code: str, message: str, file: str, row: int | None = None, help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, help=help, file=file, row=row)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, file: str) -> str:
    """Strict UTF-8 (a leading BOM is dropped); undecodable bytes are a coded diagnostic."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 4]
        raise DiagnosticError(
            [
                _data_error(
                    "data.encoding",
                    f"the file is not valid UTF-8: byte {bad[:1]!r} at offset {exc.start} cannot be decoded",
                    file,
                    line,
                    help="save the file as UTF-8 (for example, in Excel choose 'CSV UTF-8')",
                )
            ]
        ) from None


_HEAD_CHARS = 1 << 16
"""How much of a CSV file's start is read as text to find its header."""


def _decode_head(data: bytes, file: str) -> str:
    """The first ``_HEAD_CHARS`` characters of the decoded file (as ``_decode(data)[:_HEAD_CHARS]``),
    decoding only as many bytes as that can take; the fast CSV path leaves the rest to pyarrow,
    which checks that every value is UTF-8 (anything it rejects goes back to ``_decode``)."""
    prefix = data[: 4 * _HEAD_CHARS]  # at most 4 bytes a character
    whole = len(prefix) == len(data)
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(prefix, final=whole)
    except UnicodeDecodeError:
        _decode(data, file)  # raises the diagnostic for the first bad byte
        raise  # pragma: no cover - _decode raised
    if b"\n" not in prefix and not whole:  # a header line longer than the prefix: check it all
        _decode(data, file)
    return text[:_HEAD_CHARS]


def _blank_to_na(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty strings become missing; every column gets dtype ``str``."""
    out = {}
    for col in frame.columns:
        s = frame[col].astype(_STR)
        out[col] = s.mask(s == "")
    result = pd.DataFrame(out, index=frame.index, columns=list(frame.columns))
    if not len(frame.columns):
        result = pd.DataFrame(index=frame.index)
    return result


def _frame(header: list[str], columns: list[list[str]] | None, rows: Iterable[int]) -> pd.DataFrame:
    index = pd.Index(list(rows), dtype="int64", name="row")
    data: dict[str, Any] = {}
    for i, h in enumerate(header):
        data[h] = pd.array(columns[i] if columns is not None else [], dtype=_STR)
    frame = pd.DataFrame(data, index=index, columns=header)
    return _blank_to_na(frame)


def _unique_header(header: list[str]) -> tuple[list[str], list[int], tuple[str, ...]]:
    """Keep the first occurrence of each name: (names, their positions, repeated names)."""
    seen: dict[str, int] = {}
    dups: list[str] = []
    for i, h in enumerate(header):
        if h in seen:
            if h not in dups:
                dups.append(h)
            continue
        seen[h] = i
    return list(seen), list(seen.values()), tuple(dups)


# --------------------------------------------------------------------------- CSV


def _physical_lines(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _read_csv_fast(data: bytes, header: list[str]) -> pd.DataFrame | None:
    """pyarrow parse; None when it cannot tell source lines (records spanning lines, ragged rows)."""
    buf = pa.py_buffer(data)
    if data.startswith(_BOM):
        buf = buf[len(_BOM) :]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(buf),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=True),
            # Without a quote character no value can hold a line break, and pyarrow can split
            # the text into blocks at any line end (much faster).
            parse_options=pacsv.ParseOptions(newlines_in_values=b'"' in data, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.large_string() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.num_rows + 1 != _physical_lines(data):
        return None
    # A blank line (or one of only commas) is not a record.
    keep = None
    for col in table.columns:
        valid = pc.is_valid(col)
        keep = valid if keep is None else pc.or_(keep, valid)
    index = pd.RangeIndex(2, table.num_rows + 2, name="row").astype("int64")
    if keep is not None and not pc.all(keep).as_py():
        mask = np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)
        table = table.filter(keep)
        index = index[mask]
    frame = table.combine_chunks().to_pandas(self_destruct=True)
    frame.index = index
    return frame.astype(_STR) if len(frame.columns) else frame


def _read_csv_bytes(data: bytes, file: str, name: str) -> RawTable:
    # The header alone first (from the start of the text): if it is one simple line, pyarrow
    # can read the body straight from the bytes (and checks that it is UTF-8 as it goes).
    head = csv.reader(io.StringIO(_decode_head(data, file), newline=""))
    try:
        first = next(head, None)
    except csv.Error:
        first = None
    if first is not None and head.line_num == 1:
        header, _positions, dups = _unique_header([h.strip() for h in first])
        # A lone carriage return is a line break to the csv module but not to pyarrow: such
        # files take the csv path so row numbers agree.
        bare_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
        if not dups and not bare_cr:
            fast = _read_csv_fast(data, header)
            if fast is not None:
                return RawTable(name, file, fast)
    return _read_csv_text(_decode(data, file), file, name)


def _csv_error(exc: csv.Error, text: str, file: str, line: int) -> Diagnostic:
    """A csv-module error as a diagnostic that says what is wrong in the file (not the module's limit)."""
    if "field larger than field limit" in str(exc):
        starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
        rest = text[starts[line - 1] :] if line - 1 < len(starts) else ""
        if rest.count('"') % 2:
            return _data_error(
                "data.bad-csv",
                'a quote (") opens a cell on this line that is never closed: the rest of the file would be one cell',
                file,
                line,
                help='close the quote, or double it ("") if it is part of the value',
            )
        return _data_error(
            "data.bad-csv",
            f"a cell on this line is longer than {csv.field_size_limit():,} characters, too long to be a value",
            file,
            line,
            help="check that the file is the table it should be",
        )
    return _data_error("data.bad-csv", f"the file cannot be read as CSV: {exc}", file, line)


def _read_csv_text(text: str, file: str, name: str) -> RawTable:
    """The csv-module reader: knows the line each record starts on, whatever the quoting."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_row = next(reader, None)
    except csv.Error as exc:
        raise DiagnosticError([_csv_error(exc, text, file, 1)]) from None
    if header_row is None:
        return RawTable(name, file, _frame([], None, []))
    header_all = [h.strip() for h in header_row]
    header, positions, dups = _unique_header(header_all)
    width = len(header_all)
    cols: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    ragged: dict[int, int] = {}
    prev = reader.line_num
    try:
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not rec or all(f == "" for f in rec):
                continue
            if len(rec) != width:
                ragged[start] = len(rec)
                rec = (rec + [""] * width)[:width]
            for j, p in enumerate(positions):
                cols[j].append(rec[p])
            lines.append(start)
    except csv.Error as exc:
        raise DiagnosticError([_csv_error(exc, text, file, prev + 1)]) from None
    return RawTable(name, file, _frame(header, cols, lines), dups, ragged)


def read_csv_table(path: Path, name: str) -> tuple[RawTable, str]:
    """One CSV file as a raw table, and its SHA-256."""
    data = read_table_bytes(path)
    return _read_csv_bytes(data, path.name, name), sha256_hex(data)


# --------------------------------------------------------------------------- Parquet


def _arrow_to_strings(col: pa.ChunkedArray) -> pa.ChunkedArray:
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return col.cast(pa.string())
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    if pa.types.is_timestamp(t):
        as_date = col.cast(pa.date32(), safe=False)
        back = as_date.cast(t)
        if pc.all(pc.or_(pc.equal(back, col), pc.is_null(col))).as_py() in (True, None):
            return as_date.cast(pa.string())
        return col.cast(pa.string())
    if pa.types.is_dictionary(t):
        return _arrow_to_strings(col.cast(t.value_type))
    if pa.types.is_floating(t):
        return _float_texts(col)
    try:
        return col.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = [None if v is None else json.dumps(v, default=str) for v in col.to_pylist()]
        return pa.chunked_array([pa.array(values, type=pa.string())])


def _float_texts(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Floats as the shortest round-trip text Python's ``repr`` writes, each distinct value
    (by its bits, so ``-0.0`` stays apart from ``0.0``) written once; nulls stay null."""
    whole = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    valid = np.asarray(whole.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(whole.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    encoded = pc.dictionary_encode(pa.array(values.view(np.int64), mask=~valid))
    distinct = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=np.int64).view(np.float64)
    texts = pa.array([repr(float(v)) for v in distinct], type=pa.string())
    return pa.chunked_array([pa.DictionaryArray.from_arrays(encoded.indices, texts).cast(pa.string())])


def read_parquet_table(path: Path, name: str) -> tuple[RawTable, str]:
    import pyarrow.parquet as pq  # only Parquet bundles need it (10 ms to import)

    data = read_table_bytes(path)
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise DiagnosticError(
            [_data_error("data.unreadable", f"the file cannot be read as Parquet: {exc}", path.name)]
        ) from None
    header_all = [str(n).strip() for n in table.column_names]
    header, positions, dups = _unique_header(header_all)
    arrays = {h: _arrow_to_strings(table.column(p)) for h, p in zip(header, positions, strict=True)}
    frame = pa.table(arrays).to_pandas() if arrays else pd.DataFrame(index=range(table.num_rows))
    frame.index = pd.RangeIndex(2, table.num_rows + 2, name="row").astype("int64")
    frame = _blank_to_na(frame)
    return RawTable(name, path.name, frame, dups), sha256_hex(data)


# --------------------------------------------------------------------------- JSON


def _json_cell(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def read_json_bundle(path: Path) -> tuple[dict[str, RawTable], str]:
    data = read_table_bytes(path)
    text = _decode(data, path.name)
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):  # json.loads would keep the last silently
            seen: set[str] = set()
            for k, _ in items:
                if k in seen:
                    duplicates.append(k)
                seen.add(k)
        return obj

    try:
        # Numbers keep their source text, as CSV cells do.
        doc = json.loads(text, parse_float=str, parse_int=str, parse_constant=str, object_pairs_hook=pairs)
    except RecursionError:
        raise DiagnosticError(
            [
                _data_error(
                    "data.bad-json",
                    "the JSON nests too deeply to be a bundle (lists or objects inside each other thousands deep)",
                    path.name,
                    help="a bundle is an object of lists of flat row objects",
                )
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise DiagnosticError(
            [
                _data_error(
                    "data.bad-json",
                    f"the file is not valid JSON: {exc.msg} (column {exc.colno})",
                    path.name,
                    exc.lineno,
                )
            ]
        ) from None
    if duplicates:
        shown = ", ".join(f"'{clip(k, 40)}'" for k in dict.fromkeys(duplicates))
        raise DiagnosticError(
            [
                _data_error(
                    "data.bad-json",
                    f"a key appears twice in one object ({shown}): which value is meant is ambiguous",
                    path.name,
                    help="give each key once per object",
                )
            ]
        )
    if not isinstance(doc, dict):
        raise DiagnosticError(
            [
                _data_error(
                    "data.bad-json",
                    "a JSON bundle is an object keyed by providers, observations, statuses, arrangements, coverage",
                    path.name,
                )
            ]
        )
    errors: list[Diagnostic] = []
    tables: dict[str, RawTable] = {}
    for name in TABLES:
        if name not in doc:
            continue
        file = f"{path.name}#{name}"
        rows = doc[name]
        if not isinstance(rows, list):
            errors.append(_data_error("data.bad-json", f"'{name}' must be a list of row objects", file))
            continue
        header: list[str] = []
        seen: set[str] = set()
        for i, r in enumerate(rows):
            if not isinstance(r, dict):
                errors.append(_data_error("data.bad-json", "each row must be a JSON object", file, i + 2))
                continue
            for k in r:
                if k not in seen:
                    seen.add(k)
                    header.append(k)
        cols: list[list[str | None]] = [[] for _ in header]
        lines: list[int] = []
        for i, r in enumerate(rows):
            if not isinstance(r, dict):
                continue
            for j, h in enumerate(header):
                cols[j].append(_json_cell(r.get(h)))
            lines.append(i + 2)
        if not rows:
            tables[name] = RawTable(name, file, _frame(list(REQUIRED_COLUMNS[name]), None, []), header_known=False)
            continue
        stripped = [h.strip() for h in header]
        uniq, positions, dups = _unique_header(stripped)
        frame = _frame(uniq, [[("" if c is None else c) for c in cols[p]] for p in positions], lines)
        tables[name] = RawTable(name, file, frame, dups)
    if errors:
        raise DiagnosticError(errors)
    return tables, sha256_hex(data)


# --------------------------------------------------------------------------- file access

_FOLLOW_SYMLINKS: ContextVar[bool] = ContextVar("credential_follow_symlinks", default=False)


@contextmanager
def follow_symlinks(enabled: bool = True) -> Iterator[None]:
    """Within the block, a bundle's tables may be symbolic links to files outside its folder."""
    token = _FOLLOW_SYMLINKS.set(enabled)
    try:
        yield
    finally:
        _FOLLOW_SYMLINKS.reset(token)


def _unreadable(file: str, why: str, help: str | None = None) -> DiagnosticError:
    return DiagnosticError([_data_error("data.unreadable", f"the table cannot be read: {why}", file, help=help)])


def _checked_table_file(path: Path, folder: Path, follow: bool) -> None:
    """Raise ``data.unreadable`` unless ``path`` is a regular file inside ``folder`` (see load_bundle)."""
    name = path.name
    if path.is_symlink() and not follow:
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            raise _unreadable(name, "it is a symbolic link to nothing (dangling)") from None
        except (OSError, RuntimeError):
            raise _unreadable(name, "it is a symbolic link loop") from None
        if not target.is_relative_to(folder):
            raise _unreadable(
                name,
                "it is a symbolic link to a file outside the bundle folder",
                help="copy the file into the bundle, or pass --follow-symlinks",
            )
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _unreadable(name, "it is a symbolic link to nothing (dangling)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _unreadable(name, "it is a symbolic link loop") from None
        raise _unreadable(name, exc.strerror or str(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise _unreadable(name, f"it is {kind}")


def read_table_bytes(path: Path) -> bytes:
    """A table file's bytes; an OSError (permission denied, I/O error) is ``data.unreadable``."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable(path.name, exc.strerror or str(exc)) from None


# --------------------------------------------------------------------------- entry point


def load_bundle(path: Path) -> RawBundle:
    """Read a bundle: a folder of CSV or Parquet files, or one ``.json`` file.

    Raises :class:`DiagnosticError` (``data.*`` codes) when the input cannot be read at all:
    a path that does not exist, bytes that are not UTF-8, malformed JSON or Parquet, a table
    given both as CSV and Parquet.  A missing ``providers`` file is left to validation.

    A table file that exists must be a regular file inside the folder: a directory, a FIFO, a
    device, a dangling link, a link loop, a file that cannot be read, or a symbolic link to a
    file outside the folder (unless within a :func:`follow_symlinks` block, ``--follow-symlinks``)
    is ``data.unreadable``: never read as an empty table.
    """
    path = Path(path)
    if not path.exists():
        raise DiagnosticError(
            [
                _data_error(
                    "data.missing-file",
                    f"no data bundle at '{path}'",
                    str(path),
                    help="give a folder of CSV or Parquet files, or a .json file",
                )
            ]
        )
    if path.is_file():
        if path.suffix.lower() != ".json":
            raise DiagnosticError(
                [
                    _data_error(
                        "data.missing-file",
                        "a bundle is a folder of CSV or Parquet files, or one .json file",
                        path.name,
                        help=f"pass the folder that holds '{path.name}'",
                    )
                ]
            )
        tables, digest = read_json_bundle(path)
        expected = {n: f"{path.name}#{n}" for n in TABLES}
        return RawBundle(path, "json", tables, {path.name: digest}, expected)

    tables = {}
    digests: dict[str, str] = {}
    expected = {}
    errors: list[Diagnostic] = []
    formats: set[str] = set()
    folder = path.resolve()
    follow = _FOLLOW_SYMLINKS.get()
    for name in TABLES:
        csv_path = path / f"{name}.csv"
        pq_path = path / f"{name}.parquet"
        present = [p for p in (csv_path, pq_path) if os.path.lexists(p)]
        bad = False
        for p in present:
            try:
                _checked_table_file(p, folder, follow)
            except DiagnosticError as exc:
                errors.extend(exc.diagnostics)
                bad = True
        if bad:
            expected[name] = present[0].name
            continue
        if csv_path.is_file() and pq_path.is_file():
            errors.append(
                _data_error(
                    "data.ambiguous-file",
                    f"both {csv_path.name} and {pq_path.name} exist",
                    csv_path.name,
                    help="keep one of them",
                )
            )
            continue
        if pq_path.is_file():
            expected[name] = pq_path.name
            try:
                table, digest = read_parquet_table(pq_path, name)
            except DiagnosticError as exc:
                errors.extend(exc.diagnostics)
                continue
            formats.add("parquet")
        elif csv_path.is_file():
            expected[name] = csv_path.name
            try:
                table, digest = read_csv_table(csv_path, name)
            except DiagnosticError as exc:
                errors.extend(exc.diagnostics)
                continue
            formats.add("csv")
        else:
            expected[name] = csv_path.name
            continue
        tables[name] = table
        digests[table.file] = digest
    if errors:
        raise DiagnosticError(errors)
    fmt: BundleFormat = "parquet" if formats == {"parquet"} else "csv"
    if fmt == "parquet":
        expected = {n: f"{n}.parquet" if n not in tables else tables[n].file for n in TABLES}
    return RawBundle(path, fmt, tables, digests, expected)
