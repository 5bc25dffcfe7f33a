"""The missing values of undetermined decisions, for every provider at once.

:meth:`credential.proofs.proof.ProofBuilder.missing` walks one decision's tree; a pipeline asks
it for every undetermined decision, which at 100,000 providers is a Python walk per decision.
Here the same walk runs once per policy node over boolean arrays (one element per provider):
a node contributes its labels where it is *unknown*, a comparison the labels of its operands
where the value is missing, a status its label.  The result is, decision for decision, the list
``ProofBuilder.missing`` gives (tested on every undetermined decision of the test bundles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from credential.check import ir
from credential.compile import NodePreds
from credential.compile import names as pn
from credential.evaluation.decisions import Truth
from credential.proofs.values import describe_value, judged_labels, missing_text, peer_missing_text, stale_label

if TYPE_CHECKING:
    from credential.evaluation.evaluate import Evaluation

Labels = dict[str, np.ndarray]  # label -> boolean mask over providers


class ColumnarMissing:
    """Missing-value labels per provider for the per-provider subjects of one evaluation."""

    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.codes = ev.codes
        self._rules: dict[str, Labels] = {}
        self._unknown: dict[tuple[str, str], np.ndarray] = {}

    def member(self, pred: str) -> np.ndarray:
        """Providers (by position in ``ev.codes``) whose code is the first argument of a row of ``pred``."""
        mask: np.ndarray = self.ev.mask(pred)
        return mask

    def prefetch(self, preds: list[str]) -> None:
        """Read the masks of several predicates at once (one query on a columnar backend)."""
        self.ev.prefetch(preds)

    def prefetch_tree(self, subjects: list[str]) -> None:
        """Read what the walks of ``subjects`` need at once: unknown masks and value presence."""
        nodes: list[tuple[str, str]] = []
        values: list[str] = []
        for subject in subjects:
            n, v = self.tree_preds(subject)
            nodes.extend(n)
            values.extend(v)
        wanted = list(dict.fromkeys(p for p in nodes if p not in self._unknown))
        if wanted:
            found = self.ev.model.masks_minus([(p, c) for c, p in wanted], len(self.codes))
            self._unknown.update(zip(wanted, found, strict=True))
        self.ev.prefetch(values)

    def tree_preds(self, subject: str) -> tuple[list[tuple[str, str]], list[str]]:
        """What the walk of ``subject`` may read: (certainly, possibly) of each node, value predicates."""
        out: list[tuple[str, str]] = []
        values: list[str] = []
        seen: set[str] = set()

        def rule(r: ir.Rule) -> None:
            if r.name in seen:
                return
            seen.add(r.name)
            out.append(pn.rule_preds(r.kind, r.name))
            for part in (r.requires, r.unless, r.scope):
                if part is not None:
                    cond(part)

        def cond(c: ir.Cond) -> None:
            preds = self.ev.compiled.preds_of(c, None)
            out.append((preds.certainly, preds.possibly))
            if isinstance(c, ir.CRef):
                rule(self.ev.policy.rule(c.name))
            elif isinstance(c, ir.CAnd | ir.COr):
                for item in c.items:
                    cond(item)
            elif isinstance(c, ir.CNot):
                cond(c.item)
            elif isinstance(c, ir.CJudged):
                for s in c.scopes:
                    cond(s)
            elif not isinstance(c, ir.CStatus):
                from credential.proofs.proof import ProofBuilder

                for v in ProofBuilder._operands(c):
                    if not isinstance(v, ir.VConst | ir.VParam):
                        values.append(pn.value_pred(pn.value_key(v)))

        kind, _, rest = subject.partition(":")
        if kind == "credential":
            rule(self.ev.policy.credentials[rest])
        else:
            form_name, _, role = rest.partition(":")
            form = self.ev.policy.forms[form_name]
            cond(form.lead if role == "lead" else form.recipient)
        return out, values

    def unknown(self, preds: NodePreds) -> np.ndarray:
        key = (preds.certainly, preds.possibly)
        if key not in self._unknown:
            self._unknown[key] = self.member(preds.possibly) & ~self.member(preds.certainly)
        return self._unknown[key]

    # ---- the walk (mirrors ProofBuilder._missing_rule / _missing_cond) -------------------
    def rule(self, rule: ir.Rule) -> Labels:
        if rule.name not in self._rules:
            c, p = pn.rule_preds(rule.kind, rule.name)
            unknown = self.unknown(NodePreds(c, p))
            out: Labels = {}
            if unknown.any():
                for part in (rule.requires, rule.unless, rule.scope):
                    if part is not None:
                        _union(out, self.cond(part), unknown)
            self._rules[rule.name] = out
        return self._rules[rule.name]

    def cond(self, cond: ir.Cond) -> Labels:
        unknown = self.unknown(self.ev.compiled.preds_of(cond, None))
        out: Labels = {}
        if not unknown.any():
            return out
        if isinstance(cond, ir.CRef):
            _union(out, self.rule(self.ev.policy.rule(cond.name)), unknown)
        elif isinstance(cond, ir.CAnd | ir.COr | ir.CNot):
            items = list(cond.items) if isinstance(cond, ir.CAnd | ir.COr) else [cond.item]
            for item in items:
                _union(out, self.cond(item), unknown)
        elif isinstance(cond, ir.CStatus):
            out[f"status {cond.name}"] = unknown
        elif isinstance(cond, ir.CJudged):
            _union(out, self._judged(cond, unknown), unknown)
        else:
            from credential.proofs.proof import ProofBuilder

            for v in ProofBuilder._operands(cond):
                if isinstance(v, ir.VConst | ir.VParam):
                    continue
                pred = pn.value_pred(pn.value_key(v))
                absent = ~self.member(pred)
                _union(out, self._labels(v, pred, absent), unknown)
        return out

    def _labels(self, v: ir.Value, pred: str, absent: np.ndarray) -> Labels:
        """A missing value's labels where it is absent: stale evidence is labelled with its date and
        limit, a pooled rate whose denominators sum to less than its minimum with that sum and the
        minimum (see :func:`credential.proofs.values.missing_text`)."""
        text = describe_value(v)
        if isinstance(v, ir.VPeer):
            return self._peer_labels(v, pred, absent)
        if not isinstance(v, ir.VLatest | ir.VWindow):
            return {text: absent}
        d = self.ev.facts.derived[pred]
        out: Labels = {text: absent}
        if v.max_age is not None and d.stale is not None and d.evidence_date is not None and d.stale.any():
            stale = absent & d.stale
            out[text] = absent & ~stale
            dates = d.evidence_date
            for day in np.unique(dates[stale]):
                at = stale & ((dates == day) if not np.isnat(day) else np.isnat(dates))
                date = None if np.isnat(day) else pd.Timestamp(day).date()
                out[stale_label(text, date, int(d.request.max_age_months))] = at
        if isinstance(v, ir.VWindow) and v.func == "pooled" and v.minimum is not None:
            minimum = d.request.minimum
            sums = d.values["denominator"].to_numpy(dtype=float, na_value=np.nan)
            short = out[text] & ~np.isnan(sums) & (sums < minimum)
            out[text] = out[text] & ~short
            for total in np.unique(sums[short]):
                out[missing_text(v, float(total), minimum)] = short & (sums == total)
        return out

    def _peer_labels(self, v: ir.VPeer, pred: str, absent: np.ndarray) -> Labels:
        """A missing peer position's labels: its own value, its group attribute, or a group too
        small (one label per group and size; see :func:`credential.proofs.values.peer_missing_text`)."""
        d = self.ev.facts.derived[pred]
        base = d.values["base"].to_numpy(dtype=float, na_value=np.nan)
        group = d.values["group"].astype(object).to_numpy()
        size = d.values["size"].to_numpy(dtype=float, na_value=np.nan)
        no_base = absent & np.isnan(base)
        out: Labels = {describe_value(v.base): no_base}
        rest = absent & ~no_base
        no_group = rest & np.isnan(size)
        if no_group.any():
            out[v.among] = no_group
        small = rest & ~np.isnan(size)
        for i in np.flatnonzero(small):
            label = peer_missing_text(v, float(base[i]), group[i], size[i], d.request.minimum)
            mask = out.setdefault(label, np.zeros(len(absent), dtype=bool))
            mask[i] = True
        return out

    def _judged(self, cond: ir.CJudged, unknown: np.ndarray) -> Labels:
        """``judged by`` where unknown: its missing attributes, or its labels per attribute values
        (:func:`credential.proofs.values.judged_labels`, one call per distinct combination)."""
        truths, values = [], []
        for s in cond.scopes:
            truths.append(self.unknown(self.ev.compiled.preds_of(s, None)))
            derived = self.ev.facts.derived[pn.value_pred(pn.value_key(s.value))]  # type: ignore[arg-type]
            values.append(derived.values["value"].astype(object).to_numpy())
        rows = np.flatnonzero(unknown)
        out: Labels = {}
        if not len(rows):
            return out
        keys = pd.DataFrame(
            {
                **{f"t{j}": t[rows] for j, t in enumerate(truths)},
                **{f"v{j}": pd.Series(v[rows], dtype=object).astype(str) for j, v in enumerate(values)},
            }
        )
        for _, group in keys.groupby(list(keys.columns), sort=False, dropna=False):  # each combination once
            first = int(group.index[0])
            ts = [Truth.UNKNOWN if t[rows[first]] else Truth.FALSE for t in truths]
            vs = [None if v[rows[first]] is pd.NA else v[rows[first]] for v in values]
            for label in judged_labels(cond, ts, vs):
                mask = out.setdefault(label, np.zeros(len(unknown), dtype=bool))
                mask[rows[group.index.to_numpy()]] = True
        return out

    def subject(self, subject: str) -> Labels:
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            return self.rule(self.ev.policy.credentials[rest])
        form_name, _, role = rest.partition(":")
        form = self.ev.policy.forms[form_name]
        return self.cond(form.lead if role == "lead" else form.recipient)

    def lists(self, subject: str, rows: np.ndarray) -> list[list[str]]:
        """The sorted missing labels of ``subject`` for the providers at positions ``rows``."""
        labels = self.subject(subject)
        names = sorted(labels)
        if not names or not len(rows):
            return [[] for _ in range(len(rows))]
        bits = np.stack([labels[n][rows] for n in names], axis=1)
        if len(names) <= 62:  # each row's labels as one integer: a 1-D unique is much cheaper
            keys = bits.astype(np.int64) @ (np.int64(1) << np.arange(len(names), dtype=np.int64))
            uniq, inverse = np.unique(keys, return_inverse=True)
            patterns = ((uniq[:, None] >> np.arange(len(names), dtype=np.int64)) & 1).astype(bool)
        else:
            patterns, inverse = np.unique(bits, axis=0, return_inverse=True)
        choices = [[n for n, b in zip(names, pattern, strict=True) if b] for pattern in patterns]
        return [choices[i] for i in np.asarray(inverse).reshape(-1)]


def _union(out: Labels, more: Labels, within: np.ndarray) -> None:
    for label, mask in more.items():
        hit = mask & within
        out[label] = out[label] | hit if label in out else hit
