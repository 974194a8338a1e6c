"""The rewards and coupons pages: the catalog (every role reads, admins and managers add and
edit), the coupons list with its uses over one's book, a coupon's page with its redemptions,
and the coupon form (a refused value on its field)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.rewards.models import Coupon, Reward
from tenure.rewards.services import coupon_create, coupon_redeem, reward_create
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def test_the_catalog_is_read_by_everyone_and_edited_by_admins_and_managers(client):
    reward = reward_create(by=None, data={"name": "Free coffee", "points_cost": 150,
                                          "kind": "other"}, now=timezone.now())  # fmt: skip
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get("/loyalty/rewards/")
    assert page.status_code == 200 and "Free coffee" in page.content.decode()
    assert "/loyalty/rewards/new/" not in page.content.decode()
    assert client.get("/loyalty/rewards/new/").status_code == 403
    client.force_login(make_user(role=Role.MANAGER))
    made = client.post("/loyalty/rewards/new/", {
        "name": "Ten off", "points_cost": "300", "active": "on", "kind": "coupon",
        "coupon_kind": "fixed", "coupon_value": "10", "coupon_valid_days": "30",
    })  # fmt: skip
    assert made.status_code == 302
    assert Reward.objects.get(name="Ten off").coupon_value == Decimal("10.00")
    edited = client.post(f"/loyalty/rewards/{reward.pk}/edit/", {
        "name": "Free coffee", "points_cost": "120", "kind": "other",
    })  # fmt: skip
    assert edited.status_code == 302
    reward.refresh_from_db()
    assert (reward.points_cost, reward.active) == (120, False)


def test_the_coupon_form_makes_a_coupon_and_refuses_on_the_field(client):
    client.force_login(make_user(role=Role.ADMIN))
    made = client.post("/loyalty/coupons/new/", {"code": "spring", "kind": "percent",
                                                 "value": "20", "max_uses": "100"})  # fmt: skip
    coupon = Coupon.objects.get(code="SPRING")
    assert made.status_code == 302 and made["Location"] == f"/loyalty/coupons/{coupon.pk}/"
    refused = client.post("/loyalty/coupons/new/", {"code": "other", "kind": "percent",
                                                    "value": "120"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.context["form"].errors["value"] == ["a percentage above 0, at most 100"]
    taken = client.post("/loyalty/coupons/new/", {"code": "Spring", "kind": "fixed", "value": "1"})
    assert taken.status_code == 422 and "code" in taken.context["form"].errors


def test_the_coupons_list_and_a_coupons_page_over_ones_book(client):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    own, other = make_customer(owner=mine), make_customer()
    now = timezone.now()
    shared = coupon_create(by=None, data={"code": "ALL", "kind": "fixed", "value": "5"}, now=now)
    theirs = coupon_create(by=None, data={"code": "THEIRS", "kind": "fixed", "value": "5",
                                          "customer_id": other.pk}, now=now)  # fmt: skip
    for customer, key in ((own, "a"), (other, "b")):
        coupon_redeem(by=None, code="ALL", customer_id=customer.pk, key=key, now=now,
                      order_amount=Decimal("12.00"))  # fmt: skip
    client.force_login(mine)
    listed = client.get("/loyalty/coupons/").content.decode()
    assert "ALL" in listed and "THEIRS" not in listed
    page = client.get(f"/loyalty/coupons/{shared.pk}/")
    assert [u.customer_id for u in page.context["detail"].redemptions] == [own.pk]
    assert client.get(f"/loyalty/coupons/{theirs.pk}/").status_code == 404
    client.force_login(make_user(role=Role.MANAGER))
    page = client.get(f"/loyalty/coupons/{shared.pk}/")
    assert len(page.context["detail"].redemptions) == 2
    assert "2 of" not in page.content.decode() and ">2<" in page.content.decode()


def test_the_customers_points_page_lists_their_own_coupons_only(client):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    own, other = make_customer(owner=mine), make_customer(owner=mine)
    now = timezone.now()
    coupon_create(by=None, data={"code": "ALL10", "kind": "percent", "value": "10"}, now=now)
    coupon_create(by=None, data={"code": "OWN10", "kind": "percent", "value": "10",
                                 "customer_id": own.pk}, now=now)  # fmt: skip
    coupon_create(by=None, data={"code": "OTHER5", "kind": "fixed", "value": "5",
                                 "customer_id": other.pk}, now=now)  # fmt: skip
    client.force_login(mine)
    page = client.get(f"/customers/{own.pk}/points/").content.decode()
    assert "OWN10" in page and "10 %" in page and "usable" in page
    assert "ALL10" not in page and "OTHER5" not in page
