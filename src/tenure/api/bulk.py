"""/api/v1/customers/bulk: a bulk action on customers as a background run, and its outcome;
the same for accounts, tasks and orders (``/orders/bulk-changes``: ``/orders/bulk`` stores a
batch of orders).

The same service as the customers list's bulk bar: the customers are those the filters choose
among what the caller may change, narrowed to ``ids`` when given, decided when the run starts;
each is changed through the customers' services. A retry with the same Idempotency-Key gets
the first answer (the same run) and starts nothing (``tenure.api.idempotency``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.api.types import RecordId
from tenure.bulk.account_bulk import accounts_bulk_start
from tenure.bulk.order_bulk import orders_bulk_start
from tenure.bulk.selectors import bulk_progress
from tenure.bulk.services import (
    ACCOUNT_BULK_FIELDS,
    BULK_FIELDS,
    BULK_MAX_IDS,
    customers_bulk_start,
)
from tenure.bulk.task_bulk import TASK_BULK_FIELDS, tasks_bulk_start
from tenure.bulk.tasks import BULK, BULK_ACCOUNTS, BULK_ORDERS, BULK_TASKS
from tenure.orders.models import OrderStatus
from tenure.todos.models import TaskStatus

router = Router(tags=["customers"])


class BulkFilters(Input):
    category: str = Field("", max_length=60)
    channel: str = Field("", max_length=60)
    owner_id: RecordId | None = None
    account_id: RecordId | None = None
    in_segment: RecordId | None = None
    q: str = Field("", max_length=200)


class CustomersBulkIn(Input):
    action: Literal["set", "segment", "delete"]
    field: str | None = Field(None, description=f"for `set`: one of {', '.join(BULK_FIELDS)}")
    value: str | int | None = Field(
        None, description="for `set`: the new value (an id for owner_id / account_id; null: none)"
    )
    segment_id: RecordId | None = Field(None, description="for `segment`: a static segment")
    ids: list[RecordId] | None = Field(
        None,
        max_length=BULK_MAX_IDS,
        description="these customers (those outside your scope are refused per row); "
        "null: every customer the filters choose",
    )
    filters: BulkFilters | None = Field(None, description="the customers list's filters")


class RefusedRow(Schema):
    id: int
    reason: str


class CustomersBulkOut(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    done: int
    total: int | None
    changed: int
    unchanged: int
    refused: list[RefusedRow] = Field(description="the first 200, each with its reason")
    refused_count: int
    change_set: int | None = Field(description="what undoes it (the pages' Undo)")
    error: str


def _out(by: Any, run_id: int, kind: str = BULK) -> dict[str, Any]:
    found = bulk_progress(by=by, run_id=run_id, kind=kind)
    if found is None:
        raise Http404(f"no bulk run with id {run_id}")
    run = found.run
    return {
        "id": run.pk, "status": run.status, "done": run.progress_done,
        "total": run.progress_total, "changed": found.changed, "unchanged": found.unchanged,
        "refused": found.refused, "refused_count": found.refused_count,
        "change_set": found.change_set_id, "error": run.error,
    }  # fmt: skip


@router.post(
    "/customers/bulk",
    response={202: CustomersBulkOut, **ERROR_RESPONSES},
    summary="Change, add to a segment or delete many customers in the background",
    description="`set` one field (owner_id, category, channel, account_id; not consent, which "
    "is the person's), `segment` (add to a static segment) or `delete` (kept 30 days in the "
    "trash) the customers `ids` names, or every customer `filters` chooses. Answers 202 with "
    "the queued run; follow it at /customers/bulk/{id}. Customers outside your scope are "
    "refused per row in the words of an unknown id. Analysts are refused (403). Send an "
    "Idempotency-Key: a retry gets the same run and starts nothing.",
)
def customers_bulk(request: HttpRequest, payload: CustomersBulkIn) -> Status:
    by = caller(request)
    params: dict[str, Any] = {}
    if payload.action == "set":
        params = {"field": payload.field, "value": payload.value}
    elif payload.action == "segment":
        params = {"segment_id": payload.segment_id}
    chosen = payload.filters.dict() if payload.filters is not None else {}
    filters = {k: v for k, v in chosen.items() if v not in (None, "")}
    run = customers_bulk_start(
        by=by, action=payload.action, params=params, filters=filters, ids=payload.ids, via="api"
    )
    return Status(202, _out(by, run.pk))


@router.get(
    "/customers/bulk/{run_id}",
    response={200: CustomersBulkOut, **ERROR_RESPONSES},
    summary="A bulk run: its progress and, once done, its counts and refused rows (its author, "
    "or an admin)",
)
def customers_bulk_run(request: HttpRequest, run_id: RecordId) -> dict[str, Any]:
    return _out(caller(request), run_id)


# --- accounts: the accounts list's bulk bar -----------------------------------------------------


class AccountBulkFilters(Input):
    industry: str = Field("", max_length=100)
    size_band: str = Field("", max_length=10)
    budget_band: str = Field("", max_length=10)
    owner_id: RecordId | None = None
    q: str = Field("", max_length=200)


class AccountsBulkIn(Input):
    action: Literal["set", "delete"]
    field: str | None = Field(
        None, description=f"for `set`: one of {', '.join(ACCOUNT_BULK_FIELDS)}"
    )
    value: str | int | None = Field(
        None, description="for `set`: the new value (a user's id for owner_id; null: none)"
    )
    ids: list[RecordId] | None = Field(
        None,
        max_length=BULK_MAX_IDS,
        description="these accounts (those outside your scope are refused per row); "
        "null: every account the filters choose",
    )
    filters: AccountBulkFilters | None = Field(None, description="the accounts list's filters")


@router.post(
    "/accounts/bulk",
    response={202: CustomersBulkOut, **ERROR_RESPONSES},
    tags=["accounts"],
    summary="Change or delete many accounts in the background",
    description="`set` one field (owner_id, industry, size_band, budget_band) or `delete` "
    "(kept 30 days in the trash) the accounts `ids` names, or every account `filters` "
    "chooses. Answers 202 with the queued run; follow it at /accounts/bulk/{id}. Accounts "
    "outside your scope are refused per row in the words of an unknown id. Analysts are "
    "refused (403). Send an Idempotency-Key: a retry gets the same run and starts nothing.",
)
def accounts_bulk(request: HttpRequest, payload: AccountsBulkIn) -> Status:
    by = caller(request)
    params: dict[str, Any] = {}
    if payload.action == "set":
        params = {"field": payload.field, "value": payload.value}
    chosen = payload.filters.dict() if payload.filters is not None else {}
    filters = {k: v for k, v in chosen.items() if v not in (None, "")}
    run = accounts_bulk_start(
        by=by, action=payload.action, params=params, filters=filters, ids=payload.ids, via="api"
    )
    return Status(202, _out(by, run.pk, BULK_ACCOUNTS))


@router.get(
    "/accounts/bulk/{run_id}",
    response={200: CustomersBulkOut, **ERROR_RESPONSES},
    tags=["accounts"],
    summary="An accounts bulk run: its progress and, once done, its counts and refused rows "
    "(its author, or an admin)",
)
def accounts_bulk_run(request: HttpRequest, run_id: RecordId) -> dict[str, Any]:
    return _out(caller(request), run_id, BULK_ACCOUNTS)


# --- tasks: the tasks list's bulk bar -----------------------------------------------------------


class TaskBulkFilters(Input):
    view: Literal["mine", "overdue", "all"] = Field(
        "all", description="mine: your open tasks; overdue: open and past due; all you may see"
    )
    status: TaskStatus | None = None
    customer_id: RecordId | None = None


class TasksBulkIn(Input):
    field: Literal["owner_id", "due", "status"] = Field(
        description=f"the field to set: one of {', '.join(TASK_BULK_FIELDS)}"
    )
    value: str | int = Field(
        description="a team member's id (owner_id), a date YYYY-MM-DD (due), or a status "
        f"({', '.join(TaskStatus.values)})"
    )
    ids: list[RecordId] | None = Field(
        None,
        max_length=BULK_MAX_IDS,
        description="these tasks (those outside your scope are refused per row); "
        "null: every task the filters choose",
    )
    filters: TaskBulkFilters | None = Field(None, description="the tasks list's filters")


@router.post(
    "/tasks/bulk",
    response={202: CustomersBulkOut, **ERROR_RESPONSES},
    tags=["tasks"],
    summary="Reassign, reschedule or close many tasks in the background",
    description="Set one field (owner_id, due, status) on the tasks `ids` names, or on every "
    "task `filters` chooses (by default all you may see). Answers 202 with the queued run; "
    "follow it at /tasks/bulk/{id}; its change set is undone as one. Tasks outside your scope "
    "are refused per row in the words of an unknown id. Analysts are refused (403). Send an "
    "Idempotency-Key: a retry gets the same run and starts nothing.",
)
def tasks_bulk(request: HttpRequest, payload: TasksBulkIn) -> Status:
    by = caller(request)
    chosen = payload.filters.dict() if payload.filters is not None else {"view": "all"}
    filters = {k: v for k, v in chosen.items() if v not in (None, "")}
    run = tasks_bulk_start(
        by=by, action="set", params={"field": payload.field, "value": payload.value},
        filters=filters, ids=payload.ids, via="api",
    )  # fmt: skip
    return Status(202, _out(by, run.pk, BULK_TASKS))


@router.get(
    "/tasks/bulk/{run_id}",
    response={200: CustomersBulkOut, **ERROR_RESPONSES},
    tags=["tasks"],
    summary="A tasks bulk run: its progress and, once done, its counts and refused rows "
    "(its author, or an admin)",
)
def tasks_bulk_run(request: HttpRequest, run_id: RecordId) -> dict[str, Any]:
    return _out(caller(request), run_id, BULK_TASKS)


# --- orders: the orders list's bulk bar ----------------------------------------------------------


class OrderBulkFilters(Input):
    customer_id: RecordId | None = None
    status: OrderStatus | None = None
    placed_after: datetime | None = Field(None, description="placed at or after")
    placed_before: datetime | None = Field(None, description="placed before")


class OrdersBulkIn(Input):
    field: Literal["status"] = Field(description="the field to set: status")
    value: OrderStatus = Field(description="the new status (refunded, cancelled, completed)")
    ids: list[RecordId] | None = Field(
        None,
        max_length=BULK_MAX_IDS,
        description="these orders (those outside your scope are refused per row); "
        "null: every order the filters choose",
    )
    filters: OrderBulkFilters | None = Field(None, description="the orders list's filters")


@router.post(
    "/orders/bulk-changes",
    response={202: CustomersBulkOut, **ERROR_RESPONSES},
    tags=["orders"],
    summary="Refund, cancel or complete many orders in the background",
    description="Set the status of the orders `ids` names, or of every order `filters` "
    "chooses, each through the single order's update (the customers' figures, history and "
    "events: a refund is `order.refunded`). Answers 202 with the queued run; follow it at "
    "/orders/bulk-changes/{id}; its change set is undone as one. Orders outside your scope "
    "are refused per row in the words of an unknown id. Analysts are refused (403). Orders "
    "are not deleted in bulk. Send an Idempotency-Key: a retry gets the same run and starts "
    "nothing. (To store a batch of orders, POST /orders/bulk.)",
)
def orders_bulk_changes(request: HttpRequest, payload: OrdersBulkIn) -> Status:
    by = caller(request)
    chosen = payload.filters.dict() if payload.filters is not None else {}
    filters = {
        k: v.isoformat() if isinstance(v, datetime) else v  # the run keeps its args as JSON
        for k, v in chosen.items()
        if v not in (None, "")
    }
    run = orders_bulk_start(
        by=by, action="set", params={"field": payload.field, "value": payload.value},
        filters=filters, ids=payload.ids, via="api",
    )  # fmt: skip
    return Status(202, _out(by, run.pk, BULK_ORDERS))


@router.get(
    "/orders/bulk-changes/{run_id}",
    response={200: CustomersBulkOut, **ERROR_RESPONSES},
    tags=["orders"],
    summary="An orders bulk run: its progress and, once done, its counts and refused rows "
    "(its author, or an admin)",
)
def orders_bulk_changes_run(request: HttpRequest, run_id: RecordId) -> dict[str, Any]:
    return _out(caller(request), run_id, BULK_ORDERS)
