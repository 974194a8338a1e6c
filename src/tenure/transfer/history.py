"""What an import writes in the records' change history, a batch at a time
(``tenure.history.bulk``): the accounts, customers and orders it created, once per run of
consecutive ids (who, which import, which fields; the values are read back with the history),
and an entry per record it changed, with each field's before and after; each naming who
imported and which import.

The fields are named as django-auditlog names them (a foreign key by its field name, its value
the id), so an imported change reads like any other in a record's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection

from tenure.customers.models import Account, Customer
from tenure.history.bulk import (
    UPDATE,
    changes_of,
    creations_record,
    id_runs,
    log_entries_create,
    log_entries_insert_select,
)
from tenure.orders.models import Order
from tenure.orders.storage import CHANGED
from tenure.transfer.scope import Importer

_NAMES = {"account_id": "account", "customer_id": "customer", "owner_id": "owner"}
ACCOUNT_FIELDS = ("name", "owner", "created_at")
ORDER_FIELDS = ("external_id", "customer", "placed_at", "amount", "currency", "status")
# A customer first met in an order log: all the import knows of them.
LOGGED_CUSTOMER_FIELDS = ("external_id", "created_at", "owner")


def _named(values: Mapping[str, Any]) -> dict[str, Any]:
    return {_NAMES.get(name, name): value for name, value in values.items()}


def accounts_created(ids: Iterable[int], importer: Importer) -> None:
    """Accounts an import created (by name, owner and creation date)."""
    creations_record(
        model=Account, runs=id_runs(ids), fields=ACCOUNT_FIELDS, author=importer.author
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
    created: list[int] = []
    fields: set[str] = set()
    changed = []
    for external_id, pk in ids.items():
        after = final[external_id]
        before = stored.get(external_id)
        if before is None:
            created.append(pk)
            fields.update(_named(after))
        else:
            changes = changes_of(_named(before), _named(after))
            text = _customer_repr(external_id, {**before, **after})
            changed.append((pk, text, UPDATE, changes))
    if created:
        creations_record(
            model=Customer,
            runs=id_runs(created),
            fields=["external_id", *sorted(fields), "owner"],
            author=importer.author,
        )
    log_entries_create(model=Customer, entries=changed, author=importer.author)


def customers_created_from_orders(ids: Iterable[int], importer: Importer) -> None:
    """Customers an order log created."""
    creations_record(
        model=Customer, runs=id_runs(ids), fields=LOGGED_CUSTOMER_FIELDS, author=importer.author
    )


def order_entries(
    ids: Mapping[str, int],
    stored: Mapping[str, Mapping[str, Any]],
    changed: Mapping[str, Mapping[str, Any]],
    importer: Importer,
) -> None:
    """Orders created or changed by a batch (by external id: their ids, the values stored
    before, the values written)."""
    created: list[int] = []
    entries = []
    for external_id, pk in ids.items():
        before_values = stored.get(external_id)
        if before_values is None:
            created.append(pk)
            continue
        after = {"external_id": external_id, **_named(changed[external_id])}
        before = {"external_id": external_id, **_named(before_values)}
        entries.append((pk, f"Order {external_id}", UPDATE, changes_of(before, after)))
    orders_created(id_runs(created), importer)
    log_entries_create(model=Order, entries=entries, author=importer.author)


def orders_created(runs: Iterable[tuple[int, int]], importer: Importer) -> None:
    """Orders an import created, as runs of ids."""
    creations_record(model=Order, runs=runs, fields=ORDER_FIELDS, author=importer.author)


# PostgreSQL batches of orders (``tenure.transfer.staged``) write the entries of the orders
# they changed from the old values their update kept, never through Python.
_ORDER_COLUMNS = ("customer_id", "placed_at", "amount", "currency", "status")


def _json(column: str) -> str:
    """A column's value as the changes' JSON holds it (a decimal as its text)."""
    return f"to_jsonb({column}::text)" if column.endswith("amount") else f"to_jsonb({column})"


def staged_orders_entries(importer: Importer) -> int:
    """An entry per stored order the batch changed (``tenure.orders.storage.CHANGED`` holds
    their old values); returns how many."""
    orders = connection.ops.quote_name(Order._meta.db_table)
    changed = " || ".join(
        f"(CASE WHEN b.{f} IS DISTINCT FROM o.{f} THEN jsonb_build_object('{_NAMES.get(f, f)}', "
        f"jsonb_build_array({_json('b.' + f)}, {_json('o.' + f)})) ELSE '{{}}'::jsonb END)"
        for f in _ORDER_COLUMNS
    )
    select = (
        f"SELECT o.id, 'Order ' || o.external_id, {UPDATE}, {changed} "  # noqa: S608 -- names from the code
        f"FROM {connection.ops.quote_name(CHANGED)} b JOIN {orders} o ON o.id = b.id"
    )
    return log_entries_insert_select(model=Order, select=select, params=[], author=importer.author)
