"""Storing many orders at once on PostgreSQL, with their customers' figures in the same statement.

An import copies its rows into a temporary staging table (``orders_stage``: one binary ``COPY``)
and then stores them set-wise: ``staged_orders_insert`` inserts the new ones and adds them to
their customers' cached figures in one statement (the inserted rows go from
``INSERT ... RETURNING`` straight into an ``UPDATE`` of the customers, never through Python);
``staged_orders_update`` rewrites the stored orders the staged rows change and tells whose
figures need a recount.

Why: profiled on a million orders of 100,000 customers, the import's writer spent as long in
Python (looking up the stored orders, building the figures' arrays, reading dates back through
Django's pure-Python loader) as in the database, and its Python competed with the thread that
reads the file for the interpreter. See ``tenure.transfer.staged`` for the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection

from tenure.customers.models import Customer
from tenure.orders.models import Order, OrderStatus

_BY_KEY = {"enable_hashjoin": "off", "enable_mergejoin": "off", "jit": "off"}


@contextmanager
def by_key_lookups(cursor: Any, **more: str) -> Iterator[None]:
    """On PostgreSQL, join a list of customer ids to the customers by primary-key lookups.

    Inside an import the table's statistics lag behind its growth, and the planner then hashes
    the whole customers table once per chunk: 2.4x slower at 100,000 customers, and worse as
    the table grows. JIT compiling costs more than these cheap plans run. ``more``: other
    settings for the statements inside (``work_mem``). The settings are transaction-local and
    put back afterwards; a failed statement rolls them back with it.
    """
    if connection.vendor != "postgresql":
        yield
        return
    settings = {**_BY_KEY, **more}
    names = ", ".join(f"current_setting('{name}')" for name in settings)
    cursor.execute(f"SELECT {names}")
    saved = cursor.fetchone()
    change = ", ".join(f"set_config('{name}', %s, true)" for name in settings)
    cursor.execute(f"SELECT {change}", list(settings.values()))
    yield
    cursor.execute(f"SELECT {change}", list(saved))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

STAGED_COLUMNS = ("external_id", "customer_id", "placed_at", "amount", "currency", "status")
"""What ``orders_stage`` takes per order, in this order."""
# Their types, for COPY's binary format: half the time of the text format in the driver, and
# no parsing on the server. (A column whose type changes makes the COPY fail, not misread.)
_STAGED_TYPES = ("varchar", "int8", "timestamptz", "numeric", "varchar", "varchar")


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "orders": quote(Order._meta.db_table),
        "customers": quote(Customer._meta.db_table),
        "staging": quote("tenure_orders_staged"),
    }


# The columns take the orders' own types, so COPY reads the values as storing them would. ON
# COMMIT DROP: a connection that outlives a migration never sees an old definition. (Inside a
# longer transaction, a test's, it is still there for the next batch: emptied, then.)
_STAGING = """
CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS
SELECT {columns} FROM {orders} WITH NO DATA
"""


def orders_stage(*, rows: Iterable[Sequence[Any]]) -> None:
    """Put ``rows`` (values of ``STAGED_COLUMNS``, one row per external id, of customers that
    exist) in a staging table that lasts until the transaction ends, replacing what it held."""
    tables = _tables()
    columns = ", ".join(STAGED_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(_STAGING.format(columns=columns, **tables))
        cursor.execute(f"TRUNCATE {tables['staging']}")
        sql = f"COPY {tables['staging']} ({columns}) FROM STDIN (FORMAT BINARY)"
        with cursor.cursor.copy(sql) as copy:
            copy.set_types(list(_STAGED_TYPES))
            for row in rows:
                copy.write_row(row)


# Data-modifying WITH: the inserted rows feed the figures' update in the same statement, and
# the update runs to completion whether or not the final SELECT reads it. The customers are
# updated in id order (the ORDER BY, read by a nested loop), the order every writer of the
# figures locks them in, so that two writers wait for each other rather than deadlock. The
# dates come back as microseconds since the epoch: Django's loader of timestamptz values is
# Python code, 5 us a value, where an integer is read in C. The ids of the new orders come back
# as runs of consecutive ids (a few a batch), the rows after the customers' with no customer.
_INSERT = """
WITH new AS (
    INSERT INTO {orders} (external_id, customer_id, placed_at, amount, currency, status)
    SELECT external_id, customer_id, placed_at, amount, currency, status FROM {staging}
    ON CONFLICT (external_id) DO NOTHING
    RETURNING id, customer_id, placed_at, amount, status
), added AS (
    SELECT customer_id, COUNT(*) AS inserted,
           MIN(placed_at) FILTER (WHERE status = %(completed)s) AS first_at,
           MAX(placed_at) FILTER (WHERE status = %(completed)s) AS last_at,
           COUNT(*) FILTER (WHERE status = %(completed)s) AS n,
           SUM(amount) FILTER (WHERE status = %(completed)s) AS total
    FROM new
    GROUP BY customer_id
    ORDER BY customer_id
), figures AS (
    UPDATE {customers} AS c
    SET first_order_at = LEAST(c.first_order_at, a.first_at),
        last_order_at = GREATEST(c.last_order_at, a.last_at),
        orders_count = c.orders_count + a.n,
        revenue = c.revenue + a.total
    FROM added a
    WHERE c.id = a.customer_id AND a.n > 0
), runs AS (
    SELECT MIN(id) AS first_id, MAX(id) AS last_id
    FROM (SELECT id, id - ROW_NUMBER() OVER (ORDER BY id) AS run FROM new) numbered
    GROUP BY run
)
SELECT customer_id, (EXTRACT(EPOCH FROM first_at) * 1000000)::bigint, inserted FROM added
UNION ALL
SELECT NULL, first_id, last_id FROM runs
"""


class OrdersInserted(NamedTuple):
    """What ``staged_orders_insert`` stored: how many orders, per customer with new completed
    orders the earliest one's ``placed_at``, and the new orders' ids as runs (first, last)."""

    inserted: int
    since: dict[int, datetime]
    runs: list[tuple[int, int]]


def staged_orders_insert() -> OrdersInserted:
    """Insert the staged orders whose external id is not stored yet, and add them to their
    customers' cached figures; one statement.

    Staged orders that exist already are left alone (``staged_orders_update`` is for them); so
    is one that a concurrent import stored meanwhile, which ``staged_orders_update`` then sees.
    A staged customer id that has no row yet (an id reserved for a customer the caller creates
    later in the transaction, the foreign key being checked at the commit) gets no update: its
    creator counts its figures.
    """
    sql = _INSERT.format(**_tables())
    inserted = 0
    first_completed: dict[int, datetime] = {}
    runs: list[tuple[int, int]] = []
    # Sorting and grouping a batch's customers takes more than the default 4 MB.
    with connection.cursor() as cursor, by_key_lookups(cursor, work_mem="64MB"):
        cursor.execute(sql, {"completed": OrderStatus.COMPLETED.value})
        for customer_id, first, count in cursor.fetchall():
            if customer_id is None:
                runs.append((first, count))
                continue
            inserted += count
            if first is not None:
                first_completed[customer_id] = _EPOCH + timedelta(microseconds=first)
    return OrdersInserted(inserted, first_completed, runs)


class OrderMoved(NamedTuple):
    """A stored order the staged rows changed: whose it was and when, whose it is and when."""

    external_id: str
    customer_before: int
    placed_before: datetime
    customer_after: int
    placed_after: datetime


# PostgreSQL (before 18) returns only the new values of an UPDATE: the old ones come from the
# same table joined once more under another name, read with the statement's snapshot. The old
# values of the orders it changed are kept in ``CHANGED`` for their history, so that the
# history reads the few changed orders, never every order the batch names.
CHANGED = "tenure_orders_changed"
_CHANGED_TABLE = """
CREATE TEMPORARY TABLE IF NOT EXISTS {changed} ON COMMIT DROP AS
SELECT id, customer_id, placed_at, amount, currency, status FROM {orders} WITH NO DATA
"""
_UPDATE = """
WITH moved AS (
    UPDATE {orders} AS o
    SET customer_id = n.customer_id, placed_at = n.placed_at, amount = n.amount,
        currency = n.currency, status = n.status
    FROM {staging} AS n, {orders} AS before
    WHERE o.external_id = n.external_id AND before.id = o.id
      AND (o.customer_id, o.placed_at, o.amount, o.currency, o.status)
          IS DISTINCT FROM (n.customer_id, n.placed_at, n.amount, n.currency, n.status)
    RETURNING o.id, o.external_id, before.customer_id AS customer_before,
        before.placed_at AS placed_before, before.amount AS amount_before,
        before.currency AS currency_before, before.status AS status_before,
        o.customer_id AS customer_after, o.placed_at AS placed_after
), kept AS (
    INSERT INTO {changed}
    SELECT id, customer_before, placed_before, amount_before, currency_before, status_before
    FROM moved
)
SELECT external_id, customer_before, placed_before, customer_after, placed_after FROM moved
"""


def staged_orders_update() -> list[OrderMoved]:
    """Rewrite the stored orders whose staged row differs from them; one statement. Their old
    values are in the temporary table ``CHANGED`` until the transaction ends.

    The customers' figures are the caller's to recount (``customer_stats_refresh`` of both
    customers of every ``OrderMoved``): a refund or a move takes an order out of figures that
    only a recount knows.
    """
    tables = {**_tables(), "changed": connection.ops.quote_name(CHANGED)}
    with connection.cursor() as cursor, by_key_lookups(cursor):
        cursor.execute(_CHANGED_TABLE.format(**tables))
        cursor.execute(f"TRUNCATE {tables['changed']}")
        cursor.execute(_UPDATE.format(**tables))
        return [OrderMoved(*row) for row in cursor.fetchall()]


_STORED = """
SELECT external_id, customer_id, placed_at, amount, currency, status
FROM {orders} WHERE external_id = ANY(%s)
"""


def staged_orders_stored(external_ids: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """The stored orders of these external ids as (customer id, placed_at, amount, currency,
    status): the values to compare a staged row with."""
    sql = _STORED.format(**_tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(external_ids)])
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


_CHANGES = """
SELECT o.id, c.customer_id, c.placed_at, c.amount, c.currency, c.status,
       o.customer_id, o.placed_at, o.amount, o.currency, o.status
FROM {changed} c JOIN {orders} o ON o.id = c.id
"""
_CHANGE_FIELDS = ("customer_id", "placed_at", "amount", "currency", "status")


def staged_orders_changes() -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """The orders ``staged_orders_update`` changed, as (id, before, after) field dicts: what
    their events are made of (``tenure.orders.events.order_events``)."""
    tables = {**_tables(), "changed": connection.ops.quote_name(CHANGED)}
    with connection.cursor() as cursor:
        cursor.execute(_CHANGES.format(**tables))
        width = len(_CHANGE_FIELDS)
        return [
            (
                row[0],
                dict(zip(_CHANGE_FIELDS, row[1 : 1 + width], strict=True)),
                dict(zip(_CHANGE_FIELDS, row[1 + width :], strict=True)),
            )
            for row in cursor.fetchall()
        ]
