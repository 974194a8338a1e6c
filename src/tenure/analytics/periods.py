"""Calendar periods as people write them ("2025-Q1", "2025-03", "2025", "2025-01-01..2025-03-31")
and the runs of periods a chart shows. Bounds are dates, both inclusive."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal, get_args

from tenure.analytics.errors import InvalidInputError

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = get_args(PeriodKind)

_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_EXAMPLES = '"2025-Q1", "2025-03", "2025" or "2025-01-01..2025-03-31"'


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            "period", f"{text.strip()!r} is not a date like 2025-01-31"
        ) from None


def period_bounds(text: str) -> tuple[date, date]:
    """First and last day of the period ``text`` names.

    >>> period_bounds("2025-Q1")
    (datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))

    Raises
    ------
    InvalidInputError
        For anything else than the four forms, an impossible date, or an end before the start.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("period", f"is empty: write {_EXAMPLES}")
    text = text.strip()
    try:
        return _bounds(text)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise InvalidInputError("period", f"{text!r} is outside the calendar ({exc})") from None


def _bounds(text: str) -> tuple[date, date]:
    if ".." in text:
        first, _, last = text.partition("..")
        start, end = _day(first), _day(last)
        if end < start:
            raise InvalidInputError("period", f"ends ({end}) before it starts ({start})")
        return start, end
    if found := _QUARTER.match(text):
        year, quarter = int(found[1]), int(found[2])
        return date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)
    if found := _MONTH.match(text):
        year, month = int(found[1]), int(found[2])
        if not 1 <= month <= 12:
            raise InvalidInputError("period", f"{text!r}: there is no month {month}")
        return date(year, month, 1), _month_end(year, month)
    if found := _YEAR.match(text):
        year = int(found[1])
        if year < 1:
            raise InvalidInputError("period", "there is no year 0")
        return date(year, 1, 1), date(year, 12, 31)
    raise InvalidInputError("period", f"{text!r} is not a period: write {_EXAMPLES}")


def period_containing(day: date, kind: PeriodKind) -> tuple[date, date]:
    """The month, quarter or year that holds ``day``."""
    if kind == "month":
        return date(day.year, day.month, 1), _month_end(day.year, day.month)
    if kind == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return date(day.year, first, 1), _month_end(day.year, first + 2)
    if kind == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise InvalidInputError("period", f"must be one of {', '.join(PERIOD_KINDS)}, got {kind!r}")


def complete_periods(kind: PeriodKind, count: int, end: date) -> list[tuple[date, date]]:
    """The last ``count`` whole periods that are over by ``end``, oldest first.

    The period holding ``end`` is included only when ``end`` is its last day: a month that is
    still running would show its customers as lost before they had the time to buy again.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise InvalidInputError("count", f"must be a whole number from 1 to 1000, got {count!r}")
    start, last = period_containing(end, kind)
    if last != end:
        start, last = period_containing(start - timedelta(days=1), kind)
    periods = [(start, last)]
    while len(periods) < count:
        start, last = period_containing(periods[-1][0] - timedelta(days=1), kind)
        periods.append((start, last))
    return periods[::-1]


_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q-DEC", "year": "Y-DEC"}


def period_unfinished(start: date, kind: str, *, data_end: date, today: date) -> bool:
    """Whether the period of ``kind`` (day, week, month, quarter, year) starting on ``start``
    is not over in the figures: it ends after the data does (``data_end``, inclusive), or it
    holds ``today``, which is not over either. Charts and tables mark such a period partial:
    its counts are so far, not the period's."""
    import pandas as pd

    if kind not in _FREQ:
        raise InvalidInputError("period", f"must be one of {', '.join(_FREQ)}, got {kind!r}")
    last = pd.Period(start, freq=_FREQ[kind]).end_time.date()
    return last > data_end or last >= today
