"""The ``--as-of`` option type: every form of ``credential.dates`` (reusable by any command)."""

from __future__ import annotations

import datetime as dt

import click

from credential.dates import parse_date, parse_dates
from credential.errors import UsageError


class DateParam(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A date: ``today`` or ``YYYY-MM-DD`` (with ``quarters``, also ``2025Q1`` for its last day)."""

    name = "date"

    def __init__(self, quarters: bool = False) -> None:
        self.quarters = quarters

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        try:
            return parse_date(value, quarters=self.quarters)  # type: ignore[arg-type]
        except UsageError as exc:
            self.fail(exc.diagnostics[0].message, param, ctx)


class DatesParam(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """One date, or a range of quarter ends ``2024Q1..2025Q2`` (a list of dates)."""

    name = "date"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> list[dt.date]:
        if isinstance(value, list):
            return value
        try:
            return parse_dates(value)  # type: ignore[arg-type]
        except UsageError as exc:
            self.fail(exc.diagnostics[0].message, param, ctx)


def as_of_option(help: str = "evaluation date: today, YYYY-MM-DD (default today)"):  # type: ignore[no-untyped-def]
    """``--as-of`` for one date."""
    return click.option("--as-of", "as_of", type=DateParam(), default=None, metavar="DATE", help=help)


def flatten(values: tuple[list[dt.date], ...]) -> list[dt.date]:
    return [d for group in values for d in group]
