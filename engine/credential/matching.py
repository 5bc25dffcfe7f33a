"""``credential match``: the leads eligible for a form with a recipient (or a whole batch of
recipients), ranked by the form's declared preferences, each with its reasons and its proof.

The result is a list of *options for local agreement*, not an allocation: two recipients of a
batch may well end up with different leads, and a ranked list says only which leads the policy
prefers and why.

* **Eligible** means the policy *grants* the pair ``pair:FORM:LEAD:RECIPIENT`` (both roles and
  the ``pair requires`` condition certainly hold) for every recipient asked about.  A lead whose
  pair is *undetermined* for some recipient (and refused for none) is never ranked: it is listed
  apart with what is missing.  Refused leads are not listed.
* **A batch** (several recipients): a lead must be eligible for every recipient, and still be
  eligible to lead the form after taking on all but the last of them.  That is checked by adding
  the hypothetical arrangements (this lead, this form, starting on the as-of date) to the data
  and deciding the lead's role again: the policy's own rules (e.g. a cap on the arrangements a
  lead may lead) say whether the batch is within its capacity.
* **Ranking**: each ``prefer NAME "TITLE" when C`` clause of the form, in the order written
  (most important first).  A lead that meets an earlier preference for more of the recipients
  ranks above one that meets it for fewer, whatever the later preferences say; leads equal on
  every preference share a rank.  An undetermined preference counts as not met and is shown as
  unknown.  The provider code only orders the listing of leads of equal rank.

Pair conditions read only the lead's and the recipient's own values, so the pairs are decided
on the sub-bundle of the possible leads and the recipients (every arrangement kept): the same
decisions as on the whole bundle, at a fraction of the N² candidate pairs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from credential.errors import UsageError
from credential.evaluation.decisions import Outcome, PolicyRef, Truth
from credential.evaluation.evaluate import Evaluation, Inputs, _sub_bundle, evaluate_inputs, policy_ref
from credential.version import __version__

ELIGIBLE = "eligible"
UNDETERMINED = "undetermined"
OVER_CAPACITY = "over_capacity"
HYPOTHETICAL_FILE = "(match: hypothetical arrangement)"


@dataclass(frozen=True)
class PreferenceResult:
    """One preference for one lead: for how many of the recipients it holds or is unknown."""

    name: str
    title: str
    met: int
    unknown: int
    of: int
    because: tuple[str, ...] = ()
    """The facts it rests on, for the first recipient where it holds."""

    @property
    def state(self) -> str:
        if self.met == self.of:
            return "met"
        if self.met:
            return f"met for {self.met} of {self.of}"
        if self.unknown:
            return "unknown"
        return "not met"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "state": self.state,
            "met": self.met,
            "unknown": self.unknown,
            "of": self.of,
            "because": list(self.because),
        }


@dataclass(frozen=True)
class RecipientView:
    """A recipient asked about, with its own decision for the form's recipient role."""

    code: str
    name: str | None
    outcome: Outcome
    because: tuple[str, ...]
    missing: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "outcome": self.outcome.value,
            "because": list(self.because),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class LeadOption:
    """A lead and why it is (or may be) an option for the recipients."""

    lead: str
    name: str | None
    status: str  # eligible / undetermined / over_capacity
    rank: int | None
    preferences: tuple[PreferenceResult, ...]
    lead_because: tuple[str, ...]
    pair_because: dict[str, tuple[str, ...]]
    """Per recipient: the facts the pair condition rests on."""
    pair_prefs: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per recipient: each preference's truth for that pair (``true``/``false``/``unknown``)."""
    missing: tuple[str, ...] = ()
    note: str = ""
    proofs: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    """Per recipient: the proof of the pair decision ``pair:FORM:LEAD:RECIPIENT``."""

    def to_json_dict(self, proofs: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lead": self.lead,
            "name": self.name,
            "status": self.status,
            "rank": self.rank,
            "preferences": [p.to_json_dict() for p in self.preferences],
            "lead_because": list(self.lead_because),
            "pair_because": {r: list(v) for r, v in self.pair_because.items()},
            "pair_preferences": {r: dict(v) for r, v in self.pair_prefs.items()},
            "missing": list(self.missing),
            "note": self.note,
        }
        if proofs:
            out["proofs"] = self.proofs
        return out


@dataclass
class MatchResult:
    """The options of one form for one recipient or one batch, as of one date."""

    form: str
    form_title: str | None
    change: str
    as_of: dt.date
    recipients: list[RecipientView]
    preferences: list[tuple[str, str]]
    options: list[LeadOption]
    """Eligible leads, ranked (best first)."""
    undetermined: list[LeadOption]
    over_capacity: list[LeadOption]
    policy: PolicyRef
    data: dict[str, str]
    backend: str

    @property
    def batch(self) -> bool:
        return len(self.recipients) > 1

    def to_json_dict(self, proofs: bool = True) -> dict[str, Any]:
        return {
            "form": self.form,
            "form_title": self.form_title,
            "change": self.change,
            "as_of": self.as_of.isoformat(),
            "recipients": [r.to_json_dict() for r in self.recipients],
            "preferences": [{"name": n, "title": t} for n, t in self.preferences],
            "options": [o.to_json_dict(proofs) for o in self.options],
            "undetermined": [o.to_json_dict(proofs) for o in self.undetermined],
            "over_capacity": [o.to_json_dict(proofs) for o in self.over_capacity],
            "note": NOTE,
            "policy": self.policy.model_dump(),
            "data": dict(self.data),
            "engine": __version__,
            "backend": self.backend,
        }

    def to_json(self, proofs: bool = True) -> str:
        return json.dumps(self.to_json_dict(proofs), ensure_ascii=False, indent=2) + "\n"

    def to_csv(self) -> str:
        """One row per lead and recipient: status, rank and each preference's truth for that pair."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(
            ["form", "as_of", "recipient", "lead", "lead_name", "status", "rank"]
            + [f"prefer:{n}" for n, _ in self.preferences]
            + ["missing"]
        )
        for opt in [*self.options, *self.over_capacity, *self.undetermined]:
            for rec in self.recipients:
                prefs = opt.pair_prefs.get(rec.code, {})
                w.writerow(
                    [self.form, self.as_of.isoformat(), rec.code, opt.lead, opt.name or "", opt.status]
                    + ["" if opt.rank is None else opt.rank]
                    + [prefs.get(n, "") for n, _ in self.preferences]
                    + ["; ".join(opt.missing)]
                )
        return buf.getvalue()

    def to_text(self, width: int = 100) -> str:
        from credential.escaping import terminal_text

        lines: list[str] = []
        who = ", ".join(f"{r.code} {r.name or ''}".strip() for r in self.recipients)
        title = f" ({self.form_title})" if self.form_title else ""
        lines.append(f"match {self.form}{title}, {self.change} change, as of {self.as_of.isoformat()}")
        lines.append(("batch of recipients: " if self.batch else "recipient: ") + who)
        for r in self.recipients:
            lines.append(f"  {r.code} as recipient: {r.outcome.value.upper()}")
            lines.extend(f"    {b}" for b in r.because)
            if r.missing:
                lines.append("    missing: " + ", ".join(r.missing))
        if self.preferences:
            lines.append("ranked by (most important first):")
            lines.extend(f"  {i}. {n}: {t}" for i, (n, t) in enumerate(self.preferences, 1))
        else:
            lines.append("ranked by: the form declares no preference (every eligible lead ranks equal)")
        lines.append(f"options for local agreement, not an allocation: {len(self.options)} eligible lead(s)")
        for opt in self.options:
            lines.extend(self._option_lines(opt))
        if self.over_capacity:
            lines.append(f"eligible for each recipient but not for the whole batch: {len(self.over_capacity)}")
            for opt in self.over_capacity:
                lines.append(f"  {opt.lead} {opt.name or ''}".rstrip())
                lines.append(f"      {opt.note}")
        if self.undetermined:
            lines.append(f"undetermined, not ranked (a missing value could go either way): {len(self.undetermined)}")
            for opt in self.undetermined:
                lines.append(f"  {opt.lead} {opt.name or ''}".rstrip())
                if opt.note:
                    lines.append(f"      {opt.note}")
                shown = ", ".join(opt.missing[:3]) + (f" +{len(opt.missing) - 3} more" if len(opt.missing) > 3 else "")
                lines.append("      missing: " + (shown or "(see the proof)"))
        return "\n".join(terminal_text(line) for line in lines) + "\n"

    def _option_lines(self, opt: LeadOption) -> list[str]:
        tied = sum(1 for o in self.options if o.rank == opt.rank) > 1
        rank = f"={opt.rank}" if tied else f"{opt.rank}"
        out = [f"  {rank:>3}  {opt.lead} {opt.name or ''}".rstrip()]
        for p in opt.preferences:
            mark = "+" if p.met == p.of else "~" if p.met else "?" if p.unknown else "-"
            shown = f" ({'; '.join(_strip_mark(b) for b in p.because)})" if p.because else ""
            out.append(f"       {mark} {p.name}: {p.state}{shown}")
        out.append("       eligible as lead: " + "; ".join(_strip_mark(b) for b in opt.lead_because))
        for rec, facts in opt.pair_because.items():
            if facts:
                out.append(f"       fits {rec}: " + "; ".join(_strip_mark(b) for b in facts))
        if opt.note:
            out.append(f"       {opt.note}")
        return out


NOTE = (
    "Options for local agreement, not an allocation: every lead listed is eligible under the policy; "
    "the ranking follows the form's declared preferences only."
)


def _strip_mark(line: str) -> str:
    return line[2:] if line[:2] in ("✓ ", "✗ ", "? ", "– ") else line


# ---- computing ---------------------------------------------------------------------------


def match_inputs(
    inputs: Inputs,
    form: str,
    recipients: Sequence[str],
    as_of: dt.date,
    backend: str = "auto",
) -> MatchResult:
    """The options of ``form`` for ``recipients`` (one, or a batch) as of ``as_of``.

    Raises :class:`UsageError` for a form the policy does not declare, no recipient, or a
    recipient code the bundle does not have."""
    from credential.check.ir import Form
    from credential.compile import names as pn
    from credential.proofs.proof import ProofBuilder
    from credential.selection import check_providers

    forms = inputs.policy.forms
    if form not in forms:
        import difflib

        near = difflib.get_close_matches(form, sorted(forms), n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise UsageError(
            "usage.unknown-form", f"no form {form!r} in policy {inputs.policy.name}{hint}; forms: {', '.join(forms)}"
        )
    recs = list(dict.fromkeys(recipients))
    if not recs:
        raise UsageError("usage.bad-argument", "name at least one recipient")
    check_providers(recs, inputs.bundle.provider_codes)
    f: Form = forms[form]
    names = inputs.bundle.provider_names()

    # 1. who may possibly lead (a plain run: every provider's roles, cheap)
    plain = evaluate_inputs(inputs, as_of, pairs=False, backend=backend)
    lc, lp = pn.role_preds(form, "lead")
    possible = [str(c) for c, m in zip(plain.codes, plain.mask(lp), strict=True) if m]
    candidates = sorted(set(possible) - set(recs))

    # 2. the pairs, on the possible leads and the recipients only
    ev = _pair_evaluation(inputs, as_of, [*candidates, *recs], backend)
    builder = ProofBuilder(ev)
    pc, pp = pn.pair_preds(form)
    certain, maybe = ev.rel(pc), ev.rel(pp)

    views: list[RecipientView] = []
    for r in recs:
        outcome = ev.outcome(*pn.role_preds(form, "recipient"), (r,))
        node = json.loads(builder.cond_json(f.recipient, (r,), None))
        missing = builder.missing(f"form:{form}:recipient", (r,)) if outcome is Outcome.UNDETERMINED else []
        views.append(RecipientView(r, names.get(r), outcome, tuple(_leaves(node)), tuple(missing)))

    eligible: list[str] = []
    unsure: list[str] = []
    for lead in candidates:
        states = [((lead, r) in certain, (lead, r) in maybe) for r in recs]
        if all(c for c, _ in states):
            eligible.append(lead)
        elif all(p for _, p in states):
            unsure.append(lead)

    # 3. a batch: still eligible to lead after taking on all but the last recipient
    over: dict[str, str] = {}
    capacity_unknown: dict[str, str] = {}
    if len(recs) > 1 and eligible:
        after = _lead_after(inputs, form, eligible, recs, as_of, backend)
        n = len(recs) - 1
        for lead in eligible:
            outcome = after.outcome(lc, lp, (lead,))
            what = f"after leading {n} more {form} arrangement(s) of this batch"
            if outcome is Outcome.REFUSED:
                over[lead] = f"no longer eligible to lead {form} {what}: the batch is beyond its capacity"
            elif outcome is Outcome.UNDETERMINED:
                capacity_unknown[lead] = f"its eligibility to lead {form} {what} is undetermined"

    def option(lead: str, status: str, note: str = "") -> LeadOption:
        prefs: list[PreferenceResult] = []
        pair_prefs: dict[str, dict[str, str]] = {r: {} for r in recs}
        for pref in f.prefers:
            met = unknown = 0
            because: tuple[str, ...] = ()
            for r in recs:
                t = builder.truth(pref.cond, (lead, r), form)
                pair_prefs[r][pref.name] = t.value
                if t is Truth.TRUE:
                    met += 1
                    if not because:
                        because = tuple(_leaves(json.loads(builder.cond_json(pref.cond, (lead, r), form))))
                elif t is Truth.UNKNOWN:
                    unknown += 1
            prefs.append(PreferenceResult(pref.name, pref.title, met, unknown, len(recs), because))
        lead_node = json.loads(builder.cond_json(f.lead, (lead,), None))
        pair_because: dict[str, tuple[str, ...]] = {}
        proofs: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        for r in recs:
            subject = f"pair:{form}:{lead}:{r}"
            if f.pair is not None:
                pair_because[r] = tuple(_leaves(json.loads(builder.cond_json(f.pair, (lead, r), form))))
            proofs[r] = builder.proof(subject, (lead, r))
            if (lead, r) not in certain:
                missing.extend(m for m in builder.missing(subject, (lead, r)) if m not in missing)
        return LeadOption(
            lead,
            names.get(lead),
            status,
            None,
            tuple(prefs),
            tuple(_leaves(lead_node)),
            pair_because,
            pair_prefs,
            tuple(missing),
            note,
            proofs,
        )

    ranked = [option(lead, ELIGIBLE) for lead in eligible if lead not in over and lead not in capacity_unknown]
    ranked = _rank(ranked)
    undetermined = [option(lead, UNDETERMINED) for lead in unsure]
    undetermined += [option(lead, UNDETERMINED, note) for lead, note in capacity_unknown.items()]
    undetermined.sort(key=lambda o: o.lead)
    over_capacity = [option(lead, OVER_CAPACITY, note) for lead, note in over.items()]
    return MatchResult(
        form=form,
        form_title=f.title,
        change=f.change,
        as_of=as_of,
        recipients=views,
        preferences=[(p.name, p.title) for p in f.prefers],
        options=ranked,
        undetermined=undetermined,
        over_capacity=over_capacity,
        policy=policy_ref(inputs.policy, ev.expired),
        data=dict(sorted(inputs.bundle.digests.items())),
        backend=ev.backend,
    )


def _rank(options: list[LeadOption]) -> list[LeadOption]:
    """Best first: lexicographic on the preferences in declared order (met for more recipients
    first); equal keys share a rank (standard competition ranking: 1, 1, 3)."""

    def key(o: LeadOption) -> tuple[int, ...]:
        return tuple(-p.met for p in o.preferences)

    ordered = sorted(options, key=lambda o: (key(o), o.lead))
    out: list[LeadOption] = []
    for i, o in enumerate(ordered):
        rank = out[-1].rank if out and key(out[-1]) == key(o) else i + 1
        out.append(replace(o, rank=rank))
    return out


def _leaves(node: dict[str, Any]) -> list[str]:
    from credential.proofs.render import leaf_lines

    return leaf_lines(node)


def _pair_evaluation(inputs: Inputs, as_of: dt.date, codes: Sequence[str], backend: str) -> Evaluation:
    """The pair program on the providers' own rows (every arrangement kept: one whose lead or
    recipient is not recorded may concern any of them)."""
    sub = _sub_bundle(inputs.bundle, sorted(set(codes)))
    sub = replace(sub, arrangements=inputs.bundle.arrangements, _cache={})
    sub_inputs = Inputs(inputs.policy, inputs.compiled, sub, [], allow_expired=inputs.allow_expired)
    # `auto` counts facts, not the candidate pairs the pair program makes of them: DuckDB for pairs
    return evaluate_inputs(sub_inputs, as_of, pairs=True, backend="duckdb" if backend == "auto" else backend)


def _lead_after(
    inputs: Inputs, form: str, leads: Sequence[str], recipients: Sequence[str], as_of: dt.date, backend: str
) -> Evaluation:
    """The leads' decisions with, for each, the hypothetical arrangements of ``form`` with all
    but the last recipient of the batch, starting on ``as_of`` and not ended."""
    import pandas as pd

    arr = inputs.bundle.arrangements
    rows = [
        {
            "lead": lead,
            "recipient": r,
            "form": form,
            "start": pd.Timestamp(as_of),
            "end": pd.NaT,
            "file": HYPOTHETICAL_FILE,
            "row": 0,
        }
        for lead in leads
        for r in recipients[:-1]
    ]
    extra = pd.DataFrame(rows)
    for col in arr.columns:
        if col not in extra:
            extra[col] = pd.NA
    extra = extra[list(arr.columns)].astype(arr.dtypes.to_dict())
    sub = _sub_bundle(inputs.bundle, sorted(set(leads)))
    sub = replace(sub, arrangements=pd.concat([arr, extra], ignore_index=True), _cache={})
    sub_inputs = Inputs(inputs.policy, inputs.compiled, sub, [], allow_expired=inputs.allow_expired)
    return evaluate_inputs(sub_inputs, as_of, pairs=False, backend=backend)
