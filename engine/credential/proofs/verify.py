"""``credential verify``: re-check every decision record against the policy and the data alone.

Each record's outcome is recomputed with :mod:`credential.proofs.recompute` (no Datalog
engine); with a proof, every node is re-derived: its text and source must be the policy's,
its outcome the recomputed truth, a comparison's value, threshold (and the date the
param took effect) and evidence rows (and their cells) what the data says, the children
shown those the spec's rule selects, the missing values those that are missing, and
``to_qualify`` must actually grant the decision when its items pass.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from credential.check import ir
from credential.data.bundle import Bundle
from credential.decisions import Outcome, Truth
from credential.proofs.recompute import Recompute, k_or, leaf_key
from credential.proofs.values import RowIndex, json_value, judged_labels

OUTCOME = {Truth.TRUE: "granted", Truth.FALSE: "refused", Truth.UNKNOWN: "undetermined"}


@dataclass
class Problem:
    line: int
    provider: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.provider} {self.subject}: {self.message}"


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def failed_records(self) -> int:
        return len({p.line for p in self.problems})


def _src(span: Any) -> dict[str, Any]:
    return {"file": span.path, "line": span.line, "column": span.column}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)), abs(float(b)))
        except (TypeError, ValueError):
            return False
    return bool(a == b)


class _Checker:
    def __init__(self, policy: ir.CheckedPolicy, bundle: Bundle):
        self.policy = policy
        self.bundle = bundle
        self.recomputers: dict[str, Recompute] = {}
        self.providers = bundle.provider_names()
        self.rows = RowIndex(bundle)
        self._leaf_index: dict[tuple[str, int, int], ir.Cond] | None = None

    def rc(self, as_of: str) -> Recompute:
        if as_of not in self.recomputers:
            self.recomputers[as_of] = Recompute(self.policy, self.bundle, dt.date.fromisoformat(as_of))
        return self.recomputers[as_of]

    # ---- one record ---------------------------------------------------------
    def record(self, rec: dict[str, Any]) -> list[str]:
        errs: list[str] = []
        pol = rec.get("policy") or {}
        if pol.get("name") != self.policy.name or pol.get("version") != self.policy.version:
            errs.append(
                f"policy is {pol.get('name')} {pol.get('version')}, not {self.policy.name} {self.policy.version}"
            )
        if pol.get("sha256") != self.policy.sha256:
            errs.append("policy sha256 does not match the policy file")
        if rec.get("data") != dict(sorted(self.bundle.digests.items())):
            errs.append("data digests do not match the bundle's files")
        code = rec.get("provider")
        if code not in self.providers:
            return [*errs, f"no provider {code!r} in the bundle"]
        if rec.get("provider_name") != self.providers.get(code):
            errs.append("provider_name does not match providers.csv")
        try:
            rc = self.rc(str(rec.get("as_of")))
        except ValueError:
            return [*errs, f"as_of {rec.get('as_of')!r} is not a date"]
        subject = str(rec.get("subject"))
        target = self.subject_truth(rc, subject, code)
        if target is None:
            return [*errs, f"unknown subject {subject!r}"]
        truth, _root_ir, args = target
        if rec.get("outcome") != OUTCOME[truth]:
            errs.append(f"outcome is {rec.get('outcome')}, but the policy and data give {OUTCOME[truth]}")
        expected_missing = sorted(self.missing_of(rc, subject, args)) if truth is Truth.UNKNOWN else []
        if sorted(rec.get("missing") or []) != expected_missing:
            errs.append(f"missing is {rec.get('missing')}, expected {expected_missing}")
        proof = rec.get("proof")
        if proof is not None:
            errs.extend(self.proof(rc, subject, args, proof, truth))
        return errs

    def subject_truth(self, rc: Recompute, subject: str, code: str) -> tuple[Truth, Any, tuple[str, ...]] | None:
        kind, _, rest = subject.partition(":")
        if kind == "credential" and rest in self.policy.credentials:
            return rc.rule_truth(self.policy.credentials[rest], code), self.policy.credentials[rest], (code,)
        if kind == "form":
            form_name, _, role = rest.partition(":")
            if form_name in self.policy.forms and role in ("lead", "recipient"):
                form = self.policy.forms[form_name]
                return rc.role_truth(form, role, code), form, (code,)
        if kind == "pair":
            parts = rest.split(":")
            if len(parts) == 3 and parts[0] in self.policy.forms and parts[1] == code and parts[2] in self.providers:
                form = self.policy.forms[parts[0]]
                return rc.pair_truth(form, parts[1], parts[2]), form, (parts[1], parts[2])
        return None

    # ---- missing values ---------------------------------------------------------
    def missing_of(self, rc: Recompute, subject: str, args: tuple[str, ...]) -> set[str]:
        out: set[str] = set()
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            self._missing_rule(rc, self.policy.credentials[rest], args[0], out)
        elif kind == "form":
            form_name, _, role = rest.partition(":")
            form = self.policy.forms[form_name]
            self._missing(rc, form.lead if role == "lead" else form.recipient, args, out)
        else:
            form = self.policy.forms[rest.split(":")[0]]
            for role, code in (("lead", args[0]), ("recipient", args[1])):
                if rc.role_truth(form, role, code) is Truth.UNKNOWN:
                    self._missing(rc, form.lead if role == "lead" else form.recipient, (code,), out)
            if form.pair is not None:
                self._missing(rc, form.pair, args, out)
        return out

    def _missing_rule(self, rc: Recompute, rule: ir.Rule, code: str, out: set[str]) -> None:
        if rc.rule_truth(rule, code) is not Truth.UNKNOWN:
            return
        for part in [rule.requires, rule.unless, rule.scope]:
            if part is not None:
                self._missing(rc, part, (code,), out)

    def _missing(self, rc: Recompute, cond: ir.Cond, args: tuple[str, ...], out: set[str]) -> None:
        if rc.truth(cond, args) is not Truth.UNKNOWN:
            return
        pair = len(args) == 2
        if isinstance(cond, ir.CAnd | ir.COr):
            for i in cond.items:
                self._missing(rc, i, args, out)
        elif isinstance(cond, ir.CNot):
            self._missing(rc, cond.item, args, out)
        elif isinstance(cond, ir.CRef):
            self._missing_rule(rc, self.policy.rule(cond.name), rc.code_of(cond.who, args), out)
        elif isinstance(cond, ir.CJudged):
            code = args[0]
            truths = [rc.truth(s, args) for s in cond.scopes]
            out.update(judged_labels(cond, truths, [rc.value(s.value, code)[0] for s in cond.scopes]))
        elif isinstance(cond, ir.CStatus):
            code = rc.code_of(cond.who, args)
            out.add(f"{code}: status {cond.name}" if pair else f"status {cond.name}")
        else:
            for v in self._operands(cond):
                if isinstance(v, ir.VConst | ir.VParam):
                    continue
                code = rc.code_of(getattr(v, "who", None), args)
                if rc.value(v, code)[0] is None:
                    label = rc.missing_text(v, code)
                    out.add(f"{code}: {label}" if pair else label)

    @staticmethod
    def _operands(cond: ir.Cond) -> list[ir.Value]:
        if isinstance(cond, ir.CCompare):
            return [cond.left, cond.right]
        if isinstance(cond, ir.CIn):
            return [cond.value]
        if isinstance(cond, ir.CBool):
            return [cond.value]
        assert isinstance(cond, ir.CArr)
        return [ir.VArrCount(cond.role, cond.form, cond.within, cond.who, span=cond.span, text=cond.text)]

    # ---- proofs ---------------------------------------------------------------
    def proof(self, rc: Recompute, subject: str, args: tuple[str, ...], proof: Any, truth: Truth) -> list[str]:
        errs: list[str] = []
        if not isinstance(proof, dict):
            return ["proof is not an object"]
        if proof.get("subject") != subject or proof.get("as_of") != rc.as_of.isoformat():
            errs.append("proof names another subject or date")
        kind, _, rest = subject.partition(":")
        try:
            if kind == "credential":
                errs += self.rule_node(rc, self.policy.credentials[rest], args[0], proof, "$", root=True)
            elif kind == "form":
                form_name, _, role = rest.partition(":")
                errs += self.role_node(rc, self.policy.forms[form_name], role, args[0], proof, "$", root=True)
            else:
                errs += self.pair_node(rc, self.policy.forms[rest.split(":")[0]], args, proof, "$")
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
            errs.append(f"proof is malformed ({type(exc).__name__}: {exc})")
        if truth is Truth.FALSE:
            errs += self.to_qualify(rc, subject, args, proof.get("to_qualify"))
        elif "to_qualify" in proof:
            errs.append("to_qualify present on a decision that is not refused")
        return errs

    def _node_common(self, node: dict[str, Any], kind: str, text: str, span: Any, outcome: str, path: str) -> list[str]:
        errs = []
        if node.get("kind") != kind:
            errs.append(f"{path}: kind is {node.get('kind')!r}, the policy has {kind!r}")
        if node.get("text") != text:
            errs.append(f"{path}: text {node.get('text')!r} is not the policy's {text!r}")
        if node.get("source") != _src(span):
            errs.append(f"{path}: source {node.get('source')} is not the policy's {_src(span)}")
        if node.get("outcome") != outcome:
            errs.append(f"{path}: outcome {node.get('outcome')!r}, but the data give {outcome!r}")
        return errs

    def _cites(self, node: dict[str, Any], cites: tuple[ir.Citation, ...], path: str) -> list[str]:
        want = [{"source": c.source, "citation": c.citation, "locator": c.locator} for c in cites]
        return [] if node.get("cites") == want else [f"{path}: citations differ from the policy's"]

    def rule_node(
        self,
        rc: Recompute,
        rule: ir.Rule,
        code: str,
        node: dict[str, Any],
        path: str,
        root: bool = False,
        ref: ir.CRef | None = None,
    ) -> list[str]:
        t = rc.rule_truth(rule, code)
        outcome = OUTCOME[t] if root else t.value
        text = (ref.text or ref.name) if ref is not None else rule.name
        span = ref.span if ref is not None else rule.span
        errs = self._node_common(node, rule.kind, text, span, outcome, path)
        errs += self._cites(node, rule.cites, path)
        if node.get("name") != rule.name or node.get("provider") != code:
            errs.append(f"{path}: names {node.get('name')} of {node.get('provider')}, expected {rule.name} of {code}")
        children = node.get("children") or []
        if rule.scope is not None:
            if not children or not isinstance(children[0], dict):
                return [*errs, f"{path}: expected a `scope` node"]
            applies = rc.truth(rule.scope, (code,))
            errs += self._node_common(
                children[0], "scope", f"applies to {rule.scope.text}", rule.scope.span, applies.value, f"{path}/scope"
            )
            kids = children[0].get("children") or []
            if len(kids) != 1:
                return [*errs, f"{path}/scope: expected one child (the scope's condition)"]
            errs += self.cond_node(rc, rule.scope, (code,), kids[0], f"{path}/scope")
            if applies is Truth.FALSE:
                return (
                    errs if len(children) == 1 else [*errs, f"{path}: a rule that does not apply shows only its scope"]
                )
            children = children[1:]
            body = [rc.truth(rule.requires, (code,))]
            if rule.unless is not None:
                body.append(rc.truth(rule.unless, (code,)))
            t = k_or(body)
        if rule.unless is None:
            if len(children) != 1:
                return [*errs, f"{path}: expected one child (the requirement)"]
            return errs + self.cond_node(rc, rule.requires, (code,), children[0], f"{path}/{rule.name}")
        if len(children) != 1 or children[0].get("kind") != "unless":
            return [*errs, f"{path}: expected an `unless` node"]
        un = children[0]
        req_t, wav_t = rc.truth(rule.requires, (code,)), rc.truth(rule.unless, (code,))
        errs += self._node_common(
            un,
            "unless",
            f"{rule.requires.text} unless {rule.unless.text}",
            rule.unless.span,
            t.value,
            f"{path}/unless",
        )
        if bool(un.get("waived")) != (t is Truth.TRUE and req_t is not Truth.TRUE):
            errs.append(f"{path}/unless: waived flag is wrong")
        if t is Truth.TRUE:
            chosen = [0] if req_t is Truth.TRUE else [0, 1]
        elif t is Truth.FALSE:
            chosen = [0, 1]
        else:
            chosen = [i for i, x in enumerate((req_t, wav_t)) if x is Truth.UNKNOWN]
        parts = [rule.requires, rule.unless]
        kids = un.get("children") or []
        if len(kids) != len(chosen):
            return [*errs, f"{path}/unless: shows {len(kids)} parts, the rule calls for {len(chosen)}"]
        for i, kid in zip(chosen, kids, strict=True):
            errs += self.cond_node(rc, parts[i], (code,), kid, f"{path}/unless[{i}]")
        return errs

    def role_node(
        self,
        rc: Recompute,
        form: ir.Form,
        role: str,
        code: str,
        node: dict[str, Any],
        path: str,
        root: bool = False,
    ) -> list[str]:
        t = rc.role_truth(form, role, code)
        span = form.lead_span if role == "lead" else form.recipient_span
        errs = self._node_common(node, "role", f"{form.name} {role}", span, OUTCOME[t] if root else t.value, path)
        errs += self._cites(node, form.cites, path)
        if node.get("provider") != code or node.get("role") != role:
            errs.append(f"{path}: role node of the wrong provider or role")
        children = node.get("children") or []
        if len(children) != 1:
            return [*errs, f"{path}: expected one child"]
        cond = form.lead if role == "lead" else form.recipient
        return errs + self.cond_node(rc, cond, (code,), children[0], f"{path}/{role}")

    def pair_node(
        self, rc: Recompute, form: ir.Form, args: tuple[str, ...], node: dict[str, Any], path: str
    ) -> list[str]:
        lead, rec = args
        t = rc.pair_truth(form, lead, rec)
        errs = self._node_common(
            node, "pair", f"{form.name}: {lead} leads, {rec} receives", form.pair_span, OUTCOME[t], path
        )
        parts: list[tuple[Truth, Any]] = [
            (rc.role_truth(form, "lead", lead), ("role", "lead", lead)),
            (rc.role_truth(form, "recipient", rec), ("role", "recipient", rec)),
        ]
        # The pair condition is part of the proof only when neither role is refused.
        if form.pair is not None and all(p[0] is not Truth.FALSE for p in parts):
            parts.append((rc.truth(form.pair, args), ("cond", form.pair, None)))
        chosen = _select("and", [p[0] for p in parts], t)
        kids = node.get("children") or []
        if len(kids) != len(chosen):
            return [*errs, f"{path}: shows {len(kids)} parts, the rule calls for {len(chosen)}"]
        for i, kid in zip(chosen, kids, strict=True):
            what = parts[i][1]
            if what[0] == "role":
                errs += self.role_node(rc, form, what[1], what[2], kid, f"{path}/{what[1]}")
            else:
                errs += self.cond_node(rc, form.pair, args, kid, f"{path}/pair")  # type: ignore[arg-type]
        return errs

    def cond_node(
        self, rc: Recompute, cond: ir.Cond, args: tuple[str, ...], node: dict[str, Any], path: str
    ) -> list[str]:
        if not isinstance(node, dict):
            return [f"{path}: not a node"]
        if isinstance(cond, ir.CRef):
            code = rc.code_of(cond.who, args)
            return self.rule_node(rc, self.policy.rule(cond.name), code, node, path, ref=cond)
        t = rc.truth(cond, args)
        if isinstance(cond, ir.CAnd | ir.COr | ir.CNot):
            kind = "and" if isinstance(cond, ir.CAnd) else "or" if isinstance(cond, ir.COr) else "not"
            errs = self._node_common(node, kind, cond.text, cond.span, t.value, path)
            items = list(cond.items) if isinstance(cond, ir.CAnd | ir.COr) else [cond.item]
            chosen = _select(kind, [rc.truth(i, args) for i in items], t)
            kids = node.get("children") or []
            if len(kids) != len(chosen):
                return [*errs, f"{path}: shows {len(kids)} parts, the rule calls for {len(chosen)}"]
            for i, kid in zip(chosen, kids, strict=True):
                errs += self.cond_node(rc, items[i], args, kid, f"{path}/{kind}[{i}]")
            return errs
        if isinstance(cond, ir.CJudged):
            errs = self._node_common(node, "judged", cond.text, cond.span, t.value, path)
            code = args[0]
            applies = [n for n, s in zip(cond.criteria, cond.scopes, strict=True) if rc.truth(s, args) is Truth.TRUE]
            if node.get("applies") != applies:
                errs.append(f"{path}: applies {node.get('applies')!r}, the data give {applies!r}")
            values = {s.value.text: json_value(rc.value(s.value, code)[0]) for s in cond.scopes}
            if node.get("value") != values:
                errs.append(f"{path}: values {node.get('value')!r}, the data give {values!r}")
            if t is Truth.UNKNOWN:
                labels: set[str] = set()
                self._missing(rc, cond, args, labels)
                if sorted(node.get("missing") or []) != sorted(labels):
                    errs.append(f"{path}: missing {node.get('missing')}, expected {sorted(labels)}")
            return errs
        if isinstance(cond, ir.CStatus):
            errs = self._node_common(node, "status", cond.text, cond.span, t.value, path)
            code = rc.code_of(cond.who, args)
            value, rows = rc.status(cond.name, code)
            if node.get("value") != value:
                errs.append(f"{path}: status value {node.get('value')!r}, the data give {value!r}")
            errs += self.evidence(node.get("evidence"), rows, path)
            return errs
        kind = "arrangement" if isinstance(cond, ir.CArr) else "comparison"
        errs = self._node_common(node, kind, cond.text, cond.span, t.value, path)
        operands = self._operands(cond)
        left = operands[0]
        lv, lrows = rc.value(left, rc.code_of(getattr(left, "who", None), args))
        rows = set(lrows)
        if not _same(node.get("value"), json_value(lv)):
            errs.append(f"{path}: value {node.get('value')!r}, the data give {json_value(lv)!r}")
        thr = node.get("threshold") or {}
        if isinstance(cond, ir.CCompare):
            if node.get("op") != cond.op:
                errs.append(f"{path}: operator {node.get('op')!r} is not the policy's {cond.op!r}")
            right = cond.right
            rv, rrows = rc.value(right, rc.code_of(getattr(right, "who", None), args))
            rows |= rrows
            if not _same(thr.get("value"), json_value(rv)):
                errs.append(f"{path}: threshold {thr.get('value')!r}, the policy gives {json_value(rv)!r}")
            if isinstance(right, ir.VParam):
                value, since = rc.param(right.name)
                if thr.get("param") != right.name or thr.get("since") != (since.isoformat() if since else None):
                    errs.append(f"{path}: threshold param or its effective date is wrong")
        elif isinstance(cond, ir.CIn) and thr.get("in") != list(cond.members):
            errs.append(f"{path}: members differ from the policy's")
        if isinstance(cond, ir.CCompare) and isinstance(cond.left, ir.VWindow) and cond.left.func == "pooled":
            num, den = rc.pooled_counts(cond.left, rc.code_of(cond.left.who, args))
            want = None if den is None else {"numerator": num, "denominator": den, "minimum": rc.minimum(cond.left)}
            if node.get("counts") != want:
                errs.append(f"{path}: counts {node.get('counts')!r}, the data give {want!r}")
        errs += self.evidence(node.get("evidence"), rows, path)
        if t is Truth.UNKNOWN:
            out: set[str] = set()
            self._missing(rc, cond, args, out)
            if sorted(node.get("missing") or []) != sorted(out):
                errs.append(f"{path}: missing {node.get('missing')}, expected {sorted(out)}")
        return errs

    def evidence(self, ev: Any, rows: set[tuple[str, int]], path: str) -> list[str]:
        if not isinstance(ev, list):
            return [f"{path}: evidence is not a list"]
        got = set()
        errs = []
        for e in ev:
            try:
                key = (str(e["file"]), int(e["row"]))
            except (KeyError, TypeError, ValueError):
                errs.append(f"{path}: malformed evidence row")
                continue
            got.add(key)
            try:
                actual = self.rows.values(*key)
            except KeyError:
                errs.append(f"{path}: evidence {key[0]}:{key[1]} is not a row of the bundle")
                continue
            if e.get("values") != actual:
                errs.append(f"{path}: evidence {key[0]}:{key[1]} values differ from the data")
        if got != rows:
            extra, lacking = sorted(got - rows), sorted(rows - got)
            errs.append(f"{path}: evidence rows differ (extra {extra}, lacking {lacking})")
        return errs

    def to_qualify(self, rc: Recompute, subject: str, args: tuple[str, ...], items: Any) -> list[str]:
        if not isinstance(items, list) or not items:
            return ["refused decision without to_qualify"]
        leaves = self._leaves(subject)
        errs: list[str] = []
        overrides: dict[tuple[tuple[str, int, int], str], bool] = {}
        for it in items:
            try:
                key = (it["text"], int(it["source"]["line"]), int(it["source"]["column"]))
                provider = str(it["provider"])
                must = bool(it["must_be"])
            except (KeyError, TypeError, ValueError):
                errs.append("to_qualify: malformed item")
                continue
            if key not in leaves:
                errs.append(f"to_qualify: {it.get('text')!r} is not a condition of this rule")
                continue
            overrides[(key, provider)] = must
            leaf = leaves[key]
            if isinstance(leaf, ir.CCompare):
                leaf_args = tuple(provider.split(":"))
                lv, _ = rc.value(leaf.left, rc.code_of(getattr(leaf.left, "who", None), leaf_args))
                if not _same(it.get("value"), json_value(lv)):
                    errs.append(
                        f"to_qualify: value of {it['text']!r} is {it.get('value')!r}, the data give {json_value(lv)!r}"
                    )
        if errs:
            return errs
        rc.overrides = overrides
        try:
            target = self.subject_truth(rc, subject, args[0])
        finally:
            rc.overrides = {}
        if target is None or target[0] is not Truth.TRUE:
            errs.append("to_qualify: passing its items would not grant the decision")
        return errs

    def _leaves(self, subject: str) -> dict[tuple[str, int, int], ir.Cond]:
        """Every leaf condition of the policy by (text, line, column); built once."""
        if self._leaf_index is None:
            self._leaf_index = self._all_leaves()
        return self._leaf_index

    def _all_leaves(self) -> dict[tuple[str, int, int], ir.Cond]:
        out: dict[tuple[str, int, int], ir.Cond] = {}

        def walk(c: ir.Cond) -> None:
            if isinstance(c, ir.CAnd | ir.COr):
                for i in c.items:
                    walk(i)
            elif isinstance(c, ir.CNot):
                walk(c.item)
            elif isinstance(c, ir.CRef):
                rule = self.policy.rule(c.name)
                walk(rule.requires)
                if rule.unless is not None:
                    walk(rule.unless)
            else:
                out[leaf_key(c)] = c

        for rule in [*self.policy.criteria.values(), *self.policy.credentials.values()]:
            walk(rule.requires)
            if rule.unless is not None:
                walk(rule.unless)
        for form in self.policy.forms.values():
            for c in (form.lead, form.recipient, form.pair):
                if c is not None:
                    walk(c)
        return out


def _select(kind: str, truths: list[Truth], whole: Truth) -> list[int]:
    idx = range(len(truths))
    if kind == "and":
        if whole is Truth.TRUE:
            return list(idx)
        return [i for i in idx if truths[i] is (Truth.FALSE if whole is Truth.FALSE else Truth.UNKNOWN)]
    if kind == "or":
        if whole is Truth.TRUE:
            return [next(i for i in idx if truths[i] is Truth.TRUE)]
        return list(idx) if whole is Truth.FALSE else [i for i in idx if truths[i] is Truth.UNKNOWN]
    return list(idx)


def verify_lines(lines: Iterable[str], policy: ir.CheckedPolicy, bundle: Bundle) -> VerifyReport:
    """Verify decision records given as JSON lines (blank lines are skipped)."""
    checker = _Checker(policy, bundle)
    report = VerifyReport()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        report.checked += 1
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            report.problems.append(Problem(n, "?", "?", f"not a decision record ({exc})"))
            continue
        for msg in checker.record(rec):
            report.problems.append(Problem(n, str(rec.get("provider")), str(rec.get("subject")), msg))
    return report


def verify_records(records: Iterable[dict[str, Any]], policy: ir.CheckedPolicy, bundle: Bundle) -> VerifyReport:
    return verify_lines((json.dumps(r) for r in records), policy, bundle)


__all__ = ["Outcome", "Problem", "VerifyReport", "verify_lines", "verify_records"]
