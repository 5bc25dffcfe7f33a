"""The language's reserved words, read from the grammar (editors complete and highlight them)."""

from __future__ import annotations

import functools
import re

from credential.syntax.parser import _parser

_WORD = re.compile(r"[a-z][a-z_]*")


@functools.lru_cache(maxsize=1)
def keywords() -> tuple[str, ...]:
    """Every keyword terminal of the grammar (``policy``, ``requires``, ``over``, ...), sorted."""
    words = {
        str(t.pattern.value)
        for t in _parser().terminals
        if t.pattern.type == "str" and _WORD.fullmatch(str(t.pattern.value))
    }
    return tuple(sorted(words))
