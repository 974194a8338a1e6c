"""A customer's stage does not depend on the order in which their history arrives.

Order logs reach tenure out of order all the time: an import in batches, a shop that sends its
backlog newest first, a refund keyed in a month late. Each arrival is an event the engine
evaluates at once; a back-dated one replays the customer from the stage they stood in at the
event's date (``lifecycle_recompute(since=...)``). The final stages and the effective histories
(the moves not superseded, with the moments they happened) must then equal those of a
recompute of the same history from scratch.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.services import lifecycle_recompute
from tenure.orders.models import Order
from tenure.orders.services import order_create, order_update
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db


def _seed_rhythm() -> None:
    """Repeat buyers every 20 days, and a whole-base recompute that stores their median gap
    (the rhythm of one-order customers), so every evaluation below uses the same one."""
    now = timezone.now()
    for n in range(20):
        customer = make_customer(external_id=f"seed-{n}")
        for k in range(3):
            make_order(
                customer=customer,
                external_id=f"seed-{n}-{k}",
                placed_at=now - timedelta(days=15 + 20 * k),
                amount=Decimal("30.00"),
            )
    run = lifecycle_recompute()
    assert run.customers == 20


def _stages(ids: list[int]) -> dict[int, str]:
    return dict(CustomerStage.objects.filter(customer_id__in=ids).values_list("customer", "stage"))


def _arrive(customer_id: int, key: str, days_ago: float, capture) -> Order:
    with capture(execute=True):
        return order_create(
            external_id=key,
            customer_id=customer_id,
            placed_at=timezone.now() - timedelta(days=days_ago),
            amount=Decimal("50.00"),
            currency="USD",
            status="completed",
        )


def _effective(ids: list[int]) -> list[tuple]:
    return list(
        StageTransition.objects.filter(customer_id__in=ids, superseded_at__isnull=True)
        .order_by("customer_id", "effective_at", "step")
        .values_list("customer_id", "from_stage", "to_stage", "rule", "effective_at")
    )


def _from_scratch(ids: list[int]) -> dict[int, str]:
    StageTransition.objects.filter(customer_id__in=ids).delete()
    CustomerStage.objects.filter(customer_id__in=ids).delete()
    lifecycle_recompute(customer_ids=ids)
    return _stages(ids)


def test_a_back_dated_first_order_does_not_leave_a_recent_buyer_churned(
    django_capture_on_commit_callbacks,
):
    _seed_rhythm()
    customer = make_customer(external_id="late-log")
    # Their first order, 170 days ago, lands first: one order, silent for 8.5 x the base's
    # 20-day rhythm, so churned on what is known.
    _arrive(customer.pk, "L-1", 170, django_capture_on_commit_callbacks)
    assert _stages([customer.pk]) == {customer.pk: "churned"}
    # Then the rest of the log: orders 10 and 100 days ago. Their own rhythm is now 80 days
    # and the last order 10 days old: a repeat customer, as a recompute of the same log says.
    _arrive(customer.pk, "L-2", 10, django_capture_on_commit_callbacks)
    _arrive(customer.pk, "L-3", 100, django_capture_on_commit_callbacks)
    assert _stages([customer.pk]) == {customer.pk: "retention"}
    # What was believed when L-2 arrived stays on record: won back on L-2's day, superseded
    # when L-3 arrived, which dates the win back on its own day (100 days ago): on the base's
    # 20-day rhythm the customer truly was churned from day 110 to day 100.
    believed = StageTransition.objects.get(customer=customer, superseded_at__isnull=False)
    placed = dict(Order.objects.filter(customer=customer).values_list("external_id", "placed_at"))
    assert (believed.to_stage, believed.rule) == ("won_back", "won_back")
    assert abs(believed.effective_at - placed["L-2"]) < timedelta(milliseconds=1)
    assert believed.superseded_at > believed.recorded_at
    effective = _effective([customer.pk])
    assert [move[2] for move in effective][-3:] == ["churned", "won_back", "retention"]
    assert abs(effective[-2][4] - placed["L-3"]) < timedelta(milliseconds=1)
    assert abs(effective[-1][4] - placed["L-2"]) < timedelta(milliseconds=1)
    assert _from_scratch([customer.pk]) == {customer.pk: "retention"}
    assert _effective([customer.pk]) == effective


def test_any_arrival_order_ends_where_a_recompute_of_the_history_does(
    django_capture_on_commit_callbacks,
):
    _seed_rhythm()
    rng = np.random.default_rng(7)
    customers, arrivals = [], []
    for n in range(24):
        customer = make_customer(external_id=f"shuffled-{n}")
        customers.append(customer.pk)
        count = int(rng.integers(1, 5))
        days = sorted(rng.uniform(1, 400, size=count).round(2).tolist())
        arrivals += [(customer.pk, f"O-{n}-{k}", d) for k, d in enumerate(days)]
    order = rng.permutation(len(arrivals))
    stored = {}
    for position in order.tolist():
        customer_id, key, days_ago = arrivals[position]
        stored[key] = _arrive(customer_id, key, days_ago, django_capture_on_commit_callbacks)
    # a refund keyed in late, dated when the order was placed
    refunded = stored["O-0-0"]
    with django_capture_on_commit_callbacks(execute=True):
        order_update(order_id=refunded.pk, changes={"status": "refunded"})

    incremental = _stages(customers)
    history = _effective(customers)
    assert len(incremental) == len(customers)
    assert len(set(incremental.values())) >= 3  # the histories reach several stages
    assert incremental == _from_scratch(customers)
    assert _effective(customers) == history
