"""/api/v1/analytics: the insights selectors over HTTP, in the API's shapes and error rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.insights.services import clv_fit
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_user
from tests.insights.builders import simulated_buyers
from tests.insights.test_retention import domain_example

pytestmark = pytest.mark.django_db

FIXED_60 = {"rule": "fixed_days", "days": 60}


def test_retention_for_a_quarter_is_the_hand_worked_example(client):
    domain_example()
    response = Api(client, Role.ANALYST).get("/analytics/retention", period="2025-Q2", **FIXED_60)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["S"], body["E"], body["N"], body["lost"]) == (20, 24, 5, 1)
    assert body["retention_rate"] == 95.0
    assert body["churn_rate"] == 5.0
    assert (body["start"], body["end"]) == ("2025-04-01", "2025-06-30")
    assert body["rule"].startswith("Lost after no order for 60 days.")


def test_a_success_manager_gets_figures_of_their_own_customers_only(client):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    domain_example(owner=mine, owned=3)
    body = Api(client, user=mine).get("/analytics/retention", period="2025-Q2", **FIXED_60).json()
    assert (body["S"], body["E"], body["lost"]) == (3, 2, 1)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2025-Q5"}, "period"),
        ({"period": "2025-Q1", "rule": "vibes"}, "rule"),
        ({"period": "2025-Q1", "gap_multiple": -1}, "gap_multiple"),
        ({}, "period"),
    ],
)
def test_bad_retention_input_is_a_422_naming_the_field(client, params, field):
    response = Api(client).get("/analytics/retention", **params)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error


def test_retention_series_gives_one_row_per_whole_period(client):
    domain_example()
    body = (
        Api(client)
        .get("/analytics/retention/series", period="quarter", count=3, end="2025-07-15", **FIXED_60)
        .json()
    )
    assert [row["start"] for row in body] == ["2024-10-01", "2025-01-01", "2025-04-01"]
    assert body[-1]["retention_rate"] == 95.0


def test_cohorts_are_cells_with_rates_and_money(client):
    domain_example()
    body = Api(client).get("/analytics/cohorts", period="month", count=6, end="2025-06-30").json()
    march = [cell for cell in body if cell["cohort"] == "2025-03-01"]
    assert march[0]["period"] == 0 and march[0]["customers"] == 20 and march[0]["rate"] == 100.0
    june = next(cell for cell in march if cell["period"] == 3)
    assert june["active"] == 19 and june["rate"] == 95.0
    assert june["revenue"] == "950.00"  # 19 orders of 50.00, as a decimal string


@pytest.fixture
def fitted_base():
    simulated_buyers(customers=250, end=date(2025, 12, 31), seed=7)
    fit = clv_fit(observation_end=date(2025, 12, 31))
    assert fit.status == FitStatus.DONE, fit.error
    return fit


def test_top_customers_distribution_and_fit_check_after_a_fit(client, fitted_base):
    api = Api(client, Role.ANALYST)
    top = api.get("/analytics/clv/top", n=5).json()
    assert len(top) == 5
    values = [Decimal(row["predicted_clv_365"]) for row in top]
    assert values == sorted(values, reverse=True)
    best = CustomerPrediction.objects.order_by("-predicted_clv_365", "customer_id").first()
    assert top[0]["customer_id"] == best.customer_id

    spread = api.get("/analytics/clv/distribution", bins=10).json()
    assert spread["customers"] == 250
    assert sum(spread["counts"]) + spread["above"] == 250
    assert len(spread["edges"]) == 11

    check = api.get("/analytics/fit-check").json()
    assert sum(check["actual"]) == 250
    assert sum(check["expected"]) == pytest.approx(250, rel=0.01)

    buckets = api.get("/analytics/p-alive-by-recency").json()
    assert sum(bucket["customers"] for bucket in buckets) == 250


def test_a_customer_prediction_is_found_only_by_who_may_see_the_customer(client, fitted_base):
    prediction = CustomerPrediction.objects.first()
    body = Api(client).get(f"/customers/{prediction.customer_id}/prediction").json()
    assert body["p_alive"] == pytest.approx(prediction.p_alive)
    assert body["predicted_clv_365"] == f"{prediction.predicted_clv_365:.2f}"
    stranger = Api(client, Role.SUCCESS_MANAGER)
    response = stranger.get(f"/customers/{prediction.customer_id}/prediction")
    assert response.status_code == 404
    assert stranger.get("/analytics/clv/top").json() == []


def test_fits_are_listed_for_roles_that_see_everyone_but_not_for_success_managers(
    client, fitted_base
):
    listed = Api(client, Role.ANALYST).get("/analytics/fits").json()
    assert listed[0]["id"] == fitted_base.id
    assert listed[0]["customers"] == 250
    assert "BetaGeo" in listed[0]["params"]
    assert listed[0]["purchase_model"] == fitted_base.purchase_model
    assert listed[0]["backtest"]["chosen"] == fitted_base.backtest["chosen"]
    for path in ("/analytics/fits", f"/analytics/fits/{fitted_base.id}"):
        response = Api(client, Role.SUCCESS_MANAGER).get(path)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_a_refit_is_queued_by_a_manager_and_refused_to_an_analyst(client):
    response = Api(client, Role.MANAGER).post("/analytics/fits", {"horizon_days": 180})
    assert response.status_code == 202, response.content
    fit = ModelFit.objects.get(pk=response.json()["id"])
    assert (fit.status, fit.horizon_days) == (FitStatus.QUEUED, 180)
    refused = Api(client, Role.ANALYST).post("/analytics/fits", {})
    assert refused.status_code == 403
    assert ModelFit.objects.count() == 1


def test_orders_per_period_follow_the_hand_worked_log(client):
    domain_example()  # March: 20 buyers x 2 orders; April: 1 new; June: 19 back + 5 new
    body = Api(client).get("/analytics/orders", period="month", count=4, end="2025-06-30").json()
    by_month = {row["period"]: row for row in body}
    assert set(by_month) == {"2025-03-01", "2025-04-01", "2025-06-01"}  # May: no orders
    march, june = by_month["2025-03-01"], by_month["2025-06-01"]
    assert (march["customers"], march["new_customers"], march["orders"]) == (20, 20, 40)
    assert march["revenue"] == "2000.00" and march["average_order_value"] == "50.00"
    assert march["purchase_frequency"] == 2.0 and march["repeat_purchase_rate"] == 100.0
    assert (june["customers"], june["new_customers"], june["returning_customers"]) == (24, 5, 19)
    assert june["repeat_purchase_rate"] == 0.0


def test_recurring_cohorts_count_a_customer_in_every_period_they_bought(client):
    domain_example()
    api = Api(client)
    first = api.get("/analytics/cohorts", count=6, end="2025-06-30").json()
    recurring = api.get(
        "/analytics/cohorts", count=6, end="2025-06-30", retention_type="recurring"
    ).json()
    june_first = [c for c in first if c["cohort"] == "2025-06-01" and c["period"] == 0]
    june_recurring = [c for c in recurring if c["cohort"] == "2025-06-01" and c["period"] == 0]
    assert june_first[0]["customers"] == 5  # first purchase in June
    assert june_recurring[0]["customers"] == 24  # everyone who bought in June


def test_contract_figures_for_a_quarter_are_hand_worked(client):
    from datetime import UTC, datetime

    from tenure.customers.models import Subscription
    from tests.factories import make_customer

    def subscribe(amount, interval, started, cancelled=None):
        Subscription.objects.create(
            customer=make_customer(),
            plan="Plan",
            amount=Decimal(amount),
            currency="USD",
            interval=interval,
            started_at=datetime(*started, tzinfo=UTC),
            cancelled_at=datetime(*cancelled, tzinfo=UTC) if cancelled else None,
        )

    subscribe("10.00", "month", (2024, 6, 1), cancelled=(2025, 2, 15))
    subscribe("20.00", "month", (2024, 6, 1))
    subscribe("30.00", "month", (2024, 6, 1))
    subscribe("120.00", "year", (2025, 3, 1))  # new in the quarter: 10.00 a month
    body = Api(client, Role.ANALYST).get("/analytics/contracts", period="2025-Q1").json()
    assert body["start_mrr"] == "60.00"
    assert body["churned_mrr"] == "10.00"
    assert body["new_mrr"] == "10.00"
    assert body["end_mrr"] == "60.00"
    assert body["nrr"] == pytest.approx(50 / 60 * 100)
    assert body["grr"] == pytest.approx(50 / 60 * 100)
    # Monthly renewals on Jan 1, Feb 1 and Mar 1 for three subscriptions; the one cancelled on
    # Feb 15 does not renew on Mar 1.
    assert (body["up_for_renewal"], body["renewed"]) == (9, 8)
    assert body["renewal_rate"] == pytest.approx(8 / 9 * 100)
    assert body["expansion_mrr"] == "0.00" and body["notes"]  # amount changes: said, not guessed


def test_renewal_survival_without_subscriptions_says_why(client):
    body = Api(client).get("/analytics/renewal-survival").json()
    assert body["rows"] == [] and body["pooled"] is None
    assert body["reason"]
