"""/api/v1/loyalty: every role against every operation (the role table of the loyalty
endpoints), a retried request with the same Idempotency-Key, a short balance, bad input."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tenure.loyalty.models import EntryKind, LoyaltyBalance, LoyaltyProgram, PointsEntry
from tenure.loyalty.services import points_earn, points_redeem
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]
# (name, method, path, body, kind): "read" every role (a success manager their book's),
# "move" the roles that change the customer, "adjust" admins and managers, "program" admins.
OPERATIONS = [
    ("points", "get", "/loyalty/customers/{customer}/points", None, "read"),
    ("earn", "post", "/loyalty/customers/{customer}/points/earn", {"points": 5, "key": "e"},
     "move"),
    ("redeem", "post", "/loyalty/customers/{customer}/points/redeem",
     {"points": 5, "key": "r"}, "move"),
    ("adjust", "post", "/loyalty/customers/{customer}/points/adjust",
     {"points": 5, "cause": "goodwill", "key": "a"}, "adjust"),
    ("cancel", "post", "/loyalty/redemptions/{redemption}/cancel", {}, "move"),
    ("program", "get", "/loyalty/program", None, "everyone"),
    ("program-put", "put", "/loyalty/program",
     {"enabled": True, "points_per_unit": "2", "rounding": "floor", "lot_lifetime_days": 30,
      "negative_floor": -100, "refund_window_days": 14}, "program"),
    ("program-analytics", "get", "/loyalty/program/analytics", None, "everyone"),
    ("point-value-put", "put", "/loyalty/program/point-value", {"point_value": "0.01"},
     "program"),
]  # fmt: skip
PATHS = {
    "/loyalty/customers/{customer_id}/points",
    "/loyalty/customers/{customer_id}/points/earn",
    "/loyalty/customers/{customer_id}/points/redeem",
    "/loyalty/customers/{customer_id}/points/adjust",
    "/loyalty/redemptions/{entry_id}/cancel",
    "/loyalty/program",
    "/loyalty/tiers",  # its role table: tests/loyalty/test_tiers_edges.py
    "/loyalty/challenges",  # its role table: tests/loyalty/test_challenges_api.py
    "/loyalty/challenges/{challenge_id}",
    "/loyalty/customers/{customer_id}/challenges",
    "/loyalty/program/analytics",  # program analytics: tests/loyalty/test_program.py too
    "/loyalty/program/point-value",
}


def expected(role: Role, operation: tuple, whose: str) -> int:
    _, method, _, _, kind = operation
    done = {"get": 200, "put": 200, "post": 201}[method]
    if kind == "everyone":
        return done
    if kind == "program":
        return done if role == Role.ADMIN else 403
    if kind == "read":
        return 404 if role == Role.SUCCESS_MANAGER and whose == "other" else done
    if role == Role.ANALYST:
        return 403
    if kind == "adjust" and role == Role.SUCCESS_MANAGER:
        return 403
    return 404 if role == Role.SUCCESS_MANAGER and whose == "other" else done


TABLE = [
    (role, operation, whose)
    for role in ROLES
    for operation in OPERATIONS
    for whose in (("own", "other") if operation[4] != "everyone" and operation[4] != "program"
                  else ("own",))
]  # fmt: skip


@pytest.mark.parametrize(
    "row", TABLE, ids=[f"{r}-{o[0]}-{w}-{expected(r, o, w)}" for r, o, w in TABLE]
)
def test_loyalty_role_table(client, program_on, row):
    role, operation, whose = row
    name, method, path, body, _ = operation
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    customers = {
        "own": make_customer(owner=success_manager),
        "other": make_customer(owner=make_user(role=Role.SUCCESS_MANAGER)),
    }
    now = timezone.now()
    redemptions = {}
    for who, customer in customers.items():
        points_earn(by=None, customer_id=customer.pk, key="seed", now=now, points=50)
        redemptions[who], _ = points_redeem(
            by=None, customer_id=customer.pk, points=10, key="seed", now=now
        )
    target = customers[whose]
    url = path.format(customer=target.pk, redemption=redemptions[whose].pk)
    before = PointsEntry.objects.count()
    if method == "put":
        response = client.put(f"/api/v1{url}", body, content_type="application/json",
                              headers=caller.headers)  # fmt: skip
    else:
        send = getattr(caller, method)
        response = send(url, body) if method == "post" else send(url)
    want = expected(role, operation, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        assert PointsEntry.objects.count() == before  # nothing moved
    elif name == "points":
        assert response.json()["balance"] == 40
    elif method == "post":
        assert PointsEntry.objects.count() == before + 1
    elif name == "program-put":
        assert LoyaltyProgram.objects.get().negative_floor == -100


def test_every_loyalty_operation_is_in_the_table():
    from tenure.api.main import api

    documented = {p.removeprefix("/api/v1") for p in api.get_openapi_schema()["paths"]}
    # The referrals' paths have their own role table (tests/referrals/test_api.py).
    ours = {
        p for p in documented if p.startswith("/loyalty") and not p.startswith("/loyalty/referrals")
    }
    assert ours == PATHS


def test_a_retried_request_with_the_same_idempotency_key_has_no_second_effect(client, program_on):
    api = Api(client, role=Role.MANAGER)
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="seed", now=timezone.now(), points=100)
    url = f"/loyalty/customers/{customer.pk}/points/redeem"
    first = api.post(url, {"points": 30}, **{"Idempotency-Key": "k-1"})
    again = api.post(url, {"points": 30}, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    # Another token (the shop's second till) retrying the same key: the ledger's key holds.
    other = Api(client, role=Role.MANAGER)
    third = other.post(url, {"points": 30}, **{"Idempotency-Key": "k-1"})
    assert third.status_code == 200
    assert third.json()["replayed"] is True
    assert third.json()["entry"]["id"] == first.json()["entry"]["id"]
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 70
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1


def test_a_short_balance_is_409_with_both_numbers_and_bad_input_422(client, program_on):
    api = Api(client, role=Role.MANAGER)
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="seed", now=timezone.now(), points=40)
    url = f"/loyalty/customers/{customer.pk}/points/redeem"
    short = api.post(url, {"points": 80, "key": "a"})
    assert short.status_code == 409
    assert short.json()["error"]["message"] == "balance 40, asked 80"
    no_key = api.post(url, {"points": 5})
    assert no_key.status_code == 422
    assert "key" in no_key.json()["error"]["fields"]
    zero = api.post(url, {"points": 0, "key": "b"})
    assert zero.status_code == 422
    assert "points" in zero.json()["error"]["fields"]
    cancel = api.post("/loyalty/redemptions/999999/cancel", {})
    assert cancel.status_code == 404


def test_the_points_read_back_with_lots_and_entries(client, program_on):
    api = Api(client, role=Role.ANALYST)
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="seed", now=timezone.now(), points=40)
    body = api.get(f"/loyalty/customers/{customer.pk}/points").json()
    assert body["balance"] == 40
    assert [(lot["points"], lot["remaining"]) for lot in body["lots"]] == [(40, 40)]
    assert body["lots"][0]["expires_at"] is not None
    assert [(e["kind"], e["points"]) for e in body["entries"]] == [("earn", 40)]
