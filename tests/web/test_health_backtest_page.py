"""The At-risk page's "How well health ranks": the health backtest's AUCs beside the baseline and
the chosen ranking, the weights default / fitted / in use; admins adopt the fitted weights."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse

from tenure.insights.models import FitStatus
from tenure.insights.reading import day_start
from tenure.insights.services import clv_fit
from tenure.lifecycle.health import health_config_active
from tenure.lifecycle.models import HealthBacktestRun, HealthDefinition, HealthScore
from tenure.orders.models import Order
from tenure.orders.services import customer_stats_refresh
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.lifecycle.test_health_tuning import END, START, _business

pytestmark = pytest.mark.django_db
PAGE = "web:lifecycle-at-risk"


def _buy_till_you_die(n: int = 200, seed: int = 3) -> None:
    """``n`` customers buying at Poisson moments (gamma-distributed mean gaps around 20 days)
    until an exponential lifetime (gamma-distributed means around 150 days) ends, from a random
    start in the first 100 days to END: the buy-till-you-die models' own process."""
    rng = np.random.default_rng(seed)
    customers = [make_customer() for _ in range(n)]
    orders = []
    for i, customer in enumerate(customers):
        start = rng.uniform(0, 100)
        end = min(start + rng.exponential(rng.gamma(2, 75)), (END - START).days)
        gap = rng.gamma(2, 10)
        moment, k = start, 0
        while moment <= end:
            orders.append(Order(
                customer=customer, external_id=f"R{i}-{k}", amount=Decimal("30.00"),
                placed_at=day_start(START) + timedelta(days=moment), currency="USD",
                status="completed",
            ))  # fmt: skip
            moment, k = moment + rng.exponential(gap), k + 1
    Order.objects.bulk_create(orders)
    customer_stats_refresh(customer_ids=[c.pk for c in customers])


def test_an_admin_runs_the_backtest_sees_its_figures_and_adopts_the_fitted_weights(client):
    _buy_till_you_die()
    # The backtest takes the latest fit's split, and its chosen ranking's figures from it.
    fit = clv_fit(observation_end=END)
    assert fit.status == FitStatus.DONE and not fit.backtest["reason"]
    client.force_login(make_user(role=Role.ADMIN))
    page = client.get(reverse(PAGE)).content.decode()
    assert "How well health ranks" in page and "No health backtest yet." in page

    done = client.post(reverse("web:lifecycle-health-backtest"))
    assert done.status_code == 302 and done["Location"].endswith("#health-backtest")
    run = HealthBacktestRun.objects.get()
    assert run.reason == "" and run.fitted_weights, run.figures
    assert run.observation_end == END and run.holdout_days == fit.backtest["holdout_days"]
    chosen = next(c for c in fit.backtest["candidates"] if c["key"] == fit.backtest["chosen"])
    assert run.figures["rows"][3]["auc"] == chosen["auc"]
    page = client.get(reverse(PAGE)).content.decode()
    for row in run.figures["rows"]:
        assert row["label"] in page and f"{row['auc']:.3f}" in page
    assert "Use the fitted weights" in page and "In use: default weights" in page

    adopted = client.post(reverse("web:lifecycle-health-adopt", args=[run.pk]), follow=True)
    assert "Health now uses the fitted weights: 200 customers rescored." in adopted.content.decode()
    definition = HealthDefinition.objects.get()
    assert definition.source == "fitted" and definition.backtest_id == run.pk
    in_use = health_config_active()
    assert {k: in_use.params[k]["weight"] for k in run.fitted_weights} == run.fitted_weights
    assert HealthScore.objects.count() == 200
    assert "In use: weights fitted to the history, adopted by" in adopted.content.decode()
    assert "Back to the default weights" in adopted.content.decode()

    back = client.post(reverse("web:lifecycle-health-reset"), follow=True).content.decode()
    assert "Health uses the default weights again: 200 customers rescored." in back
    assert health_config_active().params["recency"]["weight"] == 25
    assert HealthDefinition.objects.order_by("-id").first().source == "default"


def test_the_observation_end_is_the_latest_fit_or_today(client):
    # Without a fit the backtest runs to today: this business ended long ago, so nobody
    # ordered in the holdout and it says why instead of failing.
    _business()
    client.force_login(make_user(role=Role.MANAGER))
    page = client.post(reverse("web:lifecycle-health-backtest"), follow=True).content.decode()
    run = HealthBacktestRun.objects.get()
    assert run.observation_end > END and run.reason
    assert "No health backtest could be run" in page
    assert "Use the fitted weights" not in page  # a manager runs it, but does not adopt


def test_a_success_manager_sees_no_whole_base_figures(client):
    client.force_login(make_user(role=Role.SUCCESS_MANAGER))
    page = client.get(reverse(PAGE)).content.decode()
    assert "How well health ranks" not in page
    assert client.post(reverse("web:lifecycle-health-backtest")).status_code == 403
