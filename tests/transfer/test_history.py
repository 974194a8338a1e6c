"""Every change an import makes is in the records' history: who, which import, before and after
(set-wise per batch; on PostgreSQL the orders' entries are written from the staging tables)."""

from __future__ import annotations

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.history.models import BulkCreation
from tenure.history.selectors import history_of
from tenure.orders.models import Order
from tenure.transfer.scope import importer_for
from tenure.transfer.services import customers_import, orders_import
from tests.factories import make_order, make_user
from tests.transfer.conftest import csv_bytes

pytestmark = pytest.mark.django_db

ORDERS = ["order_id", "customer_id", "placed_at", "amount", "status"]


def _orders(rows, importer) -> None:
    orders_import(source=io.BytesIO(csv_bytes([ORDERS, *rows])), column_map={}, importer=importer)


def _entries(record) -> list[tuple[str, dict, dict]]:
    return [(e.action, e.changes, e.data) for e in history_of(record=record)]


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
    [created] = history_of(record=order)
    assert created.actor == user

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
    assert history_of(record=customer)[0].actor is None
    # The creation still says what the import set, not what the record holds now.
    action, changes, _ = _entries(customer)[-1]
    assert (action, changes["email"], changes["first_name"]) == (
        "create",
        [None, "a@example.com"],
        [None, "Ada"],
    )


def test_a_batch_records_its_creations_once_per_run_of_ids_and_each_reads_its_own_values():
    importer = importer_for(None, "log.csv")
    rows = [
        [f"O{n}", f"C{n % 3}", f"2025-03-0{1 + n % 9}T08:00:00Z", f"{n}.50", "completed"]
        for n in range(1, 31)
    ]
    _orders(rows, importer)
    runs = BulkCreation.objects.filter(content_type=ContentType.objects.get_for_model(Order))
    assert runs.count() == 1  # thirty orders, ids in a row: one record of their creation
    assert (
        BulkCreation.objects.filter(
            content_type=ContentType.objects.get_for_model(Customer)
        ).count()
        == 1
    )
    for n in (1, 17, 30):
        order = Order.objects.get(external_id=f"O{n}")
        [(action, changes, data)] = _entries(order)
        assert action == "create" and data == {"import": "log.csv", "by": "operator"}
        assert changes["amount"] == [None, f"{n}.50"]
        assert changes["customer"] == [None, Customer.objects.get(external_id=f"C{n % 3}").pk]

    # A refund, then a correction of the amount: the creation keeps the first values.
    _orders([["O17", "C2", "2025-03-09T08:00:00Z", "17.50", "refunded"]], importer)
    _orders([["O17", "C2", "2025-03-09T08:00:00Z", "1.00", "refunded"]], importer)
    order = Order.objects.get(external_id="O17")
    history = _entries(order)
    assert [action for action, _, _ in history] == ["update", "update", "create"]
    assert history[0][1] == {"amount": ["17.50", "1.00"]}
    assert (history[2][1]["amount"], history[2][1]["status"]) == (
        [None, "17.50"],
        [None, "completed"],
    )


def test_a_record_made_elsewhere_is_not_claimed_by_an_import_around_it():
    importer = importer_for(None, "log.csv")
    _orders([["O1", "C1", "2025-02-01T10:00:00Z", "10.00", "completed"]], importer)
    customer = Customer.objects.get(external_id="C1")
    by_hand = make_order(customer=customer, external_id="BY-HAND")
    _orders([["O2", "C1", "2025-02-02T10:00:00Z", "12.00", "completed"]], importer)
    [entry] = history_of(record=by_hand)
    assert entry.id is not None and entry.data == {}  # its own entry, written by its save
    assert [
        e.data.get("import") for e in history_of(record=Order.objects.get(external_id="O2"))
    ] == ["log.csv"]
