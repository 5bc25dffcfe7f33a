"""Bounds on evaluation: no program runs unboundedly on any backend.

A Datalog program without arithmetic always terminates (it can only derive tuples over the values it
was given), but one whose recursive rules compute new values (``n(X + 1) :- n(X).``) may not. Every
backend therefore evaluates under :class:`Limits`: at most ``max_rounds`` semi-naive rounds for any
one recursive component, and at most ``timeout`` seconds of wall time for the whole evaluation
(checked between rounds and, on DuckDB, also by interrupting a running statement). Crossing either
raises ``DatalogError("datalog.limit", ...)`` naming the limit and the predicates involved.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .errors import DatalogError

__all__ = ["DEFAULT_LIMITS", "Deadline", "Limits"]


@dataclass(frozen=True)
class Limits:
    """``max_rounds``: rounds per recursive component; ``timeout``: seconds (``None``: no time bound)."""

    max_rounds: int = 100_000
    timeout: float | None = 600.0

    def __post_init__(self) -> None:
        if self.max_rounds < 1:
            raise ValueError("max_rounds must be at least 1")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError("timeout must be positive (or None)")


DEFAULT_LIMITS = Limits()


@dataclass
class Deadline:
    """The clock of one evaluation under ``limits``."""

    limits: Limits
    started: float = field(default_factory=time.monotonic)

    def remaining(self) -> float | None:
        if self.limits.timeout is None:
            return None
        return self.limits.timeout - (time.monotonic() - self.started)

    def check(self, preds: Sequence[str], round_no: int | None = None) -> None:
        """Raise ``datalog.limit`` when the time is up or ``round_no`` reached the round limit."""
        if round_no is not None and round_no >= self.limits.max_rounds:
            raise DatalogError(
                "datalog.limit",
                f"recursion over {', '.join(sorted(preds))} reached no fixpoint within "
                f"{self.limits.max_rounds} rounds (the round limit); a recursive rule that computes new "
                "values (arithmetic in a head) can derive facts for ever",
            )
        left = self.remaining()
        if left is not None and left <= 0:
            raise self.timed_out(preds)

    def timed_out(self, preds: Sequence[str]) -> DatalogError:
        where = f" while evaluating {', '.join(sorted(preds))}" if preds else ""
        return DatalogError(
            "datalog.limit",
            f"evaluation stopped after {self.limits.timeout:g} s (the time limit){where}",
        )
