"""Storing one batch of checked rows: customers, or orders (with the customers they name).

Both follow one rule: rows apply in file order, each compared with what was stored (or with
the same id's earlier row in the batch), and counted as created, updated or unchanged; only
new or changed rows are written, in one transaction. So the last row of an id wins, and storing
the same rows again writes nothing. Orders on PostgreSQL go the set-wise way of ``staged``.

Each batch writes the events of what it created or changed (``tenure.events``) by the same
rules as a single save (``tenure.orders.events``, ``tenure.customers.events``), in its
transaction; the lifecycle engine follows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction

from tenure.customers.events import customer_events
from tenure.customers.models import Account, Customer
from tenure.domain.records import CustomerRecord, OrderRecord, UpsertCounts
from tenure.events.record import acting_via, events_record
from tenure.events.tracking import events_of_changes
from tenure.orders.events import order_events
from tenure.orders.models import Order
from tenure.orders.services import customer_stats_add, customer_stats_refresh
from tenure.transfer.bookkeeping import KnownCustomers, count_row
from tenure.transfer.bulk import concrete_field, rows_by_keys, rows_upsert
from tenure.transfer.history import (
    accounts_created,
    customer_entries,
    customers_created_from_orders,
    order_entries,
)
from tenure.transfer.scope import OPERATOR, Importer
from tenure.transfer.staged import orders_upsert_staged

# The import's field names -> the model's, where they differ.
_MODEL_FIELD = {"account": "account_id"}


def accounts_ensure(
    *, names: Iterable[str], now: datetime, importer: Importer = OPERATOR
) -> dict[str, int]:
    """The ids of these accounts by name, creating the ones that do not exist yet (owned by
    the importer when a success manager; each creation in the history)."""
    wanted = set(names)
    ids = dict(rows_by_keys(Account, "name", wanted, values=("name", "id")))
    missing = wanted - ids.keys()
    if missing:
        owner_id = importer.owner_id
        Account.objects.bulk_create(
            [Account(name=name, created_at=now, owner_id=owner_id) for name in sorted(missing)],
            ignore_conflicts=True,  # another import may have created some meanwhile
        )
        found = rows_by_keys(Account, "name", missing, values=("name", "id"))
        accounts_created((pk for _, pk in found), importer)
        ids.update(found)
    return ids


def _customer_values(
    record: CustomerRecord, before: dict[str, Any] | None, account_ids: dict[str, int]
) -> dict[str, Any]:
    """The stored values of a customer after this row: the file's columns over what was there.

    An empty ``created_at`` keeps the stored date; an empty custom attribute removes it.
    """
    values = dict(before or {})
    for name, value in record.values.items():
        if name == "account":
            values["account_id"] = account_ids[value] if value else None
        elif name == "created_at":
            if value is not None or "created_at" not in values:
                values["created_at"] = value
        else:
            values[name] = value
    if record.custom_attributes:
        attributes = dict(values.get("custom_attributes") or {})
        for key, text in record.custom_attributes.items():
            if text is None:
                attributes.pop(key, None)
            else:
                attributes[key] = text
        values["custom_attributes"] = attributes
    return values


def customers_upsert(
    *, records: Sequence[CustomerRecord], now: datetime, importer: Importer = OPERATOR
) -> UpsertCounts:
    """Store checked customer rows by external id, in one transaction.

    Only the fields the rows have values for are written; the others keep their stored values
    (or the defaults for a new customer, who becomes a customer ``now`` unless ``created_at``
    says when, owned by the importer when a success manager). The customers created or changed
    are announced after the commit, and written in their history (``importer``: who).
    The importer's scope is the caller's to check (``scope.customer_rows_refused``).
    """
    names = sorted({name for record in records for name in record.values} | {"created_at"})
    fields = [_MODEL_FIELD.get(name, name) for name in names]
    if any(record.custom_attributes for record in records):
        fields.append("custom_attributes")
    defaults = {name: concrete_field(Customer, name).get_default() for name in fields}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic(), acting_via("import", importer.author.actor_id):
        account_ids = accounts_ensure(
            names={r.values["account"] for r in records if r.values.get("account")},
            now=now,
            importer=importer,
        )
        stored: dict[str, dict[str, Any]] = {
            row[0]: dict(zip(fields, row[1:], strict=True))
            for row in rows_by_keys(
                Customer,
                "external_id",
                {record.external_id for record in records},
                values=("external_id", *fields),
            )
        }
        final: dict[str, dict[str, Any]] = {}
        for record in records:
            before = final.get(record.external_id) or stored.get(record.external_id)
            values = _customer_values(record, before, account_ids)
            if values.get("created_at") is None:
                values["created_at"] = now
            count_row(counts, before, values)
            final[record.external_id] = values
        written = [
            (external_id, *(values.get(name, defaults[name]) for name in fields))
            for external_id, values in final.items()
            if stored.get(external_id) != values
        ]
        owner_id = importer.owner_id  # a new customer's only: never updated
        rows_upsert(
            Customer,
            fields=["external_id", *fields, "owner_id"],
            rows=[(*row, owner_id) for row in written],
            unique="external_id",
            update=[*fields, "updated_at"],
        )
        if written:
            # Attributes change as of now (no since); a created_at in the file dates itself.
            ids = dict(
                rows_by_keys(
                    Customer, "external_id", [r[0] for r in written], values=("external_id", "id")
                )
            )
            customer_entries(ids, stored, final, importer)
            events_record(
                events_of_changes(
                    customer_events,
                    ((ids[k], stored.get(k), final[k]) for k, *_ in written),
                )
            )
    return UpsertCounts(**counts)


def _customers_ensure(
    records: Sequence[OrderRecord], known: dict[str, int] | None, importer: Importer
) -> tuple[dict[str, int], list[int]]:
    """The ids of the orders' customers by external id, creating the unknown ones; and the ids
    of those created.

    A customer first met in an order log becomes a customer at their earliest order in the
    batch (``created_at``); that is all tenure knows of them until a customer import says more.
    ``known`` holds the ids earlier batches of the same import found (see ``KnownCustomers``).
    """
    first_seen: dict[str, datetime] = {}
    for record in records:
        seen = first_seen.get(record.customer_external_id)
        if seen is None or record.placed_at < seen:
            first_seen[record.customer_external_id] = record.placed_at
    known = known if known is not None else {}
    ids = {external_id: known[external_id] for external_id in first_seen if external_id in known}
    unknown = [external_id for external_id in first_seen if external_id not in ids]
    if unknown:
        ids.update(rows_by_keys(Customer, "external_id", unknown, values=("external_id", "id")))
    missing = [external_id for external_id in first_seen if external_id not in ids]
    created: list[int] = []
    if missing:
        owner_id = importer.owner_id
        rows_upsert(  # no update: another import may have created some meanwhile
            Customer,
            fields=["external_id", "created_at", "owner_id"],
            rows=[(external_id, first_seen[external_id], owner_id) for external_id in missing],
            unique="external_id",
        )
        found = rows_by_keys(Customer, "external_id", missing, values=("external_id", "id"))
        ids.update(found)
        created = [customer_id for _, customer_id in found]
        customers_created_from_orders(created, importer)
        events_record(events_of_changes(customer_events, ((i, None, {"id": i}) for i in created)))
    return ids, created


class _OrderValues(NamedTuple):
    customer_id: int
    placed_at: datetime
    amount: Decimal
    currency: str
    status: str


def orders_upsert(
    *,
    records: Sequence[OrderRecord],
    known: KnownCustomers | None = None,
    importer: Importer = OPERATOR,
) -> UpsertCounts:
    """Store checked order rows by external id, in one transaction, creating unknown customers
    and refreshing the figures of every customer whose orders changed.

    On PostgreSQL the set-wise ``orders_upsert_staged``; here, row by row, for SQLite. Either
    way the batch announces, after its commit, the customers it created or whose orders
    changed, dated by the earliest moment their history changed. Every order created or changed
    (and customer created) is written in its history (``importer``: who; their scope is the
    caller's to check, ``scope.order_rows_refused``).
    """
    if connection.vendor == "postgresql":
        with acting_via("import", importer.author.actor_id):
            return orders_upsert_staged(records=records, known=known, importer=importer)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic(), acting_via("import", importer.author.actor_id):
        customer_ids, _ = _customers_ensure(records, known, importer)
        if known is not None:
            known.remember_on_commit(customer_ids)
        stored = {
            row[0]: _OrderValues(*row[1:])
            for row in rows_by_keys(
                Order,
                "external_id",
                {record.external_id for record in records},
                values=("external_id", *_OrderValues._fields),
            )
        }
        final: dict[str, _OrderValues] = {}
        for record in records:
            after = _OrderValues(
                customer_ids[record.customer_external_id],
                record.placed_at,
                record.amount,
                record.currency,
                record.status,
            )
            before = final.get(record.external_id) or stored.get(record.external_id)
            count_row(counts, before, after)
            final[record.external_id] = after
        changed = {k: v for k, v in final.items() if stored.get(k) != v}
        rows_upsert(
            Order,
            fields=["external_id", *_OrderValues._fields],
            rows=[(external_id, *values) for external_id, values in changed.items()],
            unique="external_id",
            update=_OrderValues._fields,
        )
        if changed:
            ids = dict(rows_by_keys(Order, "external_id", changed, values=("external_id", "id")))
            order_entries(
                ids,
                {k: v._asdict() for k, v in stored.items()},
                {k: v._asdict() for k, v in changed.items()},
                importer,
            )
        # Orders that existed change their customers' figures in ways only a recount knows
        # (an order moved away, a refund); new orders only add to them.
        recount = {stored[k].customer_id for k in changed if k in stored}
        recount.update(changed[k].customer_id for k in changed if k in stored)
        customer_stats_refresh(customer_ids=recount)
        customer_stats_add(
            new_orders=(
                (v.customer_id, v.placed_at, v.amount, v.status)
                for k, v in changed.items()
                if k not in stored and v.customer_id not in recount
            )
        )
        if changed:
            events_record(
                events_of_changes(
                    order_events,
                    (
                        (ids[k], stored[k]._asdict() if k in stored else None, v._asdict())
                        for k, v in changed.items()
                    ),
                )
            )
    return UpsertCounts(**counts)
