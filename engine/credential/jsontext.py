"""JSON text as every output of the engine writes it: ``json.dumps(v, ensure_ascii=False, separators=(", ", ": "))``.

Records, proofs and streamed blocks are assembled from pieces encoded here, so a piece
written on its own is byte for byte what encoding the whole record at once would give.
"""

from __future__ import annotations

import json
import re

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))  # built once: dumps builds one per call
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def dumps(value: object) -> str:
    """JSON text as ``json.dumps(value, ensure_ascii=False, separators=(", ", ": "))`` writes it."""
    return _ENCODER.encode(value)


def jstr(value: str) -> str:
    """A string as JSON text, as :func:`dumps` writes it (quick when there is nothing to escape)."""
    return f'"{value}"' if _NEEDS_ESCAPE.search(value) is None else _ENCODER.encode(value)
