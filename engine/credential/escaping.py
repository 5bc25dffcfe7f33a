"""Text that leaves the engine safely: to a terminal, into a spreadsheet, into a message.

Policies and bundles come from people the reader of the output may not trust, so every string
from them passes one of these functions on its way out:

* :func:`terminal_text` for table, text, diagnostic and progress output: control characters
  (C0, DEL, C1 — so ESC, CSI and OSC sequences too), bidirectional controls, zero-width
  characters and line/paragraph separators are shown as escapes (``\\x1b``, ``\\u202e``), so
  no string can move the cursor, clear the screen, set a window title, write the clipboard or
  reorder what the reader sees;
* :func:`csv_field` for CSV output: RFC 4180 quoting (a field with a comma, a quote, a CR or
  an LF is quoted, quotes doubled), and a field a spreadsheet would run as a formula (one
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR) gets a leading ``'`` (OWASP's
  advice); so that the rule can be undone, a field that starts with ``'`` gets one too, and
  :func:`csv_unneutralise` takes exactly one off;
* :func:`clip` for echoing input in a message: at most 80 printable characters, escaped;
* :func:`confusables` finds the invisible characters ``check`` warns about (Trojan Source).
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that change the display order of text (Unicode bidirectional formatting)."""

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u180e")
"""Characters that take no space: two strings that look the same may differ by them."""

_SEPARATORS = frozenset("\u2028\u2029")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


_UNSAFE_RE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS | ZERO_WIDTH | _SEPARATORS)) + "]")
_UNSAFE_MULTILINE_RE = re.compile(_UNSAFE_RE.pattern.replace("\x00-\x1f", "\x00-\x08\x0b-\x1f"))


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    o = ord(ch)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def terminal_text(text: str, *, multiline: bool = False) -> str:
    """``text`` with every character that could control a terminal or hide text escaped.

    With ``multiline`` line feeds and tabs are kept (a rendered page); otherwise they are
    escaped too (one value on one line).
    """
    pattern = _UNSAFE_MULTILINE_RE if multiline else _UNSAFE_RE
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda m: _escape(m.group()), text)


def clip(text: str, limit: int = 80) -> str:
    """At most ``limit`` printable characters of ``text`` (escaped), with how much was left out."""
    shown = terminal_text(text)
    if len(shown) <= limit:
        return shown
    return f"{shown[:limit]}… ({len(text):,} characters)"


_CONFUSABLE_RE = re.compile("[" + "".join(sorted(BIDI_CONTROLS | ZERO_WIDTH)) + "]")


def confusables(text: str) -> list[tuple[int, str]]:
    """Positions and characters of bidirectional controls and zero-width characters in ``text``."""
    return [(m.start(), m.group()) for m in _CONFUSABLE_RE.finditer(text)]


def char_name(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"


# ---------------------------------------------------------------------------- CSV

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection)."""

_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def csv_neutralise(value: str) -> str:
    """``'`` before a value a spreadsheet would run as a formula, or that starts with ``'``."""
    if value.startswith(FORMULA_STARTS) or value.startswith("'"):
        return "'" + value
    return value


def csv_unneutralise(value: str) -> str:
    """The value :func:`csv_neutralise` was given (one leading ``'`` removed, if any)."""
    return value[1:] if value.startswith("'") else value


def csv_field(value: str, *, raw: bool = False) -> str:
    """One CSV field (RFC 4180): quoted when it holds a comma, a quote, a CR or an LF.

    Unless ``raw``, a formula-like value is neutralised first (:func:`csv_neutralise`).
    """
    if not raw:
        value = csv_neutralise(value)
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value
