"""Fitting on the database's orders: stored predictions, refits, failures, who may start one,
the queue, and the selectors that read the predictions back."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.http import Http404
from django_q.models import OrmQ

from tenure.access import AccessDenied
from tenure.analytics.activity import ActivityRule
from tenure.analytics.backtest import RANKINGS
from tenure.analytics.errors import InvalidInputError
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.insights.selectors import (
    clv_distribution,
    clv_top,
    customer_prediction,
    fit_check,
    fit_parameters,
    latest_fit,
    p_alive_by_recency,
    retention_figures,
)
from tenure.insights.services import clv_fit, clv_fit_enqueue
from tenure.jobs.chain import nightly_steps
from tenure.jobs.runner import run_execute
from tenure.jobs.services import run_start
from tenure.orders.models import OrderStatus
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

from .builders import at, buyer, simulated_buyers

pytestmark = pytest.mark.django_db

END = date(2025, 12, 31)


@pytest.fixture
def population():
    return simulated_buyers(customers=300, end=END)


def test_a_fit_stores_one_prediction_per_buyer_and_a_refit_replaces_them(population):
    never_bought = make_customer()
    first = clv_fit(observation_end=END)
    assert first.status == FitStatus.DONE, first.error
    assert CustomerPrediction.objects.count() == 300 == first.customers
    assert not CustomerPrediction.objects.filter(customer=never_bought).exists()
    assert set(first.models_fitted) == {"BetaGeo", "ModifiedBetaGeo", "GammaGamma", "ParetoNBD"}
    assert first.purchase_model in first.models_fitted
    assert first.backtest["chosen"] in RANKINGS and first.backtest["holdout_days"] >= 1
    for model in ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD"):
        entry = first.params[model]
        assert set(entry["params"]) == set(entry["standard_errors"])
        assert all(se > 0 for se in entry["standard_errors"].values())
        assert first.log_likelihood[model] < 0
    assert first.duration_seconds > 0 and first.fitted_at is not None
    stored = ModelFit.objects.get(pk=first.pk)  # as read back (jsonb reorders keys)
    names = [(row.model, row.name) for row in fit_parameters(stored)]
    assert names[:4] == [("BetaGeo", "r"), ("BetaGeo", "alpha"), ("BetaGeo", "a"), ("BetaGeo", "b")]
    assert [row.log_likelihood is not None for row in fit_parameters(stored)][:2] == [True, False]

    newcomer = buyer(END - timedelta(days=3))
    second = clv_fit(observation_end=END)
    assert second.status == FitStatus.DONE
    assert CustomerPrediction.objects.count() == 301
    assert set(CustomerPrediction.objects.values_list("fit", flat=True)) == {second.pk}
    assert CustomerPrediction.objects.filter(customer=newcomer).count() == 1
    assert latest_fit() == second


def test_predictions_are_consistent_and_bounded(population):
    fit = clv_fit(observation_end=END, discount_rate_annual=0.1)
    rows = list(CustomerPrediction.objects.all())
    # The churn risk is 1 - P(alive) when the backtest chose the purchase model's own ranking.
    ranked_by_purchase_model = RANKINGS[fit.backtest["chosen"]].model == fit.purchase_model
    for row in rows:
        assert 0 <= row.p_alive <= 1 and 0 <= row.churn_risk <= 1
        if ranked_by_purchase_model:
            assert row.churn_risk == pytest.approx(1 - row.p_alive)
        assert row.predicted_clv_365 >= 0 and row.expected_average_spend > 0
        assert row.recency <= row.T
        if row.expected_next_order_at is None:
            assert row.p_alive <= 0.5
        else:
            assert row.expected_next_order_at > at(END, 0)
    # CLV = margin x spend x discounted purchases: roughly spend x purchases, never above it
    for row in rows[:50]:
        undiscounted = row.expected_average_spend * Decimal(row.expected_purchases_365)
        assert row.predicted_clv_365 <= undiscounted + Decimal("0.01")
    half = clv_fit(observation_end=END, margin=0.5)
    assert half.status == FitStatus.DONE
    halved = dict(CustomerPrediction.objects.values_list("customer_id", "predicted_clv_365"))
    full = {row.customer_id: row.predicted_clv_365 for row in rows}
    some = next(c for c, v in full.items() if v > 10)
    assert halved[some] == pytest.approx(full[some] / 2, abs=Decimal("0.01"))
    assert fit.margin == 1.0 and half.margin == 0.5


def test_historic_clv_is_net_of_refunds_and_stops_at_the_observation_end(population):
    customer = buyer(date(2025, 3, 1), date(2025, 6, 1), amount="40.00")
    make_order(
        customer=customer,
        placed_at=at(date(2025, 7, 1)),
        amount=Decimal("99.00"),
        status=OrderStatus.REFUNDED,
    )
    make_order(customer=customer, placed_at=at(END + timedelta(days=1)), amount=Decimal("7.00"))
    assert clv_fit(observation_end=END).status == FitStatus.DONE
    row = CustomerPrediction.objects.get(customer=customer)
    assert row.historic_clv == Decimal("80.00")
    assert (row.frequency, row.recency, row.T) == (1, 92.0, 305.0)


def test_a_fit_without_orders_is_recorded_as_failed_with_its_reason():
    make_customer()
    fit = clv_fit(observation_end=END)
    assert fit.status == FitStatus.FAILED
    assert "no completed orders on or before 2025-12-31" in fit.error
    assert ModelFit.objects.get(pk=fit.pk).status == FitStatus.FAILED
    assert latest_fit() is None


def test_a_failed_fit_keeps_the_previous_predictions(population):
    good = clv_fit(observation_end=END)
    before = CustomerPrediction.objects.count()
    early = clv_fit(observation_end=date(2020, 1, 1))  # before anyone bought
    assert early.status == FitStatus.FAILED
    assert CustomerPrediction.objects.count() == before
    assert latest_fit() == good


def test_a_fit_the_models_cannot_support_says_why():
    for _ in range(5):  # one order each: no repeat purchase to learn a rate from
        buyer(date(2025, 3, 1))
    fit = clv_fit(observation_end=END)
    assert fit.status == FitStatus.FAILED
    assert "BG/NBD: no customer has a repeat purchase" in fit.error
    assert fit.error.startswith("no purchase model could be fitted")


@pytest.mark.parametrize("role", [Role.SUCCESS_MANAGER, Role.ANALYST])
def test_only_admins_and_managers_may_start_a_fit(role):
    with pytest.raises(AccessDenied):
        clv_fit(by=make_user(role=role), observation_end=END)
    with pytest.raises(AccessDenied):
        clv_fit_enqueue(by=make_user(role=role))
    assert not ModelFit.objects.exists()


def test_a_manager_may_fit_and_is_recorded(population):
    manager = make_user(role=Role.MANAGER)
    fit = clv_fit(by=manager, observation_end=END)
    assert fit.status == FitStatus.DONE and fit.started_by == manager
    admin = make_user(role=Role.ADMIN)
    assert clv_fit(by=admin, observation_end=END).started_by == admin


def test_bad_settings_are_refused_before_anything_is_recorded():
    with pytest.raises(InvalidInputError):
        clv_fit(observation_end=END, margin=-1)
    with pytest.raises(InvalidInputError):
        clv_fit(observation_end=END, horizon_days=0)
    assert not ModelFit.objects.exists()


def test_an_enqueued_fit_is_queued_then_run_once(population, django_capture_on_commit_callbacks):
    manager = make_user(role=Role.MANAGER)
    queued_before = OrmQ.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        fit = clv_fit_enqueue(by=manager, observation_end=END)
    assert fit.status == FitStatus.QUEUED
    assert OrmQ.objects.count() == queued_before + 1
    task = OrmQ.objects.order_by("-id").first().task
    assert (task["func"], task["args"]) == ("tenure.jobs.tasks.run", (fit.run_id,))
    assert fit.run.kind == "insights.fit" and fit.run.requested_by == manager
    first = run_execute(fit.run_id)
    assert (first["claimed"], first["status"], first["error"]) == (True, "done", "")
    assert first["result"]["fit"] == fit.pk
    assert run_execute(fit.run_id) == {"run": fit.run_id, "claimed": False}  # a second delivery
    fit.refresh_from_db()
    assert fit.status == FitStatus.DONE and fit.customers == 300


def test_the_nightly_refit_is_scheduled_and_fits_today():
    assert nightly_steps()[0] == "insights.fit"  # the nightly chain's first step
    run, _ = run_start(kind="insights.fit", by=None, queue=False)
    result = run_execute(run.pk)  # nothing to fit yet: a failed run that says why
    assert result["status"] == "failed" and "no completed orders" in result["error"]
    fit = ModelFit.objects.get(run=run)
    assert fit.status == FitStatus.FAILED and "no completed orders" in fit.error


def test_the_top_customers_are_ordered_and_filtered_by_role(population):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    owned = population[:40]
    for customer in owned:
        customer.owner = mine
        customer.save(update_fields=["owner"])
    clv_fit(observation_end=END)
    top = clv_top(user=make_user(role=Role.ANALYST), n=10)
    values = [row.predicted_clv_365 for row in top]
    assert len(top) == 10 and values == sorted(values, reverse=True)
    assert values[0] == max(CustomerPrediction.objects.values_list("predicted_clv_365", flat=True))
    own = clv_top(user=mine, n=100)
    assert len(own) == 40 and {row.customer_id for row in own} == {c.pk for c in owned}
    assert own[0].external_id.startswith("SIM") and own[0].name.startswith("Sim Buyer")
    # the distribution and the model check count only the visible customers as well
    assert clv_distribution(user=mine).customers == 40
    assert clv_distribution(user=None).customers == 300
    assert sum(fit_check(user=mine).actual) == 40
    assert sum(b.customers for b in p_alive_by_recency(user=mine)) == 40
    outsider = population[-1]
    with pytest.raises(Http404):
        customer_prediction(user=mine, customer_id=outsider.pk)
    assert customer_prediction(user=mine, customer_id=owned[0].pk).customer_id == owned[0].pk
    assert customer_prediction(user=None, customer_id=outsider.pk) is not None


def test_the_distribution_buckets_and_model_check_add_up(population):
    assert fit_check(user=None) is None
    clv_fit(observation_end=END)
    spread = clv_distribution(user=None, bins=10)
    assert len(spread.edges) == 11 and len(spread.counts) == 10
    assert sum(spread.counts) + spread.above == 300
    stored = sum(CustomerPrediction.objects.values_list("predicted_clv_365", flat=True))
    assert spread.total == stored
    buckets = p_alive_by_recency(user=None)
    assert [b.low_days for b in buckets] == [0, 30, 60, 90, 180, 365, 730]
    filled = [b.mean_p_alive for b in buckets if b.mean_p_alive is not None]
    assert filled[0] > filled[-1]  # the longer the silence, the less likely alive
    check = fit_check(user=None)
    assert sum(check.actual) == 300
    assert sum(check.expected) == pytest.approx(300)
    # a fitted model matches its own data's repeat-purchase counts roughly
    assert np.abs(np.array(check.actual) - np.array(check.expected)).sum() < 0.25 * 300


def test_p_alive_rule_uses_the_stored_fit(population):
    clv_fit(observation_end=END)
    strict = retention_figures(
        user=None,
        start=date(2025, 7, 1),
        end=END,
        rule=ActivityRule(kind="p_alive", p_alive_threshold=0.9),
    )
    loose = retention_figures(
        user=None,
        start=date(2025, 7, 1),
        end=END,
        rule=ActivityRule(kind="p_alive", p_alive_threshold=0.05),
    )
    assert loose.E > strict.E
    assert "below 0.9" in strict.rule_description


def test_the_customer_export_with_insights_carries_the_stored_figures(population, tmp_path):
    import csv

    from click.testing import CliRunner

    from tenure.cli.main import register_commands
    from tenure.transfer.selectors import INSIGHT_COLUMNS

    fit = clv_fit(observation_end=END)
    assert fit.status == FitStatus.DONE
    lead = make_customer()  # never bought: no prediction, empty insight cells
    target = tmp_path / "customers.csv"
    cli = register_commands()
    result = CliRunner().invoke(cli, ["export", "customers", str(target), "--insights"])
    assert result.exit_code == 0, result.output
    with target.open(newline="") as handle:
        rows = {row["customer_id"]: row for row in csv.DictReader(handle)}
    header = list(next(iter(rows.values())))
    assert header[-len(INSIGHT_COLUMNS) :] == list(INSIGHT_COLUMNS)
    some = CustomerPrediction.objects.select_related("customer").first()
    row = rows[some.customer.external_id]
    assert float(row["churn_risk"]) == pytest.approx(some.churn_risk, abs=5e-5)
    assert float(row["p_alive"]) == pytest.approx(some.p_alive, abs=5e-5)
    assert float(row["expected_purchases"]) == pytest.approx(some.expected_purchases_365, abs=5e-5)
    assert Decimal(row["predicted_clv"]) == some.predicted_clv_365
    assert row["horizon_days"] == "365"
    assert all(rows[lead.external_id][name] == "" for name in INSIGHT_COLUMNS)
    plain = tmp_path / "plain.csv"
    assert CliRunner().invoke(cli, ["export", "customers", str(plain)]).exit_code == 0
    assert "churn_risk" not in plain.read_text().splitlines()[0]


def test_the_web_customers_export_adds_the_insights_when_asked(population, client):
    from django.urls import reverse

    assert clv_fit(observation_end=END).status == FitStatus.DONE
    client.force_login(make_user(role=Role.MANAGER))
    url = reverse("web:customers-csv")
    header = b"".join(client.get(url, {"insights": "1"}).streaming_content).splitlines()[0]
    assert header.decode().endswith(
        "stage,health,health_band,churn_risk,p_alive,expected_purchases,horizon_days,predicted_clv"
    )
    plain = b"".join(client.get(url).streaming_content).splitlines()[0].decode()
    assert "churn_risk" not in plain
