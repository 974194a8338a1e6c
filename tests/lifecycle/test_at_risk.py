"""The at-risk figures: churn risk from the ranking the fit's backtest chose, value at stake
from the purchase and spend models (bounded by sense), and the backtest shown with them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.analytics.backtest import MODELS, RANKINGS
from tenure.customers.models import Customer
from tenure.insights.models import CustomerPrediction, FitStatus
from tenure.insights.ranking import ranking_backtest
from tenure.insights.services import clv_fit
from tenure.lifecycle.selectors import lapse_table
from tests.factories import make_order
from tests.insights.builders import at, buyer, simulated_buyers

pytestmark = pytest.mark.django_db

END = date(2025, 12, 31)
NOW = timezone.make_aware(datetime.combine(END, time(23, 0)))


def _two_orders_a_day_apart() -> Customer:
    """Two orders a day apart, $67.67 in all, the last 864 days before the end (the case that
    once got $22,028 a year from spend x 365 / gap)."""
    last = END - timedelta(days=864)
    customer = buyer(last - timedelta(days=1), amount="33.84")
    make_order(customer=customer, placed_at=at(last), amount=Decimal("33.83"))
    return customer


def test_without_a_fit_the_yearly_value_is_what_they_paid_per_year():
    customer = _two_orders_a_day_apart()
    row = lapse_table(Customer.objects.filter(pk=customer.pk), now=NOW).loc[customer.pk]
    # By hand: $67.67 over the 865 days and 11 hours since the first order (noon to 23:00),
    # per year: 67.67 x 365 / 865.4583 = 28.539.
    years = (NOW - at(END - timedelta(days=865))).total_seconds() / 86400 / 365
    assert row["annual_value"] == pytest.approx(67.67 / years, rel=1e-9)
    assert row["annual_value"] == pytest.approx(28.539, abs=0.001)
    # The silence against three usual gaps (1 day): certainly lapsed.
    assert row["lapse_score"] == 1.0
    assert row["value_at_stake"] == pytest.approx(row["annual_value"])


def test_value_at_stake_is_risk_times_the_value_if_they_stay_by_hand():
    customer = _two_orders_a_day_apart()
    fit = clv_fit(observation_end=END)  # one buyer: no purchase model, the fit fails alone
    assert fit.status == FitStatus.FAILED
    CustomerPrediction.objects.create(
        customer=customer, fit=fit, frequency=1, recency=1.0, T=865.0, p_alive=0.1,
        churn_risk=0.9, expected_purchases_365=0.06, expected_average_spend=Decimal("33.84"),
        predicted_clv_365=Decimal("2.00"), value_if_stays_365=Decimal("20.30"),
        historic_clv=Decimal("67.67"),
    )  # fmt: skip
    row = lapse_table(Customer.objects.filter(pk=customer.pk), now=NOW).loc[customer.pk]
    assert (row["lapse_score"], row["annual_value"]) == (0.9, 20.30)
    assert row["value_at_stake"] == pytest.approx(0.9 * 20.30)  # 18.27


def test_the_models_bound_the_yearly_value_and_one_time_buyers_get_a_risk():
    simulated_buyers(customers=300, end=END)
    odd = _two_orders_a_day_apart()
    silent = buyer(END - timedelta(days=900), amount="40.00")  # one order, 900 days ago
    fit = clv_fit(observation_end=END)
    assert fit.status == FitStatus.DONE, fit.error
    table = lapse_table(Customer.objects.all(), now=NOW)
    row = table.loc[odd.pk]
    stored = CustomerPrediction.objects.get(customer=odd)
    # The yearly value is the purchase model's expected purchases in 365 days of a customer
    # still buying, times the expected order value.
    entry = fit.params[fit.purchase_model]["params"]
    model = MODELS[fit.purchase_model].from_params(**entry)
    purchases = float(model.expected_purchases_if_alive(365.0, 1, 1.0, 865.0)[0])
    expected = purchases * float(stored.expected_average_spend)
    assert row["annual_value"] == pytest.approx(expected, abs=0.01)
    assert row["annual_value"] < 200  # not $22,028
    assert table["value_at_stake"].idxmax() != odd.pk
    assert table["value_at_stake"].rank(ascending=False)[odd.pk] > 10
    # A one-time buyer silent for 900 days has a real churn risk, above a recent one's.
    risk = CustomerPrediction.objects.get(customer=silent).churn_risk
    assert risk > 0.5
    recent_one_timers = CustomerPrediction.objects.filter(frequency=0, T__lt=60)
    assert all(p.churn_risk < risk for p in recent_one_timers)


def test_the_backtest_is_stored_with_the_fit_and_told_in_words():
    simulated_buyers(customers=300, end=END)
    fit = clv_fit(observation_end=END)
    assert fit.status == FitStatus.DONE, fit.error
    shown = ranking_backtest()
    assert shown is not None and shown.fit_id == fit.pk
    assert shown.chosen in RANKINGS and shown.chosen_label == RANKINGS[shown.chosen].label
    assert shown.chosen_auc is not None and shown.baseline_auc is not None
    assert shown.chosen_auc >= shown.baseline_auc
    assert sum(c.chosen for c in shown.candidates) == 1
    assert f"AUC {shown.chosen_auc:.3f}" in shown.summary
    assert f"against {shown.baseline_auc:.3f} for days since the last order" in shown.summary
    assert 0 < shown.lapsed < shown.customers


def test_the_at_risk_page_and_the_api_show_the_backtest(client):
    from django.urls import reverse

    from tenure.users.models import Role
    from tests.api.helpers import Api
    from tests.factories import make_user

    before = Api(client, user=make_user(role=Role.ANALYST)).get("/lifecycle/at-risk/backtest")
    assert before.status_code == 200 and before.json()["fit_id"] is None
    simulated_buyers(customers=300, end=END)
    assert clv_fit(observation_end=END).status == FitStatus.DONE
    shown = ranking_backtest()
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    page = client.get(reverse("web:lifecycle-at-risk")).content.decode()
    assert "How the churn risk was chosen" in page and f"{shown.chosen_auc:.3f}" in page
    assert f"{shown.baseline_auc:.3f}" in page and "used" in page
    body = Api(client, user=admin).get("/lifecycle/at-risk/backtest").json()
    assert (body["chosen"], body["chosen_auc"]) == (shown.chosen, shown.chosen_auc)
    assert body["baseline_auc"] == shown.baseline_auc and body["customers"] == shown.customers
    assert len(body["candidates"]) == len(RANKINGS)
    # A success manager sees how the ranking was chosen, not the whole base's head counts.
    theirs = Api(client, user=make_user(role=Role.SUCCESS_MANAGER)).get(
        "/lifecycle/at-risk/backtest"
    )
    assert theirs.json()["customers"] is None and theirs.json()["chosen"] == shown.chosen
    assert "customers did not" not in theirs.json()["summary"]
