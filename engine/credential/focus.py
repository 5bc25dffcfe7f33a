"""Evaluating only what a question needs: the decisions of a few providers.

A compiled policy is *provider-local* when every rule reads, for the providers in its head, only
facts about those same providers (a criterion of provider P reads P's values; a pair rule of
(L, R) reads L's and R's).  Then the model restricted to a set of providers is the full model's
restriction, and ``credential explain CODE`` (or ``evaluate --provider``) need only evaluate the
program on those providers' facts: a few hundred facts instead of the whole bundle's.

``is_provider_local`` decides this statically from the program (any rule that joins a provider
not in its head, or names a provider by constant, makes it false, and the caller evaluates
everything); ``focus_relations`` keeps the facts of the chosen providers.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from credential.compile import names as pn
from credential.datalog.columns import Columns
from credential.datalog.ir import Atom, Negation, Program, Var


def _provider_terms(atom: Atom) -> list[Any]:
    return [atom.args[i] for i in pn.provider_columns(atom.pred, len(atom.args))]


@functools.lru_cache(maxsize=8)
def is_provider_local(program: Program) -> bool:
    """True when every rule's body reads only the providers of its head (see the module's text)."""
    for rule in program.rules:
        head = _provider_terms(rule.head)
        if not all(isinstance(t, Var) for t in head):
            return False
        allowed = {t.name for t in head if isinstance(t, Var)}
        for lit in rule.body:
            atom = lit.atom if isinstance(lit, Negation) else lit
            if not isinstance(atom, Atom):
                continue
            for t in _provider_terms(atom):
                if not isinstance(t, Var) or t.name not in allowed:
                    return False
    return True


def focus_relations(
    relations: Mapping[str, Columns | list[tuple[Any, ...]]], ids: Iterable[int]
) -> dict[str, Columns | list[tuple[Any, ...]]]:
    """The facts whose every provider column holds one of ``ids`` (parameters are kept whole)."""
    keep = np.array(sorted(set(ids)), dtype=np.int64)
    out: dict[str, Columns | list[tuple[Any, ...]]] = {}
    for pred, rows in relations.items():
        if isinstance(rows, Columns):
            cols = pn.provider_columns(pred, len(rows.arrays))
            if not cols or not rows.arrays:
                out[pred] = rows
                continue
            mask = np.ones(rows.length, dtype=bool)
            for i in cols:
                mask &= np.isin(rows.arrays[i], keep)
            out[pred] = rows.take(mask)
        else:
            key = set(keep.tolist())
            out[pred] = [r for r in rows if all(r[i] in key for i in pn.provider_columns(pred, len(r)))]
    return out
