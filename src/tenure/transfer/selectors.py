"""Reads: customers and orders as rows of text for the export (in the import's columns), and
the import jobs started from the web page."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from tenure.access import visible
from tenure.customers.models import Customer
from tenure.domain.access import Action, Scope, scope_of
from tenure.domain.records import CUSTOMER_FIELDS, ORDER_FIELDS
from tenure.history.models import BulkCreation
from tenure.orders.models import Order
from tenure.transfer.models import ImportJob, ImportSource, ImportUpload

_CHUNK = 5000
# The export's columns -> where they are stored, in the import's order.
_ORDER_COLUMNS = {
    "order_id": "external_id",
    "customer_id": "customer__external_id",
    "placed_at": "placed_at",
    "amount": "amount",
    "currency": "currency",
    "status": "status",
}
_CUSTOMER_COLUMNS = {
    "customer_id": "external_id",
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "phone",
    "birthday": "birthday",
    "account": "account__name",
    "channel": "channel",
    "category": "category",
    "created_at": "created_at",
}
assert tuple(_ORDER_COLUMNS) == ORDER_FIELDS and tuple(_CUSTOMER_COLUMNS) == CUSTOMER_FIELDS
# ``--insights``: what tenure concluded about each customer, after the import's columns. Empty
# where there is nothing yet (no stage computed, no fit covering the customer).
INSIGHT_COLUMNS = {
    "stage": "lifecycle_stage__stage",
    "health": "health__score",
    "health_band": "health__band",
    "churn_risk": "prediction__churn_risk",
    "p_alive": "prediction__p_alive",
    "expected_purchases": "prediction__expected_purchases_365",
    "horizon_days": "prediction__fit__horizon_days",
    "predicted_clv": "prediction__predicted_clv_365",
}


def _insight_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _text(value: Any, tz: tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    # Custom attributes written by other means than an import may hold numbers or lists: they
    # travel as their JSON text (and come back as that text).
    return json.dumps(value, ensure_ascii=False)


def customer_custom_attribute_keys(*, customers: QuerySet[Customer] | None = None) -> list[str]:
    """Every custom attribute name any of ``customers`` (default: all) has, sorted; names equal
    to a standard column are left out (the export could not tell them apart from it)."""
    customers = Customer.objects.all() if customers is None else customers
    keys: set[str] = set()
    for attributes in customers.order_by().values_list("custom_attributes", flat=True):
        if attributes:
            keys.update(attributes)
    return sorted(keys - set(CUSTOMER_FIELDS))


def customer_export_rows(
    *,
    custom_keys: list[str],
    tz: tzinfo,
    customers: QuerySet[Customer] | None = None,
    insights: bool = False,
) -> Iterator[list[str]]:
    """One row per customer of ``customers`` (default: all) in ``CUSTOMER_FIELDS`` order, then
    ``custom_keys``, then with ``insights`` the ``INSIGHT_COLUMNS``; in the order of
    ``customers`` when it has one, else by id; read in chunks (constant memory)."""
    customers = Customer.objects.all() if customers is None else customers
    extra = list(INSIGHT_COLUMNS.values()) if insights else []
    if not customers.query.order_by:  # a list's sort is kept; else by id
        customers = customers.order_by("id")
    rows = customers.values_list(*_CUSTOMER_COLUMNS.values(), "custom_attributes", *extra).iterator(
        chunk_size=_CHUNK
    )
    width = len(_CUSTOMER_COLUMNS)
    for row in rows:
        values, attributes, found = row[:width], row[width] or {}, row[width + 1 :]
        yield (
            [_text(value, tz) for value in values]
            + [_text(attributes.get(key), tz) for key in custom_keys]
            + [_insight_text(value) for value in found]
        )


def order_export_rows(*, tz: tzinfo, orders: QuerySet[Order] | None = None) -> Iterator[list[str]]:
    """One row per order of ``orders`` (default: all) in ``ORDER_FIELDS`` order; in the order
    of ``orders`` when it has one, else by id; read in chunks. Amounts as plain decimals."""
    orders = Order.objects.all() if orders is None else orders
    if not orders.query.order_by:  # the order asked for is kept; else by id
        orders = orders.order_by("id")
    rows = orders.values_list(*_ORDER_COLUMNS.values()).iterator(chunk_size=_CHUNK)
    for external_id, customer, placed_at, amount, currency, status in rows:
        placed = placed_at.astimezone(tz).isoformat()
        yield [external_id, customer, placed, str(amount), currency, status]


def _jobs_of(user: Any) -> QuerySet[ImportJob]:
    """Jobs the user may see: all for roles that may change every record, else their own
    (a job's rejects quote the rows of its file)."""
    jobs = ImportJob.objects.select_related("created_by")
    if scope_of(getattr(user, "role", ""), Action.CHANGE) is Scope.ALL:
        return jobs
    return jobs.filter(created_by=user)


def import_job_list(*, user: Any, limit: int = 10) -> list[ImportJob]:
    """The latest import jobs the user may see, newest first, with who started them."""
    return list(_jobs_of(user).order_by("-created_at")[:limit])


def import_job_get(*, user: Any, job_id: int) -> ImportJob:
    """One import job the user may see; raises ``ImportJob.DoesNotExist``."""
    return _jobs_of(user).get(id=job_id)


def import_upload_get(*, user: Any, upload_id: int, for_change: bool = False) -> ImportUpload:
    """One upload of the wizard the user may see (their own, or any for the roles that change
    every record: the file quotes personal data); raises ``ImportUpload.DoesNotExist``.
    ``for_change`` locks its row (inside the caller's transaction)."""
    uploads = ImportUpload.objects.select_related("source")
    if scope_of(getattr(user, "role", ""), Action.CHANGE) is not Scope.ALL:
        uploads = uploads.filter(created_by=user)
    if for_change:
        uploads = uploads.select_for_update(of=("self",))
    return uploads.get(id=upload_id)


def import_sources(*, kind: str | None = None) -> list[ImportSource]:
    """The remembered sources, by name (a source names a system, never a person)."""
    sources = ImportSource.objects.all()
    return list(sources.filter(kind=kind) if kind else sources)


def import_rejects_path(*, job: ImportJob) -> str | None:
    """Where the import's rejected rows are kept as CSV, when they are."""
    if job.rejects_path and os.path.isfile(job.rejects_path):
        return job.rejects_path
    return None


RECORDS_SHOWN = 500


@dataclass(frozen=True, slots=True)
class ImportRecords:
    """What an import created and changed, among the records the user may see (the first
    ``RECORDS_SHOWN`` of each), with the totals."""

    customers_created: list[Customer]
    customers_changed: list[Customer]
    orders_created: list[Order]
    orders_changed: list[Order]
    totals: dict[str, int]


_RUNS_PER_QUERY = 100


def import_created_ids(job: ImportJob, model: type[Any]) -> list[int]:
    """The ids of the records of ``model`` import ``job`` created (and that still exist), from
    its creation runs in the history."""
    runs = list(
        BulkCreation.objects.filter(
            content_type=ContentType.objects.get_for_model(model), data__import=job.pk
        ).values_list("first_id", "last_id")
    )
    ids: list[int] = []
    # A query per hundred runs: SQLite refuses an expression deeper than 1,000.
    for start in range(0, len(runs), _RUNS_PER_QUERY):
        query = Q(pk__in=[])
        for first, last in runs[start : start + _RUNS_PER_QUERY]:
            query |= Q(pk__range=(first, last))
        ids += model._default_manager.filter(query).values_list("pk", flat=True)
    return sorted(ids)


def _touched_ids(job: ImportJob, model: type[Any]) -> tuple[list[int], list[int]]:
    changed = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        action=LogEntry.Action.UPDATE,
        additional_data__import=job.pk,
    ).values_list("object_id", flat=True)
    return import_created_ids(job, model), sorted({int(pk) for pk in changed if pk is not None})


def import_records(*, user: Any, job: ImportJob) -> ImportRecords:
    """The records import ``job`` created and changed that ``user`` may see."""
    customers = visible(user, Customer).order_by("external_id")
    orders = visible(user, Order).select_related("customer").order_by("external_id")
    customers_created, customers_changed = _touched_ids(job, Customer)
    orders_created, orders_changed = _touched_ids(job, Order)
    made, changed = (
        customers.filter(pk__in=customers_created),
        customers.filter(pk__in=customers_changed),
    )
    placed, altered = orders.filter(pk__in=orders_created), orders.filter(pk__in=orders_changed)
    return ImportRecords(
        customers_created=list(made[:RECORDS_SHOWN]),
        customers_changed=list(changed[:RECORDS_SHOWN]),
        orders_created=list(placed[:RECORDS_SHOWN]),
        orders_changed=list(altered[:RECORDS_SHOWN]),
        totals={
            "customers_created": made.count(),
            "customers_changed": changed.count(),
            "orders_created": placed.count(),
            "orders_changed": altered.count(),
        },
    )
