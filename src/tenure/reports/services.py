"""Writes of the reports app: the agency metrics, imported as a batch (CSV at the command line,
JSON by the API), upserted on (account, metric, month).

A batch is checked whole before anything is stored: every problem is named by its row (0 for
the first), field and reason, and a batch with one is refused whole, so a corrected file is
simply sent again. Stored rows keep a history (auditlog, in the batch's transaction) and each
account touched gets a ``report.metrics_imported`` event. Only admins and managers import
(an agency's figures are the business's, not one success manager's).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tenure.access import require_all
from tenure.customers.models import Account
from tenure.domain.access import Action
from tenure.domain.limits import day_problem, number_problem, text_problem
from tenure.reports.events import METRICS_IMPORTED, report_event
from tenure.reports.models import CUSTOM_PREFIX, KNOWN_METRICS, AccountMetric
from tenure.users.models import User

METRICS_WHY = "importing agency metrics is for admins and managers"
BATCH_MAX = 10_000
COUNTS = frozenset({"leads", "mqls", "sqls"})  # whole numbers, summed over a period
COLUMNS = ("account", "metric", "month", "value")
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_ .-]*$")
VALUE_DECIMALS = 4
VALUE_INTEGER_DIGITS = 16  # max_digits 20 less the 4 decimals


@dataclass(frozen=True)
class RowProblem:
    row: int  # 0 for the first row of the batch
    field: str
    reason: str


class MetricRowsInvalid(ValidationError):
    """The batch names rows that cannot be stored; nothing was. ``problems`` in row order."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        fields: dict[str, list[str]] = {}
        for problem in problems:
            name = "rows" if problem.field == "rows" else f"rows[{problem.row}].{problem.field}"
            fields.setdefault(name, []).append(problem.reason)
        super().__init__(fields)


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    accounts: set[int] = field(default_factory=set)

    def words(self) -> str:
        return f"{self.created} created, {self.updated} changed, {self.unchanged} unchanged"


@dataclass(frozen=True)
class _Row:
    account_id: int
    metric: str
    month: date
    value: Decimal


def _month(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("a month like 2025-07")
    if isinstance(value, date):
        if value.day != 1:
            raise ValueError("a month like 2025-07 (or its first day)")
        return value
    found = _MONTH.match(str(value or "").strip())
    if found is None:
        raise ValueError(f"{str(value)[:40]!r} is not a month like 2025-07")
    year, month = int(found[1]), int(found[2])
    if not 1 <= month <= 12:
        raise ValueError(f"there is no month {month}")
    day = date(year, month, 1)
    if problem := day_problem(day):
        raise ValueError(problem)
    return day


def _metric(value: Any) -> str:
    name = str(value or "").strip().lower()
    if not name:
        raise ValueError("required: " + ", ".join(KNOWN_METRICS) + " or custom:<name>")
    if name in KNOWN_METRICS:
        return name
    if name.startswith(CUSTOM_PREFIX):
        custom = name.removeprefix(CUSTOM_PREFIX).strip()
        problem = text_problem(custom, max_length=100 - len(CUSTOM_PREFIX))
        if not custom or problem or not _NAME.match(custom):
            raise ValueError(
                problem or "custom:<name>, the name in letters, digits, spaces, '.', '_' or '-'"
            )
        return CUSTOM_PREFIX + custom
    raise ValueError(
        f"unknown metric {name[:40]!r}: one of " + ", ".join(KNOWN_METRICS) + " or custom:<name>"
    )


def _value(value: Any, metric: str) -> Decimal:
    if isinstance(value, bool) or value is None or str(value).strip() == "":
        raise ValueError("required: a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{str(value)[:40]!r} is not a number (digits and a point)") from None
    if problem := number_problem(number):
        raise ValueError(problem)
    if number.as_tuple().exponent < -VALUE_DECIMALS:  # type: ignore[operator]
        raise ValueError(f"more than {VALUE_DECIMALS} decimal places")
    if abs(number) >= Decimal(10) ** VALUE_INTEGER_DIGITS:
        raise ValueError(f"more than {VALUE_INTEGER_DIGITS} digits before the point")
    if metric in COUNTS and (number < 0 or number != number.to_integral_value()):
        raise ValueError("a count: a whole number, 0 or more")
    if metric == "lifetime_value" and number < 0:
        raise ValueError("an amount, 0 or more")
    if metric == "retention_rate" and not 0 <= number <= 100:
        raise ValueError("a percentage from 0 to 100")
    return number


def _accounts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Account ids by the name or id each row gives (as text)."""
    given = {str(row.get("account", row.get("account_id", "")) or "").strip() for row in rows}
    ids = {int(text) for text in given if text.isdigit() and len(text) < 19}
    found = {str(pk): pk for pk in Account.objects.filter(pk__in=ids).values_list("pk", flat=True)}
    names = [text for text in given if text and text not in found]
    for pk, name in Account.objects.filter(name__in=names).values_list("pk", "name"):
        found.setdefault(name, pk)
    return found


def metric_rows_check(rows: Sequence[Mapping[str, Any]]) -> list[_Row]:
    """The rows as stored, or ``MetricRowsInvalid`` naming every problem."""
    if len(rows) > BATCH_MAX:
        raise MetricRowsInvalid([RowProblem(0, "rows", f"at most {BATCH_MAX} rows a batch")])
    accounts = _accounts(rows)
    problems: list[RowProblem] = []
    checked: list[_Row] = []
    first_of: dict[tuple[int, str, date], int] = {}
    for index, row in enumerate(rows):
        unknown = set(row) - {*COLUMNS, "account_id"}
        problems += [RowProblem(index, name, "unknown field") for name in sorted(unknown)]
        reference = str(row.get("account", row.get("account_id", "")) or "").strip()
        account_id = accounts.get(reference)
        if account_id is None:
            reason = "required: the account's name or id" if not reference else (
                f"no account {reference[:60]!r}"
            )  # fmt: skip
            problems.append(RowProblem(index, "account", reason))
        parsed: dict[str, Any] = {}
        for name, parse in (("metric", _metric), ("month", _month)):
            try:
                parsed[name] = parse(row.get(name))
            except ValueError as error:
                problems.append(RowProblem(index, name, str(error)))
        try:
            parsed["value"] = _value(row.get("value"), parsed.get("metric", ""))
        except ValueError as error:
            problems.append(RowProblem(index, "value", str(error)))
        if account_id is None or len(parsed) < 3:
            continue
        key = (account_id, parsed["metric"], parsed["month"])
        if key in first_of:
            problems.append(RowProblem(index, "metric", f"the same as row {first_of[key]}"))
            continue
        first_of[key] = index
        checked.append(_Row(account_id, parsed["metric"], parsed["month"], parsed["value"]))
    if problems:
        raise MetricRowsInvalid(problems)
    return checked


def _store(row: _Row, by: User | None, now: datetime, result: UpsertResult) -> None:
    lookup = {"account_id": row.account_id, "metric": row.metric, "month": row.month}
    found = AccountMetric.objects.select_for_update().filter(**lookup).first()
    if found is None:
        try:
            with transaction.atomic():
                AccountMetric.objects.create(
                    **lookup, value=row.value, updated_at=now, updated_by=by
                )
            result.created += 1
            result.accounts.add(row.account_id)
            return
        except IntegrityError:  # another batch stored it in the meantime: change it
            found = AccountMetric.objects.select_for_update().get(**lookup)
    if found.value == row.value:
        result.unchanged += 1
        return
    found.value, found.updated_at, found.updated_by = row.value, now, by
    found.save(update_fields=["value", "updated_at", "updated_by"])
    result.updated += 1
    result.accounts.add(row.account_id)


def account_metrics_upsert(
    *, by: User | None, rows: Sequence[Mapping[str, Any]], now: datetime
) -> UpsertResult:
    """Store the batch (all of it or, with a problem, none of it)."""
    if by is not None:
        require_all(by, Action.CHANGE, why=METRICS_WHY)
    checked = metric_rows_check(rows)
    result = UpsertResult()
    with transaction.atomic():
        for row in checked:
            _store(row, by, now, result)
        for account_id in sorted(result.accounts):
            report_event(
                METRICS_IMPORTED, subject_id=account_id, created=result.created,
                updated=result.updated,
            )  # fmt: skip
    return result


def metric_rows_read(text: str) -> list[dict[str, str]]:
    """The rows of a CSV file with the columns account, metric, month, value (any order; a
    header is required). A missing column is a ``ValidationError`` on ``file``."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ValidationError({"file": [f"missing column(s): {', '.join(missing)}"]})
    reader.fieldnames = header
    rows = []
    for row in reader:
        rows.append({name: (row.get(name) or "") for name in COLUMNS})
        if len(rows) > BATCH_MAX:
            raise ValidationError({"file": [f"more than {BATCH_MAX} rows: split the file"]})
    return rows
