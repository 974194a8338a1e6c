"""The median gap between purchase days, which a customer with a single purchase day is
judged by, is the base's: the follower (event by event) and a recompute from scratch agree
when they read the same one, the stored one of the latest whole-base run. Before any such
run, each follower batch reads the base as it is then, and the moves it placed keep the
median of their time: a recompute from scratch later judges them by today's. Found through
the worker's kill test, which compared the two while the base grew under it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.lifecycle.models import CustomerStage, RecomputeRun, StageTransition
from tenure.lifecycle.services import lifecycle_recompute
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db(transaction=True)  # the follower runs after commits

DAY = timedelta(days=1)


def _moves(pk: int) -> list[tuple]:
    return list(
        StageTransition.objects.filter(customer_id=pk, superseded_at__isnull=True)
        .order_by("effective_at", "step")
        .values_list("effective_at", "to_stage", "rule")
    )


def _story(settings, *, stored: bool) -> tuple[str, list, str, list]:
    """A customer with one order while the base's gap is 10 days, then 9 customers with a
    300-day gap arrive, then the customer orders again: (followed stage, moves, recomputed
    from scratch stage, moves)."""
    settings.EVENTS_DELIVERY = "on_commit"
    now = timezone.now()

    def order(customer, days_ago: int) -> None:
        make_order(customer=customer, placed_at=now - days_ago * DAY, amount=Decimal("10"))

    for _ in range(3):
        regular = make_customer()
        order(regular, 400)
        order(regular, 390)
    if stored:
        lifecycle_recompute()  # the whole base: its median gap (10 days) is stored
        assert RecomputeRun.objects.get(scope="all").median_gap_days == pytest.approx(10)
    ann = make_customer()
    order(ann, 300)  # a single purchase day: judged by the base's gap
    for _ in range(9):
        slow = make_customer()
        order(slow, 700)
        order(slow, 400)
    order(ann, 50)
    followed, followed_moves = CustomerStage.objects.get(customer=ann).stage, _moves(ann.pk)
    lifecycle_recompute(customer_ids=[ann.pk], from_scratch=True)
    return (
        followed, followed_moves, CustomerStage.objects.get(customer=ann).stage, _moves(ann.pk)
    )  # fmt: skip


def test_with_the_median_stored_the_follower_and_a_recompute_agree(settings):
    followed, followed_moves, scratch, scratch_moves = _story(settings, stored=True)
    # Ann's single order 300 days ago, judged by the stored 10 days: silent at 3 gaps, so
    # churned, then won back by the order 50 days ago, on both paths.
    assert (followed, scratch) == ("won_back", "won_back")
    assert followed_moves == scratch_moves


def test_before_any_whole_run_the_follower_keeps_the_median_of_its_time(settings):
    followed, followed_moves, scratch, _ = _story(settings, stored=False)
    # The follower judged Ann's first order by the base of then (10 days: churned, won back
    # by the second order); today's base says 300 days: she was never gone, and her second
    # order is a repeat.
    assert "churned" in [to for _at, to, _rule in followed_moves]
    assert (followed, scratch) == ("won_back", "retention")
