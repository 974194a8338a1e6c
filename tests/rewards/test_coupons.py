"""Coupons against the real database: a redemption recorded with its discount and event, once
per key; codes unique whatever their case; refusals in words; the use released when its order
is voided in full; validation writes nothing; a person's export and erasure."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.events.models import Event
from tenure.orders.services import order_update
from tenure.privacy.services import person_erase, person_export
from tenure.rewards.models import Coupon, CouponRedemption
from tenure.rewards.selectors import coupon_validate, coupons_list
from tenure.rewards.services import CouponRefused, coupon_create, coupon_redeem, coupon_release
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db
D = Decimal


def redeem(code: str, customer, key: str, **more):
    more.setdefault("order_amount", D("80.00"))
    return coupon_redeem(by=None, code=code, customer_id=customer.pk, key=key,
                         now=timezone.now(), **more)  # fmt: skip


def test_a_redemption_records_the_discount_counts_the_use_and_announces_it(make_coupon):
    coupon = make_coupon(code="Summer10", value=D("12.5"), max_uses=3)
    customer = make_customer()
    redemption, new = redeem("summer10", customer, "till-1", order_amount=D("19.99"))
    assert new is True
    assert coupon.code == "SUMMER10"
    assert redemption.discount == D("2.50")  # 2.49875 -> 2.50
    assert Coupon.objects.get(pk=coupon.pk).uses == 1
    event = Event.objects.get(kind="coupon.redeemed")
    assert event.key == "coupon.redeemed:coupon:till-1"
    assert (event.customer_id, event.data["discount"]) == (customer.pk, "2.50")
    assert "SUMMER10" not in str(event.data)  # a code is a bearer secret


def test_a_retried_redeem_with_the_same_key_has_no_second_effect(make_coupon):
    make_coupon(code="ONCE", max_uses=1)
    customer = make_customer()
    first, new = redeem("ONCE", customer, "k-1")
    again, new_again = redeem("once", customer, "k-1")
    assert (new, new_again) == (True, False)
    assert again.pk == first.pk
    assert CouponRedemption.objects.count() == 1
    assert Coupon.objects.get(code="ONCE").uses == 1
    assert Event.objects.filter(kind="coupon.redeemed").count() == 1
    make_coupon(code="OTHER")
    with pytest.raises(ValidationError) as reused:
        redeem("OTHER", customer, "k-1")
    assert "key" in reused.value.message_dict


def test_a_single_use_coupon_used_once_is_refused_in_words(make_coupon):
    make_coupon(code="SINGLE", max_uses=1)
    redeem("SINGLE", make_customer(), "a")
    with pytest.raises(CouponRefused) as refused:
        redeem("SINGLE", make_customer(), "b")
    assert str(refused.value) == "this coupon has been used"
    assert CouponRedemption.objects.count() == 1


def test_codes_are_unique_whatever_their_case_and_drawn_when_not_given(make_coupon):
    make_coupon(code="welcome")
    with pytest.raises(ValidationError) as taken:
        make_coupon(code="WELCOME")
    assert "already taken" in taken.value.message_dict["code"][0]
    drawn = coupon_create(by=None, data={"kind": "fixed", "value": D("5")},
                          now=timezone.now(), draw=random.Random(3))  # fmt: skip
    assert len(drawn.code) == 14 and drawn.code == drawn.code.upper()
    with pytest.raises(ValidationError) as bad:
        make_coupon(kind="percent", value=D("120"))
    assert "value" in bad.value.message_dict


def test_the_minimum_order_the_per_customer_limit_and_the_expiry(make_coupon):
    make_coupon(code="MIN50", kind="fixed", value=D("10"), min_order=D("50"),
                per_customer_limit=1)  # fmt: skip
    customer = make_customer()
    with pytest.raises(CouponRefused) as low:
        redeem("MIN50", customer, "a", order_amount=D("49.99"))
    assert str(low.value) == "minimum order 50.00 not reached (this order: 49.99)"
    redeem("MIN50", customer, "b", order_amount=D("50.00"))
    with pytest.raises(CouponRefused) as again:
        redeem("MIN50", customer, "c", order_amount=D("60.00"))
    assert "the limit is 1 per customer" in str(again.value)
    now = timezone.now()
    make_coupon(code="OLD", valid_from=now - timedelta(days=9), expires_at=now - timedelta(days=1))
    with pytest.raises(CouponRefused) as old:
        redeem("OLD", customer, "d")
    assert str(old.value).startswith("expired since ")


def test_an_order_refunded_in_full_releases_its_use_a_partial_refund_keeps_it(make_coupon, follow):
    make_coupon(code="BACK", max_uses=1)
    customer = make_customer()
    order = make_order(customer=customer, amount=D("80.00"))
    redemption, _ = redeem("BACK", customer, "k", order_id=order.pk, order_amount=None)
    assert redemption.order_amount == D("80.00") and redemption.discount == D("8.00")
    follow()
    order_update(by=None, order_id=order.pk, changes={"amount": D("60.00")})  # partial refund
    follow()
    assert Coupon.objects.get(code="BACK").uses == 1
    order_update(by=None, order_id=order.pk, changes={"status": "refunded"})
    follow()
    follow()  # a second delivery releases nothing twice
    released = CouponRedemption.objects.get(pk=redemption.pk)
    assert released.released_at is not None
    assert released.release_cause == f"order {order.pk} refunded"
    assert Coupon.objects.get(code="BACK").uses == 0
    assert Event.objects.filter(kind="coupon.released").count() == 1
    again, new = redeem("BACK", make_customer(), "k-2")  # the use is free again
    assert new and again.pk != redemption.pk


def test_the_shop_releases_a_use_once(make_coupon):
    make_coupon(code="TILL", max_uses=1)
    redemption, _ = redeem("TILL", make_customer(), "k")
    _, new = coupon_release(by=None, redemption_id=redemption.pk, now=timezone.now())
    _, new_again = coupon_release(by=None, redemption_id=redemption.pk, now=timezone.now())
    assert (new, new_again) == (True, False)
    assert Coupon.objects.get(code="TILL").uses == 0


def test_an_order_of_another_customer_or_not_completed_is_refused(make_coupon):
    make_coupon(code="ORD")
    customer = make_customer()
    theirs = make_order(customer=make_customer())
    with pytest.raises(ValidationError) as other:
        redeem("ORD", customer, "a", order_id=theirs.pk, order_amount=None)
    assert "order_id" in other.value.message_dict
    refunded = make_order(customer=customer, status="refunded")
    with pytest.raises(ValidationError) as voided:
        redeem("ORD", customer, "b", order_id=refunded.pk, order_amount=None)
    assert voided.value.message_dict["order_id"] == [f"order {refunded.pk} is refunded"]


def test_validate_says_the_discount_or_the_reason_and_writes_nothing(make_coupon):
    make_coupon(code="CHECK", kind="fixed", value=D("20"), max_uses=1)
    customer = make_customer()
    now = timezone.now()
    ok = coupon_validate(by=None, code="check", customer_id=customer.pk, now=now,
                         order_amount=D("15.00"))  # fmt: skip
    assert (ok.valid, ok.discount) == (True, D("15.00"))  # capped at the order
    assert CouponRedemption.objects.count() == 0
    assert Coupon.objects.get(code="CHECK").uses == 0
    redeem("CHECK", customer, "k")
    used = coupon_validate(by=None, code="CHECK", customer_id=customer.pk, now=now,
                           order_amount=D("15.00"))  # fmt: skip
    assert (used.valid, used.reason, used.message) == (
        False,
        "used_up",
        "this coupon has been used",
    )
    unknown = coupon_validate(by=None, code="NOPE", customer_id=customer.pk, now=now,
                              order_amount=D("1"))  # fmt: skip
    assert (unknown.valid, unknown.reason) == (False, "unknown")


def test_roles_analyst_403_and_another_success_managers_customer_404(make_coupon):
    make_coupon(code="ROLE")
    manager = make_user(role=Role.SUCCESS_MANAGER)
    mine, theirs = make_customer(owner=manager), make_customer(owner=make_user(role="admin"))
    with pytest.raises(AccessDenied):
        coupon_redeem(by=make_user(role=Role.ANALYST), code="ROLE", customer_id=mine.pk,
                      key="a", now=timezone.now(), order_amount=D("10"))  # fmt: skip
    with pytest.raises(Http404):
        coupon_redeem(by=manager, code="ROLE", customer_id=theirs.pk, key="b",
                      now=timezone.now(), order_amount=D("10"))  # fmt: skip
    with pytest.raises(AccessDenied):
        coupon_create(by=manager, data={"kind": "percent", "value": D("5")}, now=timezone.now())
    redemption, _ = coupon_redeem(by=manager, code="ROLE", customer_id=mine.pk, key="c",
                                  now=timezone.now(), order_amount=D("10"))  # fmt: skip
    assert redemption.by == manager
    # A success manager sees the coupons of anyone and their book's, not another's customer's.
    make_coupon(code="THEIRS", customer_id=theirs.pk)
    make_coupon(code="MINE", customer_id=mine.pk)
    assert {c.code for c in coupons_list(user=manager)} == {"ROLE", "MINE"}


def test_a_persons_export_lists_their_coupons_and_erasure_voids_the_unused(make_coupon):
    customer = make_customer()
    make_coupon(code="PERSONAL", customer_id=customer.pk, max_uses=2)
    redeem("PERSONAL", customer, "k")
    make_coupon(code="UNUSED", customer_id=customer.pk)
    exported = person_export(customer_id=customer.pk)
    assert {c["code"] for c in exported["coupons"]} == {"PERSONAL", "UNUSED"}
    assert [u["discount"] for u in exported["coupon_redemptions"]] == ["8.00"]
    person_erase(customer_id=customer.pk)
    assert Coupon.objects.get(code="UNUSED").active is False
    assert Coupon.objects.get(code="PERSONAL").active is True  # used: kept as it was
