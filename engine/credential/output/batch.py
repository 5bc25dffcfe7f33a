"""Decisions in columns: outcomes for every provider and subject as one DataFrame, written in blocks.

The record path (:func:`credential.output.records.records_for`) makes one pydantic model per decision,
which is what an API user wants but costs too much for 100,000 providers × 20 subjects.  Here:

- **outcomes** come from the model's columns (``Model.columns``): one membership test per
  subject over integer positions, laid out provider by provider in the records' order, so no
  sort is needed for one as-of date;
- **missing values** of undetermined decisions come from :class:`ColumnarMissing` (one walk
  of the policy over boolean arrays, not one per decision);
- **JSON lines and CSV** are assembled from UTF-8 pieces encoded once per provider, per
  subject/outcome/date and per missing list, joined in C (``bytes.join``) block by block, so a
  writer streams them and memory does not grow with the output.  The bytes are identical to
  serialising the records one by one (tested);
- **proofs** (``--explain``) are built block by block as the lines are written, and the proof
  builder forgets each block's parts before the next.

The frame's ``provider``, ``subject``, ``outcome`` and ``as_of`` columns are categoricals whose
categories are in sort order; ``missing`` holds a list per undetermined decision and ``()``
elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credential.escaping import csv_field as _csv_field
from credential.jsontext import dumps, jstr
from credential.version import __version__

if TYPE_CHECKING:
    from credential.evaluation.evaluate import Evaluation

COLUMNS = ["provider", "provider_name", "subject", "outcome", "as_of", "missing"]
OUTCOMES = ["granted", "refused", "undetermined"]
CSV_COLUMNS = [  # the CSV format's header (before `policy_expires` past an allowed expiry)
    "provider",
    "provider_name",
    "subject",
    "outcome",
    "as_of",
    "missing",
    "policy_name",
    "policy_version",
    "policy_sha256",
    "engine",
    "backend",
]

_GRANTED, _REFUSED, _UNDETERMINED = 0, 1, 2
BLOCK_ROWS = 20_000  # decisions per written block (plain); measured: smaller blocks stay in cache
EXPLAIN_BLOCK_ROWS = 2_000  # decisions per written block with proofs


def _empty_missing(n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(())
    return out


def decision_frame(ev: Evaluation) -> pd.DataFrame:
    """Every per-provider decision (and, with pairs, every granted/undetermined pair) of one evaluation."""
    from credential.proofs.missing import ColumnarMissing

    names = ev.inputs.bundle.provider_names()
    codes = ev.codes
    names_arr = np.array([names[c] for c in codes] if len(codes) else [], dtype=object)
    n = len(codes)
    subjects = ev.subjects()
    k = len(subjects)
    outcome = np.full((n, k), _REFUSED, dtype=np.int8)
    missing = _empty_missing(n * k)
    miss = ColumnarMissing(ev)
    miss.prefetch([pred for _, c, p in subjects for pred in (c, p)])
    undetermined_subjects = [s for s, c, p in subjects if (miss.member(p) & ~miss.member(c)).any()]
    miss.prefetch_tree(undetermined_subjects)
    for j, (subject, c, p) in enumerate(subjects):
        certain = miss.member(c)
        possible = miss.member(p)
        undetermined = possible & ~certain
        outcome[certain, j] = _GRANTED
        outcome[undetermined, j] = _UNDETERMINED
        rows = np.flatnonzero(undetermined)
        for i, labels in zip(rows, miss.lists(subject, rows), strict=True):
            missing[i * k + j] = labels
    rows_of = np.repeat(np.arange(n), k)
    frame = pd.DataFrame(
        {
            "provider": pd.Categorical.from_codes(rows_of, categories=codes) if n else _cat([]),
            "provider_name": pd.Series(names_arr[rows_of], dtype=object),  # no inference to str
            "subject": pd.Categorical.from_codes(np.tile(np.arange(k), n), categories=[s for s, _, _ in subjects])
            if n and k
            else _cat([]),
            "outcome": pd.Categorical.from_codes(outcome.reshape(-1), categories=OUTCOMES),
            "as_of": pd.Categorical.from_codes(np.zeros(n * k, dtype=np.int8), categories=[ev.as_of.isoformat()]),
            "missing": missing,
        }
    )
    if ev.pairs:
        frame = _with_pairs(ev, frame, names)
    return frame[COLUMNS]


def _cat(values: Sequence[str], categories: Sequence[str] | None = None) -> pd.Categorical:
    cats = sorted(set(values)) if categories is None else list(categories)
    return pd.Categorical(list(values), categories=cats)


def _with_pairs(ev: Evaluation, frame: pd.DataFrame, names: dict[str, str | None]) -> pd.DataFrame:
    """Add the granted/undetermined pairs, each after its lead's per-provider decisions."""
    from credential.proofs.proof import ProofBuilder

    builder: ProofBuilder | None = None
    rows: list[tuple[str, str, str, Any]] = []
    for form, lead, rec, o in ev.pair_outcomes():
        subject = f"pair:{form}:{lead}:{rec}"
        labels: Any = ()
        if o.value == "undetermined":
            builder = builder or ProofBuilder(ev)
            labels = builder.missing(subject, (lead, rec))
        rows.append((lead, subject, o.value, labels))
    if not rows:
        return frame
    rows.sort(key=lambda r: (r[0], r[1]))
    pair_missing = _empty_missing(len(rows))
    for i, r in enumerate(rows):
        pair_missing[i] = r[3]
    pairs = pd.DataFrame(
        {
            "provider": pd.Categorical([r[0] for r in rows], categories=frame["provider"].cat.categories),
            "provider_name": np.array([names.get(r[0]) for r in rows], dtype=object),
            "subject": [r[1] for r in rows],
            "outcome": pd.Categorical([r[2] for r in rows], categories=OUTCOMES),
            "as_of": pd.Categorical([ev.as_of.isoformat()] * len(rows), categories=frame["as_of"].cat.categories),
            "missing": pair_missing,
        }
    )
    subjects = sorted({*frame["subject"].cat.categories, *pairs["subject"]})
    frame = frame.assign(subject=frame["subject"].cat.set_categories(subjects))
    pairs = pairs.assign(subject=pd.Categorical(pairs["subject"], categories=subjects))
    both = pd.concat([frame, pairs], ignore_index=True)
    # per-provider subjects sort before pair subjects ("credential:" < "form:" < "pair:"), so a
    # stable sort by provider keeps each provider's decisions followed by its pairs, in order
    order = np.argsort(both["provider"].cat.codes.to_numpy(), kind="stable")
    return both.iloc[order].reset_index(drop=True)


def sort_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One frame of several evaluations' decisions, sorted by provider, subject, as-of date."""
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    if len(frames) == 1:
        return frames[0]
    from pandas.api.types import union_categoricals

    columns: dict[str, Any] = {}
    for col in ("provider", "subject", "as_of", "outcome"):
        parts = [f[col] if isinstance(f[col].dtype, pd.CategoricalDtype) else f[col].astype("category") for f in frames]
        joined = union_categoricals(parts, sort_categories=col != "outcome", ignore_order=True)
        columns[col] = joined
    columns["provider_name"] = np.concatenate([f["provider_name"].to_numpy(dtype=object) for f in frames])
    columns["missing"] = np.concatenate([f["missing"].to_numpy(dtype=object) for f in frames])
    out = pd.DataFrame(columns)[COLUMNS]
    order = np.lexsort(
        (
            np.asarray(columns["as_of"].codes),
            np.asarray(columns["subject"].codes),
            np.asarray(columns["provider"].codes),
        )
    )
    return out.iloc[order].reset_index(drop=True)


# ============================================================================ writing


def _codes(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and the values they stand for (categoricals as they are, else factorised)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), list(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes, list(uniques)


class _Pieces:
    """A frame's decisions as per-row string pieces, each encoded once per distinct value."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.n = len(frame)
        self.prov, self.prov_values = _codes(frame["provider"])
        self.subj, self.subj_values = _codes(frame["subject"])
        self.out, self.out_values = _codes(frame["outcome"])
        self.date, self.date_values = _codes(frame["as_of"])
        first = np.full(len(self.prov_values), -1, dtype=np.int64)
        first[self.prov[::-1]] = np.arange(self.n - 1, -1, -1)  # the last write (the first row) wins
        names = frame["provider_name"].to_numpy(dtype=object)
        self.names = [names[i] if i >= 0 else None for i in first]
        self.missing = frame["missing"].to_numpy(dtype=object)
        self.undetermined = self.out_values.index("undetermined") if "undetermined" in self.out_values else -1
        nd, no = len(self.date_values), len(self.out_values)
        self.mid_index = (self.subj.astype(np.int64) * no + self.out) * nd + self.date

    def mids(self, encode: Any) -> np.ndarray:
        out = np.empty(len(self.subj_values) * len(self.out_values) * len(self.date_values), dtype=object)
        i = 0
        for s in self.subj_values:
            for o in self.out_values:
                for d in self.date_values:
                    out[i] = encode(s, o, d)
                    i += 1
        return out

    def missing_pieces(self, start: int, stop: int, encode: Any, empty: bytes) -> np.ndarray:
        """Encoded missing lists of rows ``start:stop`` (only undetermined decisions have any)."""
        block = self.missing[start:stop]
        out = np.empty(len(block), dtype=object)
        out.fill(empty)
        cache: dict[tuple[str, ...], bytes] = {}
        for i in np.flatnonzero(self.out[start:stop] == self.undetermined):
            key = tuple(block[i])
            if key:
                hit = cache.get(key)
                out[i] = hit if hit is not None else cache.setdefault(key, encode(list(key)).encode())
        return out


def _tail(policy: dict[str, Any], data: dict[str, str], backend: str) -> str:
    return (
        f', "policy": {dumps(policy)}, "data": {dumps(data)}, "engine": {dumps(__version__)}, '
        f'"backend": {dumps(backend)}}}'
    )


def jsonl_chunks(
    frame: pd.DataFrame,
    policy: dict[str, Any],
    data: dict[str, str],
    backend: str,
    proofs: Any = None,
    block_rows: int | None = None,
) -> Iterator[bytes]:
    """The decision records as JSON lines (UTF-8), in blocks; byte-identical to ``DecisionRecord.to_jsonl``.

    ``proofs``, if given, is called with ``(start, stop)`` and returns the proofs of those rows
    as JSON text (``ProofBuilder.proof_json``), which are then written into the lines; or a pair
    (lines to write before the block's records, the proofs): the content-addressed form
    (``RunResult.proof_block``), whose proof nodes go before the records that refer to them.
    """
    pieces = _Pieces(frame)
    heads = np.array(
        [
            f'{{"provider": {jstr(str(p))}, "provider_name": {jstr(n) if isinstance(n, str) else "null"}, '
            '"subject": '.encode()
            for p, n in zip(pieces.prov_values, pieces.names, strict=True)
        ],
        dtype=object,
    )
    mids = pieces.mids(
        lambda s, o, d: f'{dumps(str(s))}, "outcome": "{o}", "as_of": {dumps(str(d))}, "missing": '.encode()
    )
    tail = _tail(policy, data, backend).encode()
    per_row = 4 if proofs is None else 6
    step = block_rows or (BLOCK_ROWS if proofs is None else EXPLAIN_BLOCK_ROWS)
    for start in range(0, pieces.n, step):
        stop = min(start + step, pieces.n)
        out = np.empty((stop - start) * per_row, dtype=object)
        out[0::per_row] = heads[pieces.prov[start:stop]]
        out[1::per_row] = mids[pieces.mid_index[start:stop]]
        out[2::per_row] = pieces.missing_pieces(start, stop, dumps, b"[]")
        prelude = b""
        if proofs is None:
            out[3::per_row] = tail + b"\n"
        else:
            texts = proofs(start, stop)
            if isinstance(texts, tuple):
                prelude, texts = texts
            out[3::per_row] = tail[:-1] + b', "proof": '
            out[4::per_row] = [p.encode() for p in texts]
            out[5::per_row] = b"}\n"
        yield prelude + b"".join(out.tolist())


def jsonl_lines(frame: pd.DataFrame, policy: dict[str, str], data: dict[str, str], backend: str) -> list[str]:
    """The decision records as JSON lines (a list; see :func:`jsonl_chunks` for the streamed form)."""
    text = b"".join(jsonl_chunks(frame, policy, data, backend)).decode()
    return text.split("\n")[:-1] if text else []


def csv_chunks(frame: pd.DataFrame, policy: dict[str, Any], backend: str, *, raw: bool = False) -> Iterator[bytes]:
    """The decisions as CSV (UTF-8, header first, RFC 4180), in blocks.

    Formula-like cells are neutralised (see :func:`credential.escaping.csv_field`) unless ``raw``;
    past the policy's expiry (allowed) a ``policy_expires`` column is added.
    """

    def csv_field(value: str) -> str:
        return _csv_field(value, raw=raw)

    expires = policy.get("expires") if policy.get("allow_expired") else None
    columns = [*CSV_COLUMNS, "policy_expires"] if expires else list(CSV_COLUMNS)  # evaluated past expiry
    yield (",".join(columns) + "\n").encode()
    pieces = _Pieces(frame)
    heads = np.array(
        [
            f"{csv_field(str(p))},{csv_field(n if isinstance(n, str) else '')},".encode()
            for p, n in zip(pieces.prov_values, pieces.names, strict=True)
        ],
        dtype=object,
    )
    mids = pieces.mids(lambda s, o, d: f"{csv_field(str(s))},{csv_field(str(o))},{csv_field(str(d))},".encode())
    fields = [policy["name"], policy["version"], policy["sha256"], __version__, backend]
    if expires:
        fields.append(str(expires))
    tail = ("," + ",".join(csv_field(v) for v in fields) + "\n").encode()
    for start in range(0, pieces.n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, pieces.n)
        out = np.empty((stop - start) * 4, dtype=object)
        out[0::4] = heads[pieces.prov[start:stop]]
        out[1::4] = mids[pieces.mid_index[start:stop]]
        out[2::4] = pieces.missing_pieces(start, stop, lambda m: csv_field(";".join(m)), b"")
        out[3::4] = tail
        yield b"".join(out.tolist())


def to_csv(frame: pd.DataFrame, policy: dict[str, str], backend: str, *, raw: bool = False) -> str:
    return b"".join(csv_chunks(frame, policy, backend, raw=raw)).decode()
