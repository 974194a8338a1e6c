"""The worker follows the events: a write is answered without the lifecycle, and the worker
places the customer within seconds; killed at random moments, it leaves every event handled
once and no run running."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.events.consumers import consumers, consumers_drain
from tenure.events.models import ConsumerPosition, Event
from tenure.events.reading import end_position
from tenure.interactions.services import interaction_log
from tenure.jobs.models import Run, RunStatus
from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.services import lifecycle_recompute
from tenure.orders.models import Order
from tenure.orders.services import order_create
from tenure.todos.models import Task
from tests.api.helpers import Api
from tests.factories import make_customer, make_user
from tests.jobs.workers import wait_until, worker_kill, worker_start, worker_stop

pytestmark = [pytest.mark.slow]


def _caught_up() -> bool:
    end = end_position()
    positions = ConsumerPosition.objects.filter(name__in=[c.name for c in consumers()])
    return positions.count() == len(consumers()) and all(
        (p.tx, p.event_id) >= (end.tx, end.event_id) for p in positions
    )


def test_an_api_order_is_answered_without_the_lifecycle_and_placed_by_the_worker(
    database_url, client, settings
):
    settings.EVENTS_DELIVERY = "worker"
    customer = make_customer()
    api = Api(client)
    placed_at = (timezone.now() - timedelta(days=1)).isoformat()
    body = {"external_id": "W1", "customer_id": customer.pk, "currency": "EUR",
            "placed_at": placed_at, "amount": "20.00"}  # fmt: skip
    assert api.post("/orders", body).status_code == 201
    time.sleep(1)
    assert not CustomerStage.objects.filter(customer=customer).exists()  # nobody waited for it
    worker = worker_start(database_url)
    try:
        began = time.monotonic()
        wait_until(
            lambda: CustomerStage.objects.filter(customer=customer).exists(),
            seconds=30,  # the worker's start included; the follow itself is timed below
            what="the worker placed the customer",
        )
        body = {**body, "external_id": "W2"}
        assert api.post("/orders", body).status_code == 201
        answered = time.monotonic()
        wait_until(_caught_up, seconds=5, what="the second order followed within 5 s")
        assert time.monotonic() - answered < 5
        assert CustomerStage.objects.get(customer=customer).entered_at is not None
        assert time.monotonic() - began < 30
    finally:
        worker_stop(worker)


def _moves(customers: list) -> dict[int, list[tuple]]:
    """Each customer's effective moves: moment, stages, rule."""
    moves: dict[int, list[tuple]] = {c.pk: [] for c in customers}
    effective = StageTransition.objects.filter(
        customer_id__in=list(moves), superseded_at__isnull=True
    ).order_by("customer_id", "effective_at", "step")
    for move in effective:
        moves[move.customer_id].append(
            (move.effective_at.isoformat(), move.from_stage, move.to_stage, move.rule)
        )
    return moves


def _import_file(tmp_path, round_: int, customers: list) -> str:
    lines = ["order_id,customer_id,placed_at,amount"]
    for n in range(400):
        customer = customers[(round_ * 7 + n) % len(customers)]
        day = f"2025-{1 + n % 12:02d}-{1 + n % 27:02d}"
        lines.append(f"R{round_}-{n},{customer.external_id},{day},{n % 90}.50")
    path = tmp_path / f"orders-{round_}.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_killed_at_random_moments_twenty_times_every_event_is_handled_once(
    database_url, settings, tmp_path
):
    settings.EVENTS_DELIVERY = "worker"  # this process only writes; the workers follow
    rng = random.Random(20261205)
    owner = make_user(role="success_manager")
    customers = [make_customer(owner=owner) for _ in range(25)]
    # The base's median gap stored by a whole-base run, as a nightly leaves it: the follower and
    # the recompute below then judge single-purchase-day customers alike (without it, each
    # batch read the base as it grew, and the moves kept the median of their time:
    # tests/lifecycle/test_median_gap_clock.py).
    lifecycle_recompute()
    complaints = 0
    env = {"TENURE_DATABASE_URL": database_url}
    for round_ in range(20):
        worker = worker_start(database_url)
        path = _import_file(tmp_path, round_, customers)
        importer = subprocess.Popen(
            [sys.executable, "-m", "tenure", "import", "orders", path, "--quiet",
             "--batch-size", "50"],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for n in range(5):
            customer = customers[rng.randrange(len(customers))]
            order_create(
                external_id=f"S{round_}-{n}", customer_id=customer.pk, currency="EUR",
                placed_at=timezone.now() - timedelta(days=rng.randrange(400)),
                amount=Decimal(rng.randrange(1, 300)),
            )  # fmt: skip
        interaction_log(
            author=owner, customer=customers[round_ % len(customers)], kind="complaint",
            occurred_at=timezone.now(), subject=f"Complaint {round_}", status="open",
        )  # fmt: skip
        complaints += 1
        time.sleep(rng.uniform(1.0, 4.0))  # the worker starts in about 2 s, then follows
        worker_kill(worker)
        if importer.poll() is None:
            importer.kill()
        importer.wait()
    assert Event.objects.filter(kind="order.placed").count() >= 100
    worker = worker_start(database_url)
    try:
        wait_until(_caught_up, seconds=120, what="the last worker caught up")
    finally:
        worker_stop(worker)

    # What the last worker wrote after it caught up (its jobs' events, say) is read here.
    while any(consumers_drain().values()):
        pass
    # Every event handled, each batch once: a consumer that sees every kind counted them all.
    stages = ConsumerPosition.objects.get(name="lifecycle.stages")
    assert stages.handled == Event.objects.count()
    assert stages.failures == 0
    # One follow-up per complaint, never two.
    follow_ups = Task.objects.filter(source_key__startswith="complaint:")
    assert follow_ups.count() == complaints
    assert follow_ups.values("source_key").distinct().count() == complaints
    # No stage move stored twice, and the stages are what the whole history says.
    moves = StageTransition.objects.filter(superseded_at__isnull=True)
    keys = list(moves.values_list("customer_id", "effective_at", "step", "to_stage"))
    assert len(keys) == len(set(keys))
    placed = dict(CustomerStage.objects.values_list("customer_id", "stage"))
    assert len(placed) == len(customers)
    followed = _moves(customers)
    lifecycle_recompute(customer_ids=[c.pk for c in customers], from_scratch=True)
    again = dict(CustomerStage.objects.values_list("customer_id", "stage"))
    assert set(again) == set(placed)
    assert not Run.objects.filter(status=RunStatus.RUNNING).exists()
    differ = sorted(pk for pk in placed if again[pk] != placed[pk])
    # Said customer by customer when they differ: both histories and the orders.
    scratch = _moves(customers) if differ else {}
    orders = Order.objects.filter(customer_id__in=differ).order_by("customer_id", "placed_at")
    assert not differ, [
        (pk, placed[pk], followed[pk], again[pk], scratch[pk],
         [(o.external_id, o.placed_at.isoformat()) for o in orders if o.customer_id == pk])
        for pk in differ
    ]  # fmt: skip
