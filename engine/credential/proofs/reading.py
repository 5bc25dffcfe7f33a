"""Decision records with their full proofs, read back from a decisions file (``explain --decisions``).

The file is what ``evaluate --explain`` writes (JSON lines or a JSON array): content-addressed
proofs are rebuilt from the file's nodes and rows (:class:`credential.proofs.store.NodeStore`);
self-contained proofs (older files, ``explain --format json``) are taken as they are.  Nothing
is evaluated; checking the proofs against the policy and data is ``verify``'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from credential.errors import UsageError
from credential.proofs.store import NodeStore, ProofError, is_compact


def records_from_file(
    path: str, codes: list[str], subject_ok: Callable[[str], bool], as_of: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The records of providers ``codes`` whose subject ``subject_ok`` accepts, by code, in file order.

    Raises ``UsageError``: ``usage.bad-decisions`` for a file that is not a decisions file with
    proofs, or whose proof cannot be rebuilt; ``usage.unknown-provider`` / ``usage.unknown-subject``
    when a provider has no record (or none of the subjects asked for).
    """
    from credential.proofs.verify import FormatError, read_records

    store = NodeStore()
    found: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
    seen: set[str] = set()
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for n, rec, error in read_records(fh):
                if error is not None or not isinstance(rec, dict):
                    raise UsageError("usage.bad-decisions", f"{path}: line {n}: {error or 'not a JSON object'}")
                if rec.get("kind") in ("node", "row") and "provider" not in rec:
                    store.add(rec)
                    continue
                code = rec.get("provider")
                if not isinstance(code, str):
                    continue
                seen.add(code)
                if code not in found or not subject_ok(str(rec.get("subject"))):
                    continue
                if as_of is not None and rec.get("as_of") != as_of:
                    continue
                proof = rec.get("proof")
                if proof is None:
                    raise UsageError(
                        "usage.bad-decisions", f"{path}: line {n}: no proof (write the file with evaluate --explain)"
                    )
                if is_compact(proof):
                    rec = {**rec, "proof": store.expand(proof, code)}
                found[code].append(rec)
    except (UnicodeDecodeError, FormatError) as exc:
        raise UsageError("usage.bad-decisions", f"{path}: not a decisions file ({exc})") from exc
    except ProofError as exc:
        raise UsageError("usage.bad-decisions", f"{path}: {exc.message} [{exc.code}]") from exc
    for code, recs in found.items():
        if not recs:
            if code not in seen:
                raise UsageError("usage.unknown-provider", f"no record of provider {code!r} in {path}")
            when = f" as of {as_of}" if as_of else ""
            raise UsageError(
                "usage.unknown-subject", f"no record of provider {code!r} for that subject{when} in {path}"
            )
    return found
