"""Which declarations differ between two checked policies, each said in a short human form.

Two versions of a declaration differ when their checked IR differs: IR nodes compare
structurally (spans and the text as written are ignored), so re-wrapping a condition or
moving a rule changes nothing here.  A param is compared on its whole definition and on the
value in force on the as-of date; only the latter can change a decision on that date.

Every change gets a stable id, shaped like the decision subjects where it can be:

==========================  ============================================================
``criterion:NAME``          a criterion (requires / unless; title and cites alone are not decisive)
``credential:NAME``         a credential
``form:NAME:lead``          a form's ``lead requires`` (likewise ``:recipient``, ``:pair``)
``form:NAME``               a whole form added or removed; or its title / cites / change level
``param:NAME``              a param (default and ``from`` steps)
``measure:NAME``            a measure's type (``attribute:``, ``scale:`` levels, ``status:`` likewise)
``source:NAME``             a source's citation (never decisive)
==========================  ============================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from credential.check import ir
from credential.types import (
    BoolType,
    DateType,
    Duration,
    DurationType,
    NumberType,
    PercentType,
    ScaleType,
    TextType,
    ValueType,
)

ChangeStatus = Literal["changed", "added", "removed"]

KIND_ORDER = ("scale", "attribute", "measure", "status", "param", "criterion", "credential", "form", "source")
PART_ORDER = {None: 0, "lead": 1, "recipient": 2, "pair": 3}


@dataclass(frozen=True)
class DeclChange:
    """One declaration (or one part of a form) that differs between the two versions."""

    id: str
    kind: str
    name: str
    part: str | None
    status: ChangeStatus
    details: tuple[str, ...]
    """What changed, one short line each (e.g. "requires: `a and b` → `a and c`")."""
    decisive: bool
    """Whether the change can alter a decision on the as-of date (titles, cites, the change
    level and a param whose value in force is the same cannot)."""
    old_source: str | None = None
    new_source: str | None = None

    @property
    def label(self) -> str:
        """``credential group_leader``, ``form chain_group pair``, ``param grace_period``."""
        return f"{self.kind} {self.name}" + (f" {self.part}" if self.part else "")

    def sort_key(self) -> tuple[int, str, int]:
        return (KIND_ORDER.index(self.kind), self.name, PART_ORDER.get(self.part, 9))

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "part": self.part,
            "status": self.status,
            "details": list(self.details),
            "decisive": self.decisive,
            "old_source": self.old_source,
            "new_source": self.new_source,
        }


# ---- showing values and conditions ------------------------------------------------


def literal(value: Any, t: ValueType) -> str:
    """A value written as a policy literal (``92%``, ``24 months``, ``3``, ``good``, ``yes``)."""
    if value is None:
        return "missing"
    if isinstance(value, ir.Trajectory):
        return (
            f"trajectory {literal(value.start, t)} on {value.start_date.isoformat()}"
            f" to {literal(value.end, t)} on {value.end_date.isoformat()}"
        )
    if isinstance(t, PercentType):
        return f"{float(value) * 100:.10g}%"
    if isinstance(t, DurationType) or isinstance(value, Duration):
        months = value.months if isinstance(value, Duration) else int(value)
        return f"{months} month" + ("s" if months != 1 else "")
    if isinstance(t, BoolType):
        return "yes" if value else "no"
    if isinstance(t, DateType) and isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(t, NumberType):
        return f"{float(value):.10g}"
    if isinstance(t, TextType):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def param_definition(p: ir.Param) -> str:
    out = f"= {literal(p.default, p.type)}"
    for date, value in p.steps:
        out += f", from {date.isoformat()} = {literal(value, p.type)}"
    return out


def short_change(old: str, new: str, limit: int = 60, before: int = 3, after: int = 2) -> str:
    """```old` → `new``, trimmed to the part that differs (with a little context) when long."""
    if len(old) <= limit and len(new) <= limit:
        return f"`{old}` → `{new}`"
    a, b = old.split(), new.split()
    pre = 0
    while pre < min(len(a), len(b)) and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < min(len(a), len(b)) - pre and a[-1 - suf] == b[-1 - suf]:
        suf += 1
    start = max(0, pre - before)
    if start <= 1:  # eliding a single word saves nothing
        start = 0
    keep = min(suf, after)
    if suf - keep <= 1:
        keep = suf

    def cut(tokens: list[str]) -> str:
        body = tokens[start : len(tokens) - suf + keep]
        head = ["..."] if start > 0 else []
        tail = ["..."] if suf > keep else []
        return " ".join([*head, *body, *tail])

    return f"`{cut(a)}` → `{cut(b)}`"


def _cond_text(c: ir.Cond | None) -> str:
    return "(none)" if c is None else (c.text or type(c).__name__)


def _cond_change(what: str, old: ir.Cond | None, new: ir.Cond | None) -> str:
    ot, nt = _cond_text(old), _cond_text(new)
    if ot == nt:  # same words, different meaning: a name or type it uses changed
        return f"{what}: `{ot}` (same text; a name or type it uses now means something else)"
    return f"{what}: {short_change(ot, nt)}"


def _cites_changes(old: tuple[ir.Citation, ...], new: tuple[ir.Citation, ...]) -> list[str]:
    o = [(c.source, c.locator) for c in old]
    n = [(c.source, c.locator) for c in new]
    out = [f'cites: - {s} "{loc}"' for s, loc in o if (s, loc) not in n]
    out += [f'cites: + {s} "{loc}"' for s, loc in n if (s, loc) not in o]
    return out


def _where(span: Any) -> str | None:
    try:
        return f"{span.path}:{span.line}"
    except AttributeError:  # NOWHERE
        return None


def _presence(kind: str, name: str, o: Any, n: Any, details: Sequence[str]) -> DeclChange:
    """A declaration added (``o`` is None) or removed (``n`` is None), with where it is written."""
    return DeclChange(
        f"{kind}:{name}",
        kind,
        name,
        None,
        "added" if o is None else "removed",
        tuple(details),
        True,
        _where(o.span) if o else None,
        _where(n.span) if n else None,
    )


def _levels(t: ValueType) -> str:
    return " < ".join(t.levels) if isinstance(t, ScaleType) else str(t)


# ---- comparing ------------------------------------------------------------------------


def _rule_changes(
    kind: Literal["criterion", "credential"], old: dict[str, ir.Rule], new: dict[str, ir.Rule]
) -> list[DeclChange]:
    out: list[DeclChange] = []
    for name in sorted(set(old) | set(new)):
        o, n = old.get(name), new.get(name)
        if o == n:
            continue
        if o is None or n is None:
            r = n if o is None else o
            assert r is not None
            status: ChangeStatus = "added" if o is None else "removed"
            details = [f"{status}: requires `{_cond_text(r.requires)}`"]
            if r.unless is not None:
                details.append(f"unless `{_cond_text(r.unless)}`")
            out.append(_presence(kind, name, o, n, details))
            continue
        details = []
        decisive = False
        if o.requires != n.requires:
            details.append(_cond_change("requires", o.requires, n.requires))
            decisive = True
        if o.unless != n.unless:
            details.append(_cond_change("unless", o.unless, n.unless))
            decisive = True
        if o.scope != n.scope:
            details.append(_cond_change("applies to", o.scope, n.scope))
            decisive = True
        if o.title != n.title:
            details.append(f'title: "{o.title or ""}" → "{n.title or ""}"')
        details += _cites_changes(o.cites, n.cites)
        if details:
            out.append(
                DeclChange(
                    f"{kind}:{name}",
                    kind,
                    name,
                    None,
                    "changed",
                    tuple(details),
                    decisive,
                    _where(o.span),
                    _where(n.span),
                )
            )
    return out


def _form_changes(old: dict[str, ir.Form], new: dict[str, ir.Form]) -> list[DeclChange]:
    out: list[DeclChange] = []
    for name in sorted(set(old) | set(new)):
        o, n = old.get(name), new.get(name)
        if o == n:
            continue
        if o is None or n is None:
            f = n if o is None else o
            assert f is not None
            status: ChangeStatus = "added" if o is None else "removed"
            details = [
                f"{status} (change {f.change})",
                f"lead requires `{_cond_text(f.lead)}`",
                f"recipient requires `{_cond_text(f.recipient)}`",
            ]
            if f.pair is not None:
                details.append(f"pair requires `{_cond_text(f.pair)}`")
            out.append(_presence("form", name, o, n, details))
            continue
        parts: tuple[tuple[str, ir.Cond | None, ir.Cond | None, Any, Any], ...] = (
            ("lead", o.lead, n.lead, o.lead_span, n.lead_span),
            ("recipient", o.recipient, n.recipient, o.recipient_span, n.recipient_span),
            ("pair", o.pair, n.pair, o.pair_span, n.pair_span),
        )
        for part, oc, nc, ospan, nspan in parts:
            if oc != nc:
                detail = _cond_change(f"{part} requires", oc, nc)
                out.append(
                    DeclChange(
                        f"form:{name}:{part}",
                        "form",
                        name,
                        part,
                        "changed",
                        (detail,),
                        True,
                        _where(ospan),
                        _where(nspan),
                    )
                )
        other = []
        if o.change != n.change:
            other.append(f"change: {o.change} → {n.change} (the risk level; no decision reads it)")
        if o.title != n.title:
            other.append(f'title: "{o.title or ""}" → "{n.title or ""}"')
        other += _cites_changes(o.cites, n.cites)
        if other:
            out.append(
                DeclChange(
                    f"form:{name}",
                    "form",
                    name,
                    None,
                    "changed",
                    tuple(other),
                    False,
                    _where(o.span),
                    _where(n.span),
                )
            )
    return out


def _param_changes(old: ir.CheckedPolicy, new: ir.CheckedPolicy, as_of: dt.date) -> list[DeclChange]:
    out: list[DeclChange] = []
    day = as_of.isoformat()
    for name in sorted(set(old.params) | set(new.params)):
        o, n = old.params.get(name), new.params.get(name)
        if o == n:
            continue
        if o is None or n is None:
            p = n if o is None else o
            assert p is not None
            status: ChangeStatus = "added" if o is None else "removed"
            value = literal(p.value_at(as_of, None)[0], p.type)
            details = (f"{status}: `{param_definition(p)}` ({value} in force on {day})",)
            out.append(_presence("param", name, o, n, details))
            continue
        vo = o.value_at(as_of, old.effective)[0]
        vn = n.value_at(as_of, new.effective)[0]
        so, sn = literal(vo, o.type), literal(vn, n.type)
        differs = vo != vn or so != sn
        lines = [f"{so} → {sn} (in force on {day})" if differs else f"{sn} in force on {day} in both"]
        if o.steps or n.steps or not differs:
            lines.append(f"definition: `{param_definition(o)}` → `{param_definition(n)}`")
        out.append(
            DeclChange(
                f"param:{name}",
                "param",
                name,
                None,
                "changed",
                tuple(lines),
                differs,
                _where(o.span),
                _where(n.span),
            )
        )
    return out


def _same_type(o: ValueType | None, n: ValueType | None) -> bool:
    """Equal types; a scale counts by name (a change of its levels is the scale's own change)."""
    if isinstance(o, ScaleType) and isinstance(n, ScaleType):
        return o.name == n.name
    return o == n


def _typed_changes(kind: str, old: dict[str, ValueType], new: dict[str, ValueType]) -> list[DeclChange]:
    out: list[DeclChange] = []
    show = _levels if kind == "scale" else str
    for name in sorted(set(old) | set(new)):
        o, n = old.get(name), new.get(name)
        if (kind != "scale" and _same_type(o, n)) or o == n:
            continue
        if o is None or n is None:
            status: ChangeStatus = "added" if o is None else "removed"
            t = n if o is None else o
            assert t is not None
            detail = f"{status} ({show(t)})"
            out.append(DeclChange(f"{kind}:{name}", kind, name, None, status, (detail,), True))
            continue
        what = "levels" if kind == "scale" else "type"
        out.append(
            DeclChange(f"{kind}:{name}", kind, name, None, "changed", (f"{what}: `{show(o)}` → `{show(n)}`",), True)
        )
    return out


def _status_changes(old: dict[str, str | None], new: dict[str, str | None]) -> list[DeclChange]:
    out: list[DeclChange] = []
    for name in sorted(set(old) | set(new)):
        if name in old and name in new:
            if old[name] != new[name]:
                out.append(
                    DeclChange(
                        f"status:{name}",
                        "status",
                        name,
                        None,
                        "changed",
                        (f'title: "{old[name] or ""}" → "{new[name] or ""}"',),
                        False,
                    )
                )
            continue
        status: ChangeStatus = "added" if name in new else "removed"
        out.append(DeclChange(f"status:{name}", "status", name, None, status, (status,), True))
    return out


def _source_changes(old: dict[str, str], new: dict[str, str]) -> list[DeclChange]:
    out: list[DeclChange] = []
    for name in sorted(set(old) | set(new)):
        o, n = old.get(name), new.get(name)
        if o == n:
            continue
        if o is None or n is None:
            status: ChangeStatus = "added" if o is None else "removed"
            detail = f'{status}: "{n or o}"'
            out.append(DeclChange(f"source:{name}", "source", name, None, status, (detail,), False))
        else:
            out.append(
                DeclChange(
                    f"source:{name}",
                    "source",
                    name,
                    None,
                    "changed",
                    (f"citation: {short_change(o, n)}",),
                    False,
                )
            )
    return out


def compare_policies(old: ir.CheckedPolicy, new: ir.CheckedPolicy, as_of: dt.date) -> list[DeclChange]:
    """Every declaration that differs between ``old`` and ``new``, in a stable order."""
    out = [
        *_typed_changes("scale", old.scales, new.scales),
        *_typed_changes("attribute", old.attributes, new.attributes),
        *_typed_changes("measure", old.measures, new.measures),
        *_status_changes(old.statuses, new.statuses),
        *_param_changes(old, new, as_of),
        *_rule_changes("criterion", old.criteria, new.criteria),
        *_rule_changes("credential", old.credentials, new.credentials),
        *_form_changes(old.forms, new.forms),
        *_source_changes(old.sources, new.sources),
    ]
    return sorted(out, key=DeclChange.sort_key)
