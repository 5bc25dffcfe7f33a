"""Decisions as values: outcomes, the decision record, and their stable order."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer


class Outcome(str, Enum):
    GRANTED = "granted"
    REFUSED = "refused"
    UNDETERMINED = "undetermined"


class Truth(str, Enum):
    """The three values of an inner proof node (Kleene)."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


def outcome_of(certainly: bool, possibly: bool) -> Outcome:
    if certainly:
        return Outcome.GRANTED
    return Outcome.UNDETERMINED if possibly else Outcome.REFUSED


def truth_of(certainly: bool, possibly: bool) -> Truth:
    if certainly:
        return Truth.TRUE
    return Truth.UNKNOWN if possibly else Truth.FALSE


class PolicyRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    version: str
    sha256: str
    expires: str | None = None  # set only when evaluated past it with allow_expired
    allow_expired: bool | None = None

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """``expires`` and ``allow_expired`` appear only when set (a plain record is unchanged)."""
        out: dict[str, Any] = handler(self)
        for key in ("expires", "allow_expired"):
            if out.get(key) is None:
                out.pop(key, None)
        return out

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class DecisionRecord(BaseModel):
    """One decision: a provider, a subject, an as-of date, an outcome (spec: decisions-and-cli.md)."""

    model_config = ConfigDict(frozen=True)

    provider: str
    provider_name: str | None
    subject: str
    outcome: Outcome
    as_of: str
    missing: list[str]
    policy: PolicyRef
    data: dict[str, str]
    engine: str
    backend: str = "pydatalog"
    proof: dict[str, Any] | None = None

    def sort_key(self) -> tuple[str, str, str]:
        return (self.provider, self.subject, self.as_of)

    def to_json_dict(self) -> dict[str, Any]:
        # The proof is already plain JSON data (built by credential.proofs): attach it as it is
        # instead of letting pydantic walk every node again.
        out = self.model_dump(mode="json", exclude={"proof"})
        if self.proof is not None:
            out["proof"] = self.proof
        return out

    def to_jsonl(self) -> str:
        return json.dumps(self.to_json_dict(), ensure_ascii=False, separators=(", ", ": "))


def sort_records(records: list[DecisionRecord]) -> list[DecisionRecord]:
    return sorted(records, key=DecisionRecord.sort_key)
