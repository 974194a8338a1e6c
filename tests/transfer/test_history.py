"""Every change an import makes is in the records' history: who, which import, before and after
(set-wise per batch; on PostgreSQL the orders' entries are written from the staging tables)."""

from __future__ import annotations

import io

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.history.selectors import history_of
from tenure.orders.models import Order
from tenure.transfer.scope import importer_for
from tenure.transfer.services import customers_import, orders_import
from tests.factories import make_user
from tests.transfer.conftest import csv_bytes

pytestmark = pytest.mark.django_db

ORDERS = ["order_id", "customer_id", "placed_at", "amount", "status"]


def _orders(rows, importer) -> None:
    orders_import(source=io.BytesIO(csv_bytes([ORDERS, *rows])), column_map={}, importer=importer)


def _entries(record) -> list[tuple[str, dict, dict]]:
    return [
        (LogEntry.Action.choices[e.action][1], e.changes_dict, e.additional_data)
        for e in history_of(record=record)
    ]


def test_an_order_log_leaves_the_orders_and_the_customers_it_created_in_their_history():
    user = make_user(username="imp")
    importer = importer_for(user, 41, file="log.csv")
    _orders([["O1", "C1", "2025-02-01T10:00:00Z", "10.00", "completed"]], importer)
    order = Order.objects.get(external_id="O1")
    customer = Customer.objects.get(external_id="C1")
    made = {"import": 41, "by": "imp", "file": "log.csv"}
    [(action, changes, data)] = _entries(order)
    assert (action, data) == ("create", made)
    assert changes["external_id"] == [None, "O1"]
    assert changes["customer"] == [None, customer.pk]
    assert changes["amount"] == [None, "10.00"]
    assert changes["status"] == [None, "completed"]
    assert changes["placed_at"][1].startswith("2025-02-01T10:00:00")
    [(action, changes, data)] = _entries(customer)
    assert (action, changes["external_id"], data) == ("create", [None, "C1"], made)
    assert history_of(record=order).get().actor == user

    # The same row again changes nothing and writes nothing; a refund writes what changed.
    _orders([["O1", "C1", "2025-02-01T10:00:00Z", "10.00", "completed"]], importer)
    assert len(_entries(order)) == 1
    _orders([["O1", "C1", "2025-02-01T10:00:00Z", "10.00", "refunded"]], importer)
    action, changes, _ = _entries(order)[0]
    assert (action, changes) == ("update", {"status": ["completed", "refunded"]})


def test_a_customers_file_leaves_creations_and_changes_field_by_field():
    importer = importer_for(None, "people.csv")
    header = ["customer_id", "email", "first_name", "tier"]

    def run(*rows):
        customers_import(
            source=io.BytesIO(csv_bytes([header, *rows])),
            column_map={},
            now=timezone.now(),
            importer=importer,
        )

    run(["C9", "a@example.com", "Ada", "gold"])
    customer = Customer.objects.get(external_id="C9")
    [(action, changes, data)] = _entries(customer)
    assert (action, data) == ("create", {"import": "people.csv", "by": "operator"})
    assert changes["email"] == [None, "a@example.com"]
    assert changes["custom_attributes"] == [None, {"tier": "gold"}]
    run(["C9", "b@example.com", "Ada", "gold"])
    action, changes, _ = _entries(customer)[0]
    assert (action, changes) == ("update", {"email": ["a@example.com", "b@example.com"]})
    assert history_of(record=customer).first().actor is None
