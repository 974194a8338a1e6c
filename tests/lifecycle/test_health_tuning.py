"""The health backtest on the database: health as of the cut from the facts then (nothing later
seen), beside days since the last order and the chosen ranking; weights adopted by an admin."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.feedback.models import SurveyKind, SurveyResponse
from tenure.insights.reading import day_number, day_start
from tenure.lifecycle.health import health_config_active
from tenure.lifecycle.health_tuning import (
    health_backtest_run,
    health_facts_at,
    health_weights_adopt,
)
from tenure.lifecycle.models import HealthBacktestRun, HealthDefinition, HealthScore
from tenure.orders.models import Order
from tenure.orders.services import customer_stats_refresh
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_user

START = date(2025, 1, 1)
END = date(2025, 10, 27)  # day 299


def _business() -> list[int]:
    """60 customers ordering every 10 days; the odd ones keep on, the even ones stop between
    day 100 and 216; a CSAT of 1 from each one who keeps on, answered after the cut."""
    customers = [make_customer() for _ in range(60)]
    orders = []
    for i, customer in enumerate(customers):
        stop = 400 if i % 2 else 100 + 2 * i
        for day in range(i % 10, min(stop, 300), 10):
            orders.append(
                Order(
                    customer=customer, external_id=f"O{i}-{day}",
                    placed_at=day_start(START + timedelta(days=day)), amount=Decimal("20.00"),
                    currency="USD", status="completed",
                )
            )  # fmt: skip
        if i % 2:
            SurveyResponse.objects.create(
                customer=customer, kind=SurveyKind.CSAT, score=1,
                answered_at=day_start(END - timedelta(days=5)),
            )  # fmt: skip
    Order.objects.bulk_create(orders)
    customer_stats_refresh(customer_ids=[c.pk for c in customers])
    return [c.pk for c in customers]


@pytest.mark.django_db
def test_health_backtest_reads_the_facts_of_the_cut_and_an_admin_adopts_the_fitted_weights(client):
    ids = _business()
    run = health_backtest_run(observation_end=END)
    figures = {row["key"]: row for row in run.figures["rows"]}
    # No fit: the holdout from the rhythm (3 gaps of 10 days, at least 30).
    assert run.reason == "" and run.holdout_days == 30 and run.customers == 60
    assert run.lapsed == 30
    assert all(row["auc"] is not None for row in figures.values()), figures
    # The CSATs of 1 came after the cut: had the backtest seen them, the customers who kept on
    # buying would be capped below those who stopped, and health would rank worse than chance.
    assert figures["health_default"]["auc"] > 0.9
    assert figures["chosen"]["label"].startswith("chosen ranking")
    assert run.fitted_weights is not None
    # The facts it scored: as of the end of the cut day, the later answers and orders unseen.
    cut = END - timedelta(days=30)
    facts = health_facts_at(health_config_active())(day_number(cut), np.array(ids))
    assert facts["latest_csat"].isna().all() and facts["days_since_csat"].isna().all()
    # Customer 1 orders at the start of days 1, 11, ..., 261 (the cut is the end of day 269).
    assert facts.loc[ids[1], "days_since_last_order"] == pytest.approx(9)
    assert facts.loc[ids[1], "orders_last_90d"] == 9

    admin = Api(client, user=make_user(role=Role.ADMIN))
    shown = admin.get("/lifecycle/health/backtest").json()
    assert shown["id"] == run.pk and shown["weights_source"] == "default"
    assert [row["key"] for row in shown["rankings"]] == list(figures)
    adopted = admin.post("/lifecycle/health/adopt", {"run_id": run.pk})
    assert adopted.status_code == 200, adopted.content
    assert adopted.json()["rescored"] == 60
    in_use = health_config_active()
    assert {k: in_use.params[k]["weight"] for k in run.fitted_weights} == run.fitted_weights
    assert HealthScore.objects.count() == 60
    assert admin.get("/lifecycle/health/backtest").json()["weights_source"] == "fitted"


@pytest.mark.django_db
def test_adopting_a_run_without_fitted_weights_says_why_and_changes_nothing(client):
    run = health_backtest_run(observation_end=END)  # no orders at all
    assert run.reason and run.fitted_weights is None
    with pytest.raises(InvalidInputError) as caught:
        health_weights_adopt(by=None, run_id=run.pk)
    assert f"health backtest {run.pk} has no fitted weights" in str(caught.value)
    admin = Api(client, user=make_user(role=Role.ADMIN))
    refused = admin.post("/lifecycle/health/adopt", {"run_id": run.pk + 1})
    assert refused.status_code == 422
    assert f"no health backtest with id {run.pk + 1}" in refused.json()["error"]["message"]
    assert HealthDefinition.objects.count() == 0 and HealthBacktestRun.objects.count() == 1
