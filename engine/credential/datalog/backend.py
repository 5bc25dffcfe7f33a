"""The backend seam: a ``Backend`` protocol and a registry of backends by name.

A backend receives a program that already passed the static checks (arity, safety, stratification)
and facts already normalised to tuples of str/int/float/bool, or, if it declares ``columnar = True``,
also as :class:`~credential.datalog.columns.Columns` (numpy arrays, one per argument). It returns the
least model restricted to stratified negation: a mapping of every predicate of the program and of
the facts to its set of rows. A columnar backend may return a lazy mapping that also has
``columns(pred)`` (the rows as numpy arrays), which ``Model.columns`` then uses.
Backend modules are imported lazily, so DuckDB and pyDatalog are only loaded when used; the pyDatalog
backend is the only module that imports pyDatalog.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from .columns import Columns
from .errors import DatalogError
from .ir import Program
from .limits import DEFAULT_LIMITS, Limits
from .values import Row

__all__ = ["Backend", "available_backends", "get_backend", "register_backend"]


@runtime_checkable
class Backend(Protocol):
    """Something that evaluates a checked program over normalised facts."""

    name: str

    def run(
        self, program: Program, facts: Mapping[str, Sequence[Row] | Columns], limits: Limits = DEFAULT_LIMITS
    ) -> Mapping[str, set[Row]]:
        """Every predicate (given and derived) mapped to its rows, within ``limits`` (``datalog.limit``)."""
        ...


_FACTORIES: dict[str, Callable[[], Backend]] = {}
_BUILTIN = {
    "pydatalog": "credential.datalog.backends.pydatalog",
    "duckdb": "credential.datalog.backends.duckdb",
    "masks": "credential.datalog.backends.masks",
}


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make ``factory()`` available as ``get_backend(name)``."""
    _FACTORIES[name] = factory


def available_backends() -> list[str]:
    return sorted(set(_FACTORIES) | set(_BUILTIN))


def get_backend(name: str) -> Backend:
    """A fresh backend instance; raises ``datalog.unknown-backend``."""
    if name not in _FACTORIES and name in _BUILTIN:
        module = importlib.import_module(_BUILTIN[name])
        register_backend(name, module.BACKEND_FACTORY)
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DatalogError(
            "datalog.unknown-backend",
            f"no Datalog backend named {name!r} (available: {', '.join(available_backends())})",
        )
    return factory()
