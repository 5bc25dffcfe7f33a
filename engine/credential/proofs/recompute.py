"""An independent re-derivation of values and truth, for ``credential verify``.

Nothing here uses the Datalog engine or the vectorised as-of derivation: values are
recomputed row by row from the validated bundle's tables, and conditions are evaluated
directly in Kleene's three-valued logic.  If the engine and this module ever disagree,
``verify`` says so.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from typing import Any

import pandas as pd

from credential.check import ir
from credential.data.bundle import Bundle
from credential.evaluation.decisions import Truth
from credential.proofs.qualify import value_id
from credential.proofs.values import is_missing, missing_text, peer_missing_text
from credential.types import Duration, ScaleType

Rows = set[tuple[str, int]]


def minus_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.year * 12 + (d.month - 1) - months, 12)
    m += 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _date(v: Any) -> dt.date | None:
    if is_missing(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    stamp: dt.date = pd.Timestamp(v).date()
    return stamp


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = frame.to_dict("records")
    return rows


def k_and(ts: list[Truth]) -> Truth:
    if Truth.FALSE in ts:
        return Truth.FALSE
    return Truth.UNKNOWN if Truth.UNKNOWN in ts else Truth.TRUE


def k_or(ts: list[Truth]) -> Truth:
    if Truth.TRUE in ts:
        return Truth.TRUE
    return Truth.UNKNOWN if Truth.UNKNOWN in ts else Truth.FALSE


def k_not(t: Truth) -> Truth:
    return {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE, Truth.UNKNOWN: Truth.UNKNOWN}[t]


def leaf_key(cond: ir.Cond) -> tuple[str, int, int]:
    return (cond.text, cond.span.line, cond.span.column)


class Recompute:
    def __init__(self, policy: ir.CheckedPolicy, bundle: Bundle, as_of: dt.date, grace: bool = True):
        self.grace = grace  # False: deciding as of an arrangement's start (no `held ...` holds)
        self._at: dict[dt.date, Recompute] = {}
        self.policy = policy
        self.bundle = bundle
        self.as_of = as_of
        self.overrides: dict[tuple[tuple[str, int, int], str], bool] = {}
        # counterfactual values (credential.proofs.qualify.value_id -> value): what to_qualify's changes set
        self.value_overrides: dict[tuple[Any, ...], Any] = {}
        self.providers: dict[str, dict[str, Any]] = {str(r["code"]): r for r in _records(bundle.providers)}
        self.q_providers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in _records(bundle.quarantine.providers):
            self.q_providers[str(r["code"])].append(r)
        self.obs: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in _records(bundle.observations):
            self.obs[(str(r["code"]), str(r["measure"]))].append(r)
        self.q_obs = _records(bundle.quarantine.observations)
        self.statuses: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in _records(bundle.statuses):
            self.statuses[(str(r["code"]), str(r["status"]))].append(r)
        self.q_statuses = _records(bundle.quarantine.statuses)
        self.coverage = _records(bundle.coverage)
        self.arr = _records(bundle.arrangements)
        self.q_arr = _records(bundle.quarantine.arrangements)
        self._rules: dict[tuple[str, str], Truth] = {}
        self._values: dict[tuple[Any, str], tuple[Any, Rows]] = {}
        self._truths: dict[tuple[Any, tuple[str, ...]], Truth] = {}
        self._stale: dict[tuple[Any, str], tuple[Any, dt.date | None, int]] = {}
        self._peers: dict[tuple[str, Any], dict[str, tuple[float | None, float, str, int]]] = {}

    # ---- values -------------------------------------------------------------
    def param(self, name: str) -> tuple[Any, dt.date | None]:
        return self.policy.params[name].value_at(self.as_of, self.policy.effective)

    def months(self, within: ir.Within | None) -> int | None:
        if within is None:
            return None
        if isinstance(within, Duration):
            return within.months
        value = self.param(within.name)[0]
        return value.months if isinstance(value, Duration) else int(value)

    def value(self, v: ir.Value, code: str) -> tuple[Any, Rows]:
        """A value for one provider, with the rows it rests on (cached: the data's values, not overridden ones)."""
        if self.value_overrides:
            vid = value_id(v, code)
            if vid is not None and vid in self.value_overrides:
                return self.value_overrides[vid], set()
        key = (v, code)
        if key not in self._values:
            value, rows = self._value(v, code)
            if value is not None and isinstance(v, ir.VLatest | ir.VWindow) and v.max_age is not None:
                months = self.months(v.max_age)
                assert months is not None
                newest = self._newest(v, code)
                if newest is None or newest <= minus_months(self.as_of, months):
                    self._stale[key] = (value, newest, months)
                    value = None
            self._values[key] = (value, rows)
        value, rows = self._values[key]
        return value, set(rows)

    def stale_of(self, v: ir.Value, code: str) -> tuple[Any, dt.date | None, int] | None:
        """(stale value, its newest evidence date, max age in months) when a value is past its max age."""
        self.value(v, code)
        return self._stale.get((v, code))

    def possible(self, v: ir.Value, code: str) -> Any:
        """A value, or for a stale-may-refuse value whose evidence is stale, the stale value."""
        value, _ = self.value(v, code)
        if value is None and isinstance(v, ir.VLatest | ir.VWindow) and v.stale_refuses:
            stale = self.stale_of(v, code)
            return None if stale is None else stale[0]
        return value

    def _newest(self, v: ir.VLatest | ir.VWindow, code: str) -> dt.date | None:
        """The newest observation date the value rests on (in its window, or on or before the as-of date)."""
        lo = minus_months(self.as_of, v.months) if isinstance(v, ir.VWindow) else None
        dates = [
            d
            for r in self.obs.get((code, v.measure), [])
            if (d := _date(r["period_end"])) is not None and d <= self.as_of and (lo is None or d > lo)
        ]
        return max(dates) if dates else None

    def _value(self, v: ir.Value, code: str) -> tuple[Any, Rows]:
        if isinstance(v, ir.VConst):
            return v.value, set()
        if isinstance(v, ir.VParam):
            return self.param(v.name)[0], set()
        if isinstance(v, ir.VAttr):
            return self._attr(v.name, code)
        if isinstance(v, ir.VLatest):
            return self._latest(v.measure, code)
        if isinstance(v, ir.VWindow):
            return self._window(v, code)
        if isinstance(v, ir.VPeer):
            position, _base, _group, _size = self.peer(v, code)
            _, base_rows = self.value(v.base, code)
            _, attr_rows = self._attr(v.among, code)
            return position, base_rows | attr_rows
        return self._arrangements(v.role, v.form, self.months(v.within), code, v.held)

    def _attr(self, name: str, code: str) -> tuple[Any, Rows]:
        rows: Rows = set()
        value = None
        row = self.providers.get(code)
        if row is not None:
            rows.add((str(row["file"]), int(row["row"])))
            raw = row.get(name)
            if not is_missing(raw):
                value = _date(raw) if isinstance(raw, pd.Timestamp | dt.datetime) else raw
                if value is not None and hasattr(value, "item"):
                    value = value.item()
        for q in self.q_providers.get(code, []):
            rows.add((str(q["file"]), int(q["row"])))
            value = None
        return value, rows

    def _q_obs_hits(
        self, code: str, measure: str, lo: dt.date | None, hi: dt.date, strict_lo: bool
    ) -> list[dict[str, Any]]:
        out = []
        for q in self.q_obs:
            if not (is_missing(q["code"]) or str(q["code"]) == code):
                continue
            if not (is_missing(q["measure"]) or str(q["measure"]) == measure):
                continue
            pe = _date(q["period_end"])
            if pe is not None:
                if pe > hi:
                    continue
                if lo is not None and (pe <= lo if strict_lo else pe < lo):
                    continue
            out.append(q)
        return out

    def _latest(self, measure: str, code: str) -> tuple[Any, Rows]:
        rows = [r for r in self.obs.get((code, measure), []) if _date(r["period_end"]) <= self.as_of]  # type: ignore[operator]
        value: Any = None
        ev: Rows = set()
        latest: dt.date | None = None
        if rows:
            latest = max(_date(r["period_end"]) for r in rows)  # type: ignore[type-var]
            at = [r for r in rows if _date(r["period_end"]) == latest]
            value = at[0]["value"]
            ev = {(str(r["file"]), int(r["row"])) for r in at}
        hits = self._q_obs_hits(code, measure, latest, self.as_of, strict_lo=False)
        if hits:
            value = None
            ev |= {(str(q["file"]), int(q["row"])) for q in hits}
        return (None if is_missing(value) else value), ev

    def _window(self, v: ir.VWindow, code: str) -> tuple[Any, Rows]:
        start = minus_months(self.as_of, v.months)
        rows = [
            r
            for r in self.obs.get((code, v.measure), [])
            if start < _date(r["period_end"]) <= self.as_of  # type: ignore[operator]
        ]
        ev: Rows = {(str(r["file"]), int(r["row"])) for r in rows}
        hits = self._q_obs_hits(code, v.measure, start, self.as_of, strict_lo=True)
        if hits:
            return None, ev | {(str(q["file"]), int(q["row"])) for q in hits}
        if v.func == "count":
            return float(len(rows)), ev
        if v.func == "pooled":
            return self._pooled(v, rows)[0], ev
        vals = [r["value"] for r in rows]
        if not vals or any(is_missing(x) for x in vals):
            return None, ev
        mtype = self.policy.measures[v.measure]
        if isinstance(mtype, ScaleType):
            ranks = [mtype.rank(x) for x in vals]
            pick = min(ranks) if v.func == "min" else max(ranks)
            return mtype.levels[pick], ev
        nums = [float(x) for x in vals]
        if v.func == "mean":
            return math.fsum(nums) / len(nums), ev
        return (min(nums) if v.func == "min" else max(nums)), ev

    def peer(self, v: ir.VPeer, code: str) -> tuple[float | None, float | None, str | None, int | None]:
        """(position, the provider's value, its group, the group's size) of a peer-relative value,
        counted provider by provider (see ``ir.VPeer``)."""
        key = ("peer", v)
        table = self._peers.get(key)
        if table is None:
            members: dict[str, list[tuple[str, float]]] = defaultdict(list)
            for c in self.providers:
                base, _ = self.value(v.base, c)
                group, _ = self._attr(v.among, c)
                if base is not None and group is not None:
                    members[str(group)].append((c, float(base)))
            minimum = self.minimum(v)
            need = max(2.0, minimum if minimum is not None else 0.0)
            table = {}
            for group, rows in members.items():
                size = len(rows)
                for c, base in rows:
                    position: float | None = None
                    if size >= need:
                        if v.func == "percentile":
                            position = sum(1 for _, b in rows if b < base) / (size - 1)
                        else:
                            position = float(1 + sum(1 for _, b in rows if b > base))
                    table[c] = (position, base, group, size)
            self._peers[key] = table
        if code in table:
            return table[code]
        base, _ = self.value(v.base, code)
        group, _ = self._attr(v.among, code)
        if group is None:
            return None, (None if base is None else float(base)), None, None
        size = sum(1 for _p, _b, g, _s in table.values() if g == str(group))
        return None, (None if base is None else float(base)), str(group), size

    def peer_members(self, v: ir.VPeer, group: str) -> list[tuple[float, float]]:
        """(value, position) of the members of a peer group whose position is known."""
        self.peer(v, next(iter(self.providers), ""))
        table = self._peers[("peer", v)]
        return [(b, p) for p, b, g, _ in table.values() if g == group and p is not None]

    def minimum(self, v: ir.VWindow | ir.VPeer) -> float | None:
        if isinstance(v.minimum, ir.VParam):
            return float(self.param(v.minimum.name)[0])
        return v.minimum

    def _pooled(self, v: ir.VWindow, rows: list[dict[str, Any]]) -> tuple[float | None, float | None, float | None]:
        """(sum of numerators / sum of denominators, the two sums) of a window's rows: the rate
        None when a row lacks a count, the sum is 0 or below the minimum; the sums None when a
        row lacks a count."""
        if not rows or any(is_missing(r.get("numerator")) or is_missing(r.get("denominator")) for r in rows):
            return None, None, None
        numerators = math.fsum(float(r["numerator"]) for r in rows)
        denominators = math.fsum(float(r["denominator"]) for r in rows)
        minimum = self.minimum(v)
        if denominators <= 0 or (minimum is not None and denominators < minimum):
            return None, numerators, denominators
        return numerators / denominators, numerators, denominators

    def pooled_counts(self, v: ir.VWindow, code: str) -> tuple[float | None, float | None]:
        """A pooled window's (sum of numerators, sum of denominators) for ``code``; None when not
        known (a row without counts, no rows, or a quarantined row that could be in it)."""
        start = minus_months(self.as_of, v.months)
        rows = [
            r
            for r in self.obs.get((code, v.measure), [])
            if start < _date(r["period_end"]) <= self.as_of  # type: ignore[operator]
        ]
        if self._q_obs_hits(code, v.measure, start, self.as_of, strict_lo=True):
            return None, None
        _, numerators, denominators = self._pooled(v, rows)
        return numerators, denominators

    def missing_text(self, v: ir.Value, code: str) -> str:
        """How a missing value is named (a pooled rate below its minimum with its count)."""
        if isinstance(v, ir.VPeer):
            _position, base, group, size = self.peer(v, code)
            return peer_missing_text(v, base, group, size, self.minimum(v))
        if not (isinstance(v, ir.VWindow) and v.func == "pooled"):
            return missing_text(v, None, None)
        return missing_text(v, self.pooled_counts(v, code)[1], self.minimum(v))

    def status(self, name: str, code: str) -> tuple[bool | None, Rows]:
        if ("status", name, code) in self.value_overrides:
            return bool(self.value_overrides[("status", name, code)]), set()
        rows = self.statuses.get((code, name), [])
        active = [
            r
            for r in rows
            if _date(r["start"]) <= self.as_of and (is_missing(r["end"]) or _date(r["end"]) > self.as_of)  # type: ignore[operator]
        ]
        if active:
            return True, {(str(r["file"]), int(r["row"])) for r in active}
        ev: Rows = {(str(r["file"]), int(r["row"])) for r in rows}
        hits = []
        for q in self.q_statuses:
            if not (is_missing(q["code"]) or str(q["code"]) == code):
                continue
            if not (is_missing(q["status"]) or str(q["status"]) == name):
                continue
            s, e = _date(q["start"]), _date(q["end"])
            if (s is None or s <= self.as_of) and (e is None or e > self.as_of):
                hits.append(q)
        if hits:
            return None, ev | {(str(q["file"]), int(q["row"])) for q in hits}
        covering = self.covering(name)
        if not covering:  # open world: no list of the status covers the date
            return None, ev
        return False, ev | covering

    def covering(self, name: str) -> Rows:
        """The coverage rows that declare the list of status ``name`` complete on the as-of date."""
        return {
            (str(c["file"]), int(c["row"]))
            for c in self.coverage
            if str(c["status"]) == name
            and _date(c["start"]) <= self.as_of  # type: ignore[operator]
            and (is_missing(c["end"]) or _date(c["end"]) > self.as_of)  # type: ignore[operator]
        }

    def held_truth(self, credential: str, code: str, day: dt.date) -> Truth:
        """The credential for one provider as of ``day``, decided without grace."""
        if day not in self._at:
            self._at[day] = Recompute(self.policy, self.bundle, day, grace=False)
        return self._at[day].rule_truth(self.policy.credentials[credential], code)

    def _held(self, credential: str, form: str | None, within: int | None, code: str) -> tuple[Any, Rows]:
        """The grace condition's count, row by row (see ``asof._held``)."""
        cutoff = minus_months(self.as_of, within) if within is not None else None
        ev: Rows = set()
        kept, maybe = 0, False
        for r in self.arr:
            if str(r["lead"]) != code or (form is not None and str(r["form"]) != form):
                continue
            s, e = _date(r["start"]), _date(r["end"])
            if e is not None and e <= self.as_of:
                continue
            if s is not None and (s > self.as_of or (cutoff is not None and not s > cutoff)):
                continue
            ev.add((str(r["file"]), int(r["row"])))
            if not self.grace:
                continue
            if s is None:
                maybe = True
                continue
            t = self.held_truth(credential, code, s)
            kept += t is Truth.TRUE
            maybe |= t is Truth.UNKNOWN
        if self.grace:
            for q in self.q_arr:
                if not (is_missing(q["lead"]) or str(q["lead"]) == code):
                    continue
                if form is not None and not (is_missing(q["form"]) or str(q["form"]) == form):
                    continue
                s, e = _date(q["start"]), _date(q["end"])
                if s is not None and (s > self.as_of or (cutoff is not None and not s > cutoff)):
                    continue
                if e is not None and e <= self.as_of:
                    continue
                if not kept:
                    maybe = True
                    ev.add((str(q["file"]), int(q["row"])))
        if maybe and not kept:
            return None, ev
        return float(kept), ev

    def _arrangements(
        self, role: str, form: str | None, within: int | None, code: str, held: str | None = None
    ) -> tuple[Any, Rows]:
        if held is not None:
            return self._held(held, form, within, code)
        cutoff = minus_months(self.as_of, within) if within is not None else None
        col = "lead" if role == "lead" else "recipient"
        other = "recipient" if col == "lead" else "lead"
        ev: Rows = set()
        hits = []
        for r in self.arr:
            # An empty cell is not known: a row that could be counted either way makes the count
            # unknown.  An empty role is one of the row's parties (any organisation without them)
            # other than the provider in the other role; a single such party is known.
            determined = True
            if is_missing(r[col]):
                listed, taken = r.get("parties"), r[other]
                if not is_missing(taken) and str(taken) == code:
                    continue
                if is_missing(listed):
                    determined = False
                else:
                    candidates = [c for c in str(listed).split() if is_missing(taken) or c != str(taken)]
                    if code not in candidates:
                        continue
                    determined = len(candidates) == 1
            elif str(r[col]) != code:
                continue
            s, e = _date(r["start"]), _date(r["end"])
            if e is not None and e <= self.as_of:
                continue
            if s is not None and (s > self.as_of or (cutoff is not None and not s > cutoff)):
                continue
            if form is not None and not is_missing(r["form"]) and str(r["form"]) != form:
                continue
            if s is None or not determined or (form is not None and is_missing(r["form"])):
                hits.append(r)
                continue
            ev.add((str(r["file"]), int(r["row"])))
        for q in self.q_arr:
            if not (is_missing(q[col]) or str(q[col]) == code):
                continue
            if form is not None and not (is_missing(q["form"]) or str(q["form"]) == form):
                continue
            s, e = _date(q["start"]), _date(q["end"])
            if s is not None and (s > self.as_of or (cutoff is not None and not s > cutoff)):
                continue
            if e is not None and e <= self.as_of:
                continue
            hits.append(q)
        if hits:
            return None, ev | {(str(q["file"]), int(q["row"])) for q in hits}
        return float(len(ev)), ev

    # ---- truth --------------------------------------------------------------
    @staticmethod
    def code_of(who: str | None, args: tuple[str, ...]) -> str:
        if len(args) == 1:
            return args[0]
        return args[0] if who == "lead" else args[1]

    def compare(self, op: str, a: Any, b: Any, t: Any) -> bool:
        if isinstance(t, ScaleType):
            a, b = t.rank(a), t.rank(b)
        if isinstance(a, Duration):
            a, b = a.months, b.months
        if isinstance(a, float) or isinstance(b, float):
            a, b = float(a), float(b)
        results: dict[str, bool] = {
            "=": bool(a == b),
            "!=": bool(a != b),
            "<": bool(a < b),
            "<=": bool(a <= b),
            ">": bool(a > b),
            ">=": bool(a >= b),
        }
        return results[op]

    def truth(self, cond: ir.Cond, args: tuple[str, ...]) -> Truth:
        """Kleene truth of a condition (cached unless ``overrides`` are in force)."""
        if self.overrides or self.value_overrides:
            return self._truth(cond, args)
        key = (cond, args)
        if key not in self._truths:
            self._truths[key] = self._truth(cond, args)
        return self._truths[key]

    def _truth(self, cond: ir.Cond, args: tuple[str, ...]) -> Truth:
        if isinstance(cond, ir.CAnd):
            return k_and([self.truth(i, args) for i in cond.items])
        if isinstance(cond, ir.COr):
            return k_or([self.truth(i, args) for i in cond.items])
        if isinstance(cond, ir.CNot):
            return k_not(self.truth(cond.item, args))
        if isinstance(cond, ir.CRef):
            return self.rule_truth(self.policy.rule(cond.name), self.code_of(cond.who, args))
        over = self.overrides.get((leaf_key(cond), self.leaf_provider(cond, args)))
        if over is not None:
            return Truth.TRUE if over else Truth.FALSE
        if isinstance(cond, ir.CJudged):  # true where a listed scope holds, else unknown (never false)
            applies = [self.truth(s, args) for s in cond.scopes]
            return Truth.TRUE if Truth.TRUE in applies else Truth.UNKNOWN
        if isinstance(cond, ir.CStatus):
            v, _ = self.status(cond.name, self.code_of(cond.who, args))
            return Truth.UNKNOWN if v is None else (Truth.TRUE if v else Truth.FALSE)
        if isinstance(cond, ir.CCompare):
            lc = self.code_of(getattr(cond.left, "who", None), args)
            rc_ = self.code_of(getattr(cond.right, "who", None), args)
            a, _ = self.value(cond.left, lc)
            b, _ = self.value(cond.right, rc_)
            if a is None or b is None:  # stale evidence that may refuse: its value can only fail the test
                pa, pb = self.possible(cond.left, lc), self.possible(cond.right, rc_)
                if pa is not None and pb is not None and not self.compare(cond.op, pa, pb, cond.type):
                    return Truth.FALSE
                return Truth.UNKNOWN
            return Truth.TRUE if self.compare(cond.op, a, b, cond.type) else Truth.FALSE
        if isinstance(cond, ir.CIn):
            code = self.code_of(getattr(cond.value, "who", None), args)
            a, _ = self.value(cond.value, code)
            if a is None:
                pa = self.possible(cond.value, code)
                return Truth.FALSE if pa is not None and pa not in cond.members else Truth.UNKNOWN
            return Truth.TRUE if a in cond.members else Truth.FALSE
        if isinstance(cond, ir.CBool):
            a, _ = self.value(cond.value, self.code_of(cond.value.who, args))
            if a is None:
                pa = self.possible(cond.value, self.code_of(cond.value.who, args))
                return Truth.FALSE if pa is not None and not (pa is True or pa == 1) else Truth.UNKNOWN
            return Truth.TRUE if a is True or a == 1 else Truth.FALSE
        assert isinstance(cond, ir.CArr)
        # through value(), so that a counterfactual's overrides of the count apply here too
        count = ir.VArrCount(
            cond.role, cond.form, cond.within, cond.who, span=cond.span, text=cond.text, held=cond.held
        )
        n, _ = self.value(count, self.code_of(cond.who, args))
        if n is None:
            return Truth.UNKNOWN
        return Truth.TRUE if n >= 1 else Truth.FALSE

    @staticmethod
    def leaf_provider(cond: ir.Cond, args: tuple[str, ...]) -> str:
        """Whose leaf this is: a role's provider, or the pair (LEAD:RECIPIENT) in a pair condition."""
        return ":".join(args)

    def rule_truth(self, rule: ir.Rule, code: str) -> Truth:
        if self.overrides or self.value_overrides:
            return self._rule_truth(rule, code)
        key = (rule.name, code)
        if key not in self._rules:
            self._rules[key] = self._rule_truth(rule, code)
        return self._rules[key]

    def _rule_truth(self, rule: ir.Rule, code: str) -> Truth:
        parts = [self.truth(rule.requires, (code,))]
        if rule.unless is not None:
            parts.append(self.truth(rule.unless, (code,)))
        if rule.scope is not None:  # not applicable where the scope does not hold
            parts.append(k_not(self.truth(rule.scope, (code,))))
        return k_or(parts)

    def role_truth(self, form: ir.Form, role: str, code: str) -> Truth:
        return self.truth(form.lead if role == "lead" else form.recipient, (code,))

    def pair_truth(self, form: ir.Form, lead: str, rec: str) -> Truth:
        if lead == rec:
            return Truth.FALSE
        parts = [self.role_truth(form, "lead", lead), self.role_truth(form, "recipient", rec)]
        if form.pair is not None:
            parts.append(self.truth(form.pair, (lead, rec)))
        return k_and(parts)
