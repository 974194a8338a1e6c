"""One history, however it arrives, ends in one effective stage history.

A business's three years (customers with orders spread over the years, a subscription
cancelled, two complaints) reach tenure four ways, through the real services and the real
event path (the ``customers_changed`` receivers, run on commit):

(a) the orders imported at once (``tenure import orders``'s service);
(b) imported in three files, oldest first;
(c) imported in three files, newest first (the subscription and the complaints after them);
(d) order by order through the order service, shuffled.

Each must give the same effective history (from, to, rule and the moment each move happened)
and the same stages, moves dated when they happened in the history, not when they arrived.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from tenure.customers.models import Customer, Subscription
from tenure.customers.services import customer_create, subscription_create
from tenure.interactions.models import Interaction
from tenure.interactions.services import interaction_log
from tenure.lifecycle.models import CustomerStage, RecomputeRun, StageTransition
from tenure.lifecycle.services import lifecycle_recompute
from tenure.orders.models import Order
from tenure.orders.services import order_create
from tenure.transfer.services import orders_import
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

HEADER = ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]
SUBSCRIBER, COMPLAINER = "H-subscriber", "H-complainer"


def _history(now) -> list[tuple[str, str, object]]:
    """(order id, customer, placed_at): 12 customers over three years, each at their own
    rhythm, some stopping for good, some coming back after a long silence."""
    rng = np.random.default_rng(12)
    orders = []
    names = [f"H-{n}" for n in range(10)] + [SUBSCRIBER, COMPLAINER]
    for k, name in enumerate(names):
        start = rng.uniform(30, 1095)
        gap = rng.uniform(8, 120)
        count = 1 + int(rng.integers(0, 9)) if k != 3 else 1
        days = start - np.cumsum(np.r_[0.0, rng.exponential(gap, count - 1)])
        if k == 4:  # silent for a year, then back
            days = np.r_[days[days > 400] if (days > 400).any() else [900.0], 20.0]
        for n, ago in enumerate(sorted(d for d in days if d > 0.5)):
            orders.append((f"{name}-{n}", name, now - timedelta(days=float(ago), seconds=k)))
    return orders


def _csv(rows) -> io.BytesIO:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for key, customer, placed in rows:
        writer.writerow([key, customer, placed.isoformat(), "42.50", "USD", "completed"])
    return io.BytesIO(out.getvalue().encode("utf-8"))


def _seed_rhythm() -> None:
    """Repeat buyers every 20 days and a whole-base run that stores their median gap, the
    rhythm of one-order customers in every way below."""
    now = timezone.now()
    for n in range(20):
        customer = make_customer(external_id=f"seed-{n}")
        for k in range(3):
            make_order(
                customer=customer, external_id=f"seed-{n}-{k}",
                placed_at=now - timedelta(days=15 + 20 * k), amount=Decimal("30.00"),
            )  # fmt: skip
    lifecycle_recompute()


def _others(now, events) -> None:
    """The subscription cancelled after a year, and two complaints, through their services."""
    subscriber = Customer.objects.get(external_id=SUBSCRIBER)
    complainer = Customer.objects.get(external_id=COMPLAINER)
    with events(execute=True):
        subscription_create(
            customer_id=subscriber.pk, plan="Box", amount=Decimal("30.00"), currency="USD",
            interval="month", started_at=now - timedelta(days=700),
            cancelled_at=now - timedelta(days=330),
        )  # fmt: skip
    for days in (200, 150):
        with events(execute=True):
            interaction_log(
                author=None, customer=complainer, kind="complaint",
                occurred_at=now - timedelta(days=days), subject="Beans arrived crushed",
            )  # fmt: skip


def _arrive(way: str, history, now, events) -> None:
    for name in sorted({customer for _key, customer, _at in history}):
        with events(execute=True):
            customer_create(external_id=name)
    by_time = sorted(history, key=lambda row: row[2])
    thirds = [by_time[: len(by_time) // 3], by_time[len(by_time) // 3 : 2 * len(by_time) // 3],
              by_time[2 * len(by_time) // 3 :]]  # fmt: skip
    if way in ("whole", "chunks"):
        _others(now, events)
    if way == "whole":
        with events(execute=True):
            result = orders_import(source=_csv(history), column_map={})
        assert result.rows_stored == len(history)
    elif way in ("chunks", "reversed"):
        for part in thirds if way == "chunks" else thirds[::-1]:
            with events(execute=True):
                orders_import(source=_csv(part), column_map={})
    else:
        shuffled = np.random.default_rng(3).permutation(len(history))
        ids = dict(Customer.objects.values_list("external_id", "pk"))
        for n in shuffled.tolist():
            key, customer, placed = history[n]
            with events(execute=True):
                order_create(
                    external_id=key, customer_id=ids[customer], placed_at=placed,
                    amount=Decimal("42.50"), currency="USD", status="completed",
                )  # fmt: skip
    if way in ("reversed", "one_by_one"):
        _others(now, events)


def _effective(names) -> list[tuple]:
    return list(
        StageTransition.objects.filter(customer__external_id__in=names, superseded_at__isnull=True)
        .order_by("customer__external_id", "effective_at", "step")
        .values_list("customer__external_id", "from_stage", "to_stage", "rule", "effective_at")
    )


def _forget(names) -> None:
    Interaction.objects.filter(customer__external_id__in=names).delete()
    Subscription.objects.filter(customer__external_id__in=names).delete()
    Order.objects.filter(customer__external_id__in=names).delete()
    StageTransition.objects.filter(customer__external_id__in=names).delete()
    Customer.objects.filter(external_id__in=names).delete()


def test_whole_chunked_reversed_and_order_by_order_give_one_effective_history(
    django_capture_on_commit_callbacks,
):
    _seed_rhythm()
    now = timezone.now()
    history = _history(now)
    names = sorted({customer for _key, customer, _at in history})
    outcomes = {}
    for way in ("whole", "chunks", "reversed", "one_by_one"):
        _arrive(way, history, now, django_capture_on_commit_callbacks)
        stages = dict(
            CustomerStage.objects.filter(customer__external_id__in=names).values_list(
                "customer__external_id", "stage"
            )
        )
        outcomes[way] = (_effective(names), stages)
        superseded = StageTransition.objects.filter(
            customer__external_id__in=names, superseded_at__isnull=False
        ).count()
        if way != "whole":  # history in pieces: what was believed before is on record
            assert superseded > 0, way
        _forget(names)

    effective, stages = outcomes["whole"]
    assert len(stages) == len(names)
    assert len(set(stages.values())) >= 3
    for way in ("chunks", "reversed", "one_by_one"):
        assert outcomes[way][1] == stages, way
        assert outcomes[way][0] == effective, way

    # Dated in the history, not on the day it arrived: over three years, and no move after now.
    moments = [move[4] for move in effective]
    assert min(moments) < now - timedelta(days=700) and max(moments) <= now
    rules = {move[3] for move in effective}
    assert {"first_order", "gone_silent", "cancelled", "complaints"} <= rules
    # the cancellation is dated when it happened, a year ago
    cancelled = [move for move in effective if move[3] == "cancelled"]
    assert [move[0] for move in cancelled] == [SUBSCRIBER]
    assert abs(cancelled[0][4] - (now - timedelta(days=330))) < timedelta(seconds=1)
    # the second open complaint made the complainer at risk that day, if they were in a stage
    # the rule watches; their history says so either way
    assert any(move[0] == COMPLAINER and move[3] == "complaints" for move in effective)
    # a nightly run afterwards, a day later, adds only what came true during that day
    assert RecomputeRun.objects.exists()
