"""The Analytics page: figures, chart data, cohorts, the top customers, the refit button, roles."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from tenure.customers.models import Customer
from tenure.insights.models import FitStatus, ModelFit
from tenure.insights.services import clv_fit
from tenure.users.models import Role
from tests.factories import make_user
from tests.insights.builders import simulated_buyers
from tests.insights.test_retention import domain_example

pytestmark = pytest.mark.django_db

URL = reverse("web:analytics")
FIXED_60 = {"rule": "fixed_days", "days": 60, "period": "quarter", "count": 3, "end": "2025-07-15"}


def _charts(response) -> dict:
    page = response.content.decode()
    block = page.split('<script id="analytics-data" type="application/json">')[1]
    return json.loads(block.split("</script>")[0])


def test_the_page_shows_the_hand_worked_quarter_and_its_rule(client):
    domain_example()
    client.force_login(make_user(role=Role.ANALYST))
    response = client.get(URL, {**FIXED_60, "count": 4})
    assert response.status_code == 200
    page = response.content.decode()
    series = response.context["series"]
    q2 = next(f for f in series if f.start == date(2025, 4, 1))
    assert (q2.S, q2.E, q2.N, q2.lost, q2.retention_rate) == (20, 24, 5, 1, 95.0)
    assert "95.0 %" in page
    assert "Lost after no order for 60 days." in page
    charts = _charts(response)
    assert "2025 Q2" in charts["retention"]["labels"]
    assert 95.0 in charts["retention"]["retention"]
    assert 'src="/static/web/chart-4.6.1.umd.min.js"' in page


def test_cohort_heatmap_rows_carry_rates_and_shades(client):
    domain_example()
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(URL, {**FIXED_60, "cohort_period": "month"})
    rows = {row["cohort"]: row for row in response.context["cohort_rows"]}
    march = rows[date(2025, 3, 1)]
    assert march["customers"] == 20
    assert march["cells"][0]["rate"] == 100.0 and march["cells"][0]["heat"] == 10
    assert march["cells"][3]["rate"] == 95.0 and march["cells"][3]["heat"] == 10
    assert march["cells"][1]["rate"] == 0.0 and march["cells"][1]["heat"] == 0
    assert march["cells"][5] is None  # August is after the end of July
    page = response.content.decode()
    cell = page.split('<td class="num heat-10" title="19 of 20"><a class="heat-link" href="')[1]
    assert cell.split("</td>")[0].endswith(">95%</a>")  # the rate opens its customers
    table = page.split('id="order-metrics"')[1].split("</table>")[0]
    assert "Mar 1, 2025" in table and "$2,000.00" in table and "100.0 %" in table


def test_periods_not_over_are_marked_partial(client):
    domain_example()
    client.force_login(make_user(role=Role.MANAGER))
    # figures to June 15: June is not over in them, April is
    response = client.get(URL, {**FIXED_60, "end": "2025-06-15", "cohort_period": "month"})
    rows = {row["period"].date(): row for row in response.context["order_rows"]}
    assert rows[date(2025, 6, 1)]["partial"] and not rows[date(2025, 4, 1)]["partial"]
    march = {row["cohort"]: row for row in response.context["cohort_rows"]}[date(2025, 3, 1)]
    assert march["cells"][3]["partial"]  # March + 3 months: June
    assert not any(cell["partial"] for cell in march["cells"][:3])
    page = response.content.decode()
    table = page.split('id="order-metrics"')[1].split("</table>")[0]
    assert table.count('class="row-partial"') == 1 and ">partial</span>" in table
    assert "cell-partial" in page.split('id="cohort-table"')[1].split("</table>")[0]


def test_a_fitted_base_fills_the_charts_the_top_table_and_the_models(client):
    simulated_buyers(customers=200, end=date(2025, 12, 31), seed=3)
    assert clv_fit(observation_end=date(2025, 12, 31)).status == FitStatus.DONE
    client.force_login(make_user(role=Role.ADMIN))
    response = client.get(URL)
    charts = _charts(response)
    assert sum(charts["clv"]["counts"]) <= 200
    assert sum(charts["recency"]["customers"]) == 200
    assert sum(charts["fit"]["actual"]) == 200
    assert len(response.context["top"]) == 20
    page = response.content.decode()
    assert "BetaGeo" in page and "Std. error" in page
    assert "Refit models" in page


def test_refit_button_queues_a_fit_for_a_manager_only(client):
    client.force_login(make_user(role=Role.MANAGER))
    page = client.get(URL).content.decode()
    assert 'action="/analytics/refit/"' in page
    response = client.post(reverse("web:analytics-refit"))
    assert response.status_code == 302
    assert ModelFit.objects.get().status == FitStatus.QUEUED
    client.force_login(make_user(role=Role.ANALYST))
    assert "Refit models" not in client.get(URL).content.decode()
    assert client.post(reverse("web:analytics-refit")).status_code == 403
    assert ModelFit.objects.count() == 1


def test_a_success_manager_sees_only_their_customers_and_no_model_counts(client):
    mine = make_user(role=Role.SUCCESS_MANAGER)
    domain_example(owner=mine, owned=3)
    simulated_buyers(customers=300, end=date(2025, 12, 31), seed=5)
    assert clv_fit(observation_end=date(2025, 12, 31)).status == FitStatus.DONE
    Customer.objects.filter(external_id__startswith="SIM").update(first_name="Secret")
    client.force_login(mine)
    response = client.get(URL, FIXED_60)
    page = response.content.decode()
    q2 = next(f for f in response.context["series"] if f.start == date(2025, 4, 1))
    assert (q2.S, q2.lost) == (3, 1)
    assert "Secret" not in page  # nobody else's customer in the top table
    assert "Fit #" not in page and "BetaGeo" not in page  # fits count everyone
    assert sum(_charts(response)["recency"]["customers"]) == 3


def test_a_bad_setting_falls_back_to_its_default_and_says_so(client):
    client.force_login(make_user(role=Role.ANALYST))
    response = client.get(URL, {"count": "999", "rule": "p_alive"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "count:" in page and "(the default is used)" in page
    assert "run `tenure clv fit` first" in page  # a P(alive) rule needs a fit


def test_the_customer_page_shows_their_value_and_how_sure_it_is(client):
    from tenure.insights.models import CustomerPrediction
    from tenure.web.templatetags.tenure_web import money

    simulated_buyers(customers=200, end=date(2025, 12, 31), seed=3)
    assert clv_fit(observation_end=date(2025, 12, 31)).status == FitStatus.DONE
    prediction = (
        CustomerPrediction.objects.filter(p_alive__gt=0.2, p_alive__lt=0.9, frequency__gt=1)
        .order_by("customer_id")
        .first()
    )
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(reverse("web:customer", args=[prediction.customer_id])).content.decode()
    card = page.split('id="customer-value"')[1].split("</section>")[0]
    assert money(prediction.historic_clv) in card
    assert money(prediction.predicted_clv_365) in card
    assert money(prediction.historic_clv + prediction.predicted_clv_365) in card
    assert f"{round(prediction.churn_risk * 100)} %" in card
    if_alive = (prediction.predicted_clv_365 / Decimal(str(prediction.p_alive))).quantize(
        Decimal("0.01")
    )
    assert f"if they are, about {money(if_alive)}" in card
    assert f"From {prediction.frequency} repeat purchase days" in card


def test_a_customer_without_orders_has_no_prediction_and_says_why(client):
    from tests.factories import make_customer

    customer = make_customer()
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(reverse("web:customer", args=[customer.pk])).content.decode()
    assert "No prediction yet" in page and "this customer has none" in page


def test_subscriptions_card_shows_mrr_retention_and_renewals(client):
    from datetime import UTC, datetime

    from tenure.customers.models import Subscription
    from tests.factories import make_customer

    for amount, cancelled in (("10.00", datetime(2025, 2, 15, tzinfo=UTC)), ("20.00", None)):
        Subscription.objects.create(
            customer=make_customer(),
            plan="Plan",
            amount=Decimal(amount),
            currency="USD",
            interval="month",
            started_at=datetime(2024, 6, 1, tzinfo=UTC),
            cancelled_at=cancelled,
        )
    client.force_login(make_user(role=Role.ANALYST))
    response = client.get(URL, {"period": "quarter", "count": 2, "end": "2025-04-15"})
    card = response.content.decode().split('id="subscriptions"')[1].split("</section>\n")[0]
    assert "Jan 1 \u2013 Mar 31, 2025" in card
    assert "$30.00" in card  # MRR at the start
    assert "66.7 %" in card  # NRR: (30 - 10) / 30
    assert "5 of 6 due" in card  # two monthly renewals a month; the cancelled one misses Mar 1


def _statistics(page: str) -> tuple[str, str, str]:
    """The page split around ``<details id="statistics">``: before it, its opening tag and
    contents, after it."""
    start = page.index('<details class="card card-details" id="statistics"')
    end = page.index("</details>", start) + len("</details>")
    return page[:start], page[start:end], page[end:]


STATISTICS = ("Active at start (S)", "Active at end (E)", "Joined (N)", "Activity rule:")
PARAMETERS = ("Model parameters", "Std. error", "log-likelihood", "Predicted CLV: discounted")


def test_the_answer_in_words_comes_first_and_the_statistics_are_one_click_away(client):
    domain_example()
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(URL, FIXED_60).content.decode()
    before, statistics, after = _statistics(page)
    # The answer, in words and figures, before anything statistical.
    sentence = before.split('id="answer-sentence">')[1].split("</p>")[0]
    assert sentence.startswith("Retention in 2025 Q2 was 95.0 %")
    assert 'id="kpi-strip"' in before
    # S, E, N and the activity rule are inside the details element, closed, and nowhere else.
    opening = statistics.split(">", 1)[0]
    assert " open" not in opening
    assert "<summary>The statistics behind these figures: S, E, N" in statistics
    for words in STATISTICS:
        assert words in statistics and words not in before + after, words
    assert "Model parameters" not in page  # nothing fitted yet


def test_the_models_parameters_are_inside_the_closed_statistics(client):
    simulated_buyers(customers=200, end=date(2025, 12, 31), seed=3)
    assert clv_fit(observation_end=date(2025, 12, 31)).status == FitStatus.DONE
    client.force_login(make_user(role=Role.ADMIN))
    page = client.get(URL).content.decode()
    before, statistics, after = _statistics(page)
    assert 'id="answer-sentence"' in before
    assert " open" not in statistics.split(">", 1)[0]
    assert "the models' parameters</summary>" in statistics
    for words in PARAMETERS:
        assert words in statistics and words not in before + after, words
    assert '<td class="mono">r</td>' in statistics  # BG/NBD's r, with its estimate
    assert "Refit models" in before and "Fit #" in after  # the fits themselves stay on the page
