"""Policy diff: the decisions that change between two policy versions, and why.

Both versions are evaluated on the same data bundle (read once, validated against each
version's declarations) as of the same date.  Every decision whose outcome differs is
reported (a subject that exists in one version only has outcome ``absent``), with the
changed declarations that caused it (see :mod:`credential.diffing.attribution`).

Typical use::

    from credential.diffing.diff import diff_policies
    result = diff_policies("policies/dalton_2014.cred", "policies/dalton_2017.cred",
                           bundled_data_path(), date(2026, 11, 22))
    for change in result.changes:
        print(change.provider, change.subject, change.transition,
              [c.declaration for c in change.causes])
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from credential.check import CheckedPolicy
from credential.compile import compile_policy
from credential.data.bundle import Bundle
from credential.diagnostics import Diagnostic, DiagnosticError
from credential.diffing.attribution import Attributor
from credential.diffing.declarations import DeclChange, compare_policies
from credential.diffing.result import ABSENT, Cause, DecisionChange, DiffResult
from credential.evaluation.decisions import Outcome
from credential.evaluation.evaluate import (
    DataInvalid,
    Evaluation,
    Inputs,
    OnInvalid,
    PolicyInvalid,
    evaluate_inputs,
    policy_ref,
)

__all__ = [
    "ABSENT",
    "Cause",
    "DataInvalid",
    "DecisionChange",
    "DeclChange",
    "DiffResult",
    "PolicyInvalid",
    "diff_policies",
]

PolicyArg = str | Path | CheckedPolicy


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str | None]] = set()
    out = []
    for d in diags:
        key = (d.headline(), d.help)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _load_policies(old: PolicyArg, new: PolicyArg) -> tuple[CheckedPolicy, CheckedPolicy, list[Diagnostic]]:
    from credential.policy import load_checked

    loaded: list[CheckedPolicy] = []
    warnings: list[Diagnostic] = []
    errors: list[Diagnostic] = []
    for p in (old, new):
        if isinstance(p, CheckedPolicy):
            loaded.append(p)
            continue
        checked, diags = load_checked(p)
        if checked is None:
            errors.extend(d for d in diags if d.is_error)
        else:
            loaded.append(checked)
            warnings.extend(diags)
    if errors:
        raise PolicyInvalid(_dedupe(errors))
    return loaded[0], loaded[1], warnings


def _load_data(
    data: str | Path | Bundle, policies: tuple[CheckedPolicy, CheckedPolicy], on_invalid: OnInvalid
) -> tuple[list[Bundle], list[Diagnostic]]:
    """The bundle validated against each version's declarations (read once)."""
    if isinstance(data, Bundle):
        return [data, data], []
    from credential.data.load import load_bundle
    from credential.data.validate import validate_bundle

    try:
        raw = load_bundle(Path(data))
    except DiagnosticError as exc:
        raise DataInvalid(exc.diagnostics) from None
    bundles: list[Bundle] = []
    diags: list[Diagnostic] = []
    failed = False
    for policy in policies:
        result = validate_bundle(raw, policy.bundle_spec(), on_invalid=on_invalid)
        diags.extend(d for d in result.diagnostics if on_invalid == "quarantine" or not d.is_error)
        if result.bundle is None:
            failed = True
            diags.extend(d for d in result.diagnostics if d.is_error)
        else:
            bundles.append(result.bundle)
    if failed:
        raise DataInvalid(_dedupe(diags))
    return bundles, _dedupe(diags)


def _decisions(ev: Evaluation, codes: list[str]) -> dict[tuple[str, str], str]:
    """(provider, subject) → outcome of every decision record the evaluation makes."""
    out: dict[tuple[str, str], str] = {}
    for code in codes:
        for subject, c, p in ev.subjects():
            out[(code, subject)] = ev.outcome(c, p, (code,)).value
    if ev.pairs:
        for form, lead, rec, outcome in ev.pair_outcomes():
            out[(lead, f"pair:{form}:{lead}:{rec}")] = outcome.value
    return out


def _outcome(decisions: dict[tuple[str, str], str], ev: Evaluation, key: tuple[str, str]) -> str:
    if key in decisions:
        return decisions[key]
    subject = key[1]
    if subject.startswith("pair:") and subject.split(":")[1] in ev.policy.forms:
        return Outcome.REFUSED.value  # refused pairs make no record
    return ABSENT


def diff_policies(
    old: PolicyArg,
    new: PolicyArg,
    data: str | Path | Bundle | None = None,
    as_of: dt.date | None = None,
    pairs: bool = False,
    *,
    on_invalid: OnInvalid = "reject",
    backend: str = "auto",
    allow_expired: bool = False,
) -> DiffResult:
    """Evaluate ``old`` and ``new`` on ``data`` as of ``as_of`` and attribute every changed decision.

    ``data`` defaults to the bundled NHS data and ``as_of`` to today.  With ``pairs`` the
    pair decisions are compared too (a pair refused or absent in both versions makes no record
    in either, so it is not a change).  Raises :class:`PolicyInvalid` when either policy has
    errors and :class:`DataInvalid` when the data does not validate against either version.
    """
    if data is None:
        from credential.resources import bundled_data_path

        data = bundled_data_path()
    day = as_of or dt.date.today()
    p_old, p_new, warnings = _load_policies(old, new)
    bundles, data_diags = _load_data(data, (p_old, p_new), on_invalid)
    evs = [
        evaluate_inputs(
            Inputs(p, compile_policy(p), b, [], allow_expired=allow_expired), day, pairs=pairs, backend=backend
        )
        for p, b in zip((p_old, p_new), bundles, strict=True)
    ]
    ev_old, ev_new = evs
    declarations = compare_policies(p_old, p_new, day)
    names = {**bundles[0].provider_names(), **bundles[1].provider_names()}
    codes = sorted(set(bundles[0].provider_codes) | set(bundles[1].provider_codes))
    d_old, d_new = _decisions(ev_old, codes), _decisions(ev_new, codes)
    attributor = Attributor(ev_old, ev_new, declarations)
    changes: list[DecisionChange] = []
    for key in sorted(set(d_old) | set(d_new), key=lambda k: (k[1].startswith("pair:"), k[1], k[0])):
        o, n = _outcome(d_old, ev_old, key), _outcome(d_new, ev_new, key)
        if o == n:
            continue
        provider, subject = key
        causes, how = attributor.attribute(subject, provider, o, n)
        changes.append(DecisionChange(provider, names.get(provider), subject, o, n, causes, how))
    changes.sort(key=lambda c: (c.group, c.subject, c.provider))
    return DiffResult(
        old_policy=policy_ref(p_old),
        new_policy=policy_ref(p_new),
        as_of=day,
        pairs=pairs,
        data=dict(sorted({**bundles[0].digests, **bundles[1].digests}.items())),
        providers=len(codes),
        decisions_old=len(d_old),
        decisions_new=len(d_new),
        declarations=tuple(declarations),
        changes=tuple(changes),
        diagnostics=tuple(_dedupe([*warnings, *data_diags])),
    )
