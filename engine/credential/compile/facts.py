"""The facts of a validated bundle as of a date, in the compiled program's predicates.

Latest values, window aggregates, active statuses and arrangement counts are derived in
the data layer (:mod:`credential.data.asof`, vectorised pandas) rather than in Datalog:
pyDatalog's aggregates collapse equal rows (facts are sets), date arithmetic on calendar
months is awkward in Datalog, and the same derivation gives the explainer its evidence
rows.  Datalog then sees one fact per provider and value: ``v_latest_cqc_overall(17, 3)``, where
17 is the provider's id (its position in ``FactBase.codes``; see ``names.provider_columns``).
A missing value is simply no fact, which the ``known_*`` predicates turn into *unknown*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credential.check import ir
from credential.compile import names
from credential.compile.program import CompiledPolicy
from credential.data import asof
from credential.data.bundle import Bundle
from credential.data.parse import as_arrow
from credential.datalog.columns import Columns
from credential.types import (
    BoolType,
    DateType,
    Duration,
    DurationType,
    EnumType,
    NumberType,
    PercentType,
    ScaleType,
    TextType,
    ValueType,
)


@dataclass
class FactBase:
    """Everything the evaluator and the explainer need from the bundle on one as-of date."""

    as_of: dt.date
    relations: dict[str, Columns | list[tuple[Any, ...]]]  # Columns for everything but params
    derived: dict[str, Any]  # value predicate -> asof.Derived (values + evidence per provider)
    requests: dict[str, Any]  # value predicate -> the asof request it was derived from
    params: dict[str, tuple[Any, dt.date | None]]  # name -> (value, since)
    status_derived: dict[str, Any] = field(default_factory=dict)
    codes: Any = None  # the provider codes, sorted (numpy object array): a provider's id is its position


def _months(within: ir.Within | None, params: dict[str, tuple[Any, dt.date | None]]) -> int | None:
    if within is None:
        return None
    if isinstance(within, Duration):
        return within.months
    value = params[within.name][0]
    return int(value.months if isinstance(value, Duration) else value)


def request_for(value: ir.ProviderValue, params: dict[str, tuple[Any, dt.date | None]]) -> Any:
    if isinstance(value, ir.VAttr):
        return asof.AttributeValue(value.name)
    if isinstance(value, ir.VLatest):
        return asof.LatestMeasure(value.measure, _months(value.max_age, params))
    if isinstance(value, ir.VWindow):
        age = _months(value.max_age, params)
        if value.func == "pooled":
            minimum = value.minimum
            if isinstance(minimum, ir.VParam):
                minimum = float(params[minimum.name][0])
            return asof.WindowAggregate("pooled", value.measure, value.months, max_age_months=age, minimum=minimum)
        return asof.WindowAggregate(value.func, value.measure, value.months, max_age_months=age)
    if isinstance(value, ir.VPeer):
        minimum = value.minimum
        if isinstance(minimum, ir.VParam):
            minimum = float(params[minimum.name][0])
        return asof.PeerPosition(value.func, request_for(value.base, params), value.among, minimum)
    return asof.ArrangementCount(value.role, value.form, _months(value.within, params), value.held)


def param_values(policy: ir.CheckedPolicy, as_of: dt.date) -> dict[str, tuple[Any, dt.date | None]]:
    return {name: p.value_at(as_of, policy.effective) for name, p in policy.params.items()}


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def datalog_column(values: pd.Series, t: ValueType) -> tuple[np.ndarray, np.ndarray]:
    """A derived value column in its Datalog representation, vectorised: (present mask, values).

    Equal, value for value, to :func:`credential.compile.names.to_datalog` on the Python values
    (tested); missing values (NA) are left out by the mask.
    """
    present = values.notna().to_numpy(dtype=bool)
    kept = values[present]
    if isinstance(t, ScaleType):
        if isinstance(kept.dtype, pd.StringDtype):  # levels as text: ranked in Arrow
            found = pc.index_in(as_arrow(kept), value_set=pa.array(list(t.levels), type=pa.large_string()))
            if found.null_count == 0:
                return present, np.asarray(found.to_numpy(zero_copy_only=False)).astype(np.int64)
        raw = kept.to_numpy(dtype=object)
        ranks = asof.level_ranks(raw, t.levels)
        if np.isnan(ranks).any():  # not levels (numbers already ranks)
            by_level = {level: i for i, level in enumerate(t.levels)}
            return present, np.array([by_level[v] if isinstance(v, str) else int(v) for v in raw], dtype=np.int64)
        return present, ranks.astype(np.int64)
    if isinstance(t, EnumType | TextType):
        return present, kept.astype(object).to_numpy(dtype=object)
    if isinstance(t, BoolType):
        return present, kept.to_numpy(dtype=bool)
    if isinstance(t, DateType):
        days = kept.to_numpy(dtype="datetime64[D]").astype(np.int64)
        return present, days + _EPOCH_ORDINAL
    if isinstance(t, DurationType):
        return present, kept.to_numpy(dtype=np.int64)
    if isinstance(t, NumberType | PercentType):
        return present, kept.to_numpy(dtype=np.float64)
    raise TypeError(f"no Datalog representation for {t}")  # pragma: no cover


def _ids(derived: asof.Derived, codes: np.ndarray, check: bool = False) -> np.ndarray:
    """Provider ids of a derived column (its rows are the bundle's providers, in code order)."""
    same = len(derived.values) == len(codes)
    if same and check:
        same = bool((derived.values["code"].to_numpy(dtype=object) == codes).all())
    if not same:  # pragma: no cover - asof answers one row per provider, in code order
        raise AssertionError("a derived value column must have one row per provider, in code order")
    return np.arange(len(codes), dtype=np.int64)


def build_facts(
    compiled: CompiledPolicy, bundle: Bundle, as_of: dt.date, held_at: asof.HeldAt | None = None
) -> FactBase:
    """The program's input facts as of ``as_of``, in columns (no per-value Python on this path).

    ``held_at(credential, date, pids)`` decides a credential as of an earlier date for the grace
    condition (``held C at start of arrangement led ...``); None: no grace (every such
    condition false), as when deciding a credential as of an arrangement's start."""
    policy = compiled.policy
    params = param_values(policy, as_of)
    requests = {pred: request_for(v, params) for pred, v in sorted(compiled.values.items())}
    status_requests = {name: asof.StatusActive(name) for name in sorted(compiled.statuses)}
    results = asof.derive(bundle, [*requests.values(), *status_requests.values()], as_of, held_at)
    codes = np.array(bundle.provider_codes, dtype=object)  # sorted; a provider's id is its position
    relations: dict[str, Columns | list[tuple[Any, ...]]] = {
        names.PROVIDER: Columns([np.arange(len(codes), dtype=np.int64)]),
    }
    derived: dict[str, Any] = {}
    for i, (pred, req) in enumerate(requests.items()):
        d = results[req]
        derived[pred] = d
        present, values = datalog_column(d.values["value"], compiled.values[pred].type)
        relations[pred] = Columns([_ids(d, codes, check=i == 0)[present], values])
        key = compiled.values[pred]
        if names.stale_refuses(key):  # fresh and stale values: what the value possibly is
            possible = d.values["value"] if d.stale_values is None else d.values["value"].fillna(d.stale_values)
            present, values = datalog_column(possible, key.type)
            relations[names.possible_pred(key)] = Columns([_ids(d, codes)[present], values])
    status_derived: dict[str, Any] = {}
    for name, req in status_requests.items():
        d = results[req]
        status_derived[name] = d
        ids = _ids(d, codes)
        value = d.values["value"]
        known = value.notna().to_numpy(dtype=bool)
        active = known & value.fillna(False).to_numpy(dtype=bool)
        relations[names.status_pred(name)] = Columns([ids[active]])
        relations[names.status_unknown_pred(name)] = Columns([ids[~known]])
    for name in sorted(compiled.params):
        p = policy.params[name]
        relations[names.param_pred(name)] = [(names.to_datalog(params[name][0], p.type),)]
    return FactBase(as_of, relations, derived, requests, params, status_derived, codes)


def fact_count(facts: FactBase) -> int:
    return sum(len(rows) for rows in facts.relations.values())
