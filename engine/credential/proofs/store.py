"""Content-addressed proofs: shared proof nodes written once, records that refer to them.

A decisions file written with ``--explain`` holds three kinds of line (``docs/proof-format.md``):

* a **node**: ``{"kind": "node", "id": "sha256:…", "node": BODY}``: one proof node (or one
  ``to_qualify`` item) without what differs per provider; its children are node ids;
* a **row**: ``{"kind": "row", "id": "sha256:…", "row": {"file": F, "row": R, "values": {…}}}``:
  one data row a proof cites, with its values (so a reader needs no data), once per file;
* a **decision record**, with the fields it always has and ``"proof": {"format": FORMAT, "root":
  ID, "leaves": [...], ...}``: the root node, then each value leaf's per-provider fields (value,
  evidence as ``[file, row]``: the row line of that file and row, whose id is the row's digest,
  missing values, ...) in the order the leaves appear, and for a refusal its ``to_qualify`` items
  (ids) and ``ineligible``/``cannot_qualify``.

An id is the SHA-256 of the body as the engine writes JSON (:func:`credential.jsontext.dumps`:
keys in the order written, ``", "`` and ``": "``, non-ASCII unescaped), so the same skeleton,
rule, citation list or parameter threshold shared by thousands of decisions is one line, written
before the first record that refers to it.  In a node, ``"provider": null`` stands for the
record's provider, and a non-empty ``cites`` is the id of a node ``{"kind": "cites", "cites": [...]}``
(a rule's citations are the same in every variant of its node).

:class:`Encoder` turns a full proof tree into this form (the reference definition; the writer's
quick path, :class:`credential.proofs.compact.CompactProofs`, gives the same bytes), and
:class:`NodeStore` reads the lines back and rebuilds the full tree (:meth:`NodeStore.expand`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from credential.jsontext import dumps

FORMAT = "credential-proof/2"
LEAF_KINDS = frozenset({"comparison", "arrangement", "status", "judged"})
# a value leaf's fields kept in its node (the same for every provider); the others are per record
LEAF_FIXED = frozenset({"kind", "outcome", "text", "source", "cites", "op", "unit", "threshold", "children"})
# the order a full proof's leaf holds its fields in, per kind (the node's and the record's merged)
LEAF_ORDER: dict[str, tuple[str, ...]] = {
    "comparison": (
        "kind",
        "outcome",
        "text",
        "source",
        "cites",
        "op",
        "unit",
        "value",
        "provider",
        "counts",
        "peer",
        "threshold",
        "evidence",
        "stale",
        "grace",
        "missing",
        "children",
    ),
    "status": (
        "kind",
        "outcome",
        "text",
        "source",
        "cites",
        "value",
        "evidence",
        "provider",
        "note",
        "missing",
        "children",
    ),
    "judged": ("kind", "outcome", "text", "source", "cites", "applies", "value", "missing", "children"),
}
LEAF_ORDER["arrangement"] = LEAF_ORDER["comparison"]
ROOT_EXTRAS = ("to_qualify", "ineligible", "cannot_qualify")  # a refusal's fields, per record


def digest(text: str) -> str:
    """The id of a body given as the engine's JSON text."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def node_line(node_id: str, body: str) -> str:
    return f'{{"kind": "node", "id": "{node_id}", "node": {body}}}\n'


def row_line(row_id: str, body: str) -> str:
    return f'{{"kind": "row", "id": "{row_id}", "row": {body}}}\n'


def is_compact(proof: Any) -> bool:
    """Whether a record's proof is in the content-addressed form (else a self-contained tree)."""
    return isinstance(proof, dict) and "root" in proof and "kind" not in proof


class Encoder:
    """Full proof trees to nodes, rows and compact record proofs, each node and row written once.

    ``encode`` returns the lines not written before (to go before the record) and the record's
    compact proof as JSON text.
    """

    def __init__(self) -> None:
        self.written: set[str] = set()  # node ids
        self.rows: set[tuple[str, int]] = set()  # (file, row) of the rows written

    def node(self, body: str, out: list[str]) -> str:
        node_id = digest(body)
        if node_id not in self.written:
            self.written.add(node_id)
            out.append(node_line(node_id, body))
        return node_id

    def row(self, evidence: dict[str, Any], out: list[str]) -> list[Any]:
        """A cited row (``{file, row, values}``) as a reference ``[file, row]``; its line written the first time."""
        key = (evidence["file"], evidence["row"])
        if key not in self.rows:
            self.rows.add(key)
            text = dumps(evidence)
            out.append(row_line(digest(text), text))
        return [key[0], key[1]]

    def encode(self, proof: dict[str, Any], provider: str) -> tuple[list[str], str]:
        out: list[str] = []
        leaves: list[str] = []
        root = self._node(proof, provider, leaves, out, True)
        return out, self.compact(root, leaves, self.extras(proof, provider, out))

    @staticmethod
    def compact(root: str, leaves: Iterable[str], extras: str) -> str:
        return f'{{"format": "{FORMAT}", "root": "{root}", "leaves": [' + ", ".join(leaves) + "]" + extras + "}"

    def extras(self, proof: dict[str, Any], provider: str, out: list[str]) -> str:
        """A refusal's ``to_qualify`` (as item ids), ``ineligible`` and ``cannot_qualify``, as JSON text."""
        text = ""
        if "to_qualify" in proof:
            ids = [self.node(dumps(_unprovide(item, provider)), out) for item in proof["to_qualify"]]
            text += ', "to_qualify": ' + dumps(ids)
        if "ineligible" in proof:
            text += ', "ineligible": ' + dumps(proof["ineligible"])
        if "cannot_qualify" in proof:
            text += ', "cannot_qualify": ' + dumps(proof["cannot_qualify"])
        return text

    def leaf(self, n: dict[str, Any], out: list[str]) -> tuple[str, str]:
        """A value leaf's node body and its per-record entry, as JSON text."""
        body = {k: v for k, v in n.items() if k in LEAF_FIXED}
        entry: dict[str, Any] = {}
        for k, v in n.items():
            if k in LEAF_FIXED:
                continue
            if k == "evidence":
                v = [self.row(e, out) for e in v]
            entry[k] = v
        return dumps(body), dumps(entry)

    def _node(self, n: dict[str, Any], provider: str, leaves: list[str], out: list[str], root: bool) -> str:
        ref = n.get("$ref")
        if ref is not None:  # a subtree already written (the quick path's skeletons): its id
            return str(ref)
        if n.get("kind") in LEAF_KINDS:
            body, entry = self.leaf(n, out)
            leaves.append(entry)
            return self.node(body, out)
        parts: dict[str, Any] = {}
        for k, v in n.items():
            if k == "children":
                parts[k] = [self._node(c, provider, leaves, out, False) for c in v]
            elif k == "provider" and v == provider:
                parts[k] = None
            elif root and k in ROOT_EXTRAS:
                continue
            elif k == "cites" and v:
                parts[k] = self.node(dumps({"kind": "cites", "cites": v}), out)
            else:
                parts[k] = v
        return self.node(dumps(parts), out)


def _unprovide(item: dict[str, Any], provider: str) -> dict[str, Any]:
    return {k: (None if k == "provider" and v == provider else v) for k, v in item.items()}


class ProofError(Exception):
    """A compact proof that cannot be rebuilt: ``code`` (a ``verify.*`` problem code) and a message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class NodeStore:
    """The nodes and rows of a decisions file, read line by line, and full proofs rebuilt from them."""

    def __init__(self) -> None:
        self.nodes: dict[str, Any] = {}
        self.rows: dict[str, dict[str, Any]] = {}
        self.at: dict[tuple[str, int], dict[str, Any]] = {}  # rows by (file, row)

    def add(self, line: dict[str, Any]) -> None:
        """A node or row line; raises :class:`ProofError` if its id is not its content's hash."""
        kind = line.get("kind")
        key = "node" if kind == "node" else "row"
        node_id = line.get("id")
        if key not in line or not isinstance(node_id, str):
            raise ProofError("verify.node", f"a {kind} line needs an id and a {key!r} field")
        body = line[key]
        if key == "row" and not (
            isinstance(body, dict)
            and isinstance(body.get("file"), str)
            and isinstance(body.get("row"), int)
            and isinstance(body.get("values"), dict)
        ):
            raise ProofError("verify.node", f"row {node_id}: a row is {{file, row, values}}")
        actual = digest(dumps(body))
        if actual != node_id:
            raise ProofError("verify.node-hash", f"{kind} {_short_id(node_id)}: its id is not its content's hash")
        store = self.nodes if key == "node" else self.rows
        if node_id in store:
            raise ProofError("verify.node-duplicate", f"{kind} {_short_id(node_id)} is written more than once")
        if key == "row":
            where = (body["file"], body["row"])
            if where in self.at:
                raise ProofError("verify.node-duplicate", f"row {body['file']} {body['row']} is written more than once")
            self.at[where] = body
        store[node_id] = body

    def get(self, node_id: Any) -> Any:
        hit = self.nodes.get(node_id) if isinstance(node_id, str) else None
        if hit is None:
            raise ProofError("verify.unresolved", f"proof refers to node {_short_id(node_id)}, not written before it")
        return hit

    def expand(self, proof: dict[str, Any], provider: str) -> dict[str, Any]:
        """The full proof tree of a record's compact proof (``provider``: the record's)."""
        if proof.get("format") != FORMAT:
            raise ProofError("verify.proof-format", f"proof format {proof.get('format')!r}; this engine reads {FORMAT}")
        leaves = proof.get("leaves")
        if not isinstance(leaves, list):
            raise ProofError("verify.leaves", "proof.leaves must be a list")
        it = iter(leaves)
        tree = self._expand(proof.get("root"), provider, it, 0)
        if next(it, None) is not None:
            raise ProofError("verify.leaves", f"proof.leaves holds more entries than its {len(leaves)} leaves need")
        items = proof.get("to_qualify")
        if items is not None:
            if not isinstance(items, list):
                raise ProofError("verify.unresolved", "proof.to_qualify must be a list of node ids")
            tree["to_qualify"] = [self._provide(self.get(i), provider) for i in items]
        for key in ("ineligible", "cannot_qualify"):
            if key in proof:
                tree[key] = proof[key]
        return tree

    @staticmethod
    def _provide(body: Any, provider: str) -> Any:
        if not isinstance(body, dict):
            return body
        return {k: (provider if k == "provider" and v is None else v) for k, v in body.items()}

    def _expand(self, node_id: Any, provider: str, leaves: Any, depth: int) -> dict[str, Any]:
        if depth > 200:
            raise ProofError("verify.unresolved", "proof nodes refer to each other in a cycle")
        body = self.get(node_id)
        if not isinstance(body, dict):
            raise ProofError("verify.node", f"node {_short_id(node_id)} is not an object")
        if body.get("kind") in LEAF_KINDS:
            entry = next(leaves, None)
            if not isinstance(entry, dict):
                raise ProofError("verify.leaves", "proof.leaves holds fewer entries than its leaves need")
            return self._leaf(body, entry)
        out: dict[str, Any] = {}
        for k, v in body.items():
            if k == "children":
                if not isinstance(v, list):
                    raise ProofError("verify.node", f"node {_short_id(node_id)}: children must be a list of ids")
                out[k] = [self._expand(c, provider, leaves, depth + 1) for c in v]
            elif k == "provider" and v is None:
                out[k] = provider
            elif k == "cites" and isinstance(v, str):
                cites = self.get(v)
                if not (isinstance(cites, dict) and cites.get("kind") == "cites"):
                    raise ProofError("verify.node", f"node {_short_id(node_id)}: its cites are not a cites node")
                out[k] = cites.get("cites")
            else:
                out[k] = v
        return out

    def _leaf(self, body: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
        merged = {**body, **entry}
        if "evidence" in entry:
            merged["evidence"] = (
                [self._row(ref) for ref in entry["evidence"]]
                if isinstance(entry["evidence"], list)
                else entry["evidence"]
            )
        order = LEAF_ORDER[str(body["kind"])]
        out = {k: merged[k] for k in order if k in merged}
        out.update((k, v) for k, v in merged.items() if k not in out)
        return out

    def _row(self, ref: Any) -> dict[str, Any]:
        if not (isinstance(ref, list) and len(ref) == 2 and isinstance(ref[0], str) and isinstance(ref[1], int)):
            raise ProofError("verify.evidence", f"evidence {_short(ref)}: a reference is [file, row]")
        body = self.at.get((ref[0], ref[1]))
        if body is None:
            raise ProofError("verify.unresolved", f"evidence {ref[0]} row {ref[1]}: no such row written before it")
        return dict(body)


def expand_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The records of JSON lines with every proof as a full tree (nodes and rows read, not returned)."""
    import json

    store = NodeStore()
    out: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("kind") in ("node", "row") and "provider" not in obj:
            store.add(obj)
            continue
        if is_compact(obj.get("proof")):
            obj["proof"] = store.expand(obj["proof"], str(obj.get("provider")))
        out.append(obj)
    return out


def _short_id(node_id: Any) -> str:
    text = node_id if isinstance(node_id, str) else repr(node_id)
    return text[:19] + "…" if len(text) > 20 else text


def _short(v: Any) -> str:
    text = dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["FORMAT", "Encoder", "NodeStore", "ProofError", "digest", "expand_lines", "is_compact"]
