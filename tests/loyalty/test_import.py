"""An import of a year of orders earns once per order: the import writes its ``order.placed``
events set-wise and the points consumer earns them set-wise (entries and lots in bulk, the
balances recomputed from the ledger); importing the same file again earns nothing more."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest

from tenure.customers.models import Customer
from tenure.loyalty.facts import PROVIDER
from tenure.loyalty.following import orders_earn
from tenure.loyalty.models import EntryKind, LoyaltyBalance, PointsEntry, PointsLot
from tenure.loyalty.selectors import balances_reconcile
from tenure.transfer.services import orders_import
from tests.transfer.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def _year_of_orders(customers: int = 12, orders: int = 240) -> list[list[str]]:
    rows = [["order_id", "customer_id", "placed_at", "amount", "currency", "status"]]
    start = date(2025, 1, 1)
    for n in range(orders):
        day = start + timedelta(days=n * 365 // orders)
        amount = Decimal(5 + (n * 37) % 190) + Decimal(n % 100) / 100
        rows.append([f"Y-{n}", f"YC-{n % customers}", day.isoformat(), str(amount), "EUR",
                     "completed"])  # fmt: skip
    return rows


def _expected(rows: list[list[str]]) -> dict[str, int]:
    points: dict[str, int] = {}
    for row in rows[1:]:
        earned = int(Decimal(row[3]).to_integral_value(rounding=ROUND_FLOOR))
        points[row[1]] = points.get(row[1], 0) + earned
    return points


def test_a_year_of_imported_orders_earns_once_per_order(program_on, follow):
    rows = _year_of_orders()
    orders_import(source=io.BytesIO(csv_bytes(rows)), column_map={})
    follow()
    orders_import(source=io.BytesIO(csv_bytes(rows)), column_map={})  # the same file again
    follow()
    assert PointsEntry.objects.filter(kind=EntryKind.EARN).count() == 240
    assert PointsLot.objects.count() == 240
    by_external = dict(Customer.objects.values_list("pk", "external_id"))
    balances = {
        by_external[row.pk]: (row.balance, row.earned) for row in LoyaltyBalance.objects.all()
    }
    assert balances == {key: (points, points) for key, points in _expected(rows).items()}
    assert balances_reconcile() == (12, [])


def test_the_same_batch_handled_again_writes_nothing(program_on, follow):
    rows = _year_of_orders(customers=3, orders=30)
    orders_import(source=io.BytesIO(csv_bytes(rows)), column_map={})
    follow()
    from tenure.events.models import Event

    placed = list(Event.objects.filter(kind="order.placed"))
    assert orders_earn(placed, now=placed[0].recorded_at) == 0
    assert PointsEntry.objects.count() == 30


def test_the_facts_read_the_ledger(program_on, follow):
    import numpy as np

    from tenure.facts import chunks

    rows = _year_of_orders(customers=2, orders=4)
    orders_import(source=io.BytesIO(csv_bytes(rows)), column_map={})
    follow()
    ids = np.array(sorted(Customer.objects.values_list("pk", flat=True)), dtype=np.int64)
    chunk = next(chunks(ids))
    from django.utils import timezone

    from tenure.facts import FactRequest

    facts = PROVIDER.compute(
        FactRequest(chunk, ids, timezone.now(), frozenset({"loyalty_balance",
                                                          "loyalty_points_earned"}))
    )  # fmt: skip
    expected = _expected(rows)
    by_pk = dict(Customer.objects.values_list("pk", "external_id"))
    want = [expected[by_pk[int(pk)]] for pk in ids]
    assert facts["loyalty_balance"].tolist() == want
    assert facts["loyalty_points_earned"].tolist() == want
