"""The writer's quick path to content-addressed proofs (:mod:`credential.proofs.store`).

The proof builder already shares work between providers through templates: a provider's proof
is a template (chosen by the truths the provider's nodes take) with slots for its own pieces:
its code, each value leaf, each rule's children (a nested template) and a refusal's
``to_qualify``.  Here a proof is taken apart along the same lines instead of being written out:
the **skeleton** of a decision (which template, and the nested templates and leaf nodes of its
slots) is encoded into nodes once, the first time any provider reaches it, and every later
decision with the same skeleton costs a dictionary look-up plus its leaves' per-provider fields
and its evidence rows (each row written once).  No per-provider tree is built.

The output is byte for byte what :class:`credential.proofs.store.Encoder` makes of the full
tree (tested); proofs the templates do not cover (pairs, providers outside the model) take that
reference path.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from credential.evaluation.decisions import Truth
from credential.jsontext import dumps
from credential.proofs.store import Encoder

if TYPE_CHECKING:
    from credential.proofs.proof import ProofBuilder

Template = tuple[list[str], list[int]]
_NONE = "\x00"  # matches no provider code: the skeletons' providers are already null


class CompactProofs:
    """Compact proofs of one builder's decisions; the nodes and rows they need collect in ``out``."""

    def __init__(self, builder: ProofBuilder, encoder: Encoder):
        self.b = builder
        self.enc = encoder
        self.out: list[str] = []
        # kept for the writer's life (no provider's data): skeleton -> node id(s)
        self._roots: dict[tuple[Any, ...], str] = {}
        self._kids_ids: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._leaf_ids: dict[str, str] = {}  # a leaf node's body -> its id
        self._item_ids: dict[tuple[Any, ...], str] = {}  # a shared to_qualify item (Qualifier.item_key) -> its id
        # per block (forgotten with the builder's per-provider memos)
        self._leaves: dict[tuple[int, str], tuple[str, str]] = {}
        self._kids: dict[tuple[str, str, Truth], tuple[tuple[Any, ...], list[str]]] = {}

    def forget(self) -> None:
        self._leaves.clear()
        self._kids.clear()

    def take(self) -> str:
        """The node and row lines collected since the last call."""
        text = "".join(self.out)
        self.out.clear()
        return text

    def proof(self, subject: str, args: tuple[str, ...]) -> str:
        """One decision's compact proof as JSON text (new nodes and rows go to ``out``)."""
        b = self.b
        if len(args) == 1 and not subject.startswith("pair:"):
            code = args[0]
            template = b._template_for(("subject", subject, None), code, lambda: b._proof_json(subject, args))
            if template is not None:
                skey, leaves, refused = self._walk(template, code)
                root = self._roots.get(skey)
                if root is None:
                    root = self._roots[skey] = self.enc._node(self._skeleton(template, skey), _NONE, [], self.out, True)
                return Encoder.compact(root, leaves, self._extras(subject, args) if refused else "")
        lines, text = self.enc.encode(json.loads(b.proof_json(subject, args)), args[0])
        self.out.extend(lines)
        return text

    # ---- taking a templated proof apart -----------------------------------
    def _walk(self, template: Template, code: str) -> tuple[tuple[Any, ...], list[str], bool]:
        """A template's skeleton key for this provider, its leaves' entries and whether it has ``to_qualify``."""
        parts: list[Any] = []
        leaves: list[str] = []
        refused = False
        slots = self.b._slots
        for k in template[1]:
            kind, obj, a = slots[k]
            if kind == "code":
                parts.append(None)
            elif kind == "cond":
                node_id, entry = self._leaf(k, code)
                parts.append(node_id)
                leaves.append(entry)
            elif kind == "kids":
                sub, sub_leaves = self._kids_of(obj, code, a)
                parts.append(sub)
                leaves.extend(sub_leaves)
            else:
                refused = True
                parts.append("toq")
        return (id(template[0]), tuple(parts)), leaves, refused

    def _leaf(self, k: int, code: str) -> tuple[str, str]:
        key = (k, code)
        hit = self._leaves.get(key)
        if hit is None:
            body, entry = self.enc.leaf(json.loads(self.b._slot_value(k, code)), self.out)
            node_id = self._leaf_ids.get(body)
            if node_id is None:
                node_id = self._leaf_ids[body] = self.enc.node(body, self.out)
            hit = self._leaves[key] = (node_id, entry)
        return hit

    def _kids_of(self, rule: Any, code: str, whole: Truth) -> tuple[tuple[Any, ...], list[str]]:
        """A rule's children for this provider: their skeleton key and their leaves' entries."""
        key = (rule.name, code, whole)
        hit = self._kids.get(key)
        if hit is None:
            b = self.b
            template = b._template_for(
                ("kids", rule.name, whole), code, lambda: b._rule_children_json(rule, code, whole)
            )
            if template is None:
                leaves: list[str] = []
                ids = tuple(
                    self.enc._node(c, code, leaves, self.out, False)
                    for c in json.loads(b._rule_children(rule, code, whole))
                )
                skey: tuple[Any, ...] = ("ids", ids)
                self._kids_ids[skey] = ids
            else:
                skey, leaves, _ = self._walk(template, code)
                if skey not in self._kids_ids:
                    children = json.loads(self._fill(template, skey))
                    self._kids_ids[skey] = tuple(self.enc._node(c, _NONE, [], self.out, False) for c in children)
            hit = self._kids[key] = (skey, leaves)
        return hit

    def _skeleton(self, template: Template, skey: tuple[Any, ...]) -> dict[str, Any]:
        tree: dict[str, Any] = json.loads(self._fill(template, skey))
        return tree

    def _fill(self, template: Template, skey: tuple[Any, ...]) -> str:
        """A template's text with its slots filled by the skeleton's parts (subtrees as ``{"$ref": id}``)."""
        statics, _ = template
        pieces: list[str] = [""] * (2 * len(statics) - 1)
        pieces[0::2] = statics
        fills = []
        for part in skey[1]:
            if part is None:
                fills.append("null")
            elif part == "toq":
                fills.append('"to_qualify": []')
            elif isinstance(part, str):
                fills.append(f'{{"$ref": "{part}"}}')
            else:
                fills.append("[" + ", ".join(f'{{"$ref": "{i}"}}' for i in self._kids_ids[part]) + "]")
        pieces[1::2] = fills
        return "".join(pieces)

    def _extras(self, subject: str, args: tuple[str, ...]) -> str:
        """A refusal's ``to_qualify`` items (ids), ``ineligible`` and ``cannot_qualify``: as ``Encoder.extras``."""
        answer = self.b._answer(subject, args)
        q = self.b._qualifier
        out = self.out
        ids = []
        for i in range(len(answer.shared if answer.shared is not None else answer.changes)):
            key = q.item_key(answer, i)  # a shared answer's item: its node once per key
            node_id = self._item_ids.get(key) if key is not None else None
            if node_id is None:
                node_id = self.enc.node(dumps(_unprovide(q.shared_item(answer, i), args[0])), out)
                if key is not None:
                    self._item_ids[key] = node_id
            ids.append(node_id)
        text = ', "to_qualify": ' + dumps(ids)
        if answer.ineligible:
            text += ', "ineligible": ' + dumps([q.ineligible_item(r) for r in answer.ineligible])
        if answer.reason is not None:
            text += ', "cannot_qualify": ' + dumps(answer.reason)
        return text


def _unprovide(item: dict[str, Any], provider: str) -> dict[str, Any]:
    return {k: (None if k == "provider" and v == provider else v) for k, v in item.items()}
