"""What ``diff_policies`` returns: the changed declarations and the changed decisions, with causes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from credential.diagnostics import Diagnostic
from credential.diffing.declarations import DeclChange
from credential.evaluation.decisions import PolicyRef

ABSENT = "absent"
"""The outcome of a subject that does not exist in one version (a new or dropped credential or form)."""

Attribution = Literal["truth", "fallback", "declaration"]
"""How a change's causes were found: ``truth`` (changed dependencies whose truth or value differs),
``declaration`` (the subject itself was added or removed), ``fallback`` (the truth comparison could
not separate them: every changed dependency is named)."""


@dataclass(frozen=True)
class Cause:
    """A changed declaration named as a cause of one changed decision.

    ``old``/``new`` are, for a criterion, credential or form part, its truth for ``providers``
    in each version (``true``, ``false``, ``unknown``, or ``absent`` where it does not exist);
    for a param, its value in force; otherwise ``None``.  ``via`` names the comparisons that
    read a changed param, measure, attribute, scale or status, with their truth in each version.
    """

    declaration: str
    providers: tuple[str, ...] = ()
    old: str | None = None
    new: str | None = None
    via: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "declaration": self.declaration,
            "providers": list(self.providers),
            "old": self.old,
            "new": self.new,
            "via": list(self.via),
        }


@dataclass(frozen=True)
class DecisionChange:
    """One decision whose outcome differs between the two versions."""

    provider: str
    provider_name: str | None
    subject: str
    old: str
    new: str
    causes: tuple[Cause, ...]
    attribution: Attribution

    @property
    def group(self) -> str:
        """The subject a change is grouped under: itself, or ``pair:FORM`` for a pair."""
        if self.subject.startswith("pair:"):
            return ":".join(self.subject.split(":")[:2])
        return self.subject

    @property
    def transition(self) -> str:
        return f"{self.old} → {self.new}"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "provider_name": self.provider_name,
            "subject": self.subject,
            "old": self.old,
            "new": self.new,
            "attribution": self.attribution,
            "causes": [c.to_json_dict() for c in self.causes],
        }


@dataclass(frozen=True)
class DiffResult:
    """The decisions that change between two policy versions on the same data and date."""

    old_policy: PolicyRef
    new_policy: PolicyRef
    as_of: dt.date
    pairs: bool
    data: dict[str, str]
    """SHA-256 of every data file read, by file name."""
    providers: int
    decisions_old: int
    decisions_new: int
    declarations: tuple[DeclChange, ...]
    changes: tuple[DecisionChange, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=(), compare=False)

    def declaration(self, decl_id: str) -> DeclChange:
        for d in self.declarations:
            if d.id == decl_id:
                return d
        raise KeyError(decl_id)

    def by_subject(self) -> dict[str, Counter[str]]:
        """Per subject group, the number of changes by transition (``granted → refused``: 3)."""
        out: dict[str, Counter[str]] = {}
        for c in self.changes:
            out.setdefault(c.group, Counter())[c.transition] += 1
        return dict(sorted(out.items()))

    def by_cause(self) -> dict[str, int]:
        """Per changed declaration (in declaration order), how many changed decisions name it."""
        counts: Counter[str] = Counter()
        for c in self.changes:
            for decl in {cause.declaration for cause in c.causes}:
                counts[decl] += 1
        return {d.id: counts[d.id] for d in self.declarations if d.decisive or counts[d.id]}

    def changes_of(self, subject: str | None = None, provider: str | None = None) -> list[DecisionChange]:
        return [
            c
            for c in self.changes
            if (subject is None or subject in (c.subject, c.group)) and (provider is None or c.provider == provider)
        ]

    def to_json_dict(self) -> dict[str, Any]:
        by_cause = self.by_cause()
        return {
            "old_policy": self.old_policy.to_json_dict(),
            "new_policy": self.new_policy.to_json_dict(),
            "as_of": self.as_of.isoformat(),
            "pairs": self.pairs,
            "data": dict(sorted(self.data.items())),
            "providers": self.providers,
            "decisions": {"old": self.decisions_old, "new": self.decisions_new, "changed": len(self.changes)},
            "summary": {
                "by_subject": {
                    g: {"changed": sum(t.values()), "transitions": dict(sorted(t.items()))}
                    for g, t in self.by_subject().items()
                },
                "by_cause": by_cause,
            },
            "declarations": [
                {**d.to_json_dict(), "decisions_changed": by_cause.get(d.id, 0)} for d in self.declarations
            ],
            "changes": [c.to_json_dict() for c in self.changes],
        }
