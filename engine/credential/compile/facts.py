"""The facts of a validated bundle as of a date, in the compiled program's predicates.

Latest values, window aggregates, active statuses and arrangement counts are derived in
the data layer (:mod:`credential.data.asof`, vectorised pandas) rather than in Datalog:
pyDatalog's aggregates collapse equal rows (facts are sets), date arithmetic on calendar
months is awkward in Datalog, and the same derivation gives the explainer its evidence
rows.  Datalog then sees one fact per provider and value: ``v_latest_cqc_overall("RM3", 3)``.
A missing value is simply no fact, which the ``known_*`` predicates turn into *unknown*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from credential.check import ir
from credential.compile import names
from credential.compile.program import CompiledPolicy
from credential.data import asof
from credential.data.bundle import Bundle
from credential.types import Duration


@dataclass
class FactBase:
    """Everything the evaluator and the explainer need from the bundle on one as-of date."""

    as_of: dt.date
    relations: dict[str, list[tuple[Any, ...]]]
    derived: dict[str, Any]  # value predicate -> asof.Derived (values + evidence per provider)
    requests: dict[str, Any]  # value predicate -> the asof request it was derived from
    params: dict[str, tuple[Any, dt.date | None]]  # name -> (value, since)
    status_derived: dict[str, Any] = field(default_factory=dict)


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
        return asof.LatestMeasure(value.measure)
    if isinstance(value, ir.VWindow):
        return asof.WindowAggregate(value.func, value.measure, value.months)
    return asof.ArrangementCount(value.role, value.form, _months(value.within, params))


def param_values(policy: ir.CheckedPolicy, as_of: dt.date) -> dict[str, tuple[Any, dt.date | None]]:
    return {name: p.value_at(as_of, policy.effective) for name, p in policy.params.items()}


def _column(derived: asof.Derived) -> tuple[list[str], list[Any]]:
    values = derived.to_dict()
    return list(values), list(values.values())


def _present(v: Any) -> bool:
    return v is not None


def build_facts(compiled: CompiledPolicy, bundle: Bundle, as_of: dt.date) -> FactBase:
    policy = compiled.policy
    params = param_values(policy, as_of)
    requests = {pred: request_for(v, params) for pred, v in sorted(compiled.values.items())}
    status_requests = {name: asof.StatusActive(name) for name in sorted(compiled.statuses)}
    results = asof.derive(bundle, [*requests.values(), *status_requests.values()], as_of)
    relations: dict[str, list[tuple[Any, ...]]] = {
        names.PROVIDER: [(c,) for c in bundle.provider_codes],
    }
    derived: dict[str, Any] = {}
    for pred, req in requests.items():
        value = compiled.values[pred]
        d = results[req]
        derived[pred] = d
        codes, values = _column(d)
        t = value.type
        relations[pred] = [(c, names.to_datalog(v, t)) for c, v in zip(codes, values, strict=True) if _present(v)]
    status_derived: dict[str, Any] = {}
    for name, req in status_requests.items():
        d = results[req]
        status_derived[name] = d
        codes, values = _column(d)
        relations[names.status_pred(name)] = [(c,) for c, v in zip(codes, values, strict=True) if v is True]
        relations[names.status_unknown_pred(name)] = [
            (c,) for c, v in zip(codes, values, strict=True) if not _present(v)
        ]
    for name in sorted(compiled.params):
        p = policy.params[name]
        relations[names.param_pred(name)] = [(names.to_datalog(params[name][0], p.type),)]
    return FactBase(as_of, relations, derived, requests, params, status_derived)
