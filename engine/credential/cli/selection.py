"""``--provider``, ``--subject`` and ``--fail-on``: which decisions a command reports, and which fail it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from credential.selection import FAIL_ON

F = TypeVar("F", bound=Callable[..., Any])

PROVIDER_OPTION = click.option(
    "--provider",
    "providers",
    multiple=True,
    metavar="CODE",
    help="only this provider (repeatable); only the providers chosen are evaluated",
)
SUBJECT_OPTION = click.option(
    "--subject",
    "subjects",
    multiple=True,
    metavar="PATTERN",
    help="only subjects matching this glob, e.g. 'form:*:lead', 'credential:partner', 'partner' (repeatable)",
)
FAIL_ON_OPTION = click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    type=click.Choice(list(FAIL_ON)),
    help="exit 5 when any selected decision is refused / undetermined / not granted (repeatable)",
)


def selection_options(fn: F) -> F:
    for opt in (FAIL_ON_OPTION, SUBJECT_OPTION, PROVIDER_OPTION):
        fn = opt(fn)
    return fn


def fail_on_count(outcomes: Iterable[str], fail_on: Iterable[str]) -> int:
    """How many of ``outcomes`` match a ``--fail-on`` value."""
    wanted: set[str] = set()
    for name in fail_on:
        wanted.update(FAIL_ON[name])
    return sum(1 for o in outcomes if o in wanted) if wanted else 0
