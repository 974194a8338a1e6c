"""Writes for orders, and the customer figures that follow from them.

Orders arrive in bulk through the import (``tenure.transfer.upserts.orders_upsert``) and the
API's batches (``tenure.orders.ingest.orders_ingest``), one by one here; whatever
writes orders brings the figures along in the same transaction: ``customer_stats_refresh``
(a recount), or for orders that are only new ``customer_stats_add`` (and on PostgreSQL the
import's ``tenure.orders.storage.staged_orders_insert``). The orders' events (placed, changed,
refunded, ...) are written by the order's own save (``tenure.orders.events``), or by the bulk
writer beside its insert.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from tenure.access.records import (
    record_for_change,
    record_save,
    reject_unknown_fields,
    require_change,
)
from tenure.customers.models import Customer
from tenure.customers.services import check_references
from tenure.history.models import TrashItem
from tenure.history.trash import trash_put
from tenure.orders.models import Order, OrderStatus
from tenure.orders.storage import by_key_lookups
from tenure.users.models import User

_REFRESH_CHUNK = 5000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


# PostgreSQL: one index lookup per customer (LATERAL) instead of a hash join over all orders,
# which at a million orders costs a sequential scan per batch of an import.
_REFRESH_POSTGRESQL = """
UPDATE {customers} AS c
SET first_order_at = f.first_at, last_order_at = f.last_at, orders_count = f.n, revenue = f.total
FROM unnest(%s::bigint[]) AS ids(id)
CROSS JOIN LATERAL (
    SELECT MIN(o.placed_at) AS first_at, MAX(o.placed_at) AS last_at, COUNT(*) AS n,
           COALESCE(SUM(o.amount), 0) AS total
    FROM {orders} o
    WHERE o.customer_id = ids.id AND o.status = %s
) AS f
WHERE c.id = ids.id
"""
# SQLite (>= 3.33 for UPDATE ... FROM) plans the join as index lookups by itself. The ids go
# as one JSON array: one statement text whatever their number, so the driver's cache of
# prepared statements does not fill with a variant per batch.
_REFRESH_SQLITE = """
UPDATE {customers}
SET first_order_at = f.first_at, last_order_at = f.last_at, orders_count = f.n, revenue = f.total
FROM (
    SELECT c.id AS id, MIN(o.placed_at) AS first_at, MAX(o.placed_at) AS last_at,
           COUNT(o.id) AS n, COALESCE(SUM(o.amount), 0) AS total
    FROM {customers} c
    LEFT JOIN {orders} o ON o.customer_id = c.id AND o.status = %s
    WHERE c.id IN (SELECT value FROM json_each(%s))
    GROUP BY c.id
) AS f
WHERE {customers}.id = f.id
"""


def customer_stats_refresh(*, customer_ids: Iterable[int]) -> int:
    """Recompute the cached order figures of these customers from their completed orders.

    Every service that writes orders calls this inside its own transaction, so the cache is
    never seen stale. Returns the number of customers refreshed.

    One ``UPDATE ... FROM`` per 5,000 customers rather than reading the figures back and
    writing them with ``bulk_update``: an import refreshes every customer each batch touched.

    On PostgreSQL the customers are locked first, in id order, by a statement of their own:
    the recount that follows then starts after any concurrent writer of their orders has
    committed and counts its orders too. Locked and counted in one statement, the recount would
    read the orders as they were before it waited, and lose the other writer's order.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    customers_lock(set(ids))
    tables = {"customers": Customer._meta.db_table, "orders": Order._meta.db_table}
    completed = OrderStatus.COMPLETED.value
    refreshed = 0
    with connection.cursor() as cursor, by_key_lookups(cursor):
        for start in range(0, len(ids), _REFRESH_CHUNK):
            chunk = ids[start : start + _REFRESH_CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute(_REFRESH_POSTGRESQL.format(**tables), [chunk, completed])
            else:
                sql = _REFRESH_SQLITE.format(**tables)
                cursor.execute(sql, [completed, json.dumps(chunk)])
            refreshed += cursor.rowcount
    return refreshed


# The figures go as integer arrays (microseconds since the epoch, cents): the driver dumps a
# list of ints in C but a list of datetimes or Decimals in Python, 0.6 s per 40,000 customers.
_ADD_POSTGRESQL = """
UPDATE {customers} AS c
SET first_order_at = LEAST(c.first_order_at, d.first_at),
    last_order_at = GREATEST(c.last_order_at, d.last_at),
    orders_count = c.orders_count + d.n,
    revenue = c.revenue + d.total
FROM (
    SELECT id, TIMESTAMPTZ 'epoch' + first_us * INTERVAL '1 microsecond' AS first_at,
           TIMESTAMPTZ 'epoch' + last_us * INTERVAL '1 microsecond' AS last_at,
           n, cents::numeric / 100 AS total
    FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::integer[], %s::bigint[])
        AS u(id, first_us, last_us, n, cents)
) AS d
WHERE c.id = d.id
"""
_ADD_SQLITE = """
UPDATE {customers}
SET first_order_at = CASE WHEN first_order_at IS NULL OR %s < first_order_at
                          THEN %s ELSE first_order_at END,
    last_order_at = CASE WHEN last_order_at IS NULL OR %s > last_order_at
                         THEN %s ELSE last_order_at END,
    orders_count = orders_count + %s,
    revenue = revenue + %s
WHERE id = %s
"""


def customer_stats_add(*, new_orders: Iterable[tuple[int, datetime, Decimal, str]]) -> int:
    """Add orders that were just created, as (customer id, placed_at, amount, status), to their
    customers' cached figures without reading their other orders.

    The same result as ``customer_stats_refresh`` for these customers when their figures were
    right before and the orders are new (an import's common case): an import of a million
    orders touches about one customer per order, and this skips reading their past orders.
    Call it inside the transaction that created the orders. Returns the customers changed.
    """
    figures: dict[int, list] = {}
    for customer_id, placed_at, amount, status in new_orders:
        if status != OrderStatus.COMPLETED:
            continue
        found = figures.get(customer_id)
        if found is None:
            figures[customer_id] = [placed_at, placed_at, 1, amount]
        else:
            found[0] = min(found[0], placed_at)
            found[1] = max(found[1], placed_at)
            found[2] += 1
            found[3] += amount
    if not figures:
        return 0
    customers = Customer._meta.db_table
    changed = 0
    items = sorted(figures.items())
    with connection.cursor() as cursor, by_key_lookups(cursor):
        for start in range(0, len(items), _REFRESH_CHUNK):
            chunk = items[start : start + _REFRESH_CHUNK]
            if connection.vendor == "postgresql":
                columns = [
                    [i for i, _ in chunk],
                    [(f[0] - _EPOCH) // _MICROSECOND for _, f in chunk],
                    [(f[1] - _EPOCH) // _MICROSECOND for _, f in chunk],
                    [f[2] for _, f in chunk],
                    [int(f[3] * 100) for _, f in chunk],  # amounts have 2 decimal places
                ]
                cursor.execute(_ADD_POSTGRESQL.format(customers=customers), columns)
            else:
                adapt = connection.ops.adapt_datetimefield_value
                cursor.executemany(
                    _ADD_SQLITE.format(customers=customers),
                    [
                        (adapt(first), adapt(first), adapt(last), adapt(last), n, total, i)
                        for i, (first, last, n, total) in chunk
                    ],
                )
            changed += cursor.rowcount
    return changed


# --- single orders, for the web app and the API -------------------------------------------------

ORDER_FIELDS = frozenset(
    {"external_id", "customer_id", "placed_at", "amount", "currency", "status"}
)


def _order_save(order: Order, *, touched: set[int]) -> Order:
    """Save the order and refresh the figures of the customers it touched."""
    record_save(order)
    customer_stats_refresh(customer_ids=touched)
    return order


@transaction.atomic
def order_create(*, by: User | None = None, **fields: Any) -> Order:
    """Record one order of a customer the user may change; the customer's figures follow."""
    require_change(by)
    reject_unknown_fields(fields, ORDER_FIELDS)
    if fields.get("customer_id") is None:
        raise ValidationError({"customer_id": ["an order belongs to a customer"]})
    check_references(by, fields)
    order = Order(**fields)
    return _order_save(order, touched={fields["customer_id"]})


@transaction.atomic
def order_update(*, by: User | None = None, order_id: int, changes: Mapping[str, Any]) -> Order:
    """Change an order (a refund is ``status="refunded"``); both customers' figures follow."""
    reject_unknown_fields(changes, ORDER_FIELDS)
    order = record_for_change(by, Order, order_id)
    check_references(by, changes)
    touched = {order.customer_id}
    for name, value in changes.items():
        setattr(order, name, value)
    return _order_save(order, touched=touched | {order.customer_id})


@transaction.atomic
def order_delete(*, by: User | None = None, order_id: int) -> TrashItem:
    """Delete an order and its lines (its ``order.deleted`` event as for any delete); the
    customer's figures follow; kept 30 days in the trash, from where it can be restored."""
    order = record_for_change(by, Order, order_id)
    item = trash_put(record=order, by=by, now=timezone.now())
    customer_stats_refresh(customer_ids=[order.customer_id])
    return item


def customers_lock(ids: set[int]) -> None:
    """Lock the customers' rows in id order (FOR NO KEY UPDATE: orders may still reference
    them). Two writers lock in the same order, so they wait rather than deadlock, and the
    figures' update that follows reads what the other committed. SQLite locks the whole
    database for a writer already."""
    if ids and connection.vendor == "postgresql":
        table = connection.ops.quote_name(Customer._meta.db_table)
        with connection.cursor() as cursor:  # one array parameter, whatever the number of ids
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",  # noqa: S608
                [sorted(ids)],
            )
