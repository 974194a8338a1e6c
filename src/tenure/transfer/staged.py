"""Storing one batch of checked order rows on PostgreSQL: copied into staging tables, then
stored by a few set-wise statements.

The rules are ``upserts.orders_upsert``'s (rows apply in file order, the last row of an id
wins, each row is counted as created, updated or unchanged against what came before it,
storing the same rows again writes nothing, unknown customers are created at their earliest
order in the batch), but the work is the database's:

1. the customers no earlier batch met are looked up; the missing ones get ids reserved from
   the customers' sequence;
2. the orders (the last row of each id) are copied in, and one statement inserts the new ones
   and adds them to their existing customers' figures
   (``tenure.orders.storage.staged_orders_insert``);
3. the new customers are copied in and created with their figures already counted (the
   orders' foreign key is checked at the commit): a customer created with empty figures and
   updated in the same transaction finds no room on its page for the new row version, and
   that update writes every index of the customers again (in a first import of a million
   orders, 112,000 of 756,000 figure updates were such; created with their figures, 39,000
   of 660,000);
4. only when some orders were not new, one statement rewrites the stored orders that
   differ, and their customers' figures are recounted.

Python's share per order is one dictionary lookup and one row of ``COPY``: the reader thread
checking the next batch competes with the writer for the interpreter, so what the writer does
in Python slows both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from tenure.customers.events import created_events_select
from tenure.customers.models import Customer
from tenure.domain.records import OrderRecord, UpsertCounts
from tenure.events.bulk import events_insert_select
from tenure.events.record import events_record
from tenure.events.tracking import events_of_changes
from tenure.orders.events import order_events, placed_events_select
from tenure.orders.models import Order, OrderStatus
from tenure.orders.services import customer_stats_refresh
from tenure.orders.storage import (
    OrderMoved,
    orders_stage,
    staged_orders_changes,
    staged_orders_insert,
    staged_orders_stored,
    staged_orders_update,
)
from tenure.transfer.bookkeeping import KnownCustomers, count_row
from tenure.transfer.bulk import new_row_defaults, rows_by_keys
from tenure.transfer.history import (
    customers_created_from_orders,
    orders_created,
    staged_orders_entries,
)
from tenure.transfer.scope import OPERATOR, Importer

_CUSTOMERS_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS
SELECT {staged} FROM {customers} WITH NO DATA
"""
_CUSTOMERS_CREATE = """
INSERT INTO {customers} ({staged}, {columns})
SELECT {staged}, {values} FROM {staging}
ON CONFLICT (external_id) DO NOTHING
"""
_STAGED_CUSTOMER = (
    "id",
    "external_id",
    "created_at",
    "first_order_at",
    "last_order_at",
    "orders_count",
    "revenue",
)
# Their types, for COPY's binary format (see ``tenure.orders.storage``).
_STAGED_CUSTOMER_TYPES = (
    "int8",
    "varchar",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "int4",
    "numeric",
)
_ATTEMPTS = 3


class CustomersRaced(Exception):
    """Another import created some of a batch's new customers after the batch looked for them;
    the batch is rolled back and stored again (it then finds them)."""


def customers_find(*, external_ids: Iterable[str], known: Mapping[str, int]) -> dict[str, int]:
    """The ids of the customers of these external ids that exist; ``known`` (the ids earlier
    batches found) is not asked again."""
    ids: dict[str, int] = {}
    unknown: list[str] = []
    for external_id in external_ids:
        found = known.get(external_id)
        if found is None:
            unknown.append(external_id)
        else:
            ids[external_id] = found
    if unknown:
        ids.update(rows_by_keys(Customer, "external_id", unknown, values=("external_id", "id")))
    return ids


def customer_ids_reserve(count: int) -> list[int]:
    """``count`` ids drawn from the customers' sequence, for customers to create later in the
    transaction."""
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), count],
        )
        return [row[0] for row in cursor.fetchall()]


def customers_create(*, rows: Sequence[Sequence[Any]], owner_id: int | None = None) -> None:
    """Create customers from rows of (reserved id, external id, created_at, first_order_at,
    last_order_at, orders_count, revenue), owned by ``owner_id``; the other fields take their
    defaults. Raises ``CustomersRaced`` when one of the external ids exists already."""
    quote = connection.ops.quote_name
    tables = {
        "customers": quote(Customer._meta.db_table),
        "staging": quote("tenure_customers_staged"),
        "staged": ", ".join(_STAGED_CUSTOMER),
    }
    defaults = [
        (field, owner_id if field.attname == "owner_id" else value)
        for field, value in new_row_defaults(Customer, written=set(_STAGED_CUSTOMER))
    ]
    # Each default goes as a parameter cast to its column's type: an untyped parameter in a
    # SELECT list would be text, which a jsonb column refuses.
    columns = ", ".join(quote(str(field.column)) for field, _ in defaults)
    values = ", ".join(f"%s::{field.db_type(connection)}" for field, _ in defaults)
    with connection.cursor() as cursor:
        cursor.execute(_CUSTOMERS_STAGING.format(**tables))
        cursor.execute(f"TRUNCATE {tables['staging']}")
        copy_sql = f"COPY {tables['staging']} ({tables['staged']}) FROM STDIN (FORMAT BINARY)"
        with cursor.cursor.copy(copy_sql) as copy:
            copy.set_types(list(_STAGED_CUSTOMER_TYPES))
            for row in rows:
                copy.write_row(row)
        sql = _CUSTOMERS_CREATE.format(columns=columns, values=values, **tables)
        cursor.execute(sql, [value for _, value in defaults])
        if cursor.rowcount != len(rows):
            raise CustomersRaced(f"{len(rows) - cursor.rowcount} customers created meanwhile")


class _Batch:
    """A batch of order rows as the statements need them: the last row of each id (``final``),
    the ids that appear more than once, and when each customer was first seen."""

    def __init__(self, records: Sequence[OrderRecord]) -> None:
        self.records = records
        self.final: dict[str, OrderRecord] = {}
        self.repeated: set[str] = set()
        self.first_seen: dict[str, datetime] = {}
        for record in records:
            if record.external_id in self.final:
                self.repeated.add(record.external_id)
            self.final[record.external_id] = record
            seen = self.first_seen.get(record.customer_external_id)
            if seen is None or record.placed_at < seen:
                self.first_seen[record.customer_external_id] = record.placed_at

    def new_customers(self, ids: Mapping[str, int]) -> list[tuple[Any, ...]]:
        """Rows for ``customers_create``: the customers of these reserved ids, their figures
        counted from the batch's completed orders (the last row of each)."""
        zero = Decimal(0)
        figures: dict[str, list[Any]] = {external_id: [None, None, 0, zero] for external_id in ids}
        for record in self.final.values():
            found = figures.get(record.customer_external_id)
            if found is None or record.status != OrderStatus.COMPLETED:
                continue
            if found[2] == 0:
                found[:] = [record.placed_at, record.placed_at, 1, record.amount]
            else:
                found[0] = min(found[0], record.placed_at)
                found[1] = max(found[1], record.placed_at)
                found[2] += 1
                found[3] += record.amount
        return [
            (ids[external_id], external_id, self.first_seen[external_id], *found)
            for external_id, found in figures.items()
        ]


def orders_upsert_staged(
    *,
    records: Sequence[OrderRecord],
    known: KnownCustomers | None = None,
    importer: Importer = OPERATOR,
) -> UpsertCounts:
    """Store checked order rows by external id, in one transaction (PostgreSQL).

    Creates unknown customers, keeps every touched customer's cached figures exact, and
    writes the events of what it created or changed set-wise (orders placed and customers
    created in one statement each; the few changed orders by ``order_events``).
    ``known``: see ``KnownCustomers``. Every
    order and customer created or changed is written in its history, by ``importer`` (who owns
    the customers created when a success manager).
    """
    batch = _Batch(records)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return _batch_store(batch, known, importer)
        except CustomersRaced:
            if attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _batch_store(batch: _Batch, known: KnownCustomers | None, importer: Importer) -> UpsertCounts:
    with transaction.atomic():
        ids = customers_find(external_ids=batch.first_seen, known=known or {})
        missing = [external_id for external_id in batch.first_seen if external_id not in ids]
        new_ids = (
            dict(zip(missing, customer_ids_reserve(len(missing)), strict=True)) if missing else {}
        )
        ids.update(new_ids)
        if known is not None:
            known.remember_on_commit(ids)
        # Ids that appear twice are counted row by row against what was stored before.
        stored = staged_orders_stored(batch.repeated) if batch.repeated else {}
        orders_stage(
            rows=(
                (
                    record.external_id,
                    ids[record.customer_external_id],
                    record.placed_at,
                    record.amount,
                    record.currency,
                    record.status,
                )
                for record in batch.final.values()
            )
        )
        inserted, _, created = staged_orders_insert()
        orders_created(created, importer)
        if created:
            events_insert_select(*placed_events_select(_order_table(), created))
        if new_ids:
            customers_create(rows=batch.new_customers(new_ids), owner_id=importer.owner_id)
            customers_created_from_orders(new_ids.values(), importer)
            select, kind = created_events_select()
            events_insert_select(select, [kind, f"{kind}:", list(new_ids.values())])
        moved: list[OrderMoved] = []
        if inserted < len(batch.final):
            moved = staged_orders_update()
            if moved:
                staged_orders_entries(importer)
                events_record(events_of_changes(order_events, staged_orders_changes()))
        recount = {c for order in moved for c in (order.customer_before, order.customer_after)}
        customer_stats_refresh(customer_ids=recount)
    return _batch_counts(batch, ids, stored, inserted, moved)


def _batch_counts(
    batch: _Batch,
    ids: Mapping[str, int],
    stored: Mapping[str, tuple[Any, ...]],
    inserted: int,
    moved: Sequence[OrderMoved],
) -> UpsertCounts:
    """Created, updated and unchanged rows, as ``upserts.orders_upsert`` counts them: an id's
    rows one after the other, the first against what was stored."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    if batch.repeated:
        before: dict[str, tuple[Any, ...]] = dict(stored)
        for record in batch.records:
            if record.external_id in batch.repeated:
                after = (
                    ids[record.customer_external_id],
                    record.placed_at,
                    record.amount,
                    record.currency,
                    record.status,
                )
                count_row(counts, before.get(record.external_id), after)
                before[record.external_id] = after
    repeated = batch.repeated
    created = inserted - sum(1 for external_id in repeated if external_id not in stored)
    updated = sum(1 for order in moved if order.external_id not in repeated)
    counts["created"] += created
    counts["updated"] += updated
    counts["unchanged"] += len(batch.final) - len(repeated) - created - updated
    return UpsertCounts(**counts)


def _order_table() -> str:
    return connection.ops.quote_name(Order._meta.db_table)
