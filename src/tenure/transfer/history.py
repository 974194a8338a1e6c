"""What an import writes in the records' change history, a batch at a time
(``tenure.history.bulk``): one entry per account, customer and order it created or changed,
naming who imported and which import (``additional_data``), with each field's before and after.

The fields are named as django-auditlog names them (a foreign key by its field name, its value
the id), so an imported change reads like any other in a record's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import connection

from tenure.customers.models import Account, Customer
from tenure.history.bulk import (
    CREATE,
    UPDATE,
    changes_of,
    log_entries_create,
    log_entries_insert_select,
)
from tenure.orders.models import Order
from tenure.orders.storage import by_key_lookups
from tenure.transfer.scope import Importer

_NAMES = {"account_id": "account", "customer_id": "customer", "owner_id": "owner"}


def _named(values: Mapping[str, Any]) -> dict[str, Any]:
    return {_NAMES.get(name, name): value for name, value in values.items()}


def account_entries(found: Iterable[tuple[Any, ...]], importer: Importer) -> None:
    """Accounts created: rows of (name, id, owner id, created_at)."""
    log_entries_create(
        model=Account,
        entries=(
            (pk, name, CREATE, changes_of(None, {"name": name, "owner": owner, "created_at": at}))
            for name, pk, owner, at in found
        ),
        author=importer.author,
    )


def _customer_repr(external_id: str, values: Mapping[str, Any]) -> str:
    name = f"{values.get('first_name') or ''} {values.get('last_name') or ''}".strip()
    return name or external_id


def customer_entries(
    ids: Mapping[str, int],
    stored: Mapping[str, Mapping[str, Any]],
    final: Mapping[str, Mapping[str, Any]],
    importer: Importer,
) -> None:
    """Customers created or changed by a batch (by external id: their ids, the values stored
    before, the values written)."""
    owner = importer.owner_id
    entries = []
    for external_id, pk in ids.items():
        after = final[external_id]
        before = stored.get(external_id)
        if before is None:
            created = {"external_id": external_id, **_named(after), "owner": owner}
            entries.append(
                (pk, _customer_repr(external_id, after), CREATE, changes_of(None, created))
            )
        else:
            changes = changes_of(_named(before), _named(after))
            text = _customer_repr(external_id, {**before, **after})
            entries.append((pk, text, UPDATE, changes))
    log_entries_create(model=Customer, entries=entries, author=importer.author)


def new_customer_entries(
    created: Iterable[tuple[int, str, datetime]], owner: int | None, importer: Importer
) -> None:
    """Customers an order log created: (id, external id, created_at)."""
    log_entries_create(
        model=Customer,
        entries=(
            (
                pk,
                external_id,
                CREATE,
                changes_of(None, {"external_id": external_id, "created_at": at, "owner": owner}),
            )
            for pk, external_id, at in created
        ),
        author=importer.author,
    )


def order_entries(
    ids: Mapping[str, int],
    stored: Mapping[str, Mapping[str, Any]],
    changed: Mapping[str, Mapping[str, Any]],
    importer: Importer,
) -> None:
    """Orders created or changed by a batch (by external id: their ids, the values stored
    before, the values written)."""
    entries = []
    for external_id, pk in ids.items():
        after = {"external_id": external_id, **_named(changed[external_id])}
        before_values = stored.get(external_id)
        if before_values is None:
            entries.append((pk, f"Order {external_id}", CREATE, changes_of(None, after)))
        else:
            before = {"external_id": external_id, **_named(before_values)}
            entries.append((pk, f"Order {external_id}", UPDATE, changes_of(before, after)))
    log_entries_create(model=Order, entries=entries, author=importer.author)


# PostgreSQL batches of orders (``tenure.transfer.staged``) write their entries from the
# staging tables, never through Python: a million orders are a million entries.
_BEFORE = "tenure_orders_before"
_STAGED_ORDERS = "tenure_orders_staged"  # tenure.orders.storage's staging table
_STAGED_CUSTOMERS = "tenure_customers_staged"  # tenure.transfer.staged's
_ORDER_FIELDS = ("customer_id", "placed_at", "amount", "currency", "status")


def _json(column: str) -> str:
    """A column's value as the changes' JSON holds it (a decimal as its text)."""
    return f"to_jsonb({column}::text)" if column.endswith("amount") else f"to_jsonb({column})"


def staged_orders_before_keep() -> None:
    """Keep the stored orders the staged rows name as they are before the batch writes them
    (the staged orders must be in ``tenure.orders.storage``'s staging table)."""
    orders = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_BEFORE} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT id, {', '.join(_ORDER_FIELDS)} FROM {orders} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {_BEFORE}")
        with by_key_lookups(cursor):  # never a scan of every order per batch
            cursor.execute(
                f"INSERT INTO {_BEFORE} SELECT o.id, {', '.join('o.' + f for f in _ORDER_FIELDS)} "  # noqa: S608
                f"FROM {_STAGED_ORDERS} s JOIN {orders} o ON o.external_id = s.external_id"
            )


def staged_orders_entries(importer: Importer) -> int:
    """An entry per staged order the batch created or changed (against
    ``staged_orders_before_keep``); returns how many."""
    orders = connection.ops.quote_name(Order._meta.db_table)
    created = ", ".join(
        f"'{_NAMES.get(f, f)}', jsonb_build_array(NULL, {_json('o.' + f)})" for f in _ORDER_FIELDS
    )
    changed = " || ".join(
        f"(CASE WHEN b.{f} IS DISTINCT FROM o.{f} THEN jsonb_build_object('{_NAMES.get(f, f)}', "
        f"jsonb_build_array({_json('b.' + f)}, {_json('o.' + f)})) ELSE '{{}}'::jsonb END)"
        for f in _ORDER_FIELDS
    )
    select = (
        f"SELECT o.id, 'Order ' || o.external_id, "  # noqa: S608 -- names from the code
        f"CASE WHEN b.id IS NULL THEN {CREATE} ELSE {UPDATE} END, "
        f"CASE WHEN b.id IS NULL THEN jsonb_build_object('external_id', "
        f"jsonb_build_array(NULL, to_jsonb(o.external_id)), {created}) ELSE {changed} END "
        f"FROM {_STAGED_ORDERS} s JOIN {orders} o ON o.external_id = s.external_id "
        f"LEFT JOIN {_BEFORE} b ON b.id = o.id "
        f"WHERE b.id IS NULL OR ({', '.join('b.' + f for f in _ORDER_FIELDS)}) "
        f"IS DISTINCT FROM ({', '.join('o.' + f for f in _ORDER_FIELDS)})"
    )
    return log_entries_insert_select(model=Order, select=select, params=[], author=importer.author)


def staged_customers_entries(importer: Importer) -> int:
    """An entry per customer the batch created from ``tenure.transfer.staged``'s staging
    table of new customers; returns how many."""
    select = (
        f"SELECT id, external_id, {CREATE}, jsonb_build_object("  # noqa: S608 -- names from the code
        "'external_id', jsonb_build_array(NULL, to_jsonb(external_id)), "
        "'created_at', jsonb_build_array(NULL, to_jsonb(created_at))"
        + (", 'owner', jsonb_build_array(NULL, to_jsonb(%s::bigint))" if importer.owner_id else "")
        + f") FROM {_STAGED_CUSTOMERS}"
    )
    params = [importer.owner_id] if importer.owner_id else []
    return log_entries_insert_select(
        model=Customer, select=select, params=params, author=importer.author
    )
