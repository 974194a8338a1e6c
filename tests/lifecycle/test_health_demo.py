"""Health on the demo business agrees with what the business sees: the at-risk list's customers
are not green, nor is anyone whose latest CSAT is 1 or who has a complaint open; and health is
scored by the same backtest as the churn ranking.

Loading the demo takes seconds, so this module loads it once, in one test.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from tenure.demo.services import demo_load
from tenure.feedback.models import SurveyKind, SurveyResponse
from tenure.feedback.selectors import answers_latest
from tenure.insights.models import FitStatus
from tenure.insights.services import clv_fit
from tenure.interactions.models import CASE_KINDS, CaseStatus, Interaction
from tenure.lifecycle.health import health_config_active, health_recompute
from tenure.lifecycle.health_tuning import health_backtest_run, health_weights_adopt
from tenure.lifecycle.models import HealthScore
from tenure.lifecycle.selectors import at_risk_list
from tenure.lifecycle.services import lifecycle_recompute

TODAY = date(2026, 3, 15)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_health_on_the_demo_agrees_with_the_at_risk_list_and_what_customers_said(capsys):
    demo_load(today=TODAY)
    assert clv_fit(observation_end=TODAY).status == FitStatus.DONE
    now = timezone.make_aware(datetime.combine(TODAY, time(23, 0)))
    lifecycle_recompute(now=now)
    result = health_recompute(now=now)
    assert result.scored > 2000 and {"red", "yellow", "green"} <= set(result.bands)
    band = dict(HealthScore.objects.values_list("customer_id", "band"))

    # None of the top 100 at-risk customers is green, and their words say why.
    top = at_risk_list(user=None, limit=100, now=now)
    assert len(top) == 100
    assert [row.customer_id for row in top if row.health_band == "green"] == []
    capped = HealthScore.objects.filter(customer_id=top[0].customer_id).get()
    assert capped.score is not None and capped.score <= 75
    assert "at-risk stage" in capped.explanation or capped.score < 75

    # Whoever's latest CSAT is 1 (answered by now) is not green; nor is anyone with an open case.
    latest = answers_latest(SurveyResponse.objects.filter(kind=SurveyKind.CSAT), as_of=now)
    # (Filtered here, not in SQL: a filter on the score would run before the window.)
    ones = [(i, at) for i, score, at in latest.values_list("customer_id", "score", "answered_at")
            if score == 1]  # fmt: skip
    assert ones, "the demo has CSAT answers of 1"
    assert [i for i, _at in ones if band.get(i) == "green"] == []
    stale = [i for i, at in ones if (now - at).days > 90]
    open_cases = set(
        Interaction.objects.filter(kind__in=CASE_KINDS, occurred_at__lte=now)
        .exclude(status=CaseStatus.RESOLVED)
        .values_list("customer_id", flat=True)
    )
    assert open_cases, "the demo has open complaints"
    assert [i for i in open_cases if band.get(i) == "green"] == []
    with capsys.disabled():
        print(
            f"\ndemo health: bands {result.bands}; CSAT 1 latest: {len(ones)} "
            f"({len(stale)} of them older than 90 days); "
            f"open cases {len(open_cases)}"
        )

    # Health scored by the same backtest as the churn ranking: the fit's split, four rankings.
    run = health_backtest_run(observation_end=TODAY)
    figures = {row["key"]: row for row in run.figures["rows"]}
    fit = clv_fit_latest_backtest()
    assert run.reason == "" and run.holdout_days == fit["holdout_days"]
    assert list(figures) == ["health_default", "health_fitted", "days_since_last_order", "chosen"]
    assert all(row["auc"] is not None for row in figures.values()), figures
    assert figures["health_default"]["auc"] > 0.6
    assert run.fitted_weights is not None and set(run.fitted_weights) == set(
        health_config_active().active
    )
    with capsys.disabled():
        print("demo health backtest AUC: " + ", ".join(
            f"{key} {row['auc']:.3f}" for key, row in figures.items()
        ) + f"; fitted weights {run.fitted_weights}")  # fmt: skip

    # Adopting the fitted weights rescored everyone with them; the bands still agree.
    adopted, rescored = health_weights_adopt(by=None, run_id=run.pk, now=now)
    assert adopted.source == "fitted" and adopted.backtest_id == run.pk
    assert rescored.customers == result.customers
    in_use = health_config_active()
    assert {key: in_use.params[key]["weight"] for key in run.fitted_weights} == run.fitted_weights
    top = at_risk_list(user=None, limit=100, now=now)
    assert [row.customer_id for row in top if row.health_band == "green"] == []


def clv_fit_latest_backtest() -> dict:
    from tenure.insights.models import ModelFit

    fit = ModelFit.objects.filter(status=FitStatus.DONE).order_by("-id").first()
    assert fit is not None
    return fit.backtest
