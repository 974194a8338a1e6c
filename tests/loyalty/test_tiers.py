"""Loyalty tiers in the database: a frozen clock across two year boundaries (upgrade at once,
kept through the next year, dropped at the review), a redelivered event changing nothing
twice, the tier's multiplier on an order's earn and its exact reversal, spend over a rolling
window, the settings' checks and history, the fact, and the nightly step."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.domain.errors import Conflict
from tenure.events.consumers import Consumer, consumer_drain
from tenure.events.models import ConsumerPosition, Event
from tenure.facts import FactRequest
from tenure.facts.chunks import chunks
from tenure.jobs.registry import run_kind
from tenure.loyalty.facts import TIER_PROVIDER
from tenure.loyalty.following import TIERS, tiers_follow
from tenure.loyalty.models import CustomerTier, EntryKind, LoyaltyTier, PointsEntry, TierChange
from tenure.loyalty.services import points_earn
from tenure.loyalty.tiers import customers_tiers_evaluate, tiers_review, tiers_update
from tenure.orders.services import order_create, order_update
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db

GOLD_BENEFITS = [
    {"name": "Free shipping", "description": "on every order"},
    {"name": "Priority support", "description": ""},
]


def define(basis: str = "points", period: str = "calendar_year", window_days: int = 365):
    return tiers_update(
        by=None, basis=basis, period=period, window_days=window_days,
        tiers=[
            {"name": "Silver", "threshold": "500", "multiplier": "1.25", "benefits": []},
            {"name": "Gold", "threshold": "1000", "multiplier": "1.5", "benefits": GOLD_BENEFITS},
        ],
    )  # fmt: skip


def follow_tiers(now: datetime) -> int:
    """The ``loyalty.tiers`` consumer's drain (its stored position), on a frozen clock."""
    frozen = Consumer(TIERS.name, functools.partial(tiers_follow, now=now), kinds=TIERS.kinds,
                      batch=TIERS.batch)  # fmt: skip
    return consumer_drain(frozen)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.get_default_timezone())


def tier_of(customer) -> str | None:
    row = CustomerTier.objects.filter(pk=customer.pk).select_related("tier").first()
    return row.tier.name if row and row.tier else None


def tier_events(customer) -> list[dict]:
    rows = Event.objects.filter(kind="loyalty.tier_changed", customer_id=customer.pk)
    return [row.data for row in rows.order_by("id")]


def test_frozen_clock_across_the_year_boundaries_upgrade_at_once_drop_at_the_review(program_on):
    define()
    customer = make_customer()
    dec20 = local(2026, 12, 20, 15)
    points_earn(by=None, customer_id=customer.pk, key="pos-1", now=dec20, points=1200)
    follow_tiers(dec20 + timedelta(minutes=1))
    assert tier_of(customer) == "Gold"  # at once, from the earn's event
    (up,) = tier_events(customer)
    assert (up["from"], up["to"], up["direction"]) == (None, "Gold", "up")
    assert up["reason"] == "qualified for Gold: 1,200 points earned in 2026 (threshold 1,000)"
    state = CustomerTier.objects.get(pk=customer.pk)
    assert state.may_drop_at == local(2028, 1, 1)  # qualified in 2026, held through 2027

    # Dec 31, Jan 1 (the review keeps what 2026 earned), Dec 31 of the next year: still Gold.
    for now in (local(2026, 12, 31, 23), local(2027, 1, 1, 3), local(2027, 12, 31, 23)):
        tiers_review(now=now)
        assert tier_of(customer) == "Gold", now
    assert CustomerTier.objects.get(pk=customer.pk).reviewed_from == local(2027, 1, 1)
    assert len(tier_events(customer)) == 1

    done = tiers_review(now=local(2028, 1, 1, 3))  # the boundary run: nothing earned in 2027
    assert done == {"customers": 1, "up": 0, "down": 1}
    assert tier_of(customer) is None
    change = TierChange.objects.filter(customer=customer).order_by("seq").last()
    assert (change.seq, change.from_name, change.to_name, change.direction) == (
        2, "Gold", "", "down"
    )  # fmt: skip
    assert change.at == local(2028, 1, 1, 3)
    assert change.reason.startswith("the 2028 review: 0 points earned in 2027")
    down = tier_events(customer)[-1]
    assert (down["from"], down["to"], down["direction"]) == ("Gold", None, "down")
    assert down["reason"] == change.reason
    assert tiers_review(now=local(2028, 1, 2, 3)) == {"customers": 0, "up": 0, "down": 0}


def test_a_redelivered_event_changes_the_tier_once_and_announces_once(program_on):
    define()
    customer = make_customer()
    now = timezone.now()
    points_earn(by=None, customer_id=customer.pk, key="big", now=now, points=700)
    for _ in range(3):  # the same events delivered three times
        ConsumerPosition.objects.filter(name=TIERS.name).update(tx=0, event_id=0)
        follow_tiers(now)
    assert tier_of(customer) == "Silver"
    assert TierChange.objects.filter(customer=customer).count() == 1
    assert len(tier_events(customer)) == 1
    customers_tiers_evaluate(customer_ids=[customer.pk], now=now)  # evaluated again
    assert TierChange.objects.filter(customer=customer).count() == 1
    assert CustomerTier.objects.get(pk=customer.pk).changes == 1


def test_a_gold_customers_order_earns_at_the_multiplier_and_a_refund_reverses_exactly(
    program_on, follow
):
    define()
    customer = make_customer()
    now = timezone.now()
    points_earn(by=None, customer_id=customer.pk, key="seed", now=now, points=1000)
    follow_tiers(now)
    assert tier_of(customer) == "Gold"
    order = order_create(external_id="T-1", customer_id=customer.pk, amount=Decimal("101.00"),
                         placed_at=now - timedelta(hours=1), currency="USD")  # fmt: skip
    follow()
    earn = PointsEntry.objects.get(order=order, kind=EntryKind.EARN)
    assert (earn.points, earn.multiplier) == (151, Decimal("1.500"))  # floor(101 x 1.5)
    assert "x1.5 tier" in earn.cause
    # Gold lost meanwhile (by a review): the refund still reverses what was earned, 151.
    CustomerTier.objects.filter(pk=customer.pk).update(tier=None)
    order_update(order_id=order.pk, changes={"status": "refunded"})
    follow()
    reversal = PointsEntry.objects.get(order=order, kind=EntryKind.REVERSE)
    assert reversal.points == -151


def test_an_ordinary_customer_earns_at_one(program_on, follow):
    define()
    customer = make_customer()
    order_create(external_id="T-2", customer_id=customer.pk, amount=Decimal("101.00"),
                 placed_at=timezone.now() - timedelta(hours=1), currency="USD")  # fmt: skip
    follow()
    earn = PointsEntry.objects.get(customer=customer, kind=EntryKind.EARN)
    assert (earn.points, earn.multiplier, earn.cause) == (
        101,
        Decimal("1.000"),
        f"order {earn.order_id}",
    )


def test_spend_over_a_rolling_window_net_of_refunds_drops_at_the_next_days_review(program_on):
    define(basis="spend", period="rolling", window_days=30)
    customer = make_customer()
    now = local(2026, 6, 10, 12)  # a frozen clock: noon, reviews later the same day and the next
    order = order_create(external_id="S-1", customer_id=customer.pk, amount=Decimal("620.00"),
                         placed_at=now - timedelta(days=1), currency="USD")  # fmt: skip
    follow_tiers(now)
    assert tier_of(customer) == "Silver"
    assert tier_events(customer)[0]["reason"] == (
        "qualified for Silver: spent 620.00 in the last 30 days (threshold 500)"
    )
    order_update(order_id=order.pk, changes={"status": "refunded"})
    follow_tiers(now + timedelta(minutes=5))
    tiers_review(now=now + timedelta(minutes=10))
    assert tier_of(customer) == "Silver"  # the same day: no review yet
    tiers_review(now=now + timedelta(days=1))
    assert tier_of(customer) is None
    assert tier_events(customer)[-1]["reason"].startswith("the 30-day window moved: spent 0.00")


def test_settings_are_checked_each_refusal_on_its_field_and_tracked(program_on):
    with pytest.raises(ValidationError) as rising:
        falling = [{"name": "Gold", "threshold": "1000"}, {"name": "Silver", "threshold": "500"}]
        tiers_update(by=None, basis="points", period="lifetime", window_days=365, tiers=falling)
    assert "tiers[1].threshold" in rising.value.message_dict
    with pytest.raises(ValidationError) as benefit:
        nameless = [{"name": "Gold", "threshold": "10", "benefits": [{"name": ""}]}]
        tiers_update(by=None, basis="points", period="lifetime", window_days=365, tiers=nameless)
    assert "tiers[0].benefits[0].name" in benefit.value.message_dict
    with pytest.raises(ValidationError) as basis:
        tiers_update(by=None, basis="balance", period="lifetime", window_days=365, tiers=[])
    assert "basis" in basis.value.message_dict
    silver, gold = define()
    assert [t.benefits for t in (silver, gold)] == [[], GOLD_BENEFITS]
    assert LogEntry.objects.get_for_object(gold).exists()  # the tiers' history
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="k", now=timezone.now(), points=600)
    follow_tiers(timezone.now())
    with pytest.raises(Conflict, match="Silver is held by 1 customers"):
        tiers_update(by=None, basis="points", period="lifetime", window_days=365, tiers=[
            {"id": gold.pk, "name": "Gold", "threshold": "1000"}])  # fmt: skip
    # Renamed and re-ranked by id: the holders keep their tier row.
    tiers_update(by=None, basis="points", period="lifetime", window_days=365, tiers=[
        {"id": silver.pk, "name": "Argent", "threshold": "400"},
        {"id": gold.pk, "name": "Or", "threshold": "900", "multiplier": "2"}])  # fmt: skip
    assert tier_of(customer) == "Argent"
    assert list(LoyaltyTier.objects.values_list("rank", "name")) == [(1, "Argent"), (2, "Or")]


def test_only_admins_change_the_tiers():
    for role in (Role.ANALYST, Role.SUCCESS_MANAGER, Role.MANAGER):
        with pytest.raises(AccessDenied):
            tiers_update(by=make_user(role=role), basis="points", period="lifetime",
                         window_days=365, tiers=[])  # fmt: skip
    assert tiers_update(by=make_user(role=Role.ADMIN), basis="points", period="lifetime",
                        window_days=365, tiers=[]) == []  # fmt: skip


def test_the_fact_is_the_tiers_name_and_the_nightly_step_is_registered(program_on):
    define()
    gold, nobody = make_customer(), make_customer()
    points_earn(by=None, customer_id=gold.pk, key="k", now=timezone.now(), points=1500)
    follow_tiers(timezone.now())
    ids = np.array(sorted([gold.pk, nobody.pk]), dtype=np.int64)
    facts = TIER_PROVIDER.compute(
        FactRequest(next(chunks(ids)), ids, timezone.now(), frozenset({"loyalty_tier"}))
    )
    assert facts["loyalty_tier"].tolist() == ["Gold" if pk == gold.pk else None for pk in ids]
    assert run_kind("loyalty.tiers").nightly is not None
