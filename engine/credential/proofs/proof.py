"""Proofs as data: why a decision holds, why not, what would qualify, what is missing.

The builder walks the policy's condition tree for one subject and reads the truth of
every node from the Datalog model (each node has its own certainly/possibly predicates);
it never decides an outcome itself.  Values, thresholds and evidence rows come from the
facts the evaluation derived.  Which children a node shows follows the spec:

* granted: one sufficient reason (``or``: the first alternative that held);
* refused: why not (``and``: every failing part; ``or``: every alternative);
* undetermined: the parts that are unknown, down to the missing values.

A proof is written as JSON text (:meth:`ProofBuilder.proof_json`), the form a decisions file
holds, and read back as data (:meth:`ProofBuilder.proof`) where a caller wants a tree.  The
text is assembled from pieces encoded once: each policy node's fixed fields (text, source,
citations) once per builder, each rule's subtree for a provider once however many of that
provider's proofs show it (a form's proof repeats its credential chain), each cited data row
once.  Every piece is :func:`credential.jsontext.dumps` of the value it stands for, so the text
is byte for byte what encoding the whole tree at once gives (tested).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credential.check import ir
from credential.compile import NodePreds
from credential.compile import names as pn
from credential.evaluation.decisions import Outcome, Truth
from credential.jsontext import dumps, jstr
from credential.proofs.qualify import Answer, Qualifier
from credential.proofs.values import (
    DerivedIndex,
    RowIndex,
    cond_unit,
    describe_value,
    json_value,
    judged_labels,
    stale_json,
    stale_label,
    trajectory_json,
    value_unit,
)

if TYPE_CHECKING:
    from credential.evaluation.evaluate import Evaluation

Node = dict[str, Any]
Args = tuple[str, ...]


def source_of(span: Any) -> dict[str, Any]:
    return {"file": span.path, "line": span.line, "column": span.column}


def cites_of(cites: tuple[ir.Citation, ...]) -> list[dict[str, str]]:
    return [{"source": c.source, "citation": c.citation, "locator": c.locator} for c in cites]


def select(kind: str, truths: list[Truth], whole: Truth) -> list[int]:
    """Indices of the children a proof shows (see module docstring)."""
    idx = range(len(truths))
    if kind == "and":
        if whole is Truth.TRUE:
            return list(idx)
        want = Truth.FALSE if whole is Truth.FALSE else Truth.UNKNOWN
        return [i for i in idx if truths[i] is want]
    if kind == "or":
        if whole is Truth.TRUE:
            return [next(i for i in idx if truths[i] is Truth.TRUE)]
        if whole is Truth.FALSE:
            return list(idx)
        return [i for i in idx if truths[i] is Truth.UNKNOWN]
    return list(idx)


def select_unless(req: Truth, waiver: Truth, whole: Truth) -> list[int]:
    if whole is Truth.TRUE:
        return [0] if req is Truth.TRUE else [0, 1]
    if whole is Truth.FALSE:
        return [0, 1]
    return [i for i, t in enumerate((req, waiver)) if t is Truth.UNKNOWN]


OUTCOME_OF_TRUTH = {
    Truth.TRUE: Outcome.GRANTED,
    Truth.FALSE: Outcome.REFUSED,
    Truth.UNKNOWN: Outcome.UNDETERMINED,
}
# a provider's truth as one byte: certainly (bit 0) and possibly (bit 1), as ``truth_of`` reads them
_TRUTH_OF_FLAGS = (Truth.FALSE, Truth.TRUE, Truth.UNKNOWN, Truth.TRUE)


def arrangement_starts(bundle: Any) -> dict[tuple[str, int], dt.date | None]:
    """Each arrangement row's start date (None: not known), by (file, row); quarantined rows too."""
    out: dict[tuple[str, int], dt.date | None] = {}
    for table in (bundle.arrangements, bundle.quarantine.arrangements):
        for file, row, start in zip(table["file"], table["row"], table["start"], strict=True):
            out[(str(file), int(row))] = None if pd.isna(start) else pd.Timestamp(start).date()
    return out


def uncovered_note(status: str, as_of: Any) -> str:
    """What a status node says when no list of the status covers the as-of date (open world)."""
    return f"no list of {status} covers {as_of.isoformat()}"


@dataclass
class _Trie:
    """A node of a subject's trie of truth reads: the next node to read, or the template reached."""

    preds: NodePreds | None = None
    flags: bytes | None = None
    kids: dict[Truth, _Trie] = field(default_factory=dict)
    template: tuple[list[str], list[int]] | None = None


class ProofBuilder:
    """Proofs of one evaluation's decisions; ``templates=False`` builds every proof node by node."""

    def __init__(self, ev: Evaluation, templates: bool = True):
        self.ev = ev
        self.templates = templates
        self.policy = ev.policy
        self.compiled = ev.compiled
        self._as_of = jstr(ev.as_of.isoformat())
        self._index: dict[str, DerivedIndex] = {}
        self._index_of: dict[int, tuple[Any, DerivedIndex]] = {}  # id(value) -> (value, its index)
        self._covered: dict[str, bool] = {}
        self._pair_models: dict[tuple[str, ...], Any] = {}
        self._rows = RowIndex(ev.inputs.bundle)
        self._qualifier = Qualifier(_ModelSource(self), share=templates)
        self._answers: dict[tuple[str, Args], Answer] = {}
        self._missing_memo: dict[tuple[str, str, str], frozenset[str]] = {}
        self._preds: dict[tuple[int, str | None], NodePreds] = {}
        self._keep: list[Any] = []  # the policy objects whose ids key the memos below stay alive
        self._flags: dict[NodePreds, bytes] = {}
        self._fixed: dict[tuple[str, int], Any] = {}  # fixed fields of a policy node, as JSON text
        self._cond_flags: dict[int, bytes] = {}  # a condition's truth flags (see _flags_of)
        self._flag_rows: dict[int, tuple[Any, np.ndarray]] = {}  # id(leaf list) -> (the list, flags by provider)
        self._operand_specs: dict[int, list[tuple[Any, dict[str, Any] | None, Any, str]]] = {}  # per leaf
        # per provider (forgotten between blocks)
        self._rule_kids: dict[tuple[str, str, Truth], str] = {}
        self._role_kids: dict[tuple[str, str, str], str] = {}
        self._operand_memo: dict[tuple[int, int, Args], dict[str, Any]] = {}
        self._row_text: dict[tuple[str, int], str] = {}
        self._slot_text: dict[tuple[int, str], str] = {}
        # templates (see _templated): per subject and per rule a trie of truth reads, kept for the
        # builder's life (they hold no provider's data; the slots are filled per provider)
        self._tries: dict[tuple[str, str, Truth | None], _Trie] = {}
        self._untemplated: set[tuple[str, str, Truth | None]] = set()
        self._trace: list[tuple[NodePreds, Truth]] | None = None  # set while building a template
        self._slots: list[tuple[str, Any, Any]] = []
        self._slot_ids: dict[tuple[str, int | str, Any], int] = {}

    def forget(self) -> None:
        """Drop the memoised proof parts (kept per provider): a writer calls this between blocks."""
        self._pair_models.clear()
        self._qualifier.forget()
        self._answers.clear()
        self._missing_memo.clear()
        self._rule_kids.clear()
        self._role_kids.clear()
        self._operand_memo.clear()
        self._row_text.clear()
        self._slot_text.clear()
        self._rows.cache.clear()

    # ---- model reads ------------------------------------------------------
    def preds(self, cond: ir.Cond, pair_form: str | None) -> NodePreds:
        # keyed by identity: the policy's conditions live as long as the builder, and hashing a
        # condition hashes its whole tree
        key = (id(cond), pair_form)
        hit = self._preds.get(key)
        if hit is None:
            hit = self._preds[key] = self.compiled.preds_of(cond, pair_form)
            self._keep.append(cond)
        return hit

    def _flags_of(self, preds: NodePreds) -> bytes:
        """A node's truth for every provider, one byte each: certainly (bit 0), possibly (bit 1)."""
        flags = self._flags.get(preds)
        if flags is None:
            certainly = np.asarray(self.ev.mask(preds.certainly), dtype=np.uint8)
            possibly = np.asarray(self.ev.mask(preds.possibly), dtype=np.uint8)
            flags = self._flags[preds] = (certainly | (possibly << 1)).tobytes()
        return flags

    def _truth1(self, preds: NodePreds, code: str) -> Truth:
        """The truth of a node for one provider (recorded while a template is built)."""
        i = self.ev.positions.get(code)
        t = self.ev.truth(preds, (code,)) if i is None else _TRUTH_OF_FLAGS[self._flags_of(preds)[i]]
        if self._trace is not None:
            self._trace.append((preds, t))
        return t

    def truth(self, cond: ir.Cond, args: Args, pair_form: str | None) -> Truth:
        if pair_form is None and len(args) == 1:
            if self._trace is not None:
                return self._truth1(self.preds(cond, None), args[0])
            flags = self._cond_flags.get(id(cond))
            i = self.ev.positions.get(args[0])
            if flags is not None and i is not None:
                return _TRUTH_OF_FLAGS[flags[i]]
            preds = self.preds(cond, None)  # keeps cond alive
            self._cond_flags[id(cond)] = self._flags_of(preds)
            return self._truth1(preds, args[0])
        if pair_form is not None and args not in self.ev.rel(pn.pair_domain(pair_form)):
            sub: Evaluation = self.pair_model(pair_form, args)
            return sub.truth(self.preds(cond, pair_form), args)
        return self.ev.truth(self.preds(cond, pair_form), args)

    def truth_key(self, leaves: list[ir.Cond], code: str) -> bytes | None:
        """The truth flags of single-provider ``leaves`` for one provider, one byte each (equal
        keys, equal truths), read from a column per leaf list; None where ``truth`` must be used."""
        i = self.ev.positions.get(code)
        if i is None or self._trace is not None:
            return None
        hit = self._flag_rows.get(id(leaves))
        if hit is None or hit[0] is not leaves:
            cols = [np.frombuffer(self._flags_of(self.preds(c, None)), dtype=np.uint8) for c in leaves]
            rows = np.ascontiguousarray(np.stack(cols, axis=1)) if cols else np.zeros((len(self.ev.positions), 0))
            hit = self._flag_rows[id(leaves)] = (leaves, rows)
        key: bytes = hit[1][i].tobytes()
        return key

    def pair_model(self, form: str, args: Args) -> Any:
        """The model of the pair program for one non-candidate pair (its condition is not in the main model).

        The main evaluation checks a pair condition only where both roles possibly hold; to
        explain any other pair, the same program runs on the two providers' facts with the
        pair declared a candidate, and the truth of its nodes is read from that model.
        """
        key = (form, *args)
        if key not in self._pair_models:
            from credential.datalog.columns import Columns
            from credential.datalog.evaluate import evaluate_program
            from credential.evaluation.evaluate import Evaluation

            ids = self.ev.ids(args)
            keep = set(ids)
            facts: dict[str, Any] = {
                pred: rows.first_in(keep)
                if isinstance(rows, Columns)
                else [row for row in rows if pred.startswith("param_") or row[0] in keep]
                for pred, rows in self.ev.facts.relations.items()
            }
            facts[pn.pair_domain(form)] = [ids]
            # the pair program is outside the masks backend's fragment: DuckDB runs the sub-model then
            backend = "duckdb" if self.ev.backend == "masks" else self.ev.backend
            model = evaluate_program(self.compiled.program(pairs=True), facts, backend=backend)
            self._pair_models[key] = Evaluation(
                self.ev.inputs, self.ev.as_of, self.ev.facts, model, True, self.ev.backend
            )
        return self._pair_models[key]

    def rule_truth(self, rule: ir.Rule, code: str) -> Truth:
        c, p = pn.rule_preds(rule.kind, rule.name)
        return self._truth1(NodePreds(c, p), code)

    def role_truth(self, form: ir.Form, role: str, code: str) -> Truth:
        c, p = pn.role_preds(form.name, role)
        return self._truth1(NodePreds(c, p), code)

    def code_of(self, who: str | None, args: Args) -> str:
        if len(args) == 1:
            return args[0]
        return args[0] if who == "lead" else args[1]

    def lookup(self, v: ir.ProviderValue, code: str) -> tuple[Any, list[tuple[str, int]]]:
        return self._derived_index(v).get(code)

    def _derived_index(self, v: ir.ProviderValue) -> DerivedIndex:
        hit = self._index_of.get(id(v))  # by identity: a value's key is text made on each call
        if hit is not None and hit[0] is v:
            return hit[1]
        pred = pn.value_pred(pn.value_key(v))
        if pred not in self._index:
            self._index[pred] = DerivedIndex(self.ev.facts.derived[pred])
        self._index_of[id(v)] = (v, self._index[pred])
        return self._index[pred]

    def status_lookup(self, name: str, code: str) -> tuple[Any, list[tuple[str, int]]]:
        key = "status:" + name
        if key not in self._index:
            self._index[key] = DerivedIndex(self.ev.facts.status_derived[name])
        return self._index[key].get(code)

    def stale_of(self, v: ir.Value, code: str) -> tuple[Any, dt.date | None, int] | None:
        """(stale value, evidence date, max age in months) of a measure value past its max age."""
        if not isinstance(v, ir.VLatest | ir.VWindow) or v.max_age is None:
            return None
        d = self.ev.facts.derived[pn.value_pred(pn.value_key(v))]
        found = d.stale_of(code)
        if found is None:
            return None
        return found[0], found[1], int(d.request.max_age_months)

    def grace(self, credential: str, code: str, rows: list[tuple[str, int]]) -> dict[str, Any]:
        """A grace condition's arrangements: each one's start and the credential's decision then."""
        from credential.evaluation.evaluate import held_at

        oracle = held_at(self.ev.inputs, self.ev.backend)
        pid = self.ev.positions.get(code)
        out = []
        starts = arrangement_starts(self.ev.inputs.bundle)
        for file, row in rows:
            start = starts.get((file, row))
            held = "undetermined"
            if start is not None and pid is not None:
                held = ("refused", "granted", "undetermined")[int(oracle(credential, start, [pid])[0])]
            out.append({"file": file, "row": row, "start": start.isoformat() if start else None, "held": held})
        return {"credential": credential, "arrangements": out}

    def status_covered(self, name: str) -> bool:
        if name not in self._covered:
            from credential.data.asof import status_covered

            self._covered[name] = status_covered(self.ev.inputs.bundle, name, self.ev.as_of)
        return self._covered[name]

    def evidence(self, rows: list[tuple[str, int]]) -> str:
        """The data rows used, as JSON text: each with file, row and the row's values."""
        return "[" + ", ".join(self._row(file, row) for file, row in sorted(set(rows))) + "]"

    def _row(self, file: str, row: int) -> str:
        key = (file, row)
        hit = self._row_text.get(key)
        if hit is None:
            try:
                values = self._rows.values(file, row)
            except KeyError:
                values = {}
            hit = self._row_text[key] = f'{{"file": {jstr(file)}, "row": {dumps(row)}, "values": {dumps(values)}}}'
        return hit

    # ---- operands ---------------------------------------------------------
    def _fixed_operand(self, v: ir.VConst | ir.VParam) -> dict[str, Any]:
        """A constant or parameter operand: the same for every provider."""
        if isinstance(v, ir.VConst):
            return {
                "text": v.text or str(v.value),
                "value": json_value(v.value, v.type),
                "raw": v.value,
                "rows": [],
            }
        value, since = self.ev.facts.params[v.name]
        out = {
            "text": v.name,
            "value": json_value(value, v.type),
            "param": v.name,
            "since": since.isoformat() if since else None,
            "raw": value,
            "rows": [],
        }
        trajectory = trajectory_json(self.policy.params[v.name], self.ev.facts.as_of)
        if trajectory is not None:
            out["trajectory"] = trajectory
        return out

    def operands(self, cond: ir.Cond, args: Args) -> list[tuple[ir.Value, dict[str, Any]]]:
        """A leaf's operands and what they are for these providers (read once a block; callers do not change them)."""
        specs = self._operand_specs.get(id(cond))
        if specs is None:
            specs = self._operand_specs[id(cond)] = [
                (v, self._fixed_operand(v), None, "")
                if isinstance(v, ir.VConst | ir.VParam)
                else (v, None, self._derived_index(v), describe_value(v))
                for v in self._operands(cond)
            ]
        out = []
        for j, (v, fixed, index, text) in enumerate(specs):
            if fixed is not None:
                out.append((v, fixed))
                continue
            key = (id(cond), j, args)
            hit = self._operand_memo.get(key)
            if hit is None:
                code = self.code_of(v.who, args)
                value, rows = index.get(code)
                hit = {"text": text, "value": json_value(value, v.type), "raw": value, "rows": rows}
                stale = self.stale_of(v, code) if value is None else None
                if stale is not None:
                    hit["stale"] = stale_json(stale[0], v.type, stale[1], stale[2])
                    hit["label"] = stale_label(text, stale[1], stale[2])
                if len(args) == 2:
                    hit["provider"] = code
                self._operand_memo[key] = hit
            out.append((v, hit))
        return out

    # ---- fixed parts of nodes, encoded once -------------------------------
    def _fixed_of(self, what: str, obj: Any, make: Any) -> Any:
        """``make()``, once per policy object ``obj`` (kept alive: its id is the key) and ``what``."""
        key = (what, id(obj))
        hit = self._fixed.get(key)
        if hit is None:
            hit = self._fixed[key] = make()
            self._keep.append(obj)
        return hit

    def _cond_fixed(self, cond: ir.Cond) -> str:
        fixed: str = self._fixed_of(
            "cond",
            cond,
            lambda: f'"text": {dumps(cond.text)}, "source": {dumps(source_of(cond.span))}, "cites": []',
        )
        return fixed

    # ---- subjects ---------------------------------------------------------
    def proof(self, subject: str, args: Args) -> Node:
        """The proof of one decision as data (the JSON of :meth:`proof_json`, read back)."""
        node: Node = json.loads(self.proof_json(subject, args))
        return node

    def proof_json(self, subject: str, args: Args) -> str:
        """The proof of one decision as JSON text."""
        if len(args) == 1 and not subject.startswith("pair:"):
            return self._templated(("subject", subject, None), args[0], lambda: self._proof_json(subject, args))
        return self._proof_json(subject, args)

    # ---- templates ----------------------------------------------------------
    # A per-provider proof is a function of the truths the builder reads (which nodes, in which
    # order, follows from the truths read before) and of a few provider-dependent pieces: the
    # provider's code, each value leaf or status node, its to_qualify list, and the subtree of
    # each rule it shows.  The first provider with a given sequence of truths builds the text
    # with those pieces left as numbered slots (a template), and the sequence goes into a trie.
    # Every later provider walks the trie reading its own truths and, on reaching a template,
    # fills the slots with its own pieces.  There are two levels: a subject's proof (its top
    # nodes down to the rules it refers to), and each rule's subtree (down to the rules *it*
    # refers to); a rule's subtree fills its slot once per provider and is shared by all the
    # provider's proofs.  Slots are marked with NUL characters, which JSON text never holds raw.
    def _templated(self, key: tuple[str, str, Truth | None], code: str, build: Any) -> str:
        """``build()`` for this provider, through the template its truths reach."""
        template = self._template_for(key, code, build)
        if template is None:
            return str(build())
        statics, slots = template
        parts: list[str] = [""] * (2 * len(slots) + 1)
        parts[0::2] = statics
        parts[1::2] = [self._slot_value(k, code) for k in slots]
        return "".join(parts)

    def _template_for(
        self, key: tuple[str, str, Truth | None], code: str, build: Any
    ) -> tuple[list[str], list[int]] | None:
        """The template this provider's truths reach (built on first reach), or None: build directly."""
        i = self.ev.positions.get(code)
        if i is None or not self.templates or key in self._untemplated:
            return None
        node: _Trie | None = self._tries.get(key)
        while node is not None and node.template is None:
            node = node.kids.get(_TRUTH_OF_FLAGS[node.flags[i]]) if node.flags is not None else None
        return node.template if node is not None else self._build_template(key, build)

    def _build_template(self, key: tuple[str, str, Truth | None], build: Any) -> tuple[list[str], list[int]] | None:
        trace: list[tuple[NodePreds, Truth]] = []
        outer, self._trace = self._trace, trace
        try:
            text: str = build()
        finally:
            self._trace = outer
        pieces = text.split("\x00")
        template = (pieces[0::2], [int(k) for k in pieces[1::2]])
        node = self._tries.setdefault(key, _Trie())
        for preds, t in trace:
            if node.template is not None or (node.preds is not None and node.preds != preds):
                # the builder read differently after the same truths: never expected; build directly
                self._untemplated.add(key)
                return None
            if node.preds is None:
                node.preds, node.flags = preds, self._flags_of(preds)
            node = node.kids.setdefault(t, _Trie())
        if node.preds is not None:
            self._untemplated.add(key)
            return None
        node.template = template
        return template

    def _slot(self, kind: str, obj: Any, a: Any = None) -> str:
        """A numbered slot for a provider-dependent piece (while a template is built)."""
        key = (kind, obj if isinstance(obj, str) else id(obj), a)
        k = self._slot_ids.get(key)
        if k is None:
            k = self._slot_ids[key] = len(self._slots)
            self._slots.append((kind, obj, a))
            self._keep.append(obj)
        return f"\x00{k}\x00"

    def _slot_value(self, k: int, code: str) -> str:
        key = (k, code)
        hit = self._slot_text.get(key)
        if hit is None:
            kind, obj, a = self._slots[k]
            if kind == "code":
                hit = jstr(code)
            elif kind == "cond":
                hit = self._cond_piece(obj, (code,), a)
            elif kind == "kids":
                hit = self._rule_children(obj, code, a)
            else:
                hit = self._to_qualify_json(obj, (code,))
            self._slot_text[key] = hit
        return hit

    def _code_json(self, code: str) -> str:
        return jstr(code) if self._trace is None else self._slot("code", None)

    def _proof_json(self, subject: str, args: Args) -> str:
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            text, outcome = self._root_rule_open(self.policy.credentials[rest], args[0])
        elif kind == "form":
            form_name, _, role = rest.partition(":")
            form = self.policy.forms[form_name]
            whole = self.role_truth(form, role, args[0])
            text = self._role_open(form, role, args[0], whole, True)
            outcome = OUTCOME_OF_TRUTH[whole]
        else:
            form_name = rest.split(":")[0]
            text, outcome = self._pair_open(self.policy.forms[form_name], args)
        text += f', "subject": {jstr(subject)}, "as_of": {self._as_of}'
        if outcome is Outcome.REFUSED:
            # a slot in a template: its truths are not the proof's (to_qualify reads the whole tree)
            toq = self._to_qualify_json(subject, args) if self._trace is None else self._slot("toq", subject)
            text += ", " + toq
        return text + "}"

    def rule_proof(self, rule: ir.Rule, code: str) -> Node:
        """A rule's proof for one provider as data (a criterion's, for policy tests: no subject)."""
        node: Node = json.loads(self._root_rule_open(rule, code)[0] + "}")
        return node

    def _root_rule_open(self, rule: ir.Rule, code: str) -> tuple[str, Outcome]:
        whole = self.rule_truth(rule, code)
        text = self._rule_open(rule, code, whole, True, jstr(rule.name), dumps(source_of(rule.span)))
        return text, OUTCOME_OF_TRUTH[whole]

    def _rule_open(self, rule: ir.Rule, code: str, whole: Truth, root: bool, text: str, source: str) -> str:
        """A rule's node for one provider, without its closing brace (callers add fields)."""
        outcome = OUTCOME_OF_TRUTH[whole].value if root else whole.value
        kind, name_title, cites = self._fixed_of(
            "rule",
            rule,
            lambda: (
                dumps(rule.kind),
                f'"name": {dumps(rule.name)}, "title": {dumps(rule.title)}',
                dumps(cites_of(rule.cites)),
            ),
        )
        return (
            f'{{"kind": {kind}, "outcome": "{outcome}", {name_title}, "text": {text}, '
            f'"provider": {self._code_json(code)}, '
            f'"source": {source}, "cites": {cites}, "children": {self._rule_children(rule, code, whole)}'
        )

    def _rule_children(self, rule: ir.Rule, code: str, whole: Truth) -> str:
        """A rule's children for one provider: built once, shown in every proof that reaches the rule."""
        if self._trace is not None:
            return self._slot("kids", rule, whole)
        key = (rule.name, code, whole)
        hit = self._rule_kids.get(key)
        if hit is None:
            hit = self._rule_kids[key] = self._templated(
                ("kids", rule.name, whole), code, lambda: self._rule_children_json(rule, code, whole)
            )
        return hit

    def _rule_children_json(self, rule: ir.Rule, code: str, whole: Truth) -> str:
        if rule.scope is None:
            return self._body_children_json(rule, code, whole)
        args = (code,)
        applies = self.truth(rule.scope, args, None)
        scope = self._fixed_of(
            "scope",
            rule,
            lambda: (
                f'"text": {dumps("applies to " + rule.scope.text)}, '
                f'"source": {dumps(source_of(rule.scope.span))}, "cites": []'
            ),
        )
        leaf = self.cond_json(rule.scope, args, None)
        node = f'{{"kind": "scope", "outcome": "{applies.value}", {scope}, "children": [{leaf}]}}'
        if applies is Truth.FALSE:  # not applicable: the rule holds without its requirement
            return f"[{node}]"
        body = self._body_children_json(rule, code, self._body_truth(rule, args))
        return f"[{node}, {body[1:-1]}]"

    def _body_truth(self, rule: ir.Rule, args: Args) -> Truth:
        """The truth of a rule's requirement with its waiver, whatever its scope."""
        req = self.truth(rule.requires, args, None)
        if rule.unless is None:
            return req
        wav = self.truth(rule.unless, args, None)
        if Truth.TRUE in (req, wav):
            return Truth.TRUE
        return Truth.UNKNOWN if Truth.UNKNOWN in (req, wav) else Truth.FALSE

    def _body_children_json(self, rule: ir.Rule, code: str, whole: Truth) -> str:
        args = (code,)
        if rule.unless is None:
            return "[" + self.cond_json(rule.requires, args, None) + "]"
        unless = rule.unless
        req_t = self.truth(rule.requires, args, None)
        wav_t = self.truth(unless, args, None)
        parts = [rule.requires, unless]
        fixed = self._fixed_of(
            "unless",
            rule,
            lambda: (
                f'"text": {dumps(f"{rule.requires.text} unless {unless.text}")}, '
                f'"source": {dumps(source_of(unless.span))}, "cites": []'
            ),
        )
        waived = "true" if whole is Truth.TRUE and req_t is not Truth.TRUE else "false"
        kids = ", ".join(self.cond_json(parts[i], args, None) for i in select_unless(req_t, wav_t, whole))
        return f'[{{"kind": "unless", "outcome": "{whole.value}", {fixed}, "waived": {waived}, "children": [{kids}]}}]'

    def _role_open(self, form: ir.Form, role: str, code: str, whole: Truth, root: bool) -> str:
        """A form role's node for one provider, without its closing brace."""
        outcome = OUTCOME_OF_TRUTH[whole].value if root else whole.value
        key = (form.name, role, code)
        kids = self._role_kids.get(key) if self._trace is None else None
        if kids is None:
            cond = form.lead if role == "lead" else form.recipient
            kids = self.cond_json(cond, (code,), None)
            if self._trace is None:
                self._role_kids[key] = kids
        span = form.lead_span if role == "lead" else form.recipient_span
        head, tail = self._fixed_of(
            "role:" + role,
            form,
            lambda: (
                f'"name": {dumps(form.name)}, "title": {dumps(form.title)}, "role": {dumps(role)}, '
                f'"text": {dumps(f"{form.name} {role}")}, "provider": ',
                f', "source": {dumps(source_of(span))}, "cites": {dumps(cites_of(form.cites))}, "children": [',
            ),
        )
        return f'{{"kind": "role", "outcome": "{outcome}", {head}{self._code_json(code)}{tail}{kids}]'

    def _pair_open(self, form: ir.Form, args: Args) -> tuple[str, Outcome]:
        c, p = pn.pair_preds(form.name)
        whole = self.ev.truth(NodePreds(c, p), args)
        lead, rec = args
        parts: list[tuple[Truth, Any]] = []
        for role, code in (("lead", lead), ("recipient", rec)):
            t = self.role_truth(form, role, code)
            parts.append((t, lambda role=role, code=code, t=t: self._role_open(form, role, code, t, False) + "}"))
        # The pair condition is evaluated only for candidate pairs (both roles possibly hold);
        # otherwise a role already refuses the pair and the proof shows that role alone.
        candidate = args in self.ev.rel(pn.pair_domain(form.name))
        pair = form.pair
        if pair is not None and candidate:
            parts.append((self.truth(pair, args, form.name), lambda: self.cond_json(pair, args, form.name)))
        chosen = select("and", [t for t, _ in parts], whole)
        outcome = OUTCOME_OF_TRUTH[whole]
        text = (
            f'{{"kind": "pair", "outcome": "{outcome.value}", "name": {dumps(form.name)}, '
            f'"title": {dumps(form.title)}, "text": {dumps(f"{form.name}: {lead} leads, {rec} receives")}, '
            f'"lead": {jstr(lead)}, "recipient": {jstr(rec)}, "source": {dumps(source_of(form.pair_span))}, '
            f'"cites": {dumps(cites_of(form.cites))}, "children": [' + ", ".join(parts[i][1]() for i in chosen) + "]"
        )
        return text, outcome

    # ---- conditions -------------------------------------------------------
    def cond_json(self, cond: ir.Cond, args: Args, pair_form: str | None) -> str:
        """A condition's node for these providers, as JSON text."""
        whole = self.truth(cond, args, pair_form)
        if isinstance(cond, ir.CRef):
            rule = self.policy.rule(cond.name)
            code = self.code_of(cond.who, args)
            text, source, defined_at = self._fixed_of(
                "ref",
                cond,
                lambda: (dumps(cond.text or cond.name), dumps(source_of(cond.span)), dumps(source_of(rule.span))),
            )
            truth = whole if len(args) == 1 else self.rule_truth(rule, code)
            return self._rule_open(rule, code, truth, False, text, source) + f', "defined_at": {defined_at}}}'
        if isinstance(cond, ir.CAnd | ir.COr | ir.CNot):
            fixed = self._cond_fixed(cond)
            kind = "and" if isinstance(cond, ir.CAnd) else "or" if isinstance(cond, ir.COr) else "not"
            items = list(cond.items) if isinstance(cond, ir.CAnd | ir.COr) else [cond.item]
            truths = [self.truth(i, args, pair_form) for i in items]
            kids = ", ".join(self.cond_json(items[i], args, pair_form) for i in select(kind, truths, whole))
            return f'{{"kind": "{kind}", "outcome": "{whole.value}", {fixed}, "children": [{kids}]}}'
        if self._trace is not None and pair_form is None and len(args) == 1:
            return self._slot("cond", cond, whole)
        return self._cond_piece(cond, args, whole)

    def _cond_piece(self, cond: ir.Cond, args: Args, whole: Truth) -> str:
        """A value leaf's or status node's JSON text: the provider-dependent nodes of a proof."""
        fixed = self._cond_fixed(cond)
        if isinstance(cond, ir.CStatus):
            code = self.code_of(cond.who, args)
            value, rows = self.status_lookup(cond.name, code)
            text = (
                f'{{"kind": "status", "outcome": "{whole.value}", {fixed}, '
                f'"value": {dumps(json_value(value))}, "evidence": {self.evidence(rows)}'
            )
            if len(args) == 2:
                text += f', "provider": {jstr(code)}'
            if value is None and not self.status_covered(cond.name):
                text += f', "note": {jstr(uncovered_note(cond.name, self.ev.as_of))}'
            if whole is Truth.UNKNOWN:
                text += f', "missing": {dumps([self._missing_label(f"status {cond.name}", code, args)])}'
            return text + ', "children": []}'
        if isinstance(cond, ir.CJudged):
            return self._judged_json(cond, args[0], whole, fixed)
        return self.leaf_json(cond, args, whole, fixed)

    def _judged_json(self, cond: ir.CJudged, code: str, whole: Truth, fixed: str) -> str:
        """``judged by``: which listed criteria apply to the provider, and what is missing if none."""
        truths = [self.truth(s, (code,), None) for s in cond.scopes]
        applies = [name for name, t in zip(cond.criteria, truths, strict=True) if t is Truth.TRUE]
        values = {s.value.text: json_value(self.lookup(s.value, code)[0]) for s in cond.scopes}  # type: ignore[arg-type]
        text = (
            f'{{"kind": "judged", "outcome": "{whole.value}", {fixed}, "applies": {dumps(applies)}, '
            f'"value": {dumps(values)}'
        )
        if whole is Truth.UNKNOWN:
            text += f', "missing": {dumps(sorted(self._judged_missing(cond, code)))}'
        return text + ', "children": []}'

    def _judged_missing(self, cond: ir.CJudged, code: str) -> set[str]:
        truths = [self.truth(s, (code,), None) for s in cond.scopes]
        values = [self.lookup(s.value, code)[0] for s in cond.scopes]  # type: ignore[arg-type]
        return set(judged_labels(cond, truths, values))

    def _missing_label(self, text: str, code: str, args: Args) -> str:
        return f"{code}: {text}" if len(args) == 2 else text

    def leaf_json(self, cond: ir.Cond, args: Args, whole: Truth, fixed: str) -> str:
        operands = self.operands(cond, args)
        left = operands[0][1]
        head, threshold = self._fixed_of("leaf", cond, lambda: self._leaf_fixed(cond))
        rows = left["rows"]
        if isinstance(cond, ir.CCompare):
            right = operands[1][1]
            rows = rows + right["rows"]
            if threshold is None:  # a provider's value: the threshold is this provider's
                threshold = dumps(_threshold(right))
        text = (
            f'{{"kind": {head[0]}, "outcome": "{whole.value}", {fixed}, "op": {head[1]}, '
            f"{self._unit_json(cond)}"
            f'"value": {dumps(left["value"])}'
        )
        if "provider" in left:
            text += f', "provider": {jstr(left["provider"])}'
        if isinstance(cond, ir.CCompare) and isinstance(cond.left, ir.VWindow) and cond.left.func == "pooled":
            counts = self._derived_index(cond.left).counts(self.code_of(cond.left.who, args))
            text += f', "counts": {dumps(counts)}'
        if isinstance(cond, ir.CCompare) and isinstance(cond.left, ir.VPeer):
            text += f', "peer": {dumps(self._peer_block(cond, cond.left, args))}'
        text += f', "threshold": {threshold}, "evidence": {self.evidence(rows)}'
        stale = {o["text"]: o["stale"] for _v, o in operands if "stale" in o}
        if stale:
            text += f', "stale": {dumps(stale)}'
        if isinstance(cond, ir.CArr) and cond.held is not None:
            text += (
                f', "grace": {dumps(self.grace(cond.held, left["provider"] if "provider" in left else args[0], rows))}'
            )
        if whole is Truth.UNKNOWN:
            missing = sorted(
                self._missing_label(
                    o.get("label") or self._derived_index(v).missing_text(v, o.get("provider", args[0])),
                    o.get("provider", args[0]),
                    args,
                )
                for v, o in operands
                if o.get("raw") is None and not isinstance(v, ir.VConst | ir.VParam)
            )
            text += f', "missing": {dumps(missing)}'
        return text + ', "children": []}'

    def _peer_block(self, cond: ir.CCompare, v: ir.VPeer, args: Args) -> dict[str, Any]:
        """A peer-relative comparison's group, size and cut-off (see ``values.peer_json``)."""
        right = cond.right
        threshold: Any = None
        if isinstance(right, ir.VConst):
            threshold = right.value
        elif isinstance(right, ir.VParam):
            threshold = self.ev.facts.params[right.name][0]
        unit = value_unit(self.policy, v.base)
        return self._derived_index(v).peer_block(v, self.code_of(v.who, args), cond.op, threshold, unit)

    def _unit_json(self, cond: ir.Cond) -> str:
        """``"unit": U, `` for a comparison in a unit (a percent, a number declared `in UNIT`), else empty."""
        piece: str = self._fixed_of(
            "unit", cond, lambda: "" if (u := cond_unit(self.policy, cond)) is None else f'"unit": {jstr(u)}, '
        )
        return piece

    def _leaf_fixed(self, cond: ir.Cond) -> tuple[tuple[str, str], str | None]:
        """A leaf's kind and op as JSON text, and its threshold's unless a provider's value sets it."""
        threshold: dict[str, Any]
        if isinstance(cond, ir.CCompare):
            if not isinstance(cond.right, ir.VConst | ir.VParam):
                return (dumps("comparison"), dumps(cond.op)), None
            return (dumps("comparison"), dumps(cond.op)), dumps(_threshold(self._fixed_operand(cond.right)))
        if isinstance(cond, ir.CIn):
            return (dumps("comparison"), dumps("in")), dumps({"in": list(cond.members)})
        if isinstance(cond, ir.CBool):
            return (dumps("comparison"), dumps("=")), dumps({"value": True})
        assert isinstance(cond, ir.CArr)
        threshold = {"value": 1}
        if isinstance(cond.within, ir.VParam):
            value, since = self.ev.facts.params[cond.within.name]
            threshold.update(
                within=json_value(value),
                param=cond.within.name,
                since=since.isoformat() if since else None,
            )
        return (dumps("arrangement"), dumps(">=")), dumps(threshold)

    # ---- missing values of an undetermined decision -----------------------
    def missing(self, subject: str, args: Args) -> list[str]:
        """The missing values an undetermined decision met: those under its unknown parts.

        The same set a proof lists on its unknown nodes, computed from the node truths without
        building the proof (pipelines ask this for every undetermined decision).
        """
        kind, _, rest = subject.partition(":")
        if kind == "credential":
            return sorted(self._missing_rule(self.policy.credentials[rest], args[0]))
        if kind == "form":
            form_name, _, role = rest.partition(":")
            form = self.policy.forms[form_name]
            return sorted(self._missing_cond(form.lead if role == "lead" else form.recipient, args, None))
        form = self.policy.forms[rest.split(":")[0]]
        out: set[str] = set()
        for role, code in (("lead", args[0]), ("recipient", args[1])):
            rc, rp = pn.role_preds(form.name, role)
            if self.ev.truth(NodePreds(rc, rp), (code,)) is Truth.UNKNOWN:
                out |= self._missing_cond(form.lead if role == "lead" else form.recipient, (code,), None)
        if form.pair is not None and args in self.ev.rel(pn.pair_domain(form.name)):
            out |= self._missing_cond(form.pair, args, form.name)
        return sorted(out)

    def _missing_rule(self, rule: ir.Rule, code: str) -> frozenset[str]:
        key = ("missing", rule.name, code)
        if key not in self._missing_memo:
            out: set[str] = set()
            if self.rule_truth(rule, code) is Truth.UNKNOWN:
                for part in (rule.requires, rule.unless, rule.scope):
                    if part is not None:
                        out |= self._missing_cond(part, (code,), None)
            self._missing_memo[key] = frozenset(out)
        return self._missing_memo[key]

    def _missing_cond(self, cond: ir.Cond, args: Args, pair_form: str | None) -> frozenset[str]:
        if self.truth(cond, args, pair_form) is not Truth.UNKNOWN:
            return frozenset()
        if isinstance(cond, ir.CRef):
            return self._missing_rule(self.policy.rule(cond.name), self.code_of(cond.who, args))
        if isinstance(cond, ir.CAnd | ir.COr | ir.CNot):
            items = list(cond.items) if isinstance(cond, ir.CAnd | ir.COr) else [cond.item]
            out: set[str] = set()
            for item in items:
                out |= self._missing_cond(item, args, pair_form)
            return frozenset(out)
        if isinstance(cond, ir.CStatus):
            return frozenset({self._missing_label(f"status {cond.name}", self.code_of(cond.who, args), args)})
        if isinstance(cond, ir.CJudged):
            return frozenset(self._judged_missing(cond, args[0]))
        labels = set()
        for v in self._operands(cond):
            if isinstance(v, ir.VConst | ir.VParam):
                continue
            code = self.code_of(getattr(v, "who", None), args)
            if self.lookup(v, code)[0] is None:
                stale = self.stale_of(v, code)
                text = (
                    stale_label(describe_value(v), stale[1], stale[2])
                    if stale
                    else self._derived_index(v).missing_text(v, code)
                )
                labels.add(self._missing_label(text, code, args))
        return frozenset(labels)

    @staticmethod
    def _operands(cond: ir.Cond) -> list[ir.Value]:
        if isinstance(cond, ir.CCompare):
            return [cond.left, cond.right]
        if isinstance(cond, ir.CIn | ir.CBool):
            return [cond.value]
        assert isinstance(cond, ir.CArr)
        return [
            ir.VArrCount(cond.role, cond.form, cond.within, cond.who, span=cond.span, text=cond.text, held=cond.held)
        ]

    # ---- to_qualify --------------------------------------------------------
    # The counterfactual search (credential.proofs.qualify) reads the model's leaf truths and the
    # facts' values through _ModelSource; the answer is memoised per subject and provider.
    def to_qualify(self, subject: str, args: Args) -> list[dict[str, Any]]:
        """The changes that would grant a refused decision (see :mod:`credential.proofs.qualify`)."""
        return self._qualifier.items(self._answer(subject, args))

    def _answer(self, subject: str, args: Args) -> Answer:
        key = (subject, args)
        hit = self._answers.get(key)
        if hit is None:
            hit = self._answers[key] = self._qualifier.qualify(subject, args)
        return hit

    def _to_qualify_json(self, subject: str, args: Args) -> str:
        """The refusal's ``to_qualify`` field (and ``ineligible``/``cannot_qualify`` when it is empty) as JSON text."""
        answer = self._answer(subject, args)
        q = self._qualifier
        text = '"to_qualify": ' + dumps(q.items(answer))
        if answer.ineligible:
            text += ', "ineligible": ' + dumps([q.ineligible_item(r) for r in answer.ineligible])
        if answer.reason is not None:
            text += ', "cannot_qualify": ' + jstr(answer.reason)
        return text


class _ModelSource:
    """What the counterfactual search reads, from the model and the evaluation's facts."""

    def __init__(self, builder: ProofBuilder):
        self.builder = builder
        self.policy = builder.policy

    def leaf_truth(self, cond: ir.Cond, args: Args, pair_form: str | None) -> Truth:
        return self.builder.truth(cond, args, pair_form)

    def truth_key(self, leaves: list[ir.Cond], code: str) -> bytes | None:
        return self.builder.truth_key(leaves, code)

    def node_truth(self, node: ir.Cond | ir.Rule, args: Args, pair_form: str | None) -> Truth:
        if isinstance(node, ir.Rule):
            return self.builder.rule_truth(node, args[0])
        return self.builder.truth(node, args, pair_form)

    def value(self, v: ir.Value, code: str) -> Any:
        if isinstance(v, ir.VConst):
            return v.value
        if isinstance(v, ir.VParam):
            return self.builder.ev.facts.params[v.name][0]
        return self.builder.lookup(v, code)[0]

    def status_value(self, name: str, code: str) -> bool | None:
        value: bool | None = self.builder.status_lookup(name, code)[0]
        return value

    def stale_of(self, v: ir.Value, code: str) -> tuple[Any, dt.date | None, int] | None:
        return self.builder.stale_of(v, code)


def _threshold(right: dict[str, Any]) -> dict[str, Any]:
    """A comparison's threshold as a proof shows it: its right operand's text, value, parameter
    (with the date it took effect) and, for another provider's value, that provider."""
    return {k: right[k] for k in ("text", "value", "param", "since", "trajectory", "provider") if k in right}
