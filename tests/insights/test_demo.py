"""The demo business fitted: the stored predictions must agree with the truth the generator kept.

Loading the demo takes seconds, so this module loads it once, in one test.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tenure.analytics.activity import ActivityRule
from tenure.demo.services import demo_load
from tenure.insights.models import CustomerPrediction, FitStatus
from tenure.insights.selectors import clv_top, fit_check, retention_figures
from tenure.insights.services import clv_fit
from tenure.orders.models import Order, OrderStatus

TODAY = date(2026, 3, 15)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    ranks = np.argsort(np.argsort(score, kind="stable"), kind="stable") + 1.0
    pos, neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def test_customers_who_truly_dropped_out_get_a_lower_p_alive():
    demo_load(today=TODAY)
    fit = clv_fit(observation_end=TODAY)
    assert fit.status == FitStatus.DONE, fit.error
    buyers = (
        Order.objects.filter(status=OrderStatus.COMPLETED).values("customer").distinct().count()
    )
    assert fit.customers == buyers == CustomerPrediction.objects.count()

    rows = CustomerPrediction.objects.values_list("p_alive", "customer__demo_truth__dropped_out_at")
    p_alive = np.array([row[0] for row in rows])
    dropped = np.array([row[1] is not None for row in rows])
    assert 0.2 < dropped.mean() < 0.8  # both groups are there to compare
    assert p_alive[dropped].mean() < p_alive[~dropped].mean() - 0.4  # 0.18 against 0.83
    # and churn risk ranks the dropouts first far more often than chance
    assert _auc(1.0 - p_alive, dropped) > 0.85  # 0.93 measured

    check = fit_check(user=None)
    assert check is not None
    gap = np.abs(np.array(check.actual) - np.array(check.expected)).sum()
    assert gap < 0.06 * fit.customers  # 74 of 2,400 customers measured

    top = clv_top(user=None, n=5)
    assert len(top) == 5 and top[0].predicted_clv_365 >= top[-1].predicted_clv_365 > 0

    by_model = retention_figures(
        user=None,
        start=date(2025, 10, 1),
        end=date(2025, 12, 31),
        rule=ActivityRule(kind="p_alive"),
    )
    by_rhythm = retention_figures(user=None, start=date(2025, 10, 1), end=date(2025, 12, 31))
    for figures in (by_model, by_rhythm):
        assert figures.S > 100 and figures.retention_rate is not None
        assert 0 < figures.retention_rate < 100
