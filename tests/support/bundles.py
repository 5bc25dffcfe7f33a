"""Hypothesis strategies for data bundles.

* :func:`bundle_specs` draws a small :class:`BundleSpec`: attributes and measures of every
  data type (number, percent, text, yes/no, date, ``one of``, scales), statuses, forms.
* :func:`valid_bundles` draws a spec and raw string tables that satisfy it: unique provider
  codes, observations of declared measures with values of the right type (some empty), no
  conflicting duplicates (identical duplicates do occur), intervals with ``end`` on or after
  ``start`` or open, arrangements between two different providers.  Text cells hold commas,
  quotes and newlines, so CSV quoting and multi-line records are exercised.
* :func:`corruptions` picks one cell of a drawn bundle and a value that makes it invalid.

:func:`csv_lines` gives the line each row of a table starts on once written as CSV by
:func:`credential.data.synthetic.write_bundle` (an oracle independent of the loader).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from hypothesis import strategies as st

from credential.types import (
    BOOL,
    DATE,
    NUMBER,
    PERCENT,
    TEXT,
    BoolType,
    BundleSpec,
    DateType,
    EnumType,
    NumberType,
    PercentType,
    ScaleType,
    TextType,
    ValueType,
)

RATING = ScaleType("rating", ("inadequate", "requires_improvement", "good", "outstanding"))
SIZE = EnumType(("small", "medium", "large"))

codes = st.from_regex(r"[A-Z0-9]{3,5}", fullmatch=True)
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)

# Text with the characters CSV must quote; no NUL and no bare carriage return.
_alphabet = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x00\r"
) | st.sampled_from([",", '"', "\n", " ", "é", "’"])
texts = st.text(_alphabet, max_size=12)

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))
VALUE_TYPES: tuple[ValueType, ...] = (NUMBER, PERCENT, TEXT, BOOL, DATE, SIZE, RATING)


@st.composite
def bundle_specs(draw: st.DrawFn) -> BundleSpec:
    attr_names = draw(st.lists(names.filter(lambda n: n not in ("code", "name")), max_size=4, unique=True))
    measure_names = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    return BundleSpec(
        attributes={a: draw(st.sampled_from(VALUE_TYPES)) for a in attr_names},
        measures={m: draw(st.sampled_from(VALUE_TYPES)) for m in measure_names},
        statuses=frozenset(draw(st.lists(names, min_size=1, max_size=3, unique=True))),
        forms=frozenset(draw(st.lists(names, min_size=1, max_size=3, unique=True))),
    )


def _number_text(x: float) -> str:
    return repr(x) if x != int(x) or abs(x) > 1e15 else str(int(x))


def values_of(t: ValueType) -> st.SearchStrategy[str]:
    """Valid non-empty cell texts of type ``t``."""
    if isinstance(t, NumberType):
        return st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(_number_text) | st.integers(
            -1000, 1000
        ).map(str)
    if isinstance(t, PercentType):
        return st.floats(0, 1).map(repr) | st.sampled_from(["0", "1", "0.5", ".25", "1.0"])
    if isinstance(t, BoolType):
        return st.sampled_from(["yes", "no", "true", "false", "1", "0", "YES", "No", "TRUE", "False"])
    if isinstance(t, DateType):
        return dates.map(dt.date.isoformat)
    if isinstance(t, ScaleType):
        return st.sampled_from(t.levels)
    if isinstance(t, EnumType):
        return st.sampled_from(t.members)
    assert isinstance(t, TextType)
    return texts.filter(bool)


def maybe_empty(s: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), s, s, s)


@dataclass
class DrawnBundle:
    spec: BundleSpec
    tables: dict[str, pd.DataFrame]


def _frame(rows: list[dict[str, str | None]], columns: list[str]) -> pd.DataFrame:
    data = {c: pd.array([r.get(c) for r in rows], dtype="str") for c in columns}
    return pd.DataFrame(data, columns=columns)


@st.composite
def valid_bundles(draw: st.DrawFn, spec: BundleSpec | None = None, max_providers: int = 8) -> DrawnBundle:
    spec = spec or draw(bundle_specs())
    provider_codes = draw(st.lists(codes, min_size=2, max_size=max_providers, unique=True))
    attrs = sorted(a for a in spec.attributes if a not in ("code", "name"))
    providers = []
    for c in provider_codes:
        row: dict[str, str | None] = {"code": c, "name": draw(st.one_of(st.none(), texts))}
        for a in attrs:
            row[a] = draw(maybe_empty(values_of(spec.attributes[a])))
        providers.append(row)

    measures = sorted(spec.measures)
    observations: list[dict[str, str | None]] = []
    seen: dict[tuple[str, str, str], str | None] = {}
    for _ in range(draw(st.integers(0, 20))):
        key = (
            draw(st.sampled_from(provider_codes)),
            draw(st.sampled_from(measures)),
            draw(dates).isoformat(),
        )
        if key in seen:  # an identical duplicate is allowed; a different value would conflict
            value = seen[key]
        else:
            value = draw(maybe_empty(values_of(spec.measures[key[1]])))
            seen[key] = value
        observations.append({"code": key[0], "measure": key[1], "period_end": key[2], "value": value})

    def interval() -> tuple[str, str | None]:
        start = draw(dates)
        end = draw(st.one_of(st.none(), st.integers(0, 2000).map(lambda d: start + dt.timedelta(days=d))))
        return start.isoformat(), (end.isoformat() if end else None)

    statuses = []
    for _ in range(draw(st.integers(0, 5))):
        s, e = interval()
        statuses.append(
            {
                "code": draw(st.sampled_from(provider_codes)),
                "status": draw(st.sampled_from(sorted(spec.statuses))),
                "start": s,
                "end": e,
            }
        )
    arrangements = []
    for _ in range(draw(st.integers(0, 5))):
        lead, recipient = draw(st.permutations(provider_codes))[:2]
        s, e = interval()
        arrangements.append(
            {
                "lead": lead,
                "recipient": recipient,
                "form": draw(st.sampled_from(sorted(spec.forms))),
                "start": s,
                "end": e,
            }
        )
    coverage = []  # the periods each status list is complete (open world outside them)
    for _ in range(draw(st.integers(0, 3))):
        s, e = interval()
        coverage.append({"status": draw(st.sampled_from(sorted(spec.statuses))), "start": s, "end": e})
    tables = {
        "providers": _frame(providers, ["code", "name", *attrs]),
        "observations": _frame(observations, ["code", "measure", "period_end", "value"]),
        "statuses": _frame(statuses, ["code", "status", "start", "end"]),
        "arrangements": _frame(arrangements, ["lead", "recipient", "form", "start", "end"]),
        "coverage": _frame(coverage, ["status", "start", "end"]),
    }
    return DrawnBundle(spec, tables)


def csv_lines(frame: pd.DataFrame) -> list[int]:
    """The line on which each row starts when the table is written as CSV (header = line 1):
    every row takes one line plus one per newline inside its cells."""
    lines = []
    line = 2
    for _, row in frame.iterrows():
        lines.append(line)
        line += 1 + sum(str(v).count("\n") for v in row if not pd.isna(v))
    return lines


def bad_value(t: ValueType) -> str | None:
    """A cell text that is invalid for type ``t`` (None: every text is valid)."""
    if isinstance(t, NumberType):
        return "12abc"
    if isinstance(t, PercentType):
        return "92"
    if isinstance(t, BoolType):
        return "maybe"
    if isinstance(t, DateType):
        return "2015-02-29"
    if isinstance(t, ScaleType | EnumType):
        return "Not A Level"
    return None


@dataclass
class Corruption:
    table: str
    index: int  # position of the row in the table
    column: str
    value: str


@st.composite
def corruptions(draw: st.DrawFn, bundle: DrawnBundle) -> Corruption:
    """One cell and a value that makes it invalid."""
    options: list[tuple[str, int, str, str]] = []
    t = bundle.tables
    for i in range(len(t["providers"])):
        options.append(("providers", i, "code", "bad code"))
        for a in t["providers"].columns[2:]:
            bad = bad_value(bundle.spec.attributes[a])
            if bad is not None:
                options.append(("providers", i, a, bad))
    obs = t["observations"]
    for i in range(len(obs)):
        options.append(("observations", i, "code", "zz9"))
        options.append(("observations", i, "period_end", "31/01/2016"))
        options.append(("observations", i, "code", ""))
        bad = bad_value(bundle.spec.measures[obs["measure"].iloc[i]])
        if bad is not None:
            options.append(("observations", i, "value", bad))
    for i in range(len(t["statuses"])):
        options.append(("statuses", i, "start", "2016-13-01"))
        options.append(("statuses", i, "end", "1999-12-31"))
    arr = t["arrangements"]
    for i in range(len(arr)):
        options.append(("arrangements", i, "recipient", str(arr["lead"].iloc[i])))
        options.append(("arrangements", i, "end", "1999-12-31"))
        options.append(("arrangements", i, "lead", "R 1"))
    table, index, column, value = draw(st.sampled_from(options))
    return Corruption(table, index, column, value)


def apply(bundle: DrawnBundle, c: Corruption) -> dict[str, pd.DataFrame]:
    tables = {k: v.copy() for k, v in bundle.tables.items()}
    frame = tables[c.table]
    frame.iloc[c.index, frame.columns.get_loc(c.column)] = c.value if c.value != "" else None
    return tables
