"""POST /api/v1/orders/bulk-changes: the same bulk service as the orders list's bar (each order
through order_update), a retried request runs once, an analyst is refused, a success
manager's forged ids are refused per row; POST /orders/bulk still stores a batch of orders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenure.bulk.undo import changeset_undo
from tenure.events.models import Event
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.orders.models import Order, OrderStatus
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def test_a_retry_with_the_same_key_starts_one_run_that_refunds_the_filtered_orders(client):
    api = Api(client, Role.MANAGER)
    customer = make_customer()
    completed = [make_order(customer=customer, amount=Decimal("3.10")) for _ in range(3)]
    cancelled = make_order(customer=customer, status=OrderStatus.CANCELLED)
    body = {"field": "status", "value": "refunded", "filters": {"status": "completed"}}
    first = api.post("/orders/bulk-changes", body, **{"Idempotency-Key": "o-1"})
    assert first.status_code == 202, first.content
    again = api.post("/orders/bulk-changes", body, **{"Idempotency-Key": "o-1"})
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Run.objects.filter(kind="bulk.orders").count() == 1
    run_execute(first.json()["id"])
    done = api.get(f"/orders/bulk-changes/{first.json()['id']}").json()
    assert (done["status"], done["changed"], done["refused_count"]) == ("done", 3, 0)
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in completed])} == {
        "refunded"
    }
    assert Order.objects.get(pk=cancelled.pk).status == "cancelled"
    assert Event.objects.filter(kind="order.refunded").count() == 3
    changeset_undo(by=api.user, change_set_id=done["change_set"], now=T0)
    assert Order.objects.filter(status="completed").count() == 3
    # A tasks run's id is not an orders run, nor the other way round.
    assert api.get(f"/tasks/bulk/{first.json()['id']}").status_code == 404


def test_the_filters_choose_by_moment_and_customer(client):
    api = Api(client, Role.ADMIN)
    early = make_order(placed_at=T0)
    late = make_order(placed_at=T0.replace(year=2026))
    body = {"field": "status", "value": "cancelled",
            "filters": {"placed_after": "2025-06-01T00:00:00Z"}}  # fmt: skip
    started = api.post("/orders/bulk-changes", body)
    assert started.status_code == 202, started.content
    run_execute(started.json()["id"])
    assert Order.objects.get(pk=late.pk).status == "cancelled"
    assert Order.objects.get(pk=early.pk).status == "completed"
    body = {"field": "status", "value": "refunded",
            "filters": {"customer_id": early.customer_id}}  # fmt: skip
    run_execute(api.post("/orders/bulk-changes", body).json()["id"])
    assert Order.objects.get(pk=early.pk).status == "refunded"
    assert Order.objects.get(pk=late.pk).status == "cancelled"


def test_forged_ids_of_another_book_are_refused_per_row_and_an_analyst_is_refused(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    sue = make_user(role=Role.SUCCESS_MANAGER)
    mine = make_order(customer=make_customer(owner=sam))
    theirs = make_order(customer=make_customer(owner=sue))
    api = Api(client, user=sam)
    body = {"field": "status", "value": "refunded", "ids": [mine.pk, theirs.pk]}
    started = api.post("/orders/bulk-changes", body)
    assert started.status_code == 202, started.content
    run_execute(started.json()["id"])
    done = api.get(f"/orders/bulk-changes/{started.json()['id']}").json()
    assert done["changed"] == 1
    assert done["refused"] == [{"id": theirs.pk, "reason": f"no order with id {theirs.pk}"}]
    assert Order.objects.get(pk=mine.pk).status == "refunded"
    assert Order.objects.get(pk=theirs.pk).status == "completed"
    # Sue cannot read Sam's run.
    sues = Api(client, user=sue).get(f"/orders/bulk-changes/{started.json()['id']}")
    assert sues.status_code == 404
    analyst = Api(client, Role.ANALYST)
    refused = analyst.post("/orders/bulk-changes", {"field": "status", "value": "refunded"})
    assert refused.status_code == 403
    assert Run.objects.filter(kind="bulk.orders").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"field": "amount", "value": "refunded"}, "field"),
        ({"field": "status", "value": "lost"}, "value"),
        ({"field": "status", "value": "refunded", "filters": {"status": "lost"}}, "status"),
        ({"field": "status", "value": "refunded",
          "filters": {"placed_after": "2025-01-01T00:00:00"}}, "placed_after"),
    ],
)  # fmt: skip
def test_a_bad_request_is_refused_on_its_field(client, body, field):
    api = Api(client, Role.MANAGER)
    response = api.post("/orders/bulk-changes", body)
    assert response.status_code == 422, response.content
    assert field in str(response.json()["error"])
    assert not Run.objects.exists()


def test_the_batch_of_orders_is_still_stored_at_orders_bulk(client):
    api = Api(client, Role.MANAGER)
    customer = make_customer()
    body = {"orders": [{"external_id": "B-1", "customer_id": customer.pk,
                        "placed_at": "2025-03-01T10:00:00Z", "amount": "5.00",
                        "currency": "USD"}]}  # fmt: skip
    stored = api.post("/orders/bulk", body)
    assert stored.status_code == 200, stored.content
    assert stored.json()["results"][0]["status"] == "created"
    assert not Run.objects.exists()
