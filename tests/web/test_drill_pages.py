"""The customers behind a chart's point: the drill-down page lists exactly them (paged), exports
them, saves them as a static segment; an analyst may look but not save; a bad link is refused
on its field."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tenure.customers.models import Customer
from tenure.events.models import Event
from tenure.segments.models import Segment, SegmentKind, SegmentMembership
from tenure.users.models import Role
from tests.factories import make_user
from tests.insights.test_retention import domain_example

pytestmark = pytest.mark.django_db

DRILL = reverse("web:analytics-drill")
LOST_Q2 = {
    "chart": "retention", "part": "lost", "start": "2025-04-01", "end": "2025-06-30",
    "rule": "fixed_days", "days": "60",
}  # fmt: skip


def _lost_one() -> Customer:
    """DOMAIN.md's quarter: of the 20 active on 1 April, the first bought nothing in June."""
    domain_example()
    return Customer.objects.order_by("pk").first()


def test_a_retention_point_lists_exactly_its_lost_customers(client):
    lost = _lost_one()
    client.force_login(make_user(role=Role.ANALYST))
    response = client.get(DRILL, LOST_Q2)
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].items] == [lost.pk]
    page = response.content.decode()
    assert 'id="drill-count">1 customer<' in page
    assert f'href="/customers/{lost.pk}/"' in page
    assert 'id="drill-save"' not in page  # an analyst reads only: no button


def test_the_retained_are_listed_once_each_and_a_page_past_the_end_is_empty(client):
    domain_example()
    client.force_login(make_user(role=Role.MANAGER))
    first = client.get(DRILL, {**LOST_Q2, "part": "retained"}).context["page"]
    assert first.total == 19 and len({c.pk for c in first.items}) == 19
    assert not first.has_next
    past = client.get(DRILL, {**LOST_Q2, "part": "retained", "page": 2}).context["page"]
    assert past.items == [] and past.total == 19


def test_a_cohort_cell_lists_its_customers(client):
    domain_example()
    client.force_login(make_user(role=Role.MANAGER))
    cell = {"chart": "cohort", "cohort": "2025-03-01", "k": "3", "end": "2025-07-15"}
    response = client.get(DRILL, cell)
    assert response.context["page"].total == 19  # 19 of the 20 March buyers bought in June
    assert client.get(DRILL, {**cell, "k": "-1"}).context["page"].total == 20


def test_the_export_holds_the_same_customers(client):
    lost = _lost_one()
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(reverse("web:analytics-drill-csv"), LOST_Q2)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) == 2 and lost.external_id in lines[1]


def test_save_as_segment_makes_a_static_segment_of_them(client):
    domain_example()
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    query = "&".join(f"{k}={v}" for k, v in {**LOST_Q2, "part": "retained"}.items())
    response = client.post(
        reverse("web:analytics-drill-save"), {"query": query, "name": "Kept in Q2"}
    )
    segment = Segment.objects.get(name="Kept in Q2")
    assert response.status_code == 302 and response["Location"] == f"/segments/{segment.pk}/"
    assert segment.kind == SegmentKind.STATIC and segment.owner == manager
    members = set(
        SegmentMembership.objects.filter(segment=segment).values_list("customer_id", flat=True)
    )
    listed = client.get(DRILL, {**LOST_Q2, "part": "retained", "page": 1}).context["page"]
    assert len(members) == segment.members_count == 19 == listed.total
    assert Event.objects.filter(kind="segment.entered", data__segment_id=segment.pk).count() == 19


def test_an_analyst_may_not_save_a_segment(client):
    domain_example()
    client.force_login(make_user(role=Role.ANALYST))
    query = "&".join(f"{k}={v}" for k, v in LOST_Q2.items())
    response = client.post(reverse("web:analytics-drill-save"), {"query": query, "name": "No"})
    assert response.status_code == 403
    assert not Segment.objects.exists()


def test_a_success_manager_sees_and_saves_only_their_own(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    domain_example(owner=sam, owned=3)  # their three include the one lost
    client.force_login(sam)
    retained = client.get(DRILL, {**LOST_Q2, "part": "retained"}).context["page"]
    assert retained.total == 2 and all(c.owner_id == sam.pk for c in retained.items)
    query = "&".join(f"{k}={v}" for k, v in {**LOST_Q2, "part": "retained"}.items())
    client.post(reverse("web:analytics-drill-save"), {"query": query, "name": "Mine"})
    assert Segment.objects.get(name="Mine").members_count == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"chart": "retention", "part": "lost", "start": "2025-04-01"}, "end"),
        ({**LOST_Q2, "start": "2025-13-01"}, "start"),
        ({**LOST_Q2, "part": "everyone"}, "part"),
        ({**LOST_Q2, "end": "2025-03-01"}, "end"),
        ({"chart": "pie"}, "chart"),
        ({"chart": "cohort", "cohort": "2025-03-01", "k": "500", "end": "2025-07-15"}, "k"),
    ],
)
def test_a_link_that_names_no_point_is_refused_on_its_field(client, query, field):
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(DRILL, query)
    assert response.status_code == 400
    assert f"<li>{field}: " in response.content.decode()


def test_the_analytics_page_links_each_figure_to_its_customers(client):
    domain_example()
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(
        reverse("web:analytics"),
        {"rule": "fixed_days", "days": 60, "period": "quarter", "count": 3, "end": "2025-07-15"},
    )
    charts = response.context["charts"]["retention"]
    q2 = charts["labels"].index("2025 Q2")
    lost_url = charts["lost_urls"][q2]
    assert client.get(lost_url).context["page"].total == 1
    assert client.get(charts["retained_urls"][q2]).context["page"].total == 19
    # the running quarter (July) is the last point, so far, drawn dashed
    assert charts["labels"][-1] == "2025 Q3 (so far)" and charts["partial"][-1] is True
    page = response.content.decode()
    assert lost_url.replace("&", "&amp;") in page  # the table's link, for keyboards
    assert date(2025, 6, 30).isoformat() in lost_url


def test_every_point_of_the_lifecycle_charts_opens_as_many_customers_as_it_counts(client):
    from tests.web.lifecycle_book import lifecycle_book

    lifecycle_book()
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(reverse("web:lifecycle"), {"period": "month"})
    charts = response.context["charts"]
    opened = 0
    for series in charts["flow"]["series"]:
        for count, url in zip(series["counts"], series["urls"], strict=True):
            if count or opened < 40:  # every point that counts someone, and some zeros
                assert client.get(url).context["page"].total == count, (series["key"], url)
                opened += count
    assert opened > 0
    buckets = charts["buckets"]
    for name in ("new", "returning", "resurrecting", "dormant"):
        for count, url in zip(buckets[name], buckets[f"{name}_urls"], strict=True):
            assert client.get(url).context["page"].total == abs(count), (name, url)
    # the answer first, from the last whole month's moves
    assert response.context["overview"]["sentence"]
    assert 'id="kpi-strip"' in response.content.decode()


def test_a_success_manager_lifecycle_drill_lists_only_their_customers(client):
    from tests.web.lifecycle_book import lifecycle_book

    book = lifecycle_book()
    client.force_login(book.sam)
    charts = client.get(reverse("web:lifecycle"), {"period": "month"}).context["charts"]
    at_risk = next(s for s in charts["flow"]["series"] if s["key"] == "at_risk")
    page = client.get(at_risk["urls"][-1]).context["page"]
    assert page.total == at_risk["counts"][-1] == 2
    assert {c.pk for c in page.items} == {c.pk for c in book.at_risk["sam"]}


def _predicted(customers, values, silences) -> None:
    """Predictions made by hand: each customer's CLV, and days between their last order and
    the fit's end (``T - recency``)."""
    from decimal import Decimal

    from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit

    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=date(2025, 6, 30))
    for customer, value, silence in zip(customers, values, silences, strict=True):
        CustomerPrediction.objects.create(
            customer=customer, fit=fit, frequency=2, recency=400.0 - silence, T=400.0,
            p_alive=0.5, churn_risk=0.5, expected_purchases_365=1.0,
            expected_average_spend=Decimal(value), predicted_clv_365=Decimal(value),
            value_if_stays_365=Decimal(value), historic_clv=Decimal("0"),
        )  # fmt: skip


def test_every_bar_of_the_clv_and_recency_charts_opens_as_many_customers_as_it_counts(client):
    from tests.factories import make_customer

    sam = make_user(role=Role.SUCCESS_MANAGER)
    customers = [make_customer(owner=sam if i % 3 == 0 else None) for i in range(60)]
    values = [f"{(i * 37) % 500}.25" for i in range(59)] + ["250000.00"]  # one far above
    silences = [(i * 13) % 800 for i in range(60)]
    _predicted(customers, values, silences)
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(reverse("web:analytics"))
    context = response.context
    clv, recency = context["charts"]["clv"], context["charts"]["recency"]
    assert sum(clv["counts"]) + context["distribution"].above == 60
    for count, url in zip(clv["counts"], clv["urls"], strict=True):
        assert client.get(url).context["page"].total == count, url
    above = client.get(context["clv_above_url"]).context["page"]
    assert above.total == context["distribution"].above >= 1
    assert customers[-1].pk in {c.pk for c in above.items}  # the 250,000 one
    for count, url in zip(recency["customers"], recency["urls"], strict=True):
        assert client.get(url).context["page"].total == count, url
    assert sum(recency["customers"]) == 60
    # By hand: silences 0..29 days are i*13 % 800 < 30 for i = 0, 1, 2 (0, 13, 26) only.
    first = client.get(recency["urls"][0])
    assert first.context["page"].total == 3
    assert "Last order 0 to 29 days before the models" in first.content.decode()
    page = response.content.decode()
    assert clv["urls"][0].replace("&", "&amp;") in page  # the bars' links, for keyboards
    # A success manager's bars and their customers are their own book's.
    client.force_login(sam)
    mine = client.get(reverse("web:analytics")).context
    assert sum(mine["charts"]["clv"]["counts"]) + mine["distribution"].above == 20
    for url in mine["charts"]["clv"]["urls"]:
        assert all(c.owner_id == sam.pk for c in client.get(url).context["page"].items)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"chart": "clv"}, "bar"),
        ({"chart": "clv", "bar": "21", "bins": "20"}, "bar"),
        ({"chart": "clv", "bar": "1", "bins": "0"}, "bins"),
        ({"chart": "recency"}, "low_days"),
        ({"chart": "recency", "low_days": "45"}, "low_days"),
    ],
)
def test_a_bar_that_is_not_on_the_chart_is_refused_on_its_field(client, query, field):
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(DRILL, query)
    assert response.status_code == 400
    assert f"<li>{field}: " in response.content.decode()
