"""A customer put in a stage by hand: the move is part of their history (every replay keeps
it, dated when it was made, with who and why), it holds until something next happens to them,
and then the rules take over. Refusals name their field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.customers.models import Customer
from tenure.events.models import Event
from tenure.lifecycle.models import CustomerStage, StageTransition, TransitionCause
from tenure.lifecycle.services import customer_stage_move, lifecycle_recompute
from tenure.orders.services import order_create
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _repeat_buyer(**fields) -> Customer:
    now = timezone.now()
    customer = make_customer(created_at=now - timedelta(days=120), **fields)
    for days in (90, 60, 30):
        make_order(customer=customer, placed_at=now - timedelta(days=days))
    lifecycle_recompute(customer_ids=[customer.pk])
    return customer


def _stage(customer: Customer) -> str:
    return CustomerStage.objects.get(customer=customer).stage


def test_a_move_by_hand_is_stored_with_who_and_why_and_announced():
    mia = make_user(username="mia")
    customer = _repeat_buyer()
    assert _stage(customer) == "retention"

    stage = customer_stage_move(
        by=mia, customer_id=customer.pk, stage="advocacy", reason="Gave a great reference"
    )

    assert stage is not None and stage.stage == "advocacy"
    move = StageTransition.objects.filter(customer=customer, superseded_at__isnull=True).last()
    assert (move.from_stage, move.to_stage, move.rule) == ("retention", "advocacy", "by-hand")
    assert move.reason == "Moved by hand by mia: Gave a great reference"
    assert move.cause == TransitionCause.MANUAL
    entered = Event.objects.filter(kind="stage.entered", customer_id=customer.pk).last()
    assert entered is not None and entered.data["stage"] == "advocacy"


def test_every_later_replay_keeps_it_until_the_next_event_then_the_rules_take_over():
    mia = make_user(username="mia")
    customer = _repeat_buyer()
    customer_stage_move(by=mia, customer_id=customer.pk, stage="at_risk", reason="Said so")

    # A whole-base replay from the start of every history gives the same move again.
    lifecycle_recompute(from_scratch=True)
    assert _stage(customer) == "at_risk"
    kept = StageTransition.objects.filter(customer=customer, rule="by-hand")
    assert kept.filter(superseded_at__isnull=True).count() == 1

    # The next thing that happens to them is read by the rules from the stage they were put in.
    order_create(
        customer_id=customer.pk, external_id="after-move", placed_at=timezone.now(),
        amount=Decimal("40.00"), currency="USD",
    )  # fmt: skip
    lifecycle_recompute(customer_ids=[customer.pk])
    assert _stage(customer) != "at_risk"
    last = StageTransition.objects.filter(customer=customer, superseded_at__isnull=True).last()
    assert last.from_stage == "at_risk" and last.rule != "by-hand"


def test_refusals_name_the_field_and_roles_hold():
    mia = make_user(username="mia")
    customer = _repeat_buyer()
    with pytest.raises(ValidationError) as refused:
        customer_stage_move(by=mia, customer_id=customer.pk, stage="nirvana", reason="x")
    assert "no stage 'nirvana'" in refused.value.message_dict["stage"][0]
    with pytest.raises(ValidationError) as refused:
        customer_stage_move(by=mia, customer_id=customer.pk, stage="advocacy", reason="  ")
    assert refused.value.message_dict["reason"] == ["say why"]
    with pytest.raises(ValidationError) as refused:
        customer_stage_move(by=mia, customer_id=customer.pk, stage="advocacy", reason="a\x00")
    assert "NUL" in refused.value.message_dict["reason"][0]
    with pytest.raises(AccessDenied):
        customer_stage_move(
            by=make_user(username="ann", role="analyst"), customer_id=customer.pk,
            stage="advocacy", reason="x",
        )  # fmt: skip
    sam = make_user(username="sam", role="success_manager")
    with pytest.raises(Http404):
        customer_stage_move(by=sam, customer_id=customer.pk, stage="advocacy", reason="x")
    assert _stage(customer) == "retention"  # nothing refused was stored
    own = _repeat_buyer(owner=sam)
    assert customer_stage_move(by=sam, customer_id=own.pk, stage="advocacy", reason="x")
