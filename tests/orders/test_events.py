"""Order writes tell the lifecycle engine, by their events, whose lifecycle changed and since
when: the date from which the customer's history is not what it was (the events' ``at``)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tenure.orders.ingest import orders_ingest
from tenure.orders.services import order_create, order_delete, order_update
from tests.factories import T0, make_customer, make_order

pytestmark = pytest.mark.django_db


def _order(customer, **fields):
    return {
        "external_id": fields.pop("external_id", "E1"),
        "customer_id": customer.pk,
        "placed_at": fields.pop("placed_at", T0),
        "amount": Decimal("10.00"),
        "currency": "EUR",
        **fields,
    }


def test_a_new_order_is_announced_as_of_its_placed_at(
    announced, django_capture_on_commit_callbacks
):
    customer = make_customer()
    at = T0 - timedelta(days=30)  # back-dated
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        order_create(**_order(customer, placed_at=at))
    assert announced == [([customer.pk], "order", {customer.pk: at})]


@pytest.mark.parametrize(
    ("moved_by", "since_offset"),
    [(timedelta(days=-10), timedelta(days=-10)), (timedelta(days=10), timedelta(0))],
    ids=["moved-earlier", "moved-later"],
)
def test_an_edit_is_announced_as_of_the_earlier_placed_at(
    announced, django_capture_on_commit_callbacks, moved_by, since_offset
):
    order = make_order(placed_at=T0)
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        order_update(order_id=order.pk, changes={"placed_at": T0 + moved_by})
    assert announced == [([order.customer_id], "order", {order.customer_id: T0 + since_offset})]


def test_a_refund_is_announced_as_of_the_order(announced, django_capture_on_commit_callbacks):
    order = make_order(placed_at=T0)
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        order_update(order_id=order.pk, changes={"status": "refunded"})
    assert announced == [([order.customer_id], "order", {order.customer_id: T0})]


def test_an_order_moved_to_another_customer_dates_both(
    announced, django_capture_on_commit_callbacks
):
    order = make_order(placed_at=T0)
    other = make_customer()
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        order_update(order_id=order.pk, changes={"customer_id": other.pk})
    ids = sorted([order.customer_id, other.pk])
    assert announced == [(ids, "order", dict.fromkeys(ids, T0))]


def test_a_deleted_order_is_announced_as_of_its_placed_at(
    announced, django_capture_on_commit_callbacks
):
    order = make_order(placed_at=T0 + timedelta(days=3))
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        order_delete(order_id=order.pk)
    assert announced == [
        ([order.customer_id], "order", {order.customer_id: T0 + timedelta(days=3)})
    ]


def test_an_ingested_batch_dates_each_customer_by_their_earliest_new_completed_order(
    announced, django_capture_on_commit_callbacks
):
    ada, bob = make_customer(), make_customer()
    orders = [
        _order(ada, external_id="A1", placed_at=T0 + timedelta(days=5)),
        _order(ada, external_id="A2", placed_at=T0 + timedelta(days=2)),
        _order(ada, external_id="A3", placed_at=T0, status="refunded"),  # not a purchase
        _order(bob, external_id="B1", placed_at=T0 + timedelta(days=9)),
    ]
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        results = orders_ingest(orders=orders)
    assert {r["status"] for r in results} == {"created"}
    ids = sorted([ada.pk, bob.pk])
    # A3 is no purchase, yet a new order: it dates ada too (a replay from there finds so).
    expected = {ada.pk: T0, bob.pk: T0 + timedelta(days=9)}
    assert announced == [(ids, "order", expected)]
