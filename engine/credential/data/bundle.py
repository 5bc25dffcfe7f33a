"""The validated bundle: typed tables with provenance, digests and what quarantine set aside.

Table columns (one row per source row, in file order; ``file`` and ``row`` say where it came from):

=================  ==================================================================
``providers``      ``code``, ``name``, one column per declared attribute, ``file``, ``row``
``observations``   ``code``, ``measure``, ``period_end``, ``value``, ``file``, ``row``
``statuses``       ``code``, ``status``, ``start``, ``end``, ``file``, ``row``
``arrangements``   ``lead``, ``recipient``, ``form``, ``start``, ``end``, ``file``, ``row``
``coverage``       ``status``, ``start``, ``end``, ``file``, ``row``: the periods over which the
                   list of a status is complete (empty when the bundle has no coverage table)
=================  ==================================================================

Dtypes: codes and names ``string``; dates ``datetime64[s]`` (NaT = missing, or an open
``end``); attributes ``Float64`` (number, percent), ``boolean`` (yes/no), ``datetime64[s]``
(date) or ``string`` (text, one of, scale levels); ``observations.value`` is an object
column of runtime Python values (see :mod:`credential.types`) with ``None`` for an empty
cell.  Only declared measures are kept in ``observations``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credential.data.load import RawBundle
from credential.data.parse import as_arrow
from credential.types import BundleSpec


@dataclass
class Quarantine:
    """Rows set aside by ``on_invalid="quarantine"``, as far as their cells could be read.

    A quarantined row's values are *missing*, not absent: the as-of derivation turns every
    value the row could have changed into missing.  A cell that could not be read is NA
    and matches anything (an unreadable ``measure`` could be any measure).
    """

    providers: pd.DataFrame
    """``code``, ``file``, ``row``: providers whose row was set aside (well-formed codes only);
    they stay in the bundle with every attribute missing."""
    observations: pd.DataFrame
    """``code``, ``measure``, ``period_end``, ``file``, ``row``."""
    statuses: pd.DataFrame
    """``code``, ``status``, ``start``, ``end``, ``file``, ``row`` (``end`` NaT: open or unreadable)."""
    arrangements: pd.DataFrame
    """``lead``, ``recipient``, ``form``, ``start``, ``end``, ``file``, ``row``."""

    @staticmethod
    def empty() -> Quarantine:
        def frame(cols: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame:
            data: dict[str, pd.Series] = {}
            for c in cols:
                if c in dates:
                    data[c] = pd.Series([], dtype="datetime64[s]")
                elif c == "row":
                    data[c] = pd.Series([], dtype="int64")
                else:
                    data[c] = pd.Series([], dtype="string")
            return pd.DataFrame(data)

        return Quarantine(
            frame(["code", "file", "row"]),
            frame(["code", "measure", "period_end", "file", "row"], ("period_end",)),
            frame(["code", "status", "start", "end", "file", "row"], ("start", "end")),
            frame(["lead", "recipient", "form", "start", "end", "file", "row"], ("start", "end")),
        )

    def __len__(self) -> int:
        return len(self.providers) + len(self.observations) + len(self.statuses) + len(self.arrangements)


@dataclass
class Bundle:
    """A validated data bundle (see the module docstring for its tables)."""

    spec: BundleSpec
    providers: pd.DataFrame
    observations: pd.DataFrame
    statuses: pd.DataFrame
    arrangements: pd.DataFrame
    digests: dict[str, str]
    """SHA-256 (hex) of every file read, by file name."""
    raw: RawBundle
    quarantine: Quarantine = field(default_factory=Quarantine.empty)
    coverage: pd.DataFrame = field(default_factory=lambda: _no_coverage())
    _cache: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def provider_codes(self) -> list[str]:
        """Every provider the bundle defines, sorted (including quarantined ones)."""
        cached = self._cache.get("provider_codes")
        if isinstance(cached, list):
            return list(cached)
        ordered = _distinct_sorted([self.providers["code"], self.quarantine.providers["code"]])
        self._cache["provider_codes"] = ordered
        return list(ordered)

    @property
    def files(self) -> dict[str, str]:
        """File name of each table present: ``{"providers": "providers.csv", ...}``."""
        return {name: t.file for name, t in self.raw.tables.items()}

    def row_values(self, file: str, row: int) -> dict[str, str]:
        """The raw cells of one source row, by column ("" for an empty cell).

        Raises ``KeyError`` when the bundle has no such file or row.
        """
        for table in self.raw.tables.values():
            if table.file == file:
                if row not in table.frame.index:
                    raise KeyError(f"{file}:{row}")
                return table.row_values(row)
        raise KeyError(file)

    def provider_names(self) -> dict[str, str | None]:
        """Each provider's name (None when empty or quarantined); built once, a copy each call."""
        hit = self._cache.get("provider_names")
        if isinstance(hit, dict):
            return dict(hit)
        names: dict[str, str | None] = {c: None for c in self.quarantine.providers["code"].astype(str).tolist()}
        codes = self.providers["code"].astype(str).tolist()
        values = self.providers["name"].astype(object).tolist()
        for code, name in zip(codes, values, strict=True):
            names[code] = None if name is None or name is pd.NA or name != name else str(name)
        self._cache["provider_names"] = names
        return dict(names)


def _no_coverage() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "status": pd.Series([], dtype="string"),
            "start": pd.Series([], dtype="datetime64[s]"),
            "end": pd.Series([], dtype="datetime64[s]"),
            "file": pd.Series([], dtype="string"),
            "row": pd.Series([], dtype="int64"),
        }
    )


def _distinct_sorted(columns: list[pd.Series]) -> list[str]:
    """The distinct strings of text columns, sorted (as ``sorted(set(...))``): by Arrow when no
    cell is missing (UTF-8 byte order is code point order, the order ``sorted`` gives)."""
    try:
        arrays = [as_arrow(c) for c in columns if len(c)]
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not text
        arrays = []
    if arrays and not any(a.null_count for a in arrays):
        distinct = pc.unique(pa.chunked_array([chunk for a in arrays for chunk in a.chunks], type=pa.large_string()))
        ordered: list[str] = distinct.take(pc.sort_indices(distinct)).to_pylist()
        return ordered
    return sorted({str(v) for c in columns for v in c.astype(str).tolist()})
