"""/api/v1/customers: CRUD, filters, pagination, errors and the role rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenure.customers.models import Customer
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def test_create_read_update_delete(client):
    api = Api(client)
    account = make_account(name="Initech")
    created = api.post(
        "/customers",
        {
            "external_id": "C-1",
            "first_name": "Peter",
            "last_name": "Gibbons",
            "email": "peter@initech.example",
            "account_id": account.pk,
            "custom_attributes": {"plan": "gold"},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["external_id"] == "C-1"
    assert body["revenue"] == "0.00"  # money is a decimal string, never a float
    customer_id = body["id"]

    assert api.get(f"/customers/{customer_id}").json()["email"] == "peter@initech.example"

    changed = api.patch(f"/customers/{customer_id}", {"category": "vip"})
    assert changed.status_code == 200
    assert changed.json()["category"] == "vip"
    assert changed.json()["first_name"] == "Peter"  # untouched fields stay

    assert api.delete(f"/customers/{customer_id}").status_code == 204
    assert not Customer.objects.filter(pk=customer_id).exists()
    assert api.get(f"/customers/{customer_id}").status_code == 404


def test_figures_follow_orders(client):
    api = Api(client)
    customer = make_customer()
    make_order(customer=customer, amount=Decimal("19.99"))
    make_order(customer=customer, amount=Decimal("0.01"))
    body = api.get(f"/customers/{customer.pk}").json()
    assert body["revenue"] == "20.00"
    assert body["orders_count"] == 2


def test_a_customer_with_orders_is_not_deleted(client):
    api = Api(client)
    order = make_order()
    response = api.delete(f"/customers/{order.customer_id}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Customer.objects.filter(pk=order.customer_id).exists()


def test_validation_errors_name_the_fields(client):
    api = Api(client)
    make_customer(external_id="TAKEN")
    bad = api.post("/customers", {"external_id": ""})
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"external_id"}

    email = api.post("/customers", {"external_id": "E", "email": "not-an-email"})
    assert email.status_code == 422
    assert set(email.json()["error"]["fields"]) == {"email"}

    duplicate = api.post("/customers", {"external_id": "TAKEN"})
    assert duplicate.status_code == 422
    assert "external_id" in duplicate.json()["error"]["fields"]

    zone = api.post("/customers", {"external_id": "TZ", "time_zone": "Mars/Olympus"})
    assert zone.status_code == 422
    assert "time_zone" in zone.json()["error"]["fields"]

    unknown_account = api.post("/customers", {"external_id": "AC", "account_id": 999999})
    assert unknown_account.status_code == 422
    assert "account_id" in unknown_account.json()["error"]["fields"]

    not_json = client.post(
        "/api/v1/customers", "{oops", content_type="application/json", headers=api.headers
    )
    assert not_json.status_code in (400, 422)
    assert "error" in not_json.json()
    assert Customer.objects.filter(external_id__in=["", "E", "TZ", "AC"]).count() == 0


def test_filters_and_cursor_pagination_over_several_pages(client):
    api = Api(client)
    for n in range(7):
        make_customer(external_id=f"P{n}", category="vip" if n % 2 else "regular")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, "category": "regular"}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/customers", **params).json()
        seen += [item["external_id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert seen == ["P0", "P2", "P4", "P6"]

    found = api.get("/customers", q="P3").json()["items"]
    assert [item["external_id"] for item in found] == ["P3"]

    assert api.get("/customers", limit=201).status_code == 422
    assert api.get("/customers", cursor="garbage!").status_code == 422


def test_roles(client):
    analyst = Api(client, Role.ANALYST)
    customer = make_customer(external_id="SEEN")
    assert analyst.get(f"/customers/{customer.pk}").status_code == 200
    refused = analyst.post("/customers", {"external_id": "NEW"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert analyst.patch(f"/customers/{customer.pk}", {"category": "x"}).status_code == 403
    assert analyst.delete(f"/customers/{customer.pk}").status_code == 403
    assert not Customer.objects.filter(external_id="NEW").exists()

    manager = make_user(role=Role.MANAGER)
    success = Api(client, Role.SUCCESS_MANAGER)
    theirs = make_customer(external_id="THEIRS", owner=manager)
    mine = make_customer(external_id="MINE", owner=success.user)
    assert success.get(f"/customers/{theirs.pk}").status_code == 404
    assert success.patch(f"/customers/{theirs.pk}", {"category": "x"}).status_code == 404
    assert success.delete(f"/customers/{theirs.pk}").status_code == 404
    assert success.get(f"/customers/{theirs.pk}/timeline").status_code == 404
    listed = [c["external_id"] for c in success.get("/customers", q="THEIRS").json()["items"]]
    assert listed == []
    assert [c["external_id"] for c in success.get("/customers").json()["items"]] == ["MINE"]
    assert success.patch(f"/customers/{mine.pk}", {"category": "x"}).status_code == 200

    created = success.post("/customers", {"external_id": "NEW-SM"})
    assert created.status_code == 201
    assert created.json()["owner_id"] == success.user.pk  # so they can still see it


def test_timeline(client):
    api = Api(client)
    customer = make_customer()
    for n in range(3):
        make_order(customer=customer, external_id=f"T{n}", amount=Decimal("5.00"))
    page = api.get(f"/customers/{customer.pk}/timeline", limit=2).json()
    assert len(page["items"]) == 2
    assert page["items"][0]["kind"] == "order"
    assert page["items"][0]["amount"] == "5.00"
    rest = api.get(f"/customers/{customer.pk}/timeline", cursor=page["next_cursor"]).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


def test_change_history_records_who_changed_which_fields(client):
    api = Api(client)
    created = api.post("/customers", {"external_id": "H-1", "first_name": "Jo"}).json()
    api.patch(f"/customers/{created['id']}", {"first_name": "Joanna", "category": "vip"})
    history = api.get(f"/customers/{created['id']}/history").json()
    assert [entry["action"] for entry in history] == ["update", "create"]
    update = history[0]
    assert update["actor"] == api.user.username
    assert update["changes"]["first_name"] == ["Jo", "Joanna"]
    assert update["changes"]["category"] == ["", "vip"]
    assert "revenue" not in update["changes"]

    outsider = Api(client, Role.SUCCESS_MANAGER)
    assert outsider.get(f"/customers/{created['id']}/history").status_code == 404
