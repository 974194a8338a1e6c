"""One customer walked through every stage of the default lifecycle by real events through the
real services, each transition checked with its rule and recorded cause.

Events happen now (the services stamp them with the real clock), so "time passes" by moving
the customer's whole history back (``_days_pass``) and running the nightly recompute with
``now``; a separate test moves the clock forward with the ``now`` parameter instead.

Advocacy: here the scenario stores a new definition version whose referral rule reads
``meetings_count >= 1`` (a reference call held) and logs a meeting, which doubles as a rule edit
taking effect on the next recompute; ``test_advocacy`` reaches advocacy through a real promoter
answer and a real referral with the default rules.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.customers.models import Customer, Subscription
from tenure.customers.services import customer_create, subscription_create, subscription_update
from tenure.domain.lifecycle import preset_definition
from tenure.interactions.models import Interaction
from tenure.interactions.services import interaction_log
from tenure.lifecycle.models import (
    CustomerStage,
    LifecycleDefinition,
    RecomputeRun,
    StageTransition,
)
from tenure.lifecycle.services import definition_save, lifecycle_recompute
from tenure.orders.models import Order
from tenure.orders.services import order_create
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _days_pass(customer_id: int, days: float) -> None:
    """Move everything about the customer ``days`` into the past: as if that time passed."""
    delta = timedelta(days=days)
    Order.objects.filter(customer_id=customer_id).update(placed_at=F("placed_at") - delta)
    Customer.objects.filter(pk=customer_id).update(
        created_at=F("created_at") - delta,
        first_order_at=F("first_order_at") - delta,
        last_order_at=F("last_order_at") - delta,
    )
    Subscription.objects.filter(customer_id=customer_id).update(
        started_at=F("started_at") - delta, cancelled_at=F("cancelled_at") - delta
    )
    Interaction.objects.filter(customer_id=customer_id).update(occurred_at=F("occurred_at") - delta)
    CustomerStage.objects.filter(customer_id=customer_id).update(entered_at=F("entered_at") - delta)
    StageTransition.objects.filter(customer_id=customer_id).update(
        effective_at=F("effective_at") - delta, recorded_at=F("recorded_at") - delta
    )
    # the recomputes' clocks too: everyone was evaluated up to a run's clock, days ago now
    RecomputeRun.objects.update(as_of=F("as_of") - delta)


def _last_move(customer_id: int) -> tuple[str, str, str, str]:
    moves = StageTransition.objects.filter(customer_id=customer_id, superseded_at__isnull=True)
    move = moves.order_by("-effective_at", "-step", "-id")[0]
    return move.from_stage, move.to_stage, move.rule, move.cause


def _advocacy_by_reference_call() -> dict:
    data = preset_definition("default")
    meeting = {"fact": "meetings_count", "op": ">=", "value": 1}
    data["conditions"]["advocate"]["any"].append(meeting)
    referral = next(rule for rule in data["rules"] if rule["name"] == "referral")
    referral["when"] = meeting
    referral["reason"] = "Held a reference call: {meetings_count} calls or meetings"
    return data


def _order(by, customer_id: int, n: int) -> None:
    order_create(
        by=by, external_id=f"S-{customer_id}-{n}", customer_id=customer_id,
        placed_at=timezone.now(), amount=Decimal("80.00"), currency="USD", status="completed",
    )  # fmt: skip


def test_one_customer_through_every_stage(django_capture_on_commit_callbacks):
    admin = make_user(role=Role.ADMIN)
    owner = make_user(role=Role.SUCCESS_MANAGER)
    events = django_capture_on_commit_callbacks

    with events(execute=True):
        customer = customer_create(by=admin, external_id="WALK-1", owner_id=owner.pk)
    cid = customer.pk
    assert _last_move(cid) == ("", "reach", "lead", "customer")

    with events(execute=True):
        _order(admin, cid, 1)
    assert _last_move(cid) == ("reach", "acquisition", "first_order", "order")

    _days_pass(cid, 20)
    lifecycle_recompute(now=timezone.now())
    assert _last_move(cid) == ("acquisition", "development", "onboarded", "recompute")

    with events(execute=True):
        _order(admin, cid, 2)
    assert _last_move(cid) == ("development", "retention", "repeat_purchase", "order")

    edited = definition_save(by=admin, data=_advocacy_by_reference_call(), name="With calls")
    assert edited.version == 2 and edited.is_active
    with events(execute=True):
        interaction_log(
            author=admin, customer=customer, kind="meeting", occurred_at=timezone.now(),
            subject="Reference call with a prospect",
        )  # fmt: skip
    assert _last_move(cid) == ("retention", "advocacy", "referral", "interaction")
    move = StageTransition.objects.filter(customer_id=cid, to_stage="advocacy").get()
    assert move.definition_id == edited.pk and "reference call" in move.reason

    _days_pass(cid, 45)  # their gap is 20 days: at risk from 40, churned from 60
    lifecycle_recompute(now=timezone.now())
    assert _last_move(cid) == ("advocacy", "at_risk", "slowing_down", "recompute")
    stage = CustomerStage.objects.get(customer_id=cid)
    # dated when it came true, 40 days after the last order, not when the recompute ran
    assert stage.reason.startswith("No order for 40 days; their usual gap is 20 days")
    last_order = Order.objects.filter(customer_id=cid).latest("placed_at").placed_at
    assert abs(stage.entered_at - (last_order + timedelta(days=40))) < timedelta(milliseconds=2)

    _days_pass(cid, 20)
    lifecycle_recompute(now=timezone.now())
    assert _last_move(cid) == ("at_risk", "churned", "gone_silent", "recompute")

    _days_pass(cid, 1)
    with events(execute=True):
        _order(admin, cid, 3)
    assert _last_move(cid) == ("churned", "won_back", "won_back", "order")

    with events(execute=True):
        plan = subscription_create(
            by=admin, customer_id=cid, plan="Monthly box", amount=Decimal("30.00"),
            currency="USD", interval="month", started_at=timezone.now() - timedelta(days=1),
        )  # fmt: skip
    assert _last_move(cid)[1] == "won_back"  # subscribing moves nobody here
    _days_pass(cid, 2)
    with events(execute=True):
        subscription_update(
            by=admin, subscription_id=plan.pk, changes={"cancelled_at": timezone.now()}
        )
    assert _last_move(cid) == ("won_back", "churned", "cancelled", "subscription")

    walked = list(
        StageTransition.objects.filter(customer_id=cid, superseded_at__isnull=True)
        .order_by("effective_at", "step", "id")
        .values_list("to_stage", flat=True)
    )
    assert walked == [
        "reach", "acquisition", "development", "retention", "advocacy", "at_risk", "churned",
        "won_back", "churned",
    ]  # fmt: skip
    assert set(walked) == set(
        LifecycleDefinition.objects.get(version=1).definition["stages"][i]["key"] for i in range(8)
    )


def test_time_passing_with_the_now_parameter():
    customer = make_customer()
    make_order(customer=customer, placed_at=timezone.now())
    now = timezone.now()
    lifecycle_recompute(customer_ids=[customer.pk], now=now)
    assert CustomerStage.objects.get(customer=customer).stage == "acquisition"
    later = lifecycle_recompute(customer_ids=[customer.pk], now=now + timedelta(days=15))
    assert later.moved == 1 and later.counts == {"development": 1}
    move = StageTransition.objects.filter(customer=customer).order_by("-effective_at")[0]
    # recorded when the recompute ran; effective when onboarding ended, 14 days after the order
    assert (move.rule, move.cause, move.recorded_at) == (
        "onboarded", "recompute", now + timedelta(days=15)
    )  # fmt: skip
    placed = Order.objects.get(customer=customer).placed_at
    # moments are whole milliseconds (SQLite rounds to the nearest, PostgreSQL floors)
    assert abs(placed + timedelta(days=14) - move.effective_at) < timedelta(milliseconds=1)
    assert move.reason == "Onboarding over: first order 14 days ago, no second one yet"
    # a second run at the same moment moves nobody
    assert lifecycle_recompute(customer_ids=[customer.pk], now=now + timedelta(days=15)).moved == 0


def test_a_rule_edit_takes_effect_on_the_next_recompute():
    admin = make_user(role=Role.ADMIN)
    customer = make_customer()
    now = timezone.now()
    make_order(customer=customer, placed_at=now - timedelta(days=10))
    lifecycle_recompute(now=now)
    assert CustomerStage.objects.get(customer=customer).stage == "acquisition"

    data = preset_definition("default")
    onboarded = next(rule for rule in data["rules"] if rule["name"] == "onboarded")
    onboarded["when"]["value"] = 7
    version = definition_save(by=admin, data=data, name="Shorter onboarding")
    assert CustomerStage.objects.get(customer=customer).stage == "acquisition"  # not yet

    result = lifecycle_recompute(now=now)
    assert result.definition_version == version.version == 2
    stage = CustomerStage.objects.get(customer=customer)
    assert (stage.stage, stage.rule, stage.definition_id) == (
        "development",
        "onboarded",
        version.pk,
    )


def test_an_invalid_definition_is_refused_with_each_problem_named():
    admin = make_user(role=Role.ADMIN)
    data = preset_definition("default")
    data["rules"][0]["when"] = {"fact": "orders_cnt", "op": ">=", "value": 2}
    data["rules"][1]["to"] = "nowhere"
    with pytest.raises(ValidationError) as refused:
        definition_save(by=admin, data=data, name="Broken")
    messages = refused.value.message_dict["definition"]
    assert any(
        m.startswith("rules[0].when.fact") and 'did you mean "orders_count"' in m for m in messages
    ), messages
    assert any(m.startswith("rules[1].to") for m in messages), messages
    assert LifecycleDefinition.objects.count() == 1  # nothing stored

    with pytest.raises(AccessDenied):
        definition_save(by=make_user(role=Role.MANAGER), data=preset_definition(), name="x")
