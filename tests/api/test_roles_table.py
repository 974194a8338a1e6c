"""Every role against every API operation: a generated table of role x endpoint x outcome.

Each resource has a record owned by the success manager ("own") and one owned by another
success manager ("other"). The expected status follows from the role policy alone:
admins and managers may do everything; analysts read everything and change nothing (403);
success managers reach their own book and find nothing else (404, never revealing a record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tenure.api.main import api as ninja_api
from tenure.customers.models import Contact, Subscription
from tenure.interactions.models import Interaction
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_account, make_customer, make_order, make_user

ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]


@dataclass(frozen=True)
class Resource:
    path: str
    make: Callable[[Any], Any]  # owner -> a record in that owner's book
    create_body: Callable[[Any], dict]  # a record of the caller's book -> body of a new one
    patch_body: dict


def _customer(owner):
    return make_customer(owner=owner)


def _account(owner):
    return make_account(owner=owner)


def _contact(owner):
    return Contact.objects.create(account=make_account(owner=owner), first_name="C")


def _subscription(owner):
    return Subscription.objects.create(
        customer=make_customer(owner=owner),
        plan="Pro",
        amount=Decimal("9.00"),
        currency="USD",
        interval="month",
        started_at=T0,
    )


def _order(owner):
    return make_order(customer=make_customer(owner=owner))


RESOURCES = {
    "customers": Resource(
        "/customers", _customer, lambda own: {"external_id": f"NEW-{own.pk}"}, {"segment": "vip"}
    ),
    "accounts": Resource(
        "/accounts", _account, lambda own: {"name": f"New {own.pk}"}, {"industry": "retail"}
    ),
    "contacts": Resource(
        "/contacts",
        _contact,
        lambda own: {"account_id": own.account_id, "first_name": "New"},
        {"title": "CTO"},
    ),
    "subscriptions": Resource(
        "/subscriptions",
        _subscription,
        lambda own: {
            "customer_id": own.customer_id,
            "plan": "Max",
            "amount": "19.00",
            "currency": "USD",
            "interval": "year",
            "started_at": "2025-02-01T00:00:00Z",
        },
        {"plan": "Team"},
    ),
}
RESOURCES["orders"] = Resource(
    "/orders",
    _order,
    lambda own: {
        "external_id": f"NEW-O-{own.pk}",
        "customer_id": own.customer_id,
        "placed_at": "2025-03-01T10:00:00Z",
        "amount": "10.00",
        "currency": "USD",
    },
    {"status": "refunded"},
)


def _interaction(owner):
    return Interaction.objects.create(
        customer=make_customer(owner=owner),
        kind="complaint",
        status="open",
        occurred_at=T0,
        body="late delivery",
    )


RESOURCES["interactions"] = Resource(
    "/interactions",
    _interaction,
    lambda own: {
        "customer_id": own.customer_id,
        "kind": "call",
        "occurred_at": "2025-03-01T10:00:00Z",
        "body": "checked in",
    },
    {"status": "resolved", "resolution": "refunded the shipping"},
)
# Extra read-only views of one record, answered like reading the record itself.
RECORD_VIEWS = {"customers": ["", "/history", "/timeline"]}


def expected(role: Role, operation: str, whose: str) -> int:
    reads = {"list": 200, "read": 200}
    if role in (Role.ADMIN, Role.MANAGER):
        return {**reads, "create": 201, "update": 200, "delete": 204}[operation]
    if role == Role.ANALYST:
        return reads.get(operation, 403)
    # success manager
    if operation in ("list", "create"):
        return {"list": 200, "create": 201}[operation]
    if whose == "other":
        return 404
    return {"read": 200, "update": 200, "delete": 204}[operation]


def _table() -> list[tuple[Role, str, str, str, str]]:
    rows = []
    for role in ROLES:
        for name in RESOURCES:
            rows.append((role, name, "list", "", "own"))
            rows.append((role, name, "create", "", "own"))
            for whose in ("own", "other"):
                for view in RECORD_VIEWS.get(name, ["", "/history"]):
                    rows.append((role, name, "read", view, whose))
                rows.append((role, name, "update", "", whose))
                rows.append((role, name, "delete", "", whose))
    return rows


TABLE = _table()


def _id(row: tuple) -> str:
    role, name, operation, view, whose = row
    return f"{role}-{operation}-{name}{view}-{whose}-{expected(role, operation, whose)}"


@pytest.mark.django_db
@pytest.mark.parametrize("row", TABLE, ids=[_id(row) for row in TABLE])
def test_role_table(client, row):
    role, name, operation, view, whose = row
    resource = RESOURCES[name]
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    own = resource.make(success_manager)
    theirs = resource.make(other)
    target = own if whose == "own" else theirs
    detail = f"{resource.path}/{target.pk}"

    if operation == "list":
        response = caller.get(resource.path)
    elif operation == "create":
        response = caller.post(resource.path, resource.create_body(own))
    elif operation == "read":
        response = caller.get(detail + view)
    elif operation == "update":
        response = caller.patch(detail, resource.patch_body)
    else:
        response = caller.delete(detail)

    want = expected(role, operation, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        assert type(target).objects.filter(pk=target.pk).exists()  # nothing was changed
    if operation == "list":
        ids = {item["id"] for item in response.json()["items"]}
        assert own.pk in ids
        assert (theirs.pk in ids) == (role != Role.SUCCESS_MANAGER)


def test_every_api_operation_is_in_the_table():
    """A new endpoint must be added to the table above (or here, with a reason)."""
    covered = {"/api/v1/me"}  # reads the caller only: every role, 200 (test_auth_and_errors)
    for resource in RESOURCES.values():
        covered.add(f"/api/v1{resource.path}")
        covered.add(f"/api/v1{resource.path}/{{record_id}}")
        covered.add(f"/api/v1{resource.path}/{{record_id}}/history")
    covered.add("/api/v1/customers/{customer_id}/timeline")
    # Bulk ingestion applies order_create/order_update to each item: the orders rows above hold.
    covered.add("/api/v1/orders/bulk")
    documented = set(ninja_api.get_openapi_schema()["paths"])
    assert documented - covered == set()
