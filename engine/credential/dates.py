"""Dates as people type them, in one place (``--as-of``, ranges, the Python API).

Accepted forms:

* ``today`` (the local date);
* an ISO date, ``2025-06-30``;
* where a range or a series of dates is taken: a quarter, ``2025Q1`` (also ``2025-Q1``), which
  stands for its last day (2025-03-31), and a range ``FROM..TO`` of quarters, each quarter's end.

``parse_date`` takes one date, ``parse_dates`` one date or a range of quarter ends, ``quarter_end``
and ``quarter_start`` give a quarter's bounds.  A bad date raises ``credential.errors.UsageError``
with code ``usage.bad-date`` naming the accepted forms.
"""

from __future__ import annotations

import datetime as dt
import re

from credential.errors import UsageError

DATE_FORMS = "`today`, an ISO date (2025-06-30)"
QUARTER_FORMS = "a quarter (2025Q1: its last day), or a range of quarters (2024Q1..2025Q2: each quarter's end)"

_QUARTER = re.compile(r"(\d{4})-?[Qq]([1-4])\Z")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def accepted_forms(quarters: bool = False) -> str:
    return f"{DATE_FORMS}, {QUARTER_FORMS}" if quarters else DATE_FORMS


def quarter_end(year: int, quarter: int) -> dt.date:
    """The last day of a calendar quarter (quarter 1..4)."""
    if quarter == 4:
        return dt.date(year, 12, 31)
    return dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)


def quarter_start(year: int, quarter: int) -> dt.date:
    """The first day of a calendar quarter (quarter 1..4)."""
    return dt.date(year, 3 * quarter - 2, 1)


def _bad(value: object, quarters: bool, what: str = "a date") -> UsageError:
    return UsageError(
        "usage.bad-date",
        f"{value!r} is not {what}; accepted: {accepted_forms(quarters)}",
    )


def _quarter(text: str) -> tuple[int, int] | None:
    m = _QUARTER.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def parse_date(value: str | dt.date | dt.datetime, *, quarters: bool = False, today: dt.date | None = None) -> dt.date:
    """One date: ``today``, ``YYYY-MM-DD``, a ``date`` or ``datetime`` (its date); with
    ``quarters`` also ``2025Q1`` for that quarter's last day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise _bad(value, quarters)
    text = value.strip()
    if text.lower() == "today":
        return today or dt.date.today()
    if quarters and (q := _quarter(text)) is not None:
        return quarter_end(*q)
    if _ISO.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _bad(value, quarters, "a calendar date") from None
    raise _bad(value, quarters)


def parse_dates(value: str | dt.date | dt.datetime, *, today: dt.date | None = None) -> list[dt.date]:
    """One date (every form of ``parse_date`` with quarters), or ``FROM..TO``: every quarter's end
    from quarter FROM to quarter TO (both ends quarters, FROM not after TO)."""
    if isinstance(value, str) and ".." in value:
        lo, _, hi = value.strip().partition("..")
        a, b = _quarter(lo.strip()), _quarter(hi.strip())
        if a is None or b is None or a > b:
            raise _bad(value, True, "a range of quarters (FROM..TO, FROM not after TO)")
        out = []
        y, q = a
        while (y, q) <= b:
            out.append(quarter_end(y, q))
            y, q = (y + 1, 1) if q == 4 else (y, q + 1)
        return out
    return [parse_date(value, quarters=True, today=today)]


def parse_range(
    start: str | dt.date | None, end: str | dt.date | None, *, today: dt.date | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """A ``--from``/``--to`` pair: a quarter as ``start`` is its first day, as ``end`` its last.

    Raises ``usage.bad-date`` when a bound is not a date or ``start`` is after ``end``.
    """
    lo = _bound(start, first=True, today=today)
    hi = _bound(end, first=False, today=today)
    if lo is not None and hi is not None and lo > hi:
        raise UsageError("usage.bad-date", f"the range starts ({lo.isoformat()}) after it ends ({hi.isoformat()})")
    return lo, hi


def _bound(value: str | dt.date | None, *, first: bool, today: dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str) and (q := _quarter(value.strip())) is not None:
        return quarter_start(*q) if first else quarter_end(*q)
    return parse_date(value, quarters=True, today=today)
