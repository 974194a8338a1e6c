"""/api/v1/orders: figures follow every write; money stays exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenure.customers.models import Customer
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_orders_move_the_customer_figures(client):
    api = Api(client)
    customer = make_customer()
    body = {
        "external_id": "W-1",
        "customer_id": customer.pk,
        "placed_at": "2025-03-01T10:00:00+01:00",
        "amount": "19.99",
        "currency": "EUR",
    }
    created = api.post("/orders", body)
    assert created.status_code == 201, created.content
    assert created.json()["amount"] == "19.99"
    api.post("/orders", {**body, "external_id": "W-2", "amount": "0.01"})
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (2, Decimal("20.00"))

    refunded = api.patch(f"/orders/{created.json()['id']}", {"status": "refunded"})
    assert refunded.status_code == 200
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (1, Decimal("0.01"))

    listed = api.get("/orders", customer_id=customer.pk, status="completed").json()["items"]
    assert [o["external_id"] for o in listed] == ["W-2"]
    assert api.delete(f"/orders/{listed[0]['id']}").status_code == 204
    assert Customer.objects.get(pk=customer.pk).revenue == Decimal("0")


def test_bad_orders_name_the_field(client):
    api = Api(client)
    customer = make_customer()
    base = {
        "external_id": "B-1",
        "customer_id": customer.pk,
        "placed_at": "2025-03-01T10:00:00Z",
        "amount": "5.00",
        "currency": "USD",
    }
    for change, field in [
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"status": "lost"}, "status"),
        ({"customer_id": 999999}, "customer_id"),
    ]:
        response = api.post("/orders", {**base, **change})
        assert response.status_code == 422, (change, response.content)
        assert field in response.json()["error"]["fields"], (change, response.json())
    assert api.post("/orders", base).status_code == 201
    assert "external_id" in api.post("/orders", base).json()["error"]["fields"]


def test_bulk_ingestion_reports_each_order_and_is_safe_to_retry(client):
    api = Api(client)
    customer = make_customer()
    good = {
        "customer_id": customer.pk,
        "placed_at": "2025-03-01T10:00:00Z",
        "amount": "10.00",
        "currency": "USD",
    }
    batch = {
        "orders": [
            {**good, "external_id": "K-1"},
            {**good, "external_id": "K-2", "amount": "-3.00"},
            {**good, "external_id": "K-3", "customer_id": 999999},
            {**good, "external_id": "K-4", "amount": "5.50"},
        ]
    }
    first = api.post("/orders/bulk", batch)
    assert first.status_code == 200, first.content
    statuses = [(r["index"], r["status"]) for r in first.json()["results"]]
    assert statuses == [(0, "created"), (1, "error"), (2, "error"), (3, "created")]
    assert "amount" in first.json()["results"][1]["errors"]
    assert "customer_id" in first.json()["results"][2]["errors"]
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (2, Decimal("15.50"))

    again = api.post("/orders/bulk", batch).json()["results"]
    assert [r["status"] for r in again] == ["unchanged", "error", "error", "unchanged"]
    changed = api.post(
        "/orders/bulk", {"orders": [{**good, "external_id": "K-4", "status": "refunded"}]}
    ).json()
    assert changed["results"][0]["status"] == "updated"
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (1, Decimal("10.00"))

    too_many = api.post(
        "/orders/bulk", {"orders": [{**good, "external_id": f"M{n}"} for n in range(1001)]}
    )
    assert too_many.status_code == 422


def test_bulk_ingestion_follows_the_roles(client):
    customer = make_customer()
    body = {
        "orders": [
            {
                "external_id": "R-1",
                "customer_id": customer.pk,
                "placed_at": "2025-03-01T10:00:00Z",
                "amount": "1.00",
                "currency": "USD",
            }
        ]
    }
    assert Api(client, Role.ANALYST).post("/orders/bulk", body).status_code == 403
    outsider = Api(client, Role.SUCCESS_MANAGER).post("/orders/bulk", body).json()
    assert outsider["results"][0]["status"] == "error"
    assert "customer_id" in outsider["results"][0]["errors"]
