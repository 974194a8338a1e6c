"""A page's figures read the orders once: inside ``orders_read_once`` the callers of
``completed_orders`` (with or without amounts, any cut-off) share one read, and give what
reading apart gives; outside it, every call reads the orders as they are."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenure.insights.reading import completed_orders, orders_read_once, visible_customer_ids
from tenure.orders.services import order_create
from tests.factories import T0, make_customer, make_user

pytestmark = pytest.mark.django_db


def _orders_read(queries: CaptureQueriesContext) -> int:
    return sum('"orders_order"' in q["sql"] for q in queries.captured_queries)


def _order(customer, n: int, days: int, amount: str) -> None:
    order_create(
        external_id=f"R{n}", customer_id=customer.pk, placed_at=T0 + timedelta(days=days),
        amount=Decimal(amount), currency="USD",
    )  # fmt: skip


def test_the_callers_share_one_read_and_get_what_reading_apart_gives():
    sam = make_user(role="success_manager")
    mine, theirs = make_customer(owner=sam), make_customer()
    for n, (customer, days, amount) in enumerate(
        [(mine, 1, "10.00"), (mine, 40, "12.50"), (theirs, 5, "99.99"), (mine, 90, "3.10")]
    ):
        _order(customer, n, days, amount)
    customers = visible_customer_ids(sam)
    cut = T0 + timedelta(days=50)
    apart = (
        completed_orders(customers=customers, before=cut),
        completed_orders(customers=customers, before=T0 + timedelta(days=100), with_amount=True),
    )
    with orders_read_once(), CaptureQueriesContext(connection) as queries:
        shared = (
            completed_orders(customers=customers, before=cut),
            completed_orders(
                customers=customers, before=T0 + timedelta(days=100), with_amount=True
            ),
            completed_orders(customers=None, before=cut),  # everyone's: another read
        )
    assert _orders_read(queries) == 2
    for one, other in zip(apart, shared[:2], strict=True):
        np.testing.assert_array_equal(one.customer_id, other.customer_id)
        np.testing.assert_array_equal(one.day, other.day)
        np.testing.assert_array_equal(one.cents, other.cents)
    assert sorted(shared[1].cents.tolist()) == [310, 1000, 1250]  # Sam's, in cents
    assert shared[0].cents.tolist() == [0, 0]  # not asked for: as when read apart
    assert len(shared[2]) == 3  # everyone's before day 50


def test_outside_the_block_each_call_reads_the_orders_as_they_are():
    customer = make_customer()
    _order(customer, 1, 1, "5.00")
    later = T0 + timedelta(days=365)
    assert len(completed_orders(customers=None, before=later)) == 1
    _order(customer, 2, 2, "6.00")
    assert len(completed_orders(customers=None, before=later)) == 2
    with orders_read_once():
        assert len(completed_orders(customers=None, before=later)) == 2
        _order(customer, 3, 3, "7.00")
        assert len(completed_orders(customers=None, before=later)) == 2  # kept for the block
    assert len(completed_orders(customers=None, before=later)) == 3
