"""/api/v1/rewards and /api/v1/coupons: every role against every operation (the role table of
these endpoints), a retried request with the same Idempotency-Key, refusals (409) and bad
input (422 naming the field)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.loyalty.models import EntryKind, LoyaltyBalance, PointsEntry
from tenure.loyalty.services import points_earn
from tenure.rewards.models import Coupon, CouponRedemption, Reward, RewardRedemption
from tenure.rewards.services import coupon_create, coupon_redeem, reward_create, reward_redeem
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]
# (name, method, path, kind): "everyone" reads, "curate" admins and managers, "read" a
# customer's record (a success manager their book's), "move" changes the customer.
OPERATIONS = [
    ("rewards", "get", "/rewards", "everyone"),
    ("reward-create", "post", "/rewards", "curate"),
    ("reward-redeem", "post", "/rewards/{reward}/redeem", "move"),
    ("reward-cancel", "post", "/reward-redemptions/{reward_redemption}/cancel", "move"),
    ("coupons", "get", "/coupons", "everyone"),
    ("coupon-create", "post", "/coupons", "curate"),
    ("coupon", "get", "/coupons/{coupon}", "read"),
    ("coupon-validate", "post", "/coupons/validate", "read"),
    ("coupon-redeem", "post", "/coupons/redeem", "move"),
    ("coupon-release", "post", "/coupon-redemptions/{coupon_redemption}/release", "move"),
]
PATHS = {
    "/rewards",
    "/rewards/{reward_id}/redeem",
    "/reward-redemptions/{redemption_id}/cancel",
    "/coupons",
    "/coupons/{coupon_id}",
    "/coupons/validate",
    "/coupons/redeem",
    "/coupon-redemptions/{redemption_id}/release",
}


def expected(role: Role, kind: str, method: str, whose: str) -> int:
    done = 200 if method == "get" or kind == "read" else 201
    if kind == "everyone":
        return done
    if kind == "curate":
        return done if role in (Role.ADMIN, Role.MANAGER) else 403
    if kind == "move" and role == Role.ANALYST:
        return 403
    return 404 if role == Role.SUCCESS_MANAGER and whose == "other" else done


TABLE = [
    (role, operation, whose)
    for role in ROLES
    for operation in OPERATIONS
    for whose in (("own", "other") if operation[3] in ("read", "move") else ("own",))
]


def _body(name: str, customer, coupon: Coupon) -> dict:
    if name == "reward-create":
        return {"name": "Free shipping", "points_cost": 100, "coupon_kind": "free_shipping"}
    if name == "reward-redeem":
        return {"customer_id": customer.pk, "key": "table"}
    if name == "coupon-create":
        return {"kind": "fixed", "value": "5.00", "code": "TABLE5"}
    if name in ("coupon-validate", "coupon-redeem"):
        return {"code": coupon.code.lower(), "customer_id": customer.pk, "order_amount": "40.00",
                "key": "table"}  # fmt: skip
    return {}


@pytest.mark.parametrize(
    "row", TABLE, ids=[f"{r}-{o[0]}-{w}-{expected(r, o[3], o[1], w)}" for r, o, w in TABLE]
)
def test_rewards_role_table(client, program_on, row):
    role, (name, method, path, kind), whose = row
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    customers = {
        "own": make_customer(owner=success_manager),
        "other": make_customer(owner=make_user(role=Role.SUCCESS_MANAGER)),
    }
    now = timezone.now()
    reward = reward_create(by=None, data={"name": "Ten off", "points_cost": 50,
                                          "coupon_kind": "fixed", "coupon_value": "10"},
                           now=now)  # fmt: skip
    seeded = {}
    for who, customer in customers.items():
        points_earn(by=None, customer_id=customer.pk, key="seed", now=now, points=500)
        bought, _ = reward_redeem(by=None, reward_id=reward.pk, customer_id=customer.pk,
                                  key="seed", now=now)  # fmt: skip
        coupon = coupon_create(by=None, data={"kind": "percent", "value": "10",
                                              "customer_id": customer.pk}, now=now)  # fmt: skip
        used, _ = coupon_redeem(by=None, code=coupon.code, customer_id=customer.pk, key=f"s-{who}",
                                now=now, order_amount=Decimal("30"))  # fmt: skip
        seeded[who] = {"coupon": coupon, "reward_redemption": bought, "coupon_redemption": used}
    target = customers[whose]
    records = seeded[whose]
    url = path.format(reward=reward.pk, coupon=records["coupon"].pk,
                      reward_redemption=records["reward_redemption"].pk,
                      coupon_redemption=records["coupon_redemption"].pk)  # fmt: skip
    counts = (RewardRedemption.objects.count(), CouponRedemption.objects.count(),
              Coupon.objects.count(), Reward.objects.count())  # fmt: skip
    if method == "get":
        response = caller.get(url)
    else:
        response = caller.post(url, _body(name, target, records["coupon"]))
    want = expected(role, kind, method, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        after = (RewardRedemption.objects.count(), CouponRedemption.objects.count(),
                 Coupon.objects.count(), Reward.objects.count())  # fmt: skip
        assert after == counts  # nothing written
    elif name == "coupons":
        codes = {c["code"] for c in response.json()["items"]}
        assert seeded["own"]["coupon"].code in codes
        assert (seeded["other"]["coupon"].code in codes) == (role != Role.SUCCESS_MANAGER)
    elif name == "coupon":
        assert [u["discount"] for u in response.json()["redemptions"]] == ["3.00"]
    elif name == "coupon-validate":
        assert response.json()["valid"] is True and response.json()["discount"] == "4.00"
    elif name == "coupon-redeem":
        assert response.json()["redemption"]["discount"] == "4.00"
    elif name == "reward-redeem":
        assert response.json()["balance"] == 400
    elif name == "reward-cancel":
        assert response.json()["balance"] == 500
    elif name == "coupon-release":
        assert response.json()["redemption"]["released_at"] is not None


def test_every_rewards_operation_is_in_the_table():
    from tenure.api.main import api

    documented = {p.removeprefix("/api/v1") for p in api.get_openapi_schema()["paths"]}
    ours = {p for p in documented if p.startswith(("/rewards", "/reward-", "/coupon"))}
    assert ours == PATHS


def test_a_retried_redeem_with_the_same_idempotency_key_has_no_second_effect(client, program_on):
    api = Api(client, role=Role.MANAGER)
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="seed", now=timezone.now(), points=100)
    reward = reward_create(by=None, data={"name": "Mug", "points_cost": 60, "kind": "other"},
                           now=timezone.now())  # fmt: skip
    url = f"/rewards/{reward.pk}/redeem"
    first = api.post(url, {"customer_id": customer.pk}, **{"Idempotency-Key": "k-1"})
    again = api.post(url, {"customer_id": customer.pk}, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    # Another token (the shop's second till) retrying the same key: the redemption's key holds.
    third = Api(client, role=Role.MANAGER).post(
        url, {"customer_id": customer.pk}, **{"Idempotency-Key": "k-1"}
    )
    assert third.status_code == 200 and third.json()["replayed"] is True
    assert third.json()["redemption"]["id"] == first.json()["redemption"]["id"]
    assert RewardRedemption.objects.count() == 1
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 40


def test_not_enough_points_is_409_and_nothing_is_written(client, program_on):
    api = Api(client, role=Role.MANAGER)
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="seed", now=timezone.now(), points=40)
    reward = reward_create(by=None, data={"name": "Big", "points_cost": 80, "coupon_kind": "fixed",
                                          "coupon_value": "20"}, now=timezone.now())  # fmt: skip
    entries = PointsEntry.objects.count()
    short = api.post(f"/rewards/{reward.pk}/redeem", {"customer_id": customer.pk, "key": "a"})
    assert short.status_code == 409
    assert short.json()["error"]["message"] == "balance 40, asked 80"
    assert PointsEntry.objects.count() == entries
    assert Coupon.objects.count() == RewardRedemption.objects.count() == 0


def test_a_used_coupon_is_409_in_words_and_bad_input_422_with_the_field(client):
    api = Api(client, role=Role.MANAGER)
    made = api.post("/coupons", {"kind": "percent", "value": "15", "code": "Once", "max_uses": 1})
    assert made.status_code == 201 and made.json()["code"] == "ONCE"
    body = {"code": "once", "customer_id": make_customer().pk, "order_amount": "20.00"}
    assert api.post("/coupons/redeem", {**body, "key": "a"}).status_code == 201
    used = api.post("/coupons/redeem", {**body, "customer_id": make_customer().pk, "key": "b"})
    assert used.status_code == 409
    assert used.json()["error"]["message"] == "this coupon has been used"
    no_key = api.post("/coupons/redeem", body)
    assert no_key.status_code == 422 and "key" in no_key.json()["error"]["fields"]
    percent = api.post("/coupons", {"kind": "percent", "value": "150"})
    assert percent.status_code == 422 and "value" in percent.json()["error"]["fields"]
    taken = api.post("/coupons", {"kind": "fixed", "value": "1", "code": "ONCE"})
    assert taken.status_code == 422 and "code" in taken.json()["error"]["fields"]
    unknown = api.post("/coupons/redeem", {**body, "code": "NOPE", "key": "c"})
    assert unknown.status_code == 422 and "code" in unknown.json()["error"]["fields"]
    checked = api.post("/coupons/validate", {**body, "order_amount": "5.00"})
    assert checked.status_code == 200
    assert checked.json()["valid"] is False and checked.json()["reason"] == "used_up"
