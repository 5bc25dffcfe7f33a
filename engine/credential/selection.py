"""Choosing decisions: providers by code, subjects by pattern, and the outcomes that fail a run.

Shared by ``evaluate``/``explain`` (and any command that selects decisions) and the Python API.

* A **subject pattern** is a shell-style glob over subject names (``credential:partner``,
  ``form:buddying:*``, ``form:*:lead``, ``pair:merger_acquisition:RM3:*``); a bare name with no
  ``:`` means ``credential:NAME``.  A pattern that matches no subject of the policy is a usage
  error (``usage.unknown-subject``) naming the subjects there are.
* A **provider** code must be one of the bundle's (``usage.unknown-provider``, with the nearest
  codes as a hint).
* ``--fail-on`` names outcomes: ``refused``, ``undetermined``, or ``not-granted`` (either).
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Sequence

from credential.errors import UsageError

FAIL_ON = {"refused": ("refused",), "undetermined": ("undetermined",), "not-granted": ("refused", "undetermined")}


def normalise_pattern(pattern: str) -> str:
    p = pattern.strip()
    return p if ":" in p else f"credential:{p}"


def subject_regex(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regular expression matching a subject when any pattern does."""
    return re.compile("|".join(f"(?:{fnmatch.translate(normalise_pattern(p))})" for p in patterns))


def check_subject_patterns(patterns: Sequence[str], subjects: Iterable[str], forms: Iterable[str]) -> None:
    """Every pattern must match a per-provider subject, or be a pair pattern of a known form."""
    subjects = sorted(subjects)
    forms = set(forms)
    for raw in patterns:
        pat = normalise_pattern(raw)
        if pat.startswith("pair:"):
            form = pat.split(":")[1] if pat.count(":") >= 1 else ""
            if any(fnmatch.fnmatchcase(f, form) for f in forms):
                continue
            raise UsageError(
                "usage.unknown-subject",
                f"--subject {raw!r}: no form matches {form!r}; forms: {', '.join(sorted(forms))}",
            )
        if not any(fnmatch.fnmatchcase(s, pat) for s in subjects):
            raise UsageError(
                "usage.unknown-subject",
                f"subject {raw!r} matches no subject of the policy; one of: {', '.join(subjects)}",
            )


def check_providers(codes: Sequence[str], known: Iterable[str]) -> None:
    """Every code must be a provider of the bundle."""
    known_set = set(known)
    for code in codes:
        if code not in known_set:
            near = difflib.get_close_matches(code, sorted(known_set), n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise UsageError("usage.unknown-provider", f"no provider with code {code!r} in the bundle{hint}")


def fail_outcomes(fail_on: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for name in fail_on:
        if name not in FAIL_ON:
            raise UsageError("usage.bad-argument", f"--fail-on {name!r}: one of {', '.join(FAIL_ON)}")
        out.update(FAIL_ON[name])
    return out
