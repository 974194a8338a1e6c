"""Loyalty challenges against the database: three orders in 60 days award the bonus exactly
once even when the orders' events are delivered twice; a refund before completion lowers the
progress, after it the bonus is kept; a new product line; nothing while the program is off,
then the nightly step catches up; who may make and change a challenge."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.domain.errors import Conflict
from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition, Event
from tenure.jobs.chain import nightly_steps
from tenure.loyalty.challenges import (
    FOLLOWER,
    challenge_create,
    challenge_deactivate,
    challenge_update,
    challenges_evaluate_all,
    challenges_follow,
    challenges_of,
)
from tenure.loyalty.models import ChallengeProgress, EntryKind, LoyaltyBalance, PointsEntry
from tenure.loyalty.services import program_update
from tenure.orders.models import OrderLine, OrderStatus
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def three_in_60(now, **more):
    data = {"name": "Three in 60", "kind": "orders_count", "target_count": 3,
            "window_days": 60, "bonus_points": 250, "starts_at": now - timedelta(days=100),
            **more}  # fmt: skip
    return challenge_create(by=make_user(role=Role.MANAGER), data=data, now=now)


def follow() -> int:
    return consumer_drain(FOLLOWER)


def bonuses(customer) -> list[int]:
    rows = PointsEntry.objects.filter(customer=customer, source_key__contains=":challenge:")
    return list(rows.values_list("points", flat=True))


def progress_of(customer, challenge) -> ChallengeProgress:
    return ChallengeProgress.objects.get(customer=customer, challenge=challenge)


def test_three_orders_in_60_days_award_once_even_delivered_twice(program_on):
    now = timezone.now()
    challenge = three_in_60(now)
    customer = make_customer()
    for days_ago in (50, 30):
        make_order(customer=customer, placed_at=now - timedelta(days=days_ago))
    follow()
    row = progress_of(customer, challenge)
    assert (row.progress, row.target, row.completed_at) == (2, 3, None)
    assert row.window_end == now - timedelta(days=50) + timedelta(days=60)
    third = make_order(customer=customer, placed_at=now - timedelta(days=10))
    follow()
    row.refresh_from_db()
    assert (row.progress, row.completed_at) == (3, third.placed_at)
    assert bonuses(customer) == [250]
    assert row.entry.source_key == f"earn:{customer.pk}:challenge:{challenge.pk}:{customer.pk}"
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 250
    # The events delivered again: the consumer's position lost, and the batch handed over.
    ConsumerPosition.objects.filter(name=FOLLOWER.name).delete()
    assert follow() > 0
    challenges_follow(list(Event.objects.filter(kind="order.placed")))
    assert bonuses(customer) == [250]
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 250
    completed = Event.objects.filter(kind="loyalty.challenge_completed", customer_id=customer.pk)
    assert [(e.data["challenge_id"], e.data["points"]) for e in completed] == [(challenge.pk, 250)]


def test_a_refund_before_completion_lowers_the_progress_after_it_keeps_the_bonus(program_on):
    now = timezone.now()
    challenge = three_in_60(now)
    customer = make_customer()
    first = make_order(customer=customer, placed_at=now - timedelta(days=40))
    make_order(customer=customer, placed_at=now - timedelta(days=35))
    follow()
    assert progress_of(customer, challenge).progress == 2
    first.status = OrderStatus.REFUNDED
    first.save()
    follow()
    assert progress_of(customer, challenge).progress == 1  # the refunded order no longer counts
    make_order(customer=customer, placed_at=now - timedelta(days=5))
    follow()
    assert progress_of(customer, challenge).progress == 2
    last = make_order(customer=customer, placed_at=now - timedelta(days=1))
    follow()
    assert progress_of(customer, challenge).completed_at == last.placed_at
    last.status = OrderStatus.REFUNDED  # after completion: kept, the bonus with it
    last.save()
    follow()
    row = progress_of(customer, challenge)
    assert (row.progress, row.completed_at) == (3, last.placed_at)
    assert bonuses(customer) == [250]
    assert not PointsEntry.objects.filter(customer=customer, kind=EntryKind.REVERSE).exists()


def test_a_new_product_line_awards_only_a_customer_new_to_it(program_on):
    now = timezone.now()
    manager = make_user(role=Role.MANAGER)
    challenge = challenge_create(
        by=manager, now=now,
        data={"name": "Try our teas", "kind": "new_product_line", "sku_prefix": "TEA-",
              "bonus_points": 40, "starts_at": now - timedelta(days=30)},
    )  # fmt: skip
    newcomer, regular = make_customer(), make_customer()
    old = make_order(customer=regular, placed_at=now - timedelta(days=60))
    OrderLine.objects.create(order=old, sku="TEA-1", description="Green", unit_price=5)
    for customer in (newcomer, regular):
        order = make_order(customer=customer, placed_at=now - timedelta(days=2))
        OrderLine.objects.create(order=order, sku="tea-9", description="Oolong", unit_price=9)
    follow()
    assert bonuses(newcomer) == [40] and bonuses(regular) == []
    assert progress_of(regular, challenge).eligible is False
    [standing] = challenges_of(regular.pk, now)
    assert standing.words == "already bought this product line before the challenge"


def test_nothing_while_the_program_is_off_then_the_nightly_step_catches_up(db):
    now = timezone.now()
    assert "loyalty.challenges" in nightly_steps()
    challenge = three_in_60(now)
    customer = make_customer()
    for days_ago in (20, 15, 10):
        make_order(customer=customer, placed_at=now - timedelta(days=days_ago))
    follow()
    assert not ChallengeProgress.objects.exists()
    assert challenges_evaluate_all(now=now)["held"] == "the loyalty program is switched off"
    program_update(by=None, changes={"enabled": True})
    result = challenges_evaluate_all(now=now)
    assert (result["customers"], result["completed"]) == (1, 1)
    assert bonuses(customer) == [250]
    assert challenges_evaluate_all(now=now)["completed"] == 0  # run twice: paid once
    assert progress_of(customer, challenge).entry_id is not None


def test_the_customers_view_is_live_with_the_days_left(program_on):
    now = timezone.now()
    challenge = three_in_60(now, description="Order three times")
    spend = challenge_create(
        by=None, now=now,
        data={"name": "Spend 100", "kind": "spend", "target_amount": "100.00",
              "window_days": 30, "bonus_points": 10},
    )  # fmt: skip
    customer = make_customer()
    make_order(customer=customer, placed_at=now - timedelta(days=19, hours=1),
               amount=Decimal("30"))  # fmt: skip
    make_order(customer=customer, placed_at=now + timedelta(days=1))  # not yet: ignored
    views = {s.challenge.pk: s for s in challenges_of(customer.pk, now)}
    assert views[challenge.pk].words == "1 of 3 orders, 41 days left"
    assert views[challenge.pk].days_left == 41
    assert views[spend.pk].words == "0.00 of 100.00 spent"  # its start is now: nothing yet
    challenge_deactivate(by=None, challenge_id=challenge.pk)
    assert [s.challenge.pk for s in challenges_of(customer.pk, now)] == [spend.pk]


def test_who_may_make_and_change_a_challenge(program_on):
    now = timezone.now()
    data = {"name": "Two orders", "kind": "orders_count", "target_count": 2, "bonus_points": 5}
    for role in (Role.ANALYST, Role.SUCCESS_MANAGER):
        with pytest.raises(AccessDenied):
            challenge_create(by=make_user(role=role), data=data, now=now)
    made = challenge_create(by=make_user(role=Role.ADMIN), data=data, now=now)
    assert made.starts_at == now
    with pytest.raises(AccessDenied):
        challenge_update(by=make_user(role=Role.ANALYST), challenge_id=made.pk,
                         changes={"name": "x"})  # fmt: skip


def test_a_rule_is_fixed_once_completed_and_bad_values_name_their_field(program_on):
    now = timezone.now()
    challenge = three_in_60(now)
    customer = make_customer()
    for days_ago in (3, 2, 1):
        make_order(customer=customer, placed_at=now - timedelta(days=days_ago))
    follow()
    with pytest.raises(Conflict, match="1 customer"):
        challenge_update(by=None, challenge_id=challenge.pk, changes={"target_count": 5})
    renamed = challenge_update(by=None, challenge_id=challenge.pk, changes={"name": "Trio"})
    assert renamed.name == "Trio"
    for changes, field in [
        ({"kind": "spend"}, "target_amount"),
        ({"window_days": 0}, "window_days"),
        ({"bonus_points": 0}, "bonus_points"),
        ({"colour": "red"}, "colour"),
    ]:
        with pytest.raises(ValidationError) as refused:
            challenge_create(by=None, now=now, data={**{
                "name": "X", "kind": "orders_count", "target_count": 2, "bonus_points": 5,
            }, **changes})  # fmt: skip
        assert field in refused.value.message_dict


def test_a_persons_export_lists_their_challenges(program_on):
    from tenure.privacy.services import person_export

    now = timezone.now()
    challenge = three_in_60(now)
    customer = make_customer()
    make_order(customer=customer, placed_at=now - timedelta(days=5))
    follow()
    exported = person_export(customer_id=customer.pk)["loyalty_challenges"]
    assert exported == [
        {"challenge": challenge.name, "progress": "1.00", "target": "3.00", "completed_at": None}
    ]
