"""pandera schemas derived from a policy's :class:`~credential.types.BundleSpec`.

One :class:`pandera.pandas.DataFrameSchema` per table validates the *raw* string table (as
loaded, indexed by source row number), so a failure case carries the cell exactly as it was
written and the row it was on.  Every custom check is named by a *tag*; :class:`TableSchema`
maps each tag to a :class:`Rule` that knows the diagnostic code, the column to blame and
how to word the message and the ``help:`` hint.  Cross-table rules (unknown provider codes)
are checks too: the schemas of the other tables are built with the set of provider codes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from credential.data.load import REQUIRED_COLUMNS
from credential.data.parse import (
    CODE_PATTERN,
    DATE_PATTERN,
    encode,
    is_code,
    isin,
    levels_of,
    parse_bool,
    parse_date,
    parse_number,
)
from credential.data.rates import RATE_COLUMNS
from credential.types import (
    BoolType,
    BundleSpec,
    DateType,
    NumberType,
    PercentType,
    ScaleType,
    ValueType,
)

Describe = Callable[[pd.DataFrame, Sequence[int]], list[tuple[str, str | None]]]
"""Given the raw table and the failing rows, the message and help for each row."""


@dataclass(frozen=True)
class Rule:
    """What a failed check means: diagnostic code, the column blamed, the wording."""

    code: str
    column: str
    describe: Describe


@dataclass(frozen=True)
class TableSchema:
    table: str
    schema: pa.DataFrameSchema
    rules: dict[str, Rule]


@dataclass(frozen=True)
class Known:
    """The provider codes other tables may name: a sorted pyarrow lookup set (and, when a
    did-you-mean needs them, as Python strings)."""

    value_set: pa_arrow.Array

    @cached_property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.value_set.to_pylist())

    @staticmethod
    def of(codes: Collection[str] | pa_arrow.Array | pa_arrow.ChunkedArray) -> Known:
        if isinstance(codes, pa_arrow.Array | pa_arrow.ChunkedArray):
            distinct = pc.unique(pc.drop_null(codes.cast(pa_arrow.large_string())))
            if isinstance(distinct, pa_arrow.ChunkedArray):  # pragma: no cover - unique gives an Array
                distinct = distinct.combine_chunks()
            # byte order of UTF-8 is code point order: the order sorted() gives
            return Known(distinct.take(pc.sort_indices(distinct)))
        ordered = sorted(set(codes))
        return Known(pa_arrow.array(ordered, type=pa_arrow.large_string()))


# --------------------------------------------------------------------------- wording


def _fixed(message: str, help: str | None = None) -> Describe:
    def describe(frame: pd.DataFrame, rows: Sequence[int]) -> list[tuple[str, str | None]]:
        return [(message, help)] * len(rows)

    return describe


def _per_value(column: str, fn: Callable[[str], tuple[str, str | None]]) -> Describe:
    def describe(frame: pd.DataFrame, rows: Sequence[int]) -> list[tuple[str, str | None]]:
        values = frame.loc[list(rows), column] if column in frame.columns else pd.Series([None] * len(rows))
        cache: dict[str, tuple[str, str | None]] = {}
        out = []
        for v in values:
            key = "" if pd.isna(v) else str(v)
            if key not in cache:
                cache[key] = fn(key)
            out.append(cache[key])
        return out

    return describe


def suggest(value: str, choices: Collection[str]) -> str | None:
    """A did-you-mean for ``value`` among ``choices`` (case-insensitive first)."""
    if not value:
        return None
    folded = {c.lower(): c for c in choices}
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    if key in folded:
        return folded[key]
    if value.strip().lower() in folded:
        return folded[value.strip().lower()]
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.85)
    return folded[close[0]] if close else None


def _code_words(value: str) -> tuple[str, str | None]:
    fixed = value.strip().upper()
    if re.fullmatch(CODE_PATTERN, fixed) and fixed != value:
        return "not an organisation code", f"codes are upper-case letters and digits: did you mean '{fixed}'?"
    return (
        "not an organisation code",
        "an organisation code is 3 to 5 upper-case letters and digits, such as RM3 or R0A",
    )


def _date_words(value: str) -> tuple[str, str | None]:
    m = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*", value)
    if m:
        d, mo, y = m.groups()
        return (
            "not a date in YYYY-MM-DD form",
            f"dates are ISO YYYY-MM-DD: write {y}-{int(mo):02d}-{int(d):02d}",
        )
    if re.fullmatch(DATE_PATTERN, value):
        return "no such date", "the day or month is out of range for that month"
    m = re.fullmatch(r"\s*(\d{4}-\d{2}-\d{2})[ T].*", value)
    if m:
        return "not a date in YYYY-MM-DD form", f"give the date alone: {m.group(1)}"
    return "not a date in YYYY-MM-DD form", "dates are ISO YYYY-MM-DD, e.g. 2016-03-31"


def _number_words(value: str, what: str) -> tuple[str, str | None]:
    text = value.strip()
    if text.endswith("%"):
        try:
            pct = float(text[:-1])
        except ValueError:
            pct = None
        if pct is not None:
            return f"not {what}", f"percent values are fractions: write {pct / 100:g} for {text}"
    if "," in text:
        return f"not {what}", "write numbers without thousands separators (1234.5, not 1,234.5)"
    if text.lower() in ("inf", "-inf", "infinity", "nan"):
        return f"not {what}", "values must be finite decimals; leave the cell empty when the value is missing"
    return f"not {what}", "write a plain decimal such as 0.85 or 12.5 (no units)"


def _percent_high_words(value: str) -> tuple[str, str | None]:
    try:
        v = float(value)
    except ValueError:
        v = float("nan")
    if 1 < v <= 100:
        return "percent value above 1", f"percent values are fractions: write {v / 100:g} for {v:g}%"
    return "percent value above 1", "percent values are fractions: write 0.92 for 92%"


def _level_words(t: ValueType, what: str) -> Callable[[str], tuple[str, str | None]]:
    levels = levels_of(t) or ()

    def fn(value: str) -> tuple[str, str | None]:
        kind = f"a level of {t.name}" if isinstance(t, ScaleType) else f"one of the {what} values"
        message = f"not {kind} ({', '.join(levels)})"
        s = suggest(value, levels)
        return message, (f"did you mean '{s}'?" if s else f"write one of: {', '.join(levels)}")

    return fn


_BOOL_HELP = "write yes, no, true, false, 1 or 0"


# --------------------------------------------------------------------------- checks


def _present(s: pd.Series) -> pd.Series:
    return s.notna()


def _value_checks(column: str, t: ValueType, tag: str, rules: dict[str, Rule], what: str) -> list[pa.Check]:
    """Checks for one attribute column of type ``t`` (missing cells are allowed)."""
    checks: list[pa.Check] = []

    def add(suffix: str, fn: Callable[[pd.Series], pd.Series], rule: Rule) -> None:
        name = f"{tag}:{suffix}"
        rules[name] = rule
        checks.append(pa.Check(fn, name=name, ignore_na=True))

    if isinstance(t, NumberType):
        add(
            "bad-type",
            lambda s: ~_present(s) | parse_number(s).notna(),
            Rule("data.bad-type", column, _per_value(column, lambda v: _number_words(v, "a number"))),
        )
    elif isinstance(t, PercentType):
        add(
            "bad-type",
            lambda s: ~_present(s) | parse_number(s).notna(),
            Rule(
                "data.bad-type",
                column,
                _per_value(column, lambda v: _number_words(v, "a percent (a fraction from 0 to 1)")),
            ),
        )
        add(
            "above-1",
            lambda s: ~(parse_number(s) > 1),
            Rule("data.out-of-range", column, _per_value(column, _percent_high_words)),
        )
        add(
            "below-0",
            lambda s: ~(parse_number(s) < 0),
            Rule(
                "data.out-of-range",
                column,
                _fixed("percent value below 0", "percent values are fractions from 0 to 1"),
            ),
        )
    elif isinstance(t, BoolType):
        add(
            "bad-type",
            lambda s: ~_present(s) | parse_bool(s).notna().astype(bool),
            Rule("data.bad-type", column, _fixed("not a yes/no value", _BOOL_HELP)),
        )
    elif isinstance(t, DateType):
        add(
            "bad-date",
            lambda s: ~_present(s) | parse_date(s).notna(),
            Rule("data.bad-date", column, _per_value(column, _date_words)),
        )
    else:
        levels = levels_of(t)
        if levels is not None:
            allowed = list(levels)
            add(
                "not-a-level",
                lambda s: ~_present(s) | isin(s, allowed),
                Rule("data.not-a-level", column, _per_value(column, _level_words(t, what))),
            )
    return checks


def _code_column(table: str, column: str, rules: dict[str, Rule], known: Known | None) -> pa.Column:
    checks = []
    tag = f"{table}.{column}"
    rules[f"{tag}:bad-code"] = Rule("data.bad-code", column, _per_value(column, _code_words))
    checks.append(pa.Check(lambda s: is_code(s), name=f"{tag}:bad-code", ignore_na=True))
    if known is not None:
        value_set = known.value_set

        def in_providers(s: pd.Series) -> pd.Series:
            if s.empty:
                return pd.Series(np.zeros(0, dtype=bool), index=s.index)
            enc = encode(s)  # each distinct code is looked up once
            inside = np.asarray(pc.is_in(enc.uniques, value_set=value_set).to_numpy(zero_copy_only=False), dtype=bool)
            # a missing cell is not in the set (False), as pyarrow's is_in says of a null
            return pd.Series(enc.expand(inside, False), index=s.index) | ~is_code(s)

        def unknown_words(value: str) -> tuple[str, str | None]:
            choices = known.codes
            s = difflib.get_close_matches(value, choices, n=1, cutoff=0.6) if len(choices) <= 5000 else []
            hint = f"did you mean '{s[0]}'? " if s else ""
            return (
                "no provider with this code in the providers file",
                hint + "every code must have a row in providers",
            )

        rules[f"{tag}:unknown"] = Rule("data.unknown-provider", column, _per_value(column, unknown_words))
        checks.append(pa.Check(in_providers, name=f"{tag}:unknown", ignore_na=True))
    return pa.Column(None, checks=checks, nullable=False, required=True)


def _plain(nullable: bool, checks: list[pa.Check] | None = None) -> pa.Column:
    return pa.Column(None, checks=checks or [], nullable=nullable, required=True)


def _date_column(table: str, column: str, rules: dict[str, Rule], nullable: bool) -> pa.Column:
    return _plain(nullable, _value_checks(column, DateType(), f"{table}.{column}", rules, column))


def _end_before_start(table: str, rules: dict[str, Rule]) -> pa.Check:
    tag = f"{table}:end-before-start"

    def check(df: pd.DataFrame) -> pd.Series:
        if "start" not in df or "end" not in df:
            return pd.Series(True, index=df.index)
        start, end = parse_date(df["start"]), parse_date(df["end"])
        return ~(end < start)

    def describe(frame: pd.DataFrame, rows: Sequence[int]) -> list[tuple[str, str | None]]:
        return [
            (
                f"end is before start ({frame.at[r, 'start']})",
                "end must be on or after start; leave end empty while it continues",
            )
            for r in rows
        ]

    rules[tag] = Rule("data.end-before-start", "end", describe)
    return pa.Check(check, name=tag)


# --------------------------------------------------------------------------- per table


def providers_schema(spec: BundleSpec) -> TableSchema:
    rules: dict[str, Rule] = {}
    columns: dict[str, pa.Column] = {
        "code": pa.Column(
            None,
            checks=[pa.Check(lambda s: is_code(s), name="providers.code:bad-code", ignore_na=True)],
            nullable=False,
            unique=True,
            report_duplicates="all",
            required=True,
        ),
        "name": _plain(True),
    }
    rules["providers.code:bad-code"] = Rule("data.bad-code", "code", _per_value("code", _code_words))
    for attr, t in sorted(spec.attributes.items()):
        if attr in ("code",):
            continue
        columns[attr] = _plain(True, _value_checks(attr, t, f"providers.{attr}", rules, attr))
    return TableSchema("providers", pa.DataFrameSchema(columns, strict=False, name="providers"), rules)


def _value(df: pd.DataFrame) -> pd.Series:
    if "value" in df:
        return df["value"]
    return pd.Series(pd.NA, index=df.index, dtype="str")


def _measure_groups(spec: BundleSpec) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {
        "number": [],
        "percent": [],
        "bool": [],
        "date": [],
        "level": [],
        "text": [],
    }
    for m, t in spec.measures.items():
        if isinstance(t, NumberType):
            groups["number"].append(m)
        elif isinstance(t, PercentType):
            groups["percent"].append(m)
        elif isinstance(t, BoolType):
            groups["bool"].append(m)
        elif isinstance(t, DateType):
            groups["date"].append(m)
        elif levels_of(t) is not None:
            groups["level"].append(m)
        else:
            groups["text"].append(m)
    return groups


def _type_phrase(t: ValueType) -> str:
    if isinstance(t, ScaleType):
        return f"scale {t.name}"
    return str(t)


def observations_schema(spec: BundleSpec, known: Known | None) -> TableSchema:
    rules: dict[str, Rule] = {}
    groups = _measure_groups(spec)
    measures = spec.measures

    def in_group(df: pd.DataFrame, names: list[str]) -> pd.Series:
        if not names or "measure" not in df or "value" not in df:
            return pd.Series(False, index=df.index)
        return isin(df["measure"], names) & df["value"].notna()

    def value_rule(code: str, words: Callable[[str, str], tuple[str, str | None]]) -> Rule:
        def describe(frame: pd.DataFrame, rows: Sequence[int]) -> list[tuple[str, str | None]]:
            rows = list(rows)
            measures, values = frame["measure"].loc[rows], frame["value"].loc[rows]
            return [words("" if pd.isna(v) else str(v), str(m)) for m, v in zip(measures, values, strict=True)]

        return Rule(code, "value", describe)

    checks: list[pa.Check] = []

    def add(tag: str, fn: Callable[[pd.DataFrame], pd.Series], rule: Rule) -> None:
        name = f"observations.value:{tag}"
        rules[name] = rule
        checks.append(pa.Check(fn, name=name))

    numeric = groups["number"] + groups["percent"]
    if numeric:
        add(
            "bad-type",
            lambda df: ~in_group(df, numeric) | parse_number(_value(df)).notna(),
            value_rule(
                "data.bad-type",
                lambda v, m: (
                    _number_words(v, "a number")[0] + f" (measure {m} is a {_type_phrase(measures[m])})",
                    _number_words(v, "a number")[1],
                ),
            ),
        )
    if groups["percent"]:
        pct = groups["percent"]
        add(
            "above-1",
            lambda df: ~(in_group(df, pct) & (parse_number(_value(df)) > 1)),
            value_rule("data.out-of-range", lambda v, m: _percent_high_words(v)),
        )
        add(
            "below-0",
            lambda df: ~(in_group(df, pct) & (parse_number(_value(df)) < 0)),
            value_rule(
                "data.out-of-range",
                lambda v, m: ("percent value below 0", "percent values are fractions from 0 to 1"),
            ),
        )
    if groups["bool"]:
        bools = groups["bool"]
        add(
            "bad-bool",
            lambda df: ~in_group(df, bools) | parse_bool(_value(df)).notna().astype(bool),
            value_rule("data.bad-type", lambda v, m: (f"not a yes/no value (measure {m} is yes/no)", _BOOL_HELP)),
        )
    if groups["date"]:
        dates = groups["date"]
        add(
            "bad-date",
            lambda df: ~in_group(df, dates) | parse_date(_value(df)).notna(),
            value_rule("data.bad-date", lambda v, m: _date_words(v)),
        )
    if groups["level"]:
        lv = groups["level"]
        # Measures that share a list of levels are checked together, each distinct value once.
        by_levels: dict[tuple[str, ...], list[str]] = {}
        for m in lv:
            by_levels.setdefault(levels_of(measures[m]) or (), []).append(m)

        def level_ok(df: pd.DataFrame) -> pd.Series:
            sel = in_group(df, lv)
            if not sel.any():
                return pd.Series(True, index=df.index)
            value = _value(df)
            bad = np.zeros(len(df), dtype=bool)
            for levels, names in by_levels.items():
                bad |= (isin(df["measure"], names) & ~isin(value, levels)).to_numpy(dtype=bool)
            return ~(sel & pd.Series(bad, index=df.index))

        add(
            "not-a-level",
            level_ok,
            value_rule("data.not-a-level", lambda v, m: _level_words(measures[m], m)(v)),
        )
    add_conflict(spec, rules, checks)
    columns = {
        "code": _code_column("observations", "code", rules, known),
        "measure": _plain(False),
        "period_end": _date_column("observations", "period_end", rules, nullable=False),
        "value": _plain(True),
    }
    return TableSchema(
        "observations", pa.DataFrameSchema(columns, checks=checks, strict=False, name="observations"), rules
    )


def _each_distinct(s: pd.Series, fn: Callable[[pd.Series], list[str | None]]) -> np.ndarray:
    """``fn`` applied to each distinct cell of ``s`` once, as an object array per cell (None
    where the cell is missing)."""
    enc = encode(s)
    per = np.empty(len(enc.uniques), dtype=object)
    per[:] = fn(enc.series())
    return enc.expand(per, None)


def _number_text(s: pd.Series) -> list[str | None]:
    return [None if np.isnan(x) else repr(float(x)) for x in parse_number(s)]


def _bool_text(s: pd.Series) -> list[str | None]:
    return [None if pd.isna(x) else str(bool(x)) for x in parse_bool(s)]


def _duplicated(keys: np.ndarray) -> np.ndarray:
    """True for every element whose key occurs more than once (``duplicated(keep=False)``), by
    sorting: a sort of int64 keys is several times faster than hashing them."""
    out = np.zeros(len(keys), dtype=bool)
    if len(keys) < 2:
        return out
    ordered = np.sort(keys)
    if not (ordered[1:] == ordered[:-1]).any():
        return out
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    dup = np.zeros(len(keys), dtype=bool)
    dup[1:] |= same
    dup[:-1] |= same
    out[order] = dup
    return out


def normalised_values(df: pd.DataFrame, spec: BundleSpec) -> pd.Series:
    """Each observation's value in a comparable form: equal values compare equal ("0.9" and
    "0.90"); an empty cell is ``"\\x00missing"``; a malformed value or undeclared measure NA."""
    groups = _measure_groups(spec)
    value, measure = df["value"], df["measure"]
    out = pd.Series(pd.NA, index=df.index, dtype=object)
    numeric = measure.isin(groups["number"] + groups["percent"]).astype(bool)
    if numeric.any():
        out[numeric] = _each_distinct(value[numeric], _number_text)
    bools = measure.isin(groups["bool"]).astype(bool)
    if bools.any():
        out[bools] = _each_distinct(value[bools], _bool_text)
    dates = measure.isin(groups["date"]).astype(bool)
    if dates.any():
        d = parse_date(value[dates])
        out[dates] = d.astype(str).where(d.notna(), None).astype(object)
    rest = measure.isin(groups["level"] + groups["text"]).astype(bool)
    out[rest] = value[rest].astype(object)
    declared = measure.isin(list(spec.measures)).astype(bool)
    out[declared & value.isna()] = "\x00missing"
    out[~declared] = pd.NA
    return out.where(out.notna(), None)


def add_conflict(spec: BundleSpec, rules: dict[str, Rule], checks: list[pa.Check]) -> None:
    tag = "observations:conflict"
    keys = ["code", "measure", "period_end"]

    def conflicting(df: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=df.index)
        if any(k not in df for k in [*keys, "value"]) or df.empty:
            return ok
        # One int64 key per row from the encoded columns (each column's distinct values
        # numbered, 0 for a missing cell): far faster than hashing strings.
        combined = np.zeros(len(df), dtype=np.int64)
        size = 1
        complete = np.ones(len(df), dtype=bool)
        for k in keys:
            enc = encode(df[k])
            width = len(enc.uniques) + 1
            if size * width >= 1 << 62:  # renumber the keys so far densely, so as not to overflow
                _, combined = np.unique(combined, return_inverse=True)
                combined = combined.astype(np.int64).reshape(-1)
                size = int(combined.max()) + 1
            complete &= enc.codes >= 0
            combined = combined * width + (enc.codes.astype(np.int64) + 1)
            size *= width
        dup = pd.Series(_duplicated(combined) & complete, index=df.index)
        if not dup.any():
            return ok
        sub = df[dup]
        norm = normalised_values(sub, spec)
        sub = sub.assign(_norm=norm)
        sub = sub[sub["_norm"].notna()]
        n = sub.groupby(keys, sort=False, dropna=True)["_norm"].transform("nunique")
        ok[n[n > 1].index] = False
        return ok

    def describe(frame: pd.DataFrame, rows: Sequence[int]) -> list[tuple[str, str | None]]:
        rowset = list(rows)
        sub = frame.loc[rowset, keys]
        groups: dict[tuple[str, ...], list[int]] = {}
        for r, k in zip(rowset, map(tuple, sub.astype(object).to_numpy()), strict=True):
            groups.setdefault(k, []).append(r)
        out: list[tuple[str, str | None]] = []
        for r, k in zip(rowset, map(tuple, sub.astype(object).to_numpy()), strict=True):
            others = [o for o in groups[k] if o != r]
            where = ", ".join(str(o) for o in others)
            out.append(
                (
                    f"conflicting values for {k[0]} {k[1]} on {k[2]} (also row {where})",
                    "keep one value per code, measure and period_end (identical duplicates are allowed)",
                )
            )
        return out

    rules[tag] = Rule("data.conflicting-observation", "value", describe)
    checks.append(pa.Check(conflicting, name=tag))


def statuses_schema(known: Known | None) -> TableSchema:
    rules: dict[str, Rule] = {}
    columns = {
        "code": _code_column("statuses", "code", rules, known),
        "status": _plain(False),
        "start": _date_column("statuses", "start", rules, nullable=False),
        "end": _date_column("statuses", "end", rules, nullable=True),
    }
    checks = [_end_before_start("statuses", rules)]
    return TableSchema("statuses", pa.DataFrameSchema(columns, checks=checks, strict=False, name="statuses"), rules)


def arrangements_schema(known: Known | None) -> TableSchema:
    rules: dict[str, Rule] = {}
    columns = {
        "lead": _code_column("arrangements", "lead", rules, known),
        "recipient": _code_column("arrangements", "recipient", rules, known),
        "form": _plain(False),
        "start": _date_column("arrangements", "start", rules, nullable=False),
        "end": _date_column("arrangements", "end", rules, nullable=True),
    }
    tag = "arrangements:self"

    def not_self(df: pd.DataFrame) -> pd.Series:
        if "lead" not in df or "recipient" not in df:
            return pd.Series(True, index=df.index)
        same = (df["lead"] == df["recipient"]).fillna(False).astype(bool)
        return ~same

    rules[tag] = Rule(
        "data.self-arrangement",
        "recipient",
        _fixed("lead and recipient are the same provider", "an arrangement is between two different providers"),
    )
    checks = [pa.Check(not_self, name=tag), _end_before_start("arrangements", rules)]
    return TableSchema(
        "arrangements", pa.DataFrameSchema(columns, checks=checks, strict=False, name="arrangements"), rules
    )


def bundle_schemas(
    spec: BundleSpec, provider_codes: Collection[str] | pa_arrow.Array | pa_arrow.ChunkedArray | None = None
) -> dict[str, TableSchema]:
    """The four table schemas for ``spec``; with ``provider_codes`` (strings, or a pyarrow
    array of them), codes in the other tables must be among them (``data.unknown-provider``)."""
    known = Known.of(provider_codes) if provider_codes is not None else None
    return {
        "providers": providers_schema(spec),
        "observations": observations_schema(spec, known),
        "statuses": statuses_schema(known),
        "arrangements": arrangements_schema(known),
    }


def expected_columns(table: str, spec: BundleSpec) -> tuple[str, ...]:
    if table == "providers":
        return (
            *REQUIRED_COLUMNS["providers"],
            *sorted(a for a in spec.attributes if a not in ("code", "name")),
        )
    if table == "observations":
        return (*REQUIRED_COLUMNS[table], *RATE_COLUMNS)
    return REQUIRED_COLUMNS[table]
