"""The evaluation pipeline: policy + bundle + as-of dates → model → decision records.

Stages stay pure and separate: ``policy.load_checked`` → ``data.validate_bundle`` →
``compile.compile_policy`` → ``compile.build_facts`` → ``datalog.evaluate_program`` →
outcomes read from the model (``c_*``/``p_*`` predicates) → records, proofs on demand.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from credential import __version__
from credential.check import CheckedPolicy
from credential.compile import CompiledPolicy, NodePreds, compile_policy
from credential.compile import names as pn
from credential.compile.facts import FactBase, build_facts, fact_count
from credential.data.bundle import Bundle
from credential.datalog.evaluate import Model, evaluate_program
from credential.decisions import DecisionRecord, Outcome, PolicyRef, Truth, outcome_of, truth_of
from credential.diagnostics import Diagnostic
from credential.errors import DataInvalid as DataInvalid  # the one exception family (re-exported)
from credential.errors import PolicyInvalid as PolicyInvalid

OnInvalid = Literal["reject", "quarantine"]


class PolicyExpired(PolicyInvalid):
    """The as-of date is after the policy's ``expires`` date and expiry was not allowed (exit code 1)."""


def check_expiry(policy: CheckedPolicy, as_of: dt.date, allow_expired: bool) -> bool:
    """Whether ``as_of`` is past the policy's expiry (and allowed); raises :class:`PolicyExpired`
    when it is past and not allowed (see :mod:`credential.expiry`)."""
    from credential.expiry import expired_diagnostic, is_expired

    if not is_expired(policy, as_of):
        return False
    if not allow_expired:
        raise PolicyExpired([expired_diagnostic(policy, as_of)])
    return True


@dataclass
class Inputs:
    policy: CheckedPolicy
    compiled: CompiledPolicy
    bundle: Bundle
    diagnostics: list[Diagnostic]  # warnings (policy and data) and, with quarantine, the set-aside rows
    quarantined: list[Any] = field(default_factory=list)
    allow_expired: bool = False  # evaluate as of dates after the policy's `expires` (recorded in records)
    held_cache: dict[dt.date, list[tuple[Any, Evaluation]]] = field(default_factory=dict, repr=False)
    """Grace: no-grace evaluations as of each arrangement start date needed, each of the providers
    it was made for (ids of this bundle), see :func:`held_at`."""


def load_inputs(
    policy: str | Path | CheckedPolicy,
    data: str | Path | Bundle,
    on_invalid: OnInvalid = "reject",
    allow_expired: bool = False,
) -> Inputs:
    """Load and check the policy, load and validate the bundle against it."""
    from credential.data.load import load_bundle
    from credential.data.validate import validate_bundle
    from credential.policy import load_checked

    diags: list[Diagnostic] = []
    if isinstance(policy, CheckedPolicy):
        checked = policy
    else:
        checked_or_none, pdiags = load_checked(policy)
        if checked_or_none is None:
            raise PolicyInvalid([d for d in pdiags if d.is_error])
        checked = checked_or_none
        diags.extend(pdiags)
    if isinstance(data, Bundle):
        bundle = data
        quarantined: list[Any] = []
    else:
        raw = load_bundle(Path(data))
        result = validate_bundle(raw, checked.bundle_spec(), on_invalid=on_invalid)
        if result.bundle is None:
            raise DataInvalid(result.diagnostics)
        bundle = result.bundle
        quarantined = list(result.quarantined)
        diags.extend(d for d in result.diagnostics if on_invalid == "quarantine" or not d.is_error)
    return Inputs(checked, compile_policy(checked), bundle, diags, quarantined, allow_expired)


@dataclass
class Evaluation:
    """The model of one policy on one bundle as of one date, with accessors for outcomes."""

    inputs: Inputs
    as_of: dt.date
    facts: FactBase
    model: Model
    pairs: bool
    backend: str
    expired: bool = False  # as of a date after the policy's `expires`, allowed by the caller
    _sets: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict, repr=False)
    _masks: dict[str, Any] = field(default_factory=dict, repr=False)
    _flags: dict[str, bytes] = field(default_factory=dict, repr=False)
    _codes: Any = field(default=None, repr=False)
    _pos: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def policy(self) -> CheckedPolicy:
        return self.inputs.policy

    @property
    def compiled(self) -> CompiledPolicy:
        return self.inputs.compiled

    def rel(self, pred: str) -> set[tuple[Any, ...]]:
        """The rows of ``pred``, providers as codes (the model holds their ids)."""
        if pred not in self._sets:
            rows = self.model.get(pred)
            cols = pn.provider_columns(pred, len(next(iter(rows))) if rows else 0)
            if cols:
                codes = self.codes
                rows = {tuple(codes[v] if j in cols else v for j, v in enumerate(r)) for r in rows}
            self._sets[pred] = rows
        return self._sets[pred]

    @property
    def codes(self) -> Any:
        """The bundle's provider codes, sorted (a numpy object array): a provider's id is its position."""
        if self._codes is None:
            self._codes = self.facts.codes
            self._pos = {str(c): i for i, c in enumerate(self._codes)}
        return self._codes

    @property
    def positions(self) -> dict[str, int]:
        """Provider code -> id (position in ``codes``)."""
        _ = self.codes  # builds the code -> id table
        return self._pos

    def ids(self, codes: Sequence[str]) -> tuple[int, ...]:
        """The Datalog ids of providers (raises KeyError for a code the bundle does not have)."""
        positions = self.positions
        return tuple(positions[c] for c in codes)

    def prefetch(self, preds: Sequence[str]) -> None:
        """Read the provider masks of several predicates at once (one query on DuckDB)."""
        wanted = list(dict.fromkeys(p for p in preds if p not in self._masks))
        if wanted:
            for pred, mask in zip(wanted, self.model.masks(wanted, len(self.codes)), strict=True):
                self._masks[pred] = mask

    def mask(self, pred: str) -> Any:
        """Which providers (by id, i.e. position in ``codes``) are the first argument of a row of ``pred``."""
        if pred not in self._masks:
            self.prefetch([pred])
        return self._masks[pred]

    def holds(self, pred: str, args: tuple[str, ...]) -> bool:
        if len(args) == 1:
            i = self.positions.get(args[0])
            if i is not None:
                flags = self._flags.get(pred)
                if flags is None:
                    # bytes: indexing gives a plain int (no numpy scalar), one byte a provider
                    flags = self._flags[pred] = self.mask(pred).tobytes()
                return flags[i] != 0
        return args in self.rel(pred)

    def truth(self, preds: NodePreds, args: tuple[str, ...]) -> Truth:
        return truth_of(self.holds(preds.certainly, args), self.holds(preds.possibly, args))

    def outcome(self, certainly: str, possibly: str, args: tuple[str, ...]) -> Outcome:
        return outcome_of(self.holds(certainly, args), self.holds(possibly, args))

    def subjects(self) -> list[tuple[str, str, str]]:
        """(subject, certainly predicate, possibly predicate) for every per-provider subject."""
        out = [(f"credential:{n}", *pn.cred(n)) for n in self.policy.credentials]
        for f in self.policy.forms:
            for role in ("lead", "recipient"):
                out.append((f"form:{f}:{role}", *pn.role_preds(f, role)))
        return sorted(out)

    def pair_outcomes(self) -> list[tuple[str, str, str, Outcome]]:
        """(form, lead, recipient, outcome) for every granted or undetermined pair."""
        out: list[tuple[str, str, str, Outcome]] = []
        for f in sorted(self.policy.forms):
            c, p = pn.pair_preds(f)
            certain = self.rel(c)
            for lead, rec in sorted(self.rel(p) | certain):
                out.append((f, lead, rec, Outcome.GRANTED if (lead, rec) in certain else Outcome.UNDETERMINED))
        return out


# `--backend auto`: pyDatalog (the reference backend) up to this many input facts, DuckDB above.
# Measured crossover: see docs/performance.md.
AUTO_MAX_PYDATALOG_FACTS = 5_000


def choose_backend(backend: str, n_facts: int, one_key: bool = False) -> str:
    """The backend that runs: ``auto`` picks by the number of facts.

    Up to ``AUTO_MAX_PYDATALOG_FACTS`` pyDatalog (the reference); above, ``masks`` when the program
    is one the masks backend evaluates (``one_key``: every derived predicate a mask over the
    providers, as a policy's plain run is), DuckDB otherwise (e.g. with ``--pairs``).
    """
    if backend != "auto":
        return backend
    if n_facts <= AUTO_MAX_PYDATALOG_FACTS:
        return "pydatalog"
    return "masks" if one_key else "duckdb"


def held_at(inputs: Inputs, backend: str) -> Callable[[str, dt.date, Any], Any]:
    """The grace condition's oracle: ``(credential, date, pids)`` → the decision of the credential
    as of ``date`` for those providers (ids of this bundle; 0 refused, 1 granted, 2 undetermined).

    The policy is decided as of the arrangement's start *without* grace (every ``held ...``
    condition false there), so a grace period protects a credential earned on its own merits
    and never chains.  A provider's credentials depend on its own rows only, so each date is
    evaluated on the sub-bundle of the providers asked about (one evaluation per start date and
    set of leads, memoised in ``inputs.held_cache``, sharing the compiled program): at scale the
    cost follows the arrangements, not the number of providers."""
    import numpy as np

    codes = np.array(inputs.bundle.provider_codes, dtype=object)

    def oracle(credential: str, day: dt.date, pids: Any) -> Any:
        wanted = np.unique(np.asarray(pids, dtype=np.int64))
        found = None
        for have, ev in inputs.held_cache.get(day, []):
            if np.isin(wanted, have).all():
                found = ev
                break
        if found is None:
            sub = _sub_bundle(inputs.bundle, [str(c) for c in codes[wanted]])
            sub_inputs = Inputs(inputs.policy, inputs.compiled, sub, [], allow_expired=True)
            found = _evaluate(
                sub_inputs, day, False, "masks-if-supported" if backend == "auto" else backend, grace=False
            )
            inputs.held_cache.setdefault(day, []).append((wanted, found))
        c, p = pn.cred(credential)
        at = np.asarray(found.ids([str(x) for x in codes[np.asarray(pids, dtype=np.int64)]]), dtype=np.int64)
        certain, possible = found.mask(c)[at], found.mask(p)[at]
        return np.where(certain, 1, np.where(possible, 2, 0))

    return oracle


def _sub_bundle(bundle: Bundle, codes: Sequence[str]) -> Bundle:
    """The validated bundle restricted to the rows of ``codes`` (the providers' own rows, and
    quarantined rows that could be theirs): what their own decisions depend on."""
    import pandas as pd

    keep = pd.Index(codes)

    def own(frame: Any, *columns: str) -> Any:
        mask = None
        for col in columns:
            m = frame[col].isin(keep).to_numpy(dtype=bool)
            mask = m if mask is None else mask | m
        return frame[mask].reset_index(drop=True)

    def own_or_wild(frame: Any, column: str) -> Any:
        m = frame[column].isin(keep).to_numpy(dtype=bool) | frame[column].isna().to_numpy(dtype=bool)
        return frame[m].reset_index(drop=True)

    from credential.data.bundle import Quarantine

    q = bundle.quarantine
    quarantine = Quarantine(
        own(q.providers, "code"),
        own_or_wild(q.observations, "code"),
        own_or_wild(q.statuses, "code"),
        q.arrangements[
            q.arrangements["lead"].isin(keep).to_numpy(dtype=bool)
            | q.arrangements["recipient"].isin(keep).to_numpy(dtype=bool)
            | q.arrangements["lead"].isna().to_numpy(dtype=bool)
            | q.arrangements["recipient"].isna().to_numpy(dtype=bool)
        ].reset_index(drop=True),
    )
    return Bundle(
        spec=bundle.spec,
        providers=own(bundle.providers, "code"),
        observations=own(bundle.observations, "code"),
        statuses=own(bundle.statuses, "code"),
        arrangements=own(bundle.arrangements, "lead", "recipient"),
        digests=bundle.digests,
        raw=bundle.raw,
        quarantine=quarantine,
        coverage=bundle.coverage,
    )


def evaluate_inputs(
    inputs: Inputs,
    as_of: dt.date,
    pairs: bool = False,
    backend: str = "auto",
    focus: Sequence[str] | None = None,
) -> Evaluation:
    """The model as of ``as_of``; with ``focus`` (provider codes) only those providers' decisions
    are computed when the program allows it (``credential.focus``): ask the result nothing else."""
    expired = check_expiry(inputs.policy, as_of, inputs.allow_expired)
    ev = _evaluate(inputs, as_of, pairs, backend, grace=True, focus=focus)
    ev.expired = expired
    return ev


def _evaluate(
    inputs: Inputs, as_of: dt.date, pairs: bool, backend: str, grace: bool, focus: Sequence[str] | None = None
) -> Evaluation:
    facts = build_facts(inputs.compiled, inputs.bundle, as_of, held_at(inputs, backend) if grace else None)
    program = inputs.compiled.program(pairs)
    relations = facts.relations
    if focus is not None:
        from credential.focus import focus_relations, is_provider_local

        if is_provider_local(program):
            positions = {str(c): i for i, c in enumerate(facts.codes)}
            relations = focus_relations(relations, [positions[c] for c in focus if c in positions])
    one_key = False
    if backend == "auto":
        from credential.datalog.backends.masks import supports

        one_key = supports(program, relations)
    if backend == "masks-if-supported":  # grace's many small evaluations at scale (see held_at)
        from credential.datalog.backends.masks import supports

        backend = "masks" if supports(program, relations) else "auto"
    # the choice depends on the whole bundle, so a focused record names the backend a full run would
    chosen = choose_backend(backend, fact_count(facts), one_key)
    model = evaluate_program(program, relations, backend=chosen)
    return Evaluation(inputs, as_of, facts, model, pairs, chosen)


def policy_ref(policy: CheckedPolicy, expired: bool = False) -> PolicyRef:
    """The record's ``policy``; ``expired``: evaluated past its ``expires`` date, allowed (then the
    record carries ``expires`` and ``allow_expired: true``)."""
    if expired and policy.expires is not None:
        return PolicyRef(
            name=policy.name,
            version=policy.version,
            sha256=policy.sha256,
            expires=policy.expires.isoformat(),
            allow_expired=True,
        )
    return PolicyRef(name=policy.name, version=policy.version, sha256=policy.sha256)


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
    """The decisions of a run as a frame (``credential.batch``), and as records built on first use.

    With ``explain`` the proofs are not built here: ``proof_texts(start, stop)`` builds those of
    a block of the frame's rows as JSON text (what a writer streams), and ``records`` builds them all.
    """

    inputs: Inputs
    evaluations: list[Evaluation]
    frame: Any  # pandas DataFrame of every decision (credential.batch.COLUMNS), sorted
    explain: bool = False
    _records: list[DecisionRecord] | None = field(default=None, repr=False)
    _builders: dict[str, Any] = field(default_factory=dict, repr=False)

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
        f = self.frame.iloc[start:stop]
        out: list[str] = []
        for code, subject, as_of in zip(f["provider"], f["subject"], f["as_of"], strict=True):
            subject = str(subject)
            args = tuple(subject.split(":")[2:4]) if subject.startswith("pair:") else (str(code),)
            out.append(self._builders[str(as_of)].proof_json(subject, args))
        return out

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


def run(
    policy: str | Path | CheckedPolicy,
    data: str | Path | Bundle,
    as_of: Sequence[dt.date] = (),
    *,
    pairs: bool = False,
    explain: bool = False,
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
    progress: Callable[[str], None] | None = None,
    providers: Sequence[str] = (),
    subjects: Sequence[str] = (),
    allow_expired: bool = False,
) -> RunResult:
    """Decide every subject for every provider on every as-of date (default: today).

    ``providers`` (codes) and ``subjects`` (patterns, ``credential.selection``) keep only those
    decisions; a code or pattern that selects nothing raises ``UsageError``.  Without pairs, only
    the selected providers are evaluated.  Proofs (``explain``) are built when the records or the
    output ask for them, block by block.
    """
    from credential.batch import decision_frame, sort_frames
    from credential.selection import check_providers, check_subject_patterns, subject_regex

    inputs = load_inputs(policy, data, on_invalid, allow_expired)
    if providers:
        check_providers(providers, inputs.bundle.provider_codes)
    dates = list(dict.fromkeys(as_of)) or [dt.date.today()]
    for d in dates:  # before any work: an expired policy fails the whole run, never part of it
        check_expiry(inputs.policy, d, allow_expired)
    frames: list[Any] = []
    evaluations: list[Evaluation] = []
    for d in dates:
        if progress:
            progress(f"evaluating as of {d.isoformat()}")
        focus = list(providers) if providers and not pairs else None
        ev = evaluate_inputs(inputs, d, pairs=pairs, backend=backend, focus=focus)
        if subjects and not evaluations:
            check_subject_patterns(subjects, [s for s, _, _ in ev.subjects()], ev.policy.forms)
        evaluations.append(ev)
        frame = decision_frame(ev)
        if providers or subjects:
            keep = frame["provider"].isin(list(providers)) if providers else True
            if subjects:
                keep = keep & frame["subject"].astype(str).str.fullmatch(subject_regex(subjects))
            frame = frame[keep].reset_index(drop=True)
        frames.append(frame)
    return RunResult(inputs, evaluations, sort_frames(frames), explain=explain)
