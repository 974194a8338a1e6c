"""A whole-base recompute and the follower of the events never undo each other.

The whole-base run (the nightly, "Recompute now") reads every order before its first chunk
(for the base's median gap), then replays chunk after chunk. An order placed meanwhile is
followed at once by the events' follower (``lifecycle.following``), which places the customer
on it; a chunk replaying that customer afterwards on the orders it read before would undo the
move, and nothing would redo it. Each chunk takes its turn with the follower and reads its
orders again when they changed since the run read them.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.events.consumers import consumers_drain
from tenure.lifecycle import services
from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.services import lifecycle_recompute
from tenure.orders.services import order_create
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def _stage(customer_id: int) -> str:
    return CustomerStage.objects.get(customer_id=customer_id).stage


def test_an_order_followed_while_a_whole_run_replays_is_not_undone_by_it(monkeypatch):
    now = timezone.now()
    steady = make_customer(external_id="steady")
    for k, days in enumerate((100, 80, 60)):  # every 20 days: at risk 40 days after the last
        make_order(
            customer=steady, external_id=f"steady-{k}", placed_at=now - timedelta(days=days),
            amount=Decimal("40.00"),
        )  # fmt: skip
    other = make_customer(external_id="other")
    make_order(customer=other, external_id="other-0", placed_at=now - timedelta(days=90))
    lifecycle_recompute(now=now - timedelta(days=30))  # last night's run, as it were
    assert _stage(steady.pk) == "retention"

    real = services.chunk_replay
    placed = []

    def the_order_comes_between_the_read_and_the_chunk(plan, chunk, orders=None):
        if not placed:  # the run has read every order; its chunk has not started
            # An order 25 days ago keyed in now, before the at-risk moment 20 days ago.
            late = order_create(
                external_id="steady-late", customer_id=steady.pk, currency="EUR",
                placed_at=plan.now - timedelta(days=25), amount=Decimal("25.00"),
            )  # fmt: skip
            placed.append(late)
            consumers_drain()  # the follower replays the customer on it: still retained
            assert _stage(steady.pk) == "retention"
        return real(plan, chunk, orders)

    monkeypatch.setattr(services, "chunk_replay", the_order_comes_between_the_read_and_the_chunk)
    run = lifecycle_recompute(now=now)
    assert placed and run.customers == 2
    # The chunk read the customer's orders again: not "at risk 20 days ago" on the old read.
    assert _stage(steady.pk) == "retention"
    assert not StageTransition.objects.filter(customer=steady, to_stage="at_risk").exists()
    monkeypatch.undo()
    lifecycle_recompute(customer_ids=[steady.pk], from_scratch=True)
    assert _stage(steady.pk) == "retention"
