"""What tenure can store and read back: the one list of input limits. Pure: no Django.

Every write path (API bodies and query filters, import cells, web forms, the admin) checks its
values here, so a value one path refuses is refused by all, and nothing is stored that a page,
an export or a personal-data export cannot read again. Each check returns ``None`` for a value
within the limits, or the reason in words (the edge names the field).

Why these limits:

- Moments and days: Python's datetime stops at year 9999 in *any* zone, so
  ``9999-12-31T23:59-12:00`` (year 10000 in UTC) is storable by some databases and unreadable
  by Python; the analytics run on pandas, whose clock spans 1677-2262. A business's events fit
  years 1900-2199 in UTC.
- UTC offsets: PostgreSQL refuses offsets beyond 15:59; the world's zones span -12 to +14.
- Text: PostgreSQL cannot store NUL, and a lone surrogate is not Unicode (no UTF-8 for it).
- Numbers: NaN and infinity are not JSON and not money.
- Sizes: a customer page and an export show every custom attribute of a record.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

MOMENT_FIRST = datetime(1900, 1, 1, tzinfo=UTC)
MOMENT_END = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive: up to 2199-12-31 23:59:59.999999
# Days (birthdays, due dates) go further back than events (a customer born in 1815 in a
# museum's records), not further than pandas' clock, which the analytics read them on.
DAY_FIRST = date(1700, 1, 1)
DAY_LAST = date(2199, 12, 31)
# Analytics days: periods reach back years from their end (60 quarters) and forward a period,
# all on pandas' clock (1677-2262): a narrower span leaves that room on both sides.
ANALYTICS_DAY_FIRST = date(1950, 1, 1)
ANALYTICS_DAY_LAST = date(2199, 12, 31)
OFFSET_MAX = timedelta(hours=15, minutes=59)

INTEGER_MAX = 2**63 - 1  # a database's bigint: a larger id or count cannot be looked up
TEXT_MAX = 50_000  # a free text field without a narrower width of its own (notes, bodies)
ATTRIBUTES_MAX = 100  # custom attributes per record
ATTRIBUTE_NAME_MAX = 100
ATTRIBUTE_VALUE_MAX = 2_000  # characters of the value (as JSON text when not a string)
JSON_DEPTH_MAX = 20
NUMBER_DIGITS_MAX = 30  # digits of a number in free-form JSON (custom attributes, definitions)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str, *, max_length: int = TEXT_MAX) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    found = _UNSTORABLE.search(value)
    if found is not None:
        if found.group() == "\x00":
            return "contains a NUL character"
        return "contains a lone surrogate (not valid Unicode)"
    if len(value) > max_length:
        return f"longer than {max_length:,} characters ({len(value):,})"
    return None


def offset_problem(value: datetime) -> str | None:
    offset = value.utcoffset()
    if offset is not None and abs(offset) > OFFSET_MAX:
        return "has a UTC offset beyond ±15:59"
    return None


def moment_problem(value: datetime) -> str | None:
    """Why a date-time cannot be stored and read back, or None. A naive one is read as UTC
    for the range (the edges that accept naive times use a zone within ±15:59)."""
    if problem := offset_problem(value):
        return problem
    naive = value.replace(tzinfo=None)
    offset = value.utcoffset() or timedelta(0)
    try:
        utc = (naive - offset).replace(tzinfo=UTC)
    except OverflowError:
        utc = None
    if utc is None or not MOMENT_FIRST <= utc < MOMENT_END:
        return "is outside the years 1900-2199 (in UTC)"
    return None


def day_problem(value: date) -> str | None:
    if not DAY_FIRST <= value <= DAY_LAST:
        return "is outside the years 1700-2199"
    return None


def analytics_day_problem(value: date) -> str | None:
    if not ANALYTICS_DAY_FIRST <= value <= ANALYTICS_DAY_LAST:
        return f"is outside {ANALYTICS_DAY_FIRST} to {ANALYTICS_DAY_LAST}"
    return None


def number_problem(value: float | Decimal | int) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if len(str(abs(value))) > NUMBER_DIGITS_MAX:
            return f"a number of more than {NUMBER_DIGITS_MAX} digits"
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "not a finite number"
        if value.adjusted() >= NUMBER_DIGITS_MAX:
            return f"a number of more than {NUMBER_DIGITS_MAX} digits"
        return None
    if not math.isfinite(value):
        return "not a finite number"
    return None


def integer_problem(value: int) -> str | None:
    if abs(value) > INTEGER_MAX:
        return f"larger than {INTEGER_MAX:,}"
    return None


def value_problem(value: Any, *, depth: int = 0) -> str | None:
    """Why any input value (text, moment, day, number, or JSON-like lists and mappings of
    them) cannot be stored and read back, or None. Sizes of mappings are not limited here
    (see ``attributes_problem``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, datetime):
        return moment_problem(value)
    if isinstance(value, date):
        return day_problem(value)
    if isinstance(value, int | float | Decimal):
        return number_problem(value)
    if depth > JSON_DEPTH_MAX and isinstance(value, Mapping | list | tuple):
        return f"nested more than {JSON_DEPTH_MAX} levels deep"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and (problem := text_problem(key)):
                return f"a key {problem}"
            if problem := value_problem(item, depth=depth + 1):
                return f"{key}: {problem}" if depth == 0 else problem
        return None
    if isinstance(value, list | tuple):
        for item in value:
            if problem := value_problem(item, depth=depth + 1):
                return problem
    return None


def attributes_problem(value: Mapping[str, Any]) -> str | None:
    """Why a record's custom attributes cannot be stored, or None: at most 100, each name at
    most 100 characters, each value at most 2,000 (as JSON text when not a string)."""
    if len(value) > ATTRIBUTES_MAX:
        return f"more than {ATTRIBUTES_MAX} custom attributes ({len(value):,})"
    for name, item in value.items():
        if not isinstance(name, str):
            return "attribute names must be text"
        if problem := text_problem(name, max_length=ATTRIBUTE_NAME_MAX):
            return f"an attribute name {problem}"
        if problem := value_problem(item, depth=1):
            return f"{name[:40]}: {problem}"
        text = item if isinstance(item, str) else json.dumps(item, default=str)
        if len(text) > ATTRIBUTE_VALUE_MAX:
            return (
                f"{name[:40]}: the value is longer than {ATTRIBUTE_VALUE_MAX:,} characters "
                f"({len(text):,})"
            )
    return None
