"""Rewards bought with points against the real database: the points redeemed through the
loyalty ledger with a source key from the request's key, the coupon issued, all in one
transaction and once per key; not enough points writes nothing; a cancel restores the lots
and voids the unused coupon; stock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.domain.errors import Conflict
from tenure.events.models import Event
from tenure.loyalty.models import EntryKind, LoyaltyBalance, PointsEntry, PointsLot
from tenure.loyalty.services import PointsRefused
from tenure.rewards.models import Coupon, Reward, RewardRedemption
from tenure.rewards.services import (
    coupon_redeem,
    reward_create,
    reward_redeem,
    reward_redemption_cancel,
    reward_update,
)
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
D = Decimal


def a_reward(**data) -> Reward:
    data.setdefault("name", "Ten percent off")
    data.setdefault("points_cost", 300)
    data.setdefault("coupon_kind", "percent")
    data.setdefault("coupon_value", D("10"))
    data.setdefault("coupon_valid_days", 30)
    return reward_create(by=None, data=data, now=timezone.now())


def buy(reward, customer, key="k-1"):
    return reward_redeem(by=None, reward_id=reward.pk, customer_id=customer.pk, key=key,
                         now=timezone.now())  # fmt: skip


def balance(customer) -> int:
    return LoyaltyBalance.objects.get(pk=customer.pk).balance


def test_a_reward_spends_the_points_and_issues_a_single_use_coupon_of_the_customer(earn):
    reward = a_reward()
    customer = make_customer()
    earn(customer, 500)
    before = timezone.now()
    redemption, new = buy(reward, customer)
    assert new and balance(customer) == 200
    entry = redemption.points_entry
    assert (entry.kind, entry.points, entry.cause) == ("redeem", -300, "reward: Ten percent off")
    assert entry.source_key == f"redeem:{customer.pk}:reward:{customer.pk}:k-1"
    coupon = redemption.coupon
    assert (coupon.kind, coupon.value, coupon.max_uses, coupon.customer_id) == (
        "percent",
        D("10.00"),
        1,
        customer.pk,
    )
    assert before + timedelta(days=30) <= coupon.expires_at <= timezone.now() + timedelta(days=30)
    event = Event.objects.get(kind="reward.redeemed")
    assert event.data == {"reward_id": reward.pk, "points": 300, "coupon_id": coupon.pk}
    used, _ = coupon_redeem(by=None, code=coupon.code.lower(), customer_id=customer.pk,
                            key="order-1", now=timezone.now(), order_amount=D("45.00"))  # fmt: skip
    assert used.discount == D("4.50")


def test_a_retried_redeem_with_the_same_key_is_one_redemption_and_one_points_entry(earn):
    reward = a_reward()
    customer = make_customer()
    earn(customer, 1000)
    first, _ = buy(reward, customer, "same")
    again, new = buy(reward, customer, "same")
    assert (again.pk, new) == (first.pk, False)
    assert RewardRedemption.objects.count() == 1
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    assert Coupon.objects.count() == 1
    assert balance(customer) == 700
    with pytest.raises(ValidationError):  # the key names another reward's redemption
        buy(a_reward(name="Other"), customer, "same")


def test_not_enough_points_is_refused_and_nothing_is_written(earn):
    reward = a_reward(stock=5)
    customer = make_customer()
    earn(customer, 250)
    counts = (PointsEntry.objects.count(), Event.objects.count())
    with pytest.raises(PointsRefused) as refused:
        buy(reward, customer)
    assert str(refused.value) == "balance 250, asked 300"
    assert isinstance(refused.value, Conflict)
    assert (PointsEntry.objects.count(), Event.objects.count()) == counts
    assert Coupon.objects.count() == RewardRedemption.objects.count() == 0
    assert Reward.objects.get(pk=reward.pk).stock == 5
    assert balance(customer) == 250


def test_a_cancel_restores_the_lots_voids_the_coupon_and_the_stock_once(earn):
    reward = a_reward(stock=2)
    customer = make_customer()
    earn(customer, 500)
    redemption, _ = buy(reward, customer)
    assert Reward.objects.get(pk=reward.pk).stock == 1
    cancelled, new = reward_redemption_cancel(by=None, redemption_id=redemption.pk,
                                              now=timezone.now())  # fmt: skip
    assert new and cancelled.cancelled_at is not None
    assert balance(customer) == 500
    assert list(PointsLot.objects.values_list("remaining", flat=True)) == [500]
    coupon = Coupon.objects.get(pk=redemption.coupon_id)
    assert coupon.active is False and coupon.voided_at is not None
    assert Reward.objects.get(pk=reward.pk).stock == 2
    _, again = reward_redemption_cancel(by=None, redemption_id=redemption.pk, now=timezone.now())
    assert again is False
    assert balance(customer) == 500
    assert Event.objects.filter(kind="reward.cancelled").count() == 1


def test_a_cancel_is_refused_while_the_coupon_is_used(earn):
    customer = make_customer()
    earn(customer, 500)
    redemption, _ = buy(a_reward(), customer)
    coupon_redeem(by=None, code=redemption.coupon.code, customer_id=customer.pk, key="o",
                  now=timezone.now(), order_amount=D("20"))  # fmt: skip
    with pytest.raises(Conflict) as refused:
        reward_redemption_cancel(by=None, redemption_id=redemption.pk, now=timezone.now())
    assert str(refused.value) == "its coupon was used on an order: release that use first"
    assert balance(customer) == 200


def test_stock_runs_out_and_an_inactive_reward_is_not_offered(earn):
    reward = a_reward(stock=1, kind="other", name="Tote bag", coupon_kind="", coupon_value=None)
    first, second = make_customer(), make_customer()
    earn(first, 400)
    earn(second, 400)
    redemption, _ = buy(reward, first)
    assert redemption.coupon is None  # a thing handed over, no coupon
    with pytest.raises(Conflict) as out:
        buy(reward, second)
    assert str(out.value) == "the reward 'Tote bag' is out of stock"
    reward_update(by=None, reward_id=reward.pk, changes={"stock": 10, "active": False})
    with pytest.raises(Conflict) as off:
        buy(reward, second)
    assert "not offered" in str(off.value)
    assert balance(second) == 400


def test_reward_terms_are_checked_with_their_field():
    with pytest.raises(ValidationError) as no_kind:
        a_reward(coupon_kind="")
    assert "coupon_kind" in no_kind.value.message_dict
    with pytest.raises(ValidationError) as too_much:
        a_reward(coupon_value=D("150"))
    assert "coupon_value" in too_much.value.message_dict
    a_reward(name="Gift")
    with pytest.raises(ValidationError) as taken:
        a_reward(name="gift")
    assert "name" in taken.value.message_dict
