"""The evaluation stage: policy + bundle + an as-of date → model, with outcomes read from it.

``load_inputs`` loads and checks the policy and validates the bundle against it; ``evaluate_inputs``
builds the facts as of a date and runs the Datalog backend; an ``Evaluation`` reads outcomes from
the model (``c_*``/``p_*`` predicates).  Records, proofs and the engine's ``run`` sit above.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from credential.check import CheckedPolicy
from credential.compile import CompiledPolicy, NodePreds, compile_policy
from credential.compile import names as pn
from credential.compile.facts import FactBase, build_facts, fact_count
from credential.data.bundle import Bundle
from credential.datalog.evaluate import Model, evaluate_program
from credential.diagnostics import Diagnostic
from credential.errors import DataInvalid as DataInvalid  # the one exception family (re-exported)
from credential.errors import PolicyInvalid as PolicyInvalid
from credential.evaluation.decisions import Outcome, PolicyRef, Truth, outcome_of, truth_of

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


# `--backend auto`: pyDatalog (the reference backend) up to this many input facts, DuckDB above,
# for the programs the masks backend does not take (pairs). Measured crossover: docs/performance.md.
AUTO_MAX_PYDATALOG_FACTS = 5_000


def choose_backend(backend: str, n_facts: int, one_key: bool = False) -> str:
    """The backend that runs: ``auto`` picks the fast one that takes the program.

    ``masks`` when the program is one the masks backend evaluates (``one_key``: every derived
    predicate a mask over the providers, as a policy's plain run is), whatever its size (it gives
    the reference's records, tested, far faster even on a small bundle); otherwise pyDatalog (the
    reference) up to ``AUTO_MAX_PYDATALOG_FACTS`` facts and DuckDB above (e.g. with ``--pairs``).
    """
    if backend != "auto":
        return backend
    if one_key:
        return "masks"
    if n_facts <= AUTO_MAX_PYDATALOG_FACTS:
        return "pydatalog"
    return "duckdb"


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
