"""Decision records: one pydantic record per decision of an evaluation (``records_for``), and a
run's decisions as a frame with its records built on first use (``RunResult``).

Above the proofs (a record with ``explain`` carries its proof) and below the writers of
``credential.output`` and the engine's ``run``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from credential.evaluation.decisions import DecisionRecord, Outcome
from credential.evaluation.evaluate import Evaluation, Inputs, policy_ref
from credential.version import __version__


def records_for(
    ev: Evaluation,
    explain: bool = False,
    provider: str | None = None,
    subject: str | None = None,
) -> list[DecisionRecord]:
    """Decision records of one evaluation (optionally of one provider / subject)."""
    from credential.proofs.proof import ProofBuilder

    builder = ProofBuilder(ev)
    names = ev.inputs.bundle.provider_names()
    pref = policy_ref(ev.policy, ev.expired)
    data = dict(sorted(ev.inputs.bundle.digests.items()))
    as_of = ev.as_of.isoformat()
    codes = [provider] if provider is not None else sorted(names)
    out: list[DecisionRecord] = []

    def make(code: str, subj: str, outcome: Outcome, missing: list[str], proof: dict[str, Any] | None) -> None:
        out.append(
            DecisionRecord(
                provider=code,
                provider_name=names.get(code),
                subject=subj,
                outcome=outcome,
                as_of=as_of,
                missing=missing,
                policy=pref,
                data=data,
                engine=__version__,
                backend=ev.backend,
                proof=proof,
            )
        )

    for code in codes:
        for subj, c, p in ev.subjects():
            if subject is not None and subj != subject:
                continue
            outcome = ev.outcome(c, p, (code,))
            missing = builder.missing(subj, (code,)) if outcome is Outcome.UNDETERMINED else []
            proof = builder.proof(subj, (code,)) if explain else None
            make(code, subj, outcome, missing, proof)
    if ev.pairs:
        for form, lead, rec, outcome in ev.pair_outcomes():
            subj = f"pair:{form}:{lead}:{rec}"
            if (provider is not None and lead != provider) or (subject is not None and subj != subject):
                continue
            missing = builder.missing(subj, (lead, rec)) if outcome is Outcome.UNDETERMINED else []
            proof = builder.proof(subj, (lead, rec)) if explain else None
            make(lead, subj, outcome, missing, proof)
    return out


@dataclass
class RunResult:
    """The decisions of a run as a frame (``credential.output.batch``), and as records built on first use.

    With ``explain`` the proofs are not built here: ``proof_block(start, stop)`` builds those of
    a block of the frame's rows in the content-addressed form a JSON writer streams,
    ``proof_texts`` as self-contained JSON text (Parquet), and ``records`` builds them all.
    """

    inputs: Inputs
    evaluations: list[Evaluation]
    frame: Any  # pandas DataFrame of every decision (credential.output.batch.COLUMNS), sorted
    explain: bool = False
    _records: list[DecisionRecord] | None = field(default=None, repr=False)
    _builders: dict[str, Any] = field(default_factory=dict, repr=False)
    _compact: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def backend(self) -> str:
        return self.evaluations[0].backend if self.evaluations else "pydatalog"

    @property
    def expired(self) -> bool:
        """Whether any date was after the policy's ``expires`` (allowed): every record then says so."""
        return any(ev.expired for ev in self.evaluations)

    def proof_texts(self, start: int, stop: int) -> list[str]:
        """The proofs of the frame's rows ``start:stop`` as JSON text (the builders forget earlier blocks)."""
        from credential.proofs.proof import ProofBuilder

        if not self._builders:
            self._builders = {ev.as_of.isoformat(): ProofBuilder(ev) for ev in self.evaluations}
        for b in self._builders.values():
            b.forget()
        return [self._builders[day].proof_json(subject, args) for day, subject, args in self._rows(start, stop)]

    def _rows(self, start: int, stop: int) -> list[tuple[str, str, tuple[str, ...]]]:
        """The frame's rows ``start:stop`` as (as-of date, subject, the provider codes it is about)."""
        f = self.frame.iloc[start:stop]
        out = []
        for code, subject, as_of in zip(f["provider"], f["subject"], f["as_of"], strict=True):
            subject = str(subject)
            args = tuple(subject.split(":")[2:4]) if subject.startswith("pair:") else (str(code),)
            out.append((str(as_of), subject, args))
        return out

    def proof_block(self, start: int, stop: int) -> tuple[bytes, list[str]]:
        """The compact proofs of rows ``start:stop`` (``credential.proofs.store``): the node and row
        lines not written by an earlier block, and each row's proof as JSON text."""
        from credential.proofs.compact import CompactProofs
        from credential.proofs.proof import ProofBuilder
        from credential.proofs.store import Encoder

        if not self._compact or start == 0:  # a new file: every node and row is written again
            encoder = Encoder()
            self._compact = {ev.as_of.isoformat(): CompactProofs(ProofBuilder(ev), encoder) for ev in self.evaluations}
        for c in self._compact.values():
            c.b.forget()
            c.forget()
        out = [self._compact[day].proof(subject, args) for day, subject, args in self._rows(start, stop)]
        return "".join(c.take() for c in self._compact.values()).encode(), out

    def proofs(self, start: int, stop: int) -> list[dict[str, Any]]:
        """The proofs of the frame's rows ``start:stop`` as data."""
        return [json.loads(text) for text in self.proof_texts(start, stop)]

    @property
    def records(self) -> list[DecisionRecord]:
        if self._records is None:
            pref = policy_ref(self.inputs.policy, self.expired)
            data = dict(sorted(self.inputs.bundle.digests.items()))
            f = self.frame
            proofs: list[dict[str, Any] | None] = [*self.proofs(0, len(f))] if self.explain else [None] * len(f)
            self._records = [
                DecisionRecord(
                    provider=str(p),
                    provider_name=n if isinstance(n, str) else None,
                    subject=str(s),
                    outcome=Outcome(str(o)),
                    as_of=str(d),
                    missing=list(m),
                    policy=pref,
                    data=data,
                    engine=__version__,
                    backend=self.backend,
                    proof=proof,
                )
                for p, n, s, o, d, m, proof in zip(
                    f["provider"],
                    f["provider_name"],
                    f["subject"],
                    f["outcome"],
                    f["as_of"],
                    f["missing"],
                    proofs,
                    strict=True,
                )
            ]
        return self._records
