"""Decisions as Parquet: one row per decision, for pipelines (``evaluate --format parquet``).

The Arrow schema (``SCHEMA``; with ``--explain`` a last ``proof`` column):

================  ======================  ===============================================
column            type                    holds
================  ======================  ===============================================
provider          string                  the provider's code (the lead, for a pair)
provider_name     string (nullable)       its name in the bundle
subject           string                  ``credential:N``, ``form:F:ROLE``, ``pair:F:L:R``
outcome           string                  ``granted``, ``refused`` or ``undetermined``
as_of             date32                  the evaluation date
missing           list<string>            missing values an undetermined decision met
policy_name       string                  the policy's name ...
policy_version    string                  ... version ...
policy_sha256     string                  ... and the SHA-256 of its text
data_sha256       string                  JSON object: each bundle file -> its SHA-256
engine            string                  the engine's version
backend           string                  the Datalog backend that computed it
proof             string (JSON)           the proof, as in the JSON lines (``--explain``)
================  ======================  ===============================================

Rows are in the records' order (provider, subject, as-of date).  The file is byte-stable: the
same inputs give the same bytes (no timestamps; fixed writer options; written in row groups of
``ROW_GROUP`` decisions as they are made).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from credential.version import __version__

if TYPE_CHECKING:
    from credential.output.records import RunResult

ROW_GROUP = 20_000

SCHEMA = pa.schema(
    [
        pa.field("provider", pa.string(), nullable=False),
        pa.field("provider_name", pa.string()),
        pa.field("subject", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("as_of", pa.date32(), nullable=False),
        pa.field("missing", pa.list_(pa.string()), nullable=False),
        pa.field("policy_name", pa.string(), nullable=False),
        pa.field("policy_version", pa.string(), nullable=False),
        pa.field("policy_sha256", pa.string(), nullable=False),
        pa.field("data_sha256", pa.string(), nullable=False),
        pa.field("engine", pa.string(), nullable=False),
        pa.field("backend", pa.string(), nullable=False),
    ]
)
PROOF_FIELD = pa.field("proof", pa.string(), nullable=False)


def schema(explain: bool) -> pa.Schema:
    return SCHEMA.append(PROOF_FIELD) if explain else SCHEMA


def parquet_chunks(result: RunResult) -> Iterator[bytes]:
    """The run's decisions as one Parquet file, yielded in pieces as row groups are written."""
    from credential.evaluation.evaluate import policy_ref

    pref = policy_ref(result.inputs.policy, result.expired)
    data_json = json.dumps(dict(sorted(result.inputs.bundle.digests.items())), sort_keys=True)
    f = result.frame
    sch = schema(result.explain)
    sink = _Sink()
    with pq.ParquetWriter(
        sink, sch, compression="zstd", version="2.6", write_statistics=True, store_schema=True
    ) as writer:
        for start in range(0, len(f), ROW_GROUP):
            stop = min(start + ROW_GROUP, len(f))
            block = f.iloc[start:stop]
            n = stop - start
            cols: list[pa.Array] = [
                pa.array([str(v) for v in block["provider"]], pa.string()),
                pa.array([v if isinstance(v, str) else None for v in block["provider_name"]], pa.string()),
                pa.array([str(v) for v in block["subject"]], pa.string()),
                pa.array([str(v) for v in block["outcome"]], pa.string()),
                pa.array([dt.date.fromisoformat(str(v)) for v in block["as_of"]], pa.date32()),
                pa.array([list(m) for m in block["missing"]], pa.list_(pa.string())),
                *(
                    pa.array([v] * n, pa.string())
                    for v in (pref.name, pref.version, pref.sha256, data_json, __version__, result.backend)
                ),
            ]
            if result.explain:
                cols.append(pa.array(result.proof_texts(start, stop), pa.string()))
            writer.write_table(pa.Table.from_arrays(cols, schema=sch), row_group_size=ROW_GROUP)
            yield _drain(sink)
    yield _drain(sink)


class _Sink(io.RawIOBase):
    """A write-only stream that keeps what was written until drained; ``tell`` counts every byte."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pos = 0

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        data = bytes(b)  # type: ignore[call-overload]
        self.parts.append(data)
        self.pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self.pos


def _drain(sink: _Sink) -> bytes:
    data = b"".join(sink.parts)
    sink.parts.clear()
    return data
