"""Which documented command lines run in the slow step (tests/docs/test_docs.py, test_examples_run.py)."""

from __future__ import annotations

# commands that evaluate the whole bundled data many times over (a report or timeline across years,
# a diff, the reference policies' tests, proofs of every decision and their verification); a command
# that reads another's output (verify, explain --decisions) is in the same step as the one writing it
HEAVY_VERBS = {"report", "timeline", "diff", "verify", "test", "match"}
HEAVY_FLAGS = {"--explain", "--decisions", "--pairs"}


def is_heavy(command: str) -> bool:
    """Whether ``credential VERB ...`` belongs in the slow step (``test --list`` runs nothing)."""
    words = command.split()
    if words[:1] != ["credential"]:
        return False
    verb = words[1] if len(words) > 1 else ""
    return (verb in HEAVY_VERBS and "--list" not in words) or bool(HEAVY_FLAGS & set(words))
