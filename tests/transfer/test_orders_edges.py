"""Order imports at the edges of the set-wise path: customers the batch creates whose figures
come from orders that are not new, and another import creating the same customers meanwhile."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection

from tenure.customers.models import Customer
from tenure.orders.models import Order
from tenure.transfer import staged
from tenure.transfer.services import orders_import
from tests.factories import make_customer
from tests.transfer.conftest import csv_bytes, customer_figures_are_consistent

pytestmark = pytest.mark.django_db

HEADER = ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]


def _import(rows, batch_size=100):
    return orders_import(
        source=io.BytesIO(csv_bytes([HEADER, *rows])), column_map={}, batch_size=batch_size
    )


def test_an_existing_order_moved_to_a_customer_the_file_introduces():
    _import([["O1", "C1", "2025-01-01", "10", "", ""], ["O2", "C1", "2025-01-02", "5", "", ""]])
    result = _import(
        [
            ["O1", "NEW", "2025-01-01", "10", "", ""],  # stored, now of a customer not yet known
            ["O3", "NEW", "2025-01-03", "7", "", ""],
        ]
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    new = Customer.objects.get(external_id="NEW")
    assert (new.orders_count, new.revenue) == (2, Decimal("17"))
    assert Customer.objects.get(external_id="C1").orders_count == 1
    assert customer_figures_are_consistent()


def test_a_customer_named_only_by_an_overwritten_row_is_created_without_orders():
    result = _import(
        [
            ["O1", "GONE", "2025-01-01", "10", "", ""],
            ["O1", "KEPT", "2025-01-02", "12", "", ""],  # the last row of O1 wins
        ]
    )
    assert (result.created, result.updated) == (1, 1)
    gone = Customer.objects.get(external_id="GONE")
    assert (gone.orders_count, gone.revenue, gone.first_order_at) == (0, 0, None)
    assert Order.objects.get(external_id="O1").customer.external_id == "KEPT"
    assert customer_figures_are_consistent()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-wise path is PostgreSQL's")
def test_customers_created_by_another_import_meanwhile_make_the_batch_start_again(monkeypatch):
    find = staged.customers_find
    calls = []

    def find_before_the_other_import(*, external_ids, known):
        calls.append(1)
        ids = find(external_ids=external_ids, known=known)
        if len(calls) == 1:  # "another import" creates C1 right after the batch looked (here in
            # the same transaction: the rollback takes it back, and the retry creates it)
            make_customer(external_id="C1")
        return ids

    monkeypatch.setattr(staged, "customers_find", find_before_the_other_import)
    result = _import([["O1", "C1", "2025-01-01", "10", "", ""]])

    assert len(calls) == 2  # rolled back once, then stored
    assert result.created == 1
    assert Customer.objects.filter(external_id="C1").count() == 1
    assert Customer.objects.get(external_id="C1").orders_count == 1
    assert customer_figures_are_consistent()
