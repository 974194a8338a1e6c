"""Advocacy and risk from real feedback: a promoter answer or a referral moves a retention
customer to advocacy, a detractor answer puts one at risk, each move recorded with its rule and
the cause ``feedback``; the health score gains its sentiment component once an answer exists.

Every event goes through the real services and the real on-commit signal, as in
``test_scenario``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.feedback.services import referral_create, survey_response_create
from tenure.lifecycle.models import CustomerStage, HealthScore, StageTransition
from tenure.lifecycle.services import health_recompute, lifecycle_recompute
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _retention_customer(owner=None):
    """Two orders 20 days apart, the last 10 days ago: a repeat customer within their rhythm."""
    customer = make_customer(owner=owner)
    now = timezone.now()
    for days in (30, 10):
        make_order(customer=customer, placed_at=now - timedelta(days=days))
    lifecycle_recompute(customer_ids=[customer.pk], now=now)
    assert CustomerStage.objects.get(customer=customer).stage == "retention"
    return customer


def _last_move(customer) -> tuple[str, str, str, str]:
    moves = StageTransition.objects.filter(customer=customer, superseded_at__isnull=True)
    move = moves.order_by("-effective_at", "-step", "-id")[0]
    return move.from_stage, move.to_stage, move.rule, move.cause


def _answer(by, customer, score: int, kind: str = "nps"):
    return survey_response_create(
        by=by, customer_id=customer.pk, kind=kind, score=score, answered_at=timezone.now(),
        channel="email",
    )  # fmt: skip


def test_a_promoter_answer_makes_an_advocate(django_capture_on_commit_callbacks):
    owner = make_user(role=Role.SUCCESS_MANAGER)
    customer = _retention_customer(owner)
    with django_capture_on_commit_callbacks(execute=True):
        _answer(owner, customer, 10)
    assert _last_move(customer) == ("retention", "advocacy", "promoter", "feedback")
    stage = CustomerStage.objects.get(customer=customer)
    assert stage.reason == "A promoter: latest NPS answer 10 out of 10"

    # A passive answer later: a promoter no more, back to retention.
    with django_capture_on_commit_callbacks(execute=True):
        _answer(owner, customer, 7)
    assert _last_move(customer) == ("advocacy", "retention", "no_longer_advocate", "feedback")


def test_a_referral_makes_an_advocate(django_capture_on_commit_callbacks):
    customer = _retention_customer()
    friend = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        referral_create(
            by=make_user(role=Role.MANAGER), referrer_id=customer.pk,
            referred_customer_id=friend.pk, referred_at=timezone.now(),
        )  # fmt: skip
    assert _last_move(customer) == ("retention", "advocacy", "referral", "feedback")
    assert CustomerStage.objects.get(customer=customer).reason == "Tells others: 1 referrals made"
    assert not StageTransition.objects.filter(customer=friend, cause="feedback").exists()


def test_a_detractor_answer_puts_a_customer_at_risk(django_capture_on_commit_callbacks):
    customer = _retention_customer()
    with django_capture_on_commit_callbacks(execute=True):
        _answer(None, customer, 4)
    assert _last_move(customer) == ("retention", "at_risk", "detractor", "feedback")
    assert CustomerStage.objects.get(customer=customer).reason == (
        "Unhappy: latest NPS answer 4 out of 10"
    )


def test_a_csat_answer_moves_no_stage_but_the_health_score(django_capture_on_commit_callbacks):
    customer = _retention_customer()
    health_recompute(customer_ids=[customer.pk])
    assert "sentiment" not in HealthScore.objects.get(customer=customer).components
    moves = StageTransition.objects.filter(customer=customer).count()

    with django_capture_on_commit_callbacks(execute=True):
        _answer(None, customer, 2, kind="csat")
    assert StageTransition.objects.filter(customer=customer).count() == moves
    health = HealthScore.objects.get(customer=customer)
    assert health.components["sentiment"] == pytest.approx(25.0)  # CSAT 2: 100 at 5, 0 at 1
    assert "latest csat 2 out of 5" in health.explanation.lower()

    with django_capture_on_commit_callbacks(execute=True):
        _answer(None, customer, 9)
    health = HealthScore.objects.get(customer=customer)
    assert health.components["sentiment"] == pytest.approx((100 + 25) / 2)  # NPS 9 and CSAT 2
