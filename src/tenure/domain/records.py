"""Rows of an import file -> checked records. Pure: no Django, no storage.

Every rule an imported row must pass lives here, so that the CLI, the web page and the tests
agree on what a valid customer or order row is. A row that fails raises ``ImportRowError``
naming its line, its column (as the file spells it) and the reason; a file that cannot be read
at all (no required column, a column map naming a column that is not there) raises
``ImportFileError``.

Time zone and default currency are parameters: a date or a date-time without an offset means
that wall-clock time in the business's zone (a date alone is its midnight).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from tenure.domain.limits import (
    ATTRIBUTE_NAME_MAX,
    ATTRIBUTE_VALUE_MAX,
    ATTRIBUTES_MAX,
    day_problem,
    moment_problem,
)

CUSTOMER_FIELDS: tuple[str, ...] = (
    "customer_id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "birthday",
    "account",
    "channel",
    "category",
    "created_at",
)
CUSTOMER_REQUIRED: tuple[str, ...] = ("customer_id",)
# Old column names still read as their field: files exported before ``segment`` was renamed
# ``category`` (so that it is not confused with the saved segments) import unchanged.
CUSTOMER_ALIASES: Mapping[str, str] = {"segment": "category"}
ORDER_FIELDS: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "placed_at",
    "amount",
    "currency",
    "status",
)
# placed_at and amount have no sensible default, so a file without them cannot be an order log.
ORDER_REQUIRED: tuple[str, ...] = ("order_id", "customer_id", "placed_at", "amount")
ORDER_STATUSES: tuple[str, ...] = ("completed", "refunded", "cancelled")

# The widths of the columns the values are stored in (tests check them against the models).
MAX_LENGTHS: dict[str, int] = {
    "customer_id": 100,
    "order_id": 100,
    "email": 254,
    "first_name": 100,
    "last_name": 100,
    "phone": 40,
    "account": 200,
    "channel": 60,
    "category": 60,
}
AMOUNT_MAX_INTEGER_DIGITS = 12  # DecimalField(max_digits=14, decimal_places=2)

_AMOUNT = re.compile(r"(\d+)(?:\.(\d+))?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CURRENCY = re.compile(r"[A-Za-z]{3}", re.ASCII)
# Deliberately loose (one @, something on both sides, a dot in the domain, no spaces): the
# import should refuse what is clearly not an address, not argue about RFC 5322.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ImportRowError(Exception):
    """One row of an import cannot be stored: where, and why, in words a person understands."""

    def __init__(self, *, line: int, column: str, reason: str) -> None:
        super().__init__(f"line {line}, column {column or '-'}: {reason}")
        self.line = line
        self.column = column
        self.reason = reason


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not CSV, not UTF-8, a required column missing)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What a batch did to the stored rows, row by row in file order."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.created + other.created,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each field sits in the rows of one file.

    ``columns`` maps a field to (position, the column's name in the file); ``extra`` lists the
    columns that are no field (custom attributes of customers; ignored for orders).
    """

    columns: Mapping[str, tuple[int, str]]
    extra: tuple[tuple[int, str], ...]
    width: int

    def index(self, name: str) -> int:
        """The position of a field, or -1 when the file has no column for it."""
        found = self.columns.get(name)
        return found[0] if found else -1

    def source(self, name: str) -> str:
        found = self.columns.get(name)
        return found[1] if found else name


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A valid customer row. ``values`` holds only the fields the file has a column for (an
    empty cell clears the field); ``custom_attributes`` maps extra columns to their text, with
    ``None`` for an empty cell (the attribute is removed)."""

    line: int
    external_id: str
    values: Mapping[str, Any]
    custom_attributes: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderRecord:
    line: int
    external_id: str
    customer_external_id: str
    placed_at: datetime
    amount: Decimal
    currency: str
    status: str


def layout_resolve(
    header: Sequence[str],
    *,
    fields: Sequence[str],
    required: Sequence[str],
    column_map: Mapping[str, str],
    aliases: Mapping[str, str] | None = None,
) -> Layout:
    """Match the header of a file (and a map of its column names to fields) to the fields.

    A column named like a field is that field unless the map gives the field another column;
    mapping to an unknown field, naming a column the file lacks, or giving one field two
    columns is an error, as is a required field without a column. A column named like one of
    ``aliases`` (an old name) is its field when nothing else gives that field.
    """
    names = [name.strip() for name in header]
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if name and name in positions:
            raise ImportFileError(f"the header names column {name!r} twice")
        positions[name] = position
    columns: dict[str, tuple[int, str]] = {}
    for source, target in column_map.items():
        source, target = source.strip(), target.strip()
        if target not in fields:
            raise ImportFileError(
                f"column map {source}={target}: {target!r} is not a field; "
                f"the fields are {', '.join(fields)}"
            )
        if source not in positions:
            raise ImportFileError(
                f"column map {source}={target}: the file has no column {source!r} "
                f"(its columns are {', '.join(n for n in names if n)})"
            )
        if target in columns:
            raise ImportFileError(f"column map: two columns are mapped to {target!r}")
        columns[target] = (positions[source], source)
    mapped_sources = {source for _, source in columns.values()}
    for name in fields:
        if name in positions and name not in mapped_sources:
            if name in columns:
                raise ImportFileError(
                    f"both {columns[name][1]!r} (mapped) and {name!r} give the field {name!r}"
                )
            columns[name] = (positions[name], name)
    for old, name in (aliases or {}).items():
        if old in positions and old not in mapped_sources and name in fields:
            if name in columns:
                raise ImportFileError(
                    f"both {columns[name][1]!r} and {old!r} (its old name) give the field {name!r}"
                )
            columns[name] = (positions[old], old)
    extra_count = sum(1 for name in names if name) - len(columns)
    if extra_count > ATTRIBUTES_MAX:
        raise ImportFileError(
            f"the header has {extra_count:,} columns that are no field: at most "
            f"{ATTRIBUTES_MAX} custom attributes per record (or map the columns to fields)"
        )
    for name in names:
        if len(name) > ATTRIBUTE_NAME_MAX:
            raise ImportFileError(
                f"the column name {name[:40]!r}… is longer than {ATTRIBUTE_NAME_MAX} characters"
            )
    missing = [name for name in required if name not in columns]
    if missing:
        raise ImportFileError(
            f"missing required column {', '.join(repr(n) for n in missing)} "
            f"(the header has {', '.join(repr(n) for n in names if n) or 'no columns'})"
        )
    used = {position for position, _ in columns.values()}
    extra = tuple(
        (position, name) for position, name in enumerate(names) if name and position not in used
    )
    return Layout(columns=columns, extra=extra, width=len(names))


def _check_width(cells: Sequence[str], *, line: int, layout: Layout) -> None:
    # Spreadsheets often end rows with empty cells past the header: those are no data.
    if len(cells) != layout.width and (len(cells) < layout.width or any(cells[layout.width :])):
        raise ImportRowError(
            line=line,
            column="",
            reason=f"the row has {len(cells)} fields, the header has {layout.width}",
        )
    for position, cell in enumerate(cells):
        if "\x00" in cell:
            raise ImportRowError(
                line=line, column=_column_at(layout, position), reason="contains a NUL character"
            )


def _column_at(layout: Layout, position: int) -> str:
    for _, (where, name) in layout.columns.items():
        if where == position:
            return name
    for where, name in layout.extra:
        if where == position:
            return name
    return f"column {position + 1}"


def _text(
    cells: Sequence[str], name: str, *, line: int, layout: Layout, required: bool = False
) -> str:
    """The stripped text of a field's cell, checked for length (and presence when required)."""
    value = cells[layout.columns[name][0]].strip()
    if required and not value:
        raise ImportRowError(line=line, column=layout.source(name), reason="required, but empty")
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        raise ImportRowError(
            line=line,
            column=layout.source(name),
            reason=f"longer than {limit} characters ({len(value)})",
        )
    return value


def instant_parse(text: str, *, tz: tzinfo) -> datetime:
    """An ISO 8601 date or date-time -> an aware datetime; no offset means wall time in ``tz``.

    Raises ``ValueError`` with a reason. A wall time that the zone skips (the hour lost when
    daylight saving starts) does not exist and is refused; one it repeats takes the first.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not an ISO 8601 date or date-time (e.g. 2025-03-31 or 2025-03-31T14:05:00+02:00): "
            f"{text!r}"
        ) from None
    if parsed.tzinfo is not None:
        if problem := moment_problem(parsed):
            raise ValueError(f"{text} {problem}")
        return parsed
    aware = parsed.replace(tzinfo=tz)
    # The range first: converting a moment at the calendar's edge to UTC overflows.
    if problem := moment_problem(aware):
        raise ValueError(f"{text} {problem}")
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != parsed:
        raise ValueError(f"{text} does not exist in {tz} (the clock skips it)")
    return aware


def amount_parse(text: str) -> Decimal:
    """A plain decimal >= 0 with at most two decimals (``1234.5``) -> Decimal; ValueError."""
    match = _AMOUNT.fullmatch(text)
    if match is None:
        if text.startswith("-") and _AMOUNT.fullmatch(text[1:]):
            raise ValueError(f"must be zero or more, not {text}")
        raise ValueError(
            f"not a decimal number (digits, a point for decimals, no thousands separator): {text!r}"
        )
    whole, decimals = match.groups()
    if decimals and len(decimals.rstrip("0")) > 2:
        raise ValueError(f"has more than 2 decimal places: {text}")
    if len(whole.lstrip("0")) > AMOUNT_MAX_INTEGER_DIGITS:
        raise ValueError(f"too large (at most {AMOUNT_MAX_INTEGER_DIGITS} digits before the point)")
    return Decimal(text)


def order_record_parse(
    cells: Sequence[str], *, line: int, layout: Layout, tz: tzinfo, default_currency: str
) -> OrderRecord:
    """Check one order row; raises ``ImportRowError`` at the first problem."""
    _check_width(cells, line=line, layout=layout)
    order_id = _text(cells, "order_id", line=line, layout=layout, required=True)
    customer_id = _text(cells, "customer_id", line=line, layout=layout, required=True)
    try:
        placed_at = instant_parse(
            _text(cells, "placed_at", line=line, layout=layout, required=True), tz=tz
        )
    except ValueError as error:
        raise ImportRowError(
            line=line, column=layout.source("placed_at"), reason=str(error)
        ) from None
    try:
        amount = amount_parse(_text(cells, "amount", line=line, layout=layout, required=True))
    except ValueError as error:
        raise ImportRowError(line=line, column=layout.source("amount"), reason=str(error)) from None
    index = layout.index("currency")
    currency = cells[index].strip() if index >= 0 else ""
    if not currency:
        currency = default_currency
    elif not _CURRENCY.fullmatch(currency):
        raise ImportRowError(
            line=line,
            column=layout.source("currency"),
            reason=f"not an ISO 4217 currency code (three letters, e.g. EUR): {currency!r}",
        )
    index = layout.index("status")
    status = cells[index].strip().lower() if index >= 0 else ""
    if not status:
        status = "completed"
    elif status not in ORDER_STATUSES:
        raise ImportRowError(
            line=line,
            column=layout.source("status"),
            reason=f"not a status ({', '.join(ORDER_STATUSES)}): {cells[index].strip()!r}",
        )
    return OrderRecord(
        line=line,
        external_id=order_id,
        customer_external_id=customer_id,
        placed_at=placed_at,
        amount=amount,
        currency=currency.upper(),
        status=status,
    )


def _birthday_parse(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError(f"not a date in the form YYYY-MM-DD: {text!r}")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a calendar date: {text}") from None
    if problem := day_problem(day):
        raise ValueError(f"{text} {problem}")
    return day


def customer_record_parse(
    cells: Sequence[str], *, line: int, layout: Layout, tz: tzinfo
) -> CustomerRecord:
    """Check one customer row; raises ``ImportRowError`` at the first problem.

    Text fields are stripped of surrounding spaces; custom attributes are kept as written.
    """
    _check_width(cells, line=line, layout=layout)
    values: dict[str, Any] = {}
    for name in layout.columns:
        text = _text(cells, name, line=line, layout=layout)
        if name == "customer_id":
            values[name] = _text(cells, name, line=line, layout=layout, required=True)
        elif name == "email" and text and not _EMAIL.fullmatch(text):
            raise ImportRowError(
                line=line, column=layout.source(name), reason=f"not an email address: {text!r}"
            )
        elif name in ("birthday", "created_at"):
            try:
                if not text:
                    values[name] = None
                elif name == "birthday":
                    values[name] = _birthday_parse(text)
                else:
                    values[name] = instant_parse(text, tz=tz)
            except ValueError as error:
                raise ImportRowError(
                    line=line, column=layout.source(name), reason=str(error)
                ) from None
        else:
            values[name] = text
    custom = {name: (cells[position] or None) for position, name in layout.extra}
    for name, value in custom.items():
        if value is not None and len(value) > ATTRIBUTE_VALUE_MAX:
            raise ImportRowError(
                line=line,
                column=name,
                reason=f"longer than {ATTRIBUTE_VALUE_MAX:,} characters ({len(value):,})",
            )
    external_id = values.pop("customer_id")
    return CustomerRecord(
        line=line, external_id=external_id, values=values, custom_attributes=custom
    )
