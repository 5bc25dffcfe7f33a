"""Predicate names the compiler makes, and the Datalog representation of policy values.

Every generated name is built from identifiers the grammar admitted
(``[A-Za-z_][A-Za-z0-9_]*``) and fixed prefixes, so no policy text can smuggle anything
into a program.  Values enter Datalog in one representation per type:

============  ===========================================
scale         its rank (int, 0 = lowest level)
one of, text  str
yes/no        bool
date          proleptic ordinal (int), so dates compare
number        float
percent       float (a fraction)
============  ===========================================

Providers enter Datalog as integer ids (their position in the bundle's sorted provider codes,
``FactBase.codes``): the language never compares a provider's code with anything, so only
equality matters, and integer joins are cheaper than string joins.  ``provider_columns`` says
which arguments hold ids; ``credential.evaluation.evaluate.Evaluation`` turns them back into codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from credential.check import ir
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

PROVIDER = "provider"


def crit(name: str) -> tuple[str, str]:
    return f"c_crit_{name}", f"p_crit_{name}"


def cred(name: str) -> tuple[str, str]:
    return f"c_cred_{name}", f"p_cred_{name}"


def rule_preds(kind: str, name: str) -> tuple[str, str]:
    return crit(name) if kind == "criterion" else cred(name)


def role_preds(form: str, role: str) -> tuple[str, str]:
    return f"c_{role}_{form}", f"p_{role}_{form}"


def pair_preds(form: str) -> tuple[str, str]:
    return f"c_pair_{form}", f"p_pair_{form}"


def pair_domain(form: str) -> str:
    return f"pcand_{form}"


def status_pred(name: str) -> str:
    return f"st_{name}"


def status_unknown_pred(name: str) -> str:
    return f"st_unknown_{name}"


def param_pred(name: str) -> str:
    return f"param_{name}"


def provider_columns(pred: str, arity: int) -> tuple[int, ...]:
    """The argument positions of ``pred`` that hold a provider (an id in facts and models).

    Parameters hold values only; a value predicate ``v_*`` holds (provider, value); every other
    predicate the compiler makes (conditions, rules, roles, pairs, statuses, ``known_*``,
    ``provider``) holds providers only.
    """
    if pred.startswith("param_"):
        return ()
    if pred.startswith(("v_", "pv_")):  # a value, or a stale-may-refuse value's possible values
        return (0,)
    return tuple(range(arity))


def value_key(v: ir.ProviderValue) -> ir.ProviderValue:
    """The value regardless of whose it is (``lead.x`` and ``x`` read the same facts)."""
    if isinstance(v, ir.VArrCount):
        return ir.VArrCount(v.role, v.form, v.within, None, v.type, held=v.held)
    if isinstance(v, ir.VAttr):
        return ir.VAttr(v.name, v.type)
    if isinstance(v, ir.VLatest):
        return ir.VLatest(v.measure, v.type, max_age=v.max_age, stale_refuses=v.stale_refuses)
    if isinstance(v, ir.VPeer):
        base = value_key(v.base)
        assert not isinstance(base, ir.VPeer)
        peer_minimum = ir.VParam(v.minimum.name, v.minimum.type) if isinstance(v.minimum, ir.VParam) else v.minimum
        return ir.VPeer(v.func, base, v.among, v.type, None, peer_minimum)
    minimum = ir.VParam(v.minimum.name, v.minimum.type) if isinstance(v.minimum, ir.VParam) else v.minimum
    return ir.VWindow(
        v.func, v.measure, v.months, v.type, None, minimum, max_age=v.max_age, stale_refuses=v.stale_refuses
    )


def _age_slug(v: ir.VLatest | ir.VWindow) -> str:
    """``_age60m`` / ``_age_PARAM`` for a max age, ``_sr`` when stale evidence may still refuse."""
    if v.max_age is None:
        return ""
    age = f"_age{v.max_age.months}m" if isinstance(v.max_age, Duration) else f"_age_{v.max_age.name}"
    return age + ("_sr" if v.stale_refuses else "")


def value_slug(v: ir.ProviderValue) -> str:
    if isinstance(v, ir.VAttr):
        return f"attr_{v.name}"
    if isinstance(v, ir.VLatest):
        return f"latest_{v.measure}{_age_slug(v)}"
    if isinstance(v, ir.VWindow):
        return f"{v.func}_{v.measure}_{v.months}m" + _minimum_slug(v.minimum) + _age_slug(v)
    if isinstance(v, ir.VPeer):
        return f"{v.func}_{value_slug(v.base)}_among_{v.among}" + _minimum_slug(v.minimum)
    parts = ["arr", "led" if v.role == "lead" else "received"]
    if v.held:
        parts = ["held", v.held, *parts]
    if v.form:
        parts += ["as", v.form]
    if isinstance(v.within, Duration):
        parts += ["within", f"{v.within.months}m"]
    elif isinstance(v.within, ir.VParam):
        parts += ["within", v.within.name]
    return "_".join(parts)


def _minimum_slug(minimum: float | ir.VParam | None) -> str:
    """``_min20`` / ``_min_PARAM``: a pooled window's minimum in a predicate name (digits only:
    a fractional minimum keeps its digits, ``_min12p5``)."""
    if minimum is None:
        return ""
    if isinstance(minimum, ir.VParam):
        return f"_min_{minimum.name}"
    text = f"{minimum:g}".replace(".", "p").replace("+", "").replace("-", "m")
    return f"_min{text}"


def value_pred(v: ir.ProviderValue) -> str:
    return "v_" + value_slug(v)


def possible_pred(v: ir.ProviderValue) -> str:
    """A stale-may-refuse value's possible values: fresh ones and stale ones (see compile.program)."""
    return "pv_" + value_slug(v)


def stale_refuses(v: ir.ProviderValue) -> bool:
    return isinstance(v, ir.VLatest | ir.VWindow) and v.max_age is not None and v.stale_refuses


def known_pred(v: ir.ProviderValue) -> str:
    return "known_" + value_slug(v)


def to_datalog(value: Any, t: ValueType) -> Any:
    """A policy or data value in its Datalog representation (see module docstring)."""
    if isinstance(t, ScaleType):
        return t.rank(value) if isinstance(value, str) else int(value)
    if isinstance(t, EnumType | TextType):
        return str(value)
    if isinstance(t, BoolType):
        return bool(value)
    if isinstance(t, DateType):
        if isinstance(value, dt.datetime):
            value = value.date()
        return value.toordinal() if isinstance(value, dt.date) else int(value)
    if isinstance(t, DurationType):
        return value.months if isinstance(value, Duration) else int(value)
    if isinstance(t, NumberType | PercentType):
        return float(value)
    raise TypeError(f"no Datalog representation for {t}")  # pragma: no cover


def from_datalog(value: Any, t: ValueType) -> Any:
    """The inverse of :func:`to_datalog`, for explanations."""
    if isinstance(t, ScaleType):
        return t.levels[int(value)]
    if isinstance(t, DateType):
        return dt.date.fromordinal(int(value))
    if isinstance(t, DurationType):
        return Duration(int(value))
    return value
