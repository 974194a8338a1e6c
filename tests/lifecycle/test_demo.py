"""The lifecycle on the demo business: bulk and incremental agree on every customer, the
at-risk ranking finds who truly dropped out, and a success manager sees only their own.

Loading the demo takes seconds, so this module loads it once, in one test.
"""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pandas as pd
import pytest
from django.db.models import Count
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.demo.services import demo_load
from tenure.insights.models import FitStatus
from tenure.insights.services import clv_fit
from tenure.lifecycle.audit import churn_audit_for
from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.selectors import (
    at_risk_list,
    lapse_table,
    stage_counts,
    stage_flow,
)
from tenure.lifecycle.services import lifecycle_recompute
from tenure.orders.models import Order
from tenure.orders.services import order_create
from tenure.users.models import Role, User

TODAY = date(2026, 3, 15)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    ranks = np.argsort(np.argsort(score, kind="stable"), kind="stable") + 1.0
    # average ranks over ties, so that a tie counts half
    order = np.argsort(score, kind="stable")
    sorted_scores = score[order]
    _, start, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_rank = start + (counts + 1) / 2.0
    ranks = np.empty_like(ranks)
    ranks[order] = np.repeat(mean_rank, counts)
    pos, neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _stages() -> dict[int, str]:
    return dict(CustomerStage.objects.values_list("customer_id", "stage"))


def test_the_demo_business_through_the_lifecycle(capsys, django_capture_on_commit_callbacks):
    demo_load(today=TODAY)
    assert clv_fit(observation_end=TODAY).status == FitStatus.DONE
    now = timezone.make_aware(datetime.combine(TODAY, time(23, 0)))

    bulk = lifecycle_recompute(now=now)
    assert bulk.customers == Customer.objects.count() > 2000
    assert sum(bulk.counts.values()) == bulk.customers
    assert {"acquisition", "retention", "at_risk", "churned"} <= set(bulk.counts)
    by_bulk = _stages()
    _three_years_of_history(now)
    bulk_moves = StageTransition.objects.count()

    # The same customers one at a time (the update after an event), from no stage.
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()
    ids = sorted(by_bulk)
    rng = np.random.default_rng(6)
    one_by_one = sorted(rng.choice(ids, size=300, replace=False).tolist())
    for customer_id in one_by_one:
        lifecycle_recompute(customer_ids=[customer_id], now=now, cause="order")
    # ... and the rest as an id list with holes (the incremental path's list queries)
    rest = [i for i in ids if i not in set(one_by_one)]
    lifecycle_recompute(customer_ids=rest, now=now, cause="order")
    assert _stages() == by_bulk
    assert StageTransition.objects.count() == bulk_moves
    # a nightly run right after moves nobody
    assert lifecycle_recompute(now=now).moved == 0

    # The at-risk ranking against who truly dropped out (the generator's truth).
    table = lapse_table(Customer.objects.all(), now=now)
    truth = dict(
        Customer.objects.filter(pk__in=table.index.tolist()).values_list(
            "pk", "demo_truth__dropped_out_at"
        )
    )
    dropped = np.array([(at := truth[i]) is not None and at <= now for i in table.index])
    lapse_auc = _auc(table["lapse_score"].to_numpy(), dropped)
    naive_auc = _auc(table["days_since_last_order"].to_numpy(), dropped)
    with capsys.disabled():
        print(f"\nat-risk AUC: lapse score {lapse_auc:.3f}, days since last order {naive_auc:.3f}")
    assert lapse_auc >= 0.80
    assert lapse_auc > naive_auc

    listed = at_risk_list(user=None, limit=50, now=now)
    assert len(listed) == 50
    stakes = [row.value_at_stake for row in listed]
    assert stakes == sorted(stakes, reverse=True)
    assert all(row.stage == "at_risk" and row.reason for row in listed)

    # A success manager's figures count only their customers.
    manager = (
        User.objects.filter(role=Role.SUCCESS_MANAGER, owned_customers__isnull=False)
        .distinct()
        .first()
    )
    assert manager is not None
    from tenure.access import visible

    mine = set(visible(manager, Customer).values_list("pk", flat=True))
    assert 0 < len(mine) < len(ids)
    counts = {row.key: row.customers for row in stage_counts(user=manager)}
    assert sum(counts.values()) == len(mine)
    assert counts["at_risk"] == sum(1 for i in mine if by_bulk.get(i) == "at_risk")
    assert {row.customer_id for row in at_risk_list(user=manager, limit=1000, now=now)} <= mine
    audit = churn_audit_for(user=manager)
    assert audit.attrs["churned"] == sum(1 for i in mine if by_bulk.get(i) == "churned")
    everyone = churn_audit_for(user=None)
    assert everyone.attrs["churned"] == bulk.counts["churned"]

    flow = stage_flow(user=None, period="month", count=3, end=now)
    assert list(flow.conversion["stage"]) == ["reach", "acquisition", "development",
                                              "retention", "advocacy"]  # fmt: skip
    assert flow.counts.iloc[-1].sum() > 0

    # The order logs of 25 buyers arriving newest first, one order at a time, through the real
    # service and its event (the engine evaluates each arrival on the real clock, and goes back
    # to the stage as of a back-dated order's date): they end where a recompute of the same
    # logs from scratch puts them.
    # Buyers of a few orders each: every arrival is a whole write, its events drained by every
    # follower, so the demo's most frequent buyers (a hundred orders) would take minutes.
    few = (
        Order.objects.filter(status="completed").values("customer_id")
        .annotate(n=Count("id")).filter(n__range=(2, 12)).values_list("customer_id", flat=True)
    )  # fmt: skip
    buyers = sorted(rng.choice(sorted(few), 25, replace=False).tolist())
    logs = list(
        Order.objects.filter(customer_id__in=buyers).order_by("-placed_at")
        .values("external_id", "customer_id", "placed_at", "amount", "currency", "status")
    )  # fmt: skip
    Order.objects.filter(customer_id__in=buyers).delete()
    StageTransition.objects.filter(customer_id__in=buyers).delete()
    CustomerStage.objects.filter(customer_id__in=buyers).delete()
    shift = timezone.now() - now  # the events run on the real clock: bring the logs up to it
    for row in logs:
        with django_capture_on_commit_callbacks(execute=True):
            order_create(**{**row, "placed_at": row["placed_at"] + shift})
    arrived = dict(
        CustomerStage.objects.filter(customer_id__in=buyers).values_list("customer", "stage")
    )
    assert len(arrived) == len(buyers) and len(set(arrived.values())) >= 3
    StageTransition.objects.filter(customer_id__in=buyers).delete()
    CustomerStage.objects.filter(customer_id__in=buyers).delete()
    lifecycle_recompute(customer_ids=buyers)
    assert _stages_of(buyers) == arrived


def _three_years_of_history(now: datetime) -> None:
    """Customers per stage over time shows the demo's three years, not one load day: the
    moves are dated when they happened in each customer's history."""
    flow = stage_flow(user=None, period="month", count=None, end=now)
    counts = flow.counts
    assert len(counts) >= 36
    first_year = counts.iloc[:12]
    assert first_year.drop(columns="reach").to_numpy().sum() > 0
    assert first_year[["retention", "at_risk", "churned"]].iloc[-1].min() > 0
    moments = pd.to_datetime(
        list(
            StageTransition.objects.filter(superseded_at__isnull=True).values_list(
                "effective_at", flat=True
            )
        ),
        utc=True,
    )
    years = ((pd.Timestamp(now) - moments).days // 365).value_counts()
    # every one of the three years holds a tenth of the moves or more (the shop grows)
    assert all(years.get(k, 0) > len(moments) / 10 for k in range(3)), years.to_dict()
    assert moments.max() <= pd.Timestamp(now)


def _stages_of(ids: list[int]) -> dict[int, str]:
    return dict(CustomerStage.objects.filter(customer_id__in=ids).values_list("customer", "stage"))
