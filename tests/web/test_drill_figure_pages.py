"""Every point of the models' and the churn audit's charts opens its customers: each observed
point of the renewal survival, each Actual bar of the model check and each bar of the churn
audit lists as many customers as it counts, a success manager only their own; as CSV and as a
segment like every drill-down; a link that names no point is refused on its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.segments.models import Segment, SegmentMembership
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.insights.test_contracts import subscribe
from tests.lifecycle.test_churn_audit import _base as churn_base

pytestmark = pytest.mark.django_db

DRILL = reverse("web:analytics-drill")
AS_OF = date(2022, 6, 30)
SURVIVAL_POINT = {"chart": "survival", "interval": "year", "renewals": "1", "as_of": "2022-06-30"}


def _total(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return response.context["page"].total


# --- the renewal survival ---------------------------------------------------------------------


def _renewal_cohorts(sam) -> SimpleNamespace:
    """Yearly subscriptions seen on 30 June 2022. 2018 cohort (observed 4 renewals): 30 from
    1 February 2018, 8 cancel on the first anniversary, 5 on the second, 3 on the third.
    2020 cohort (observed 2): 12 from 1 May 2020, 4 cancel on the first anniversary; ``sam``
    owns the first 6 of it (4 of them cancel). Survivors by renewal, by hand: 42, 30, 25, 14, 14.
    """
    cancelled = {**dict.fromkeys(range(8), 2019), **dict.fromkeys(range(8, 13), 2020),
                 **dict.fromkeys(range(13, 16), 2021)}  # fmt: skip
    for i in range(30):
        year = cancelled.get(i)
        subscribe(amount="120.00", interval="year", started=date(2018, 2, 1),
                  cancelled=date(year, 2, 1) if year else None)  # fmt: skip
    own = []
    for i in range(12):
        customer = make_customer(owner=sam if i < 6 else None)
        own += [customer] if i < 6 else []
        subscribe(customer, amount="120.00", interval="year", started=date(2020, 5, 1),
                  cancelled=date(2021, 5, 1) if i < 4 else None)  # fmt: skip
    return SimpleNamespace(sam_survivors={c.pk for c in own[4:]})


def test_every_observed_survival_point_opens_the_subscribers_it_counts(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    book = _renewal_cohorts(sam)
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(reverse("web:analytics"), {"end": AS_OF.isoformat()})
    survival = response.context["charts"]["survival"]
    assert survival is not None, "the pooled sBG fits the two cohorts"
    assert survival["customers"] == [42, 30, 25, 14, 14]
    assert len(survival["urls"]) == 5 < len(survival["projected"])  # the projection opens none
    for count, url in zip(survival["customers"], survival["urls"], strict=True):
        assert _total(client, url) == count, url
    page = response.content.decode()
    assert survival["urls"][1].replace("&", "&amp;") in page  # the points' links, for keyboards
    second = client.get(survival["urls"][2])
    assert "Yearly subscribers who renewed 2 times or more, as of Jun 30, 2022" in (
        second.content.decode()
    )
    # A success manager opening the same point sees only their own of its customers.
    client.force_login(sam)
    mine = client.get(survival["urls"][1]).context["page"]
    assert {c.pk for c in mine.items} == book.sam_survivors and mine.total == 2


# --- the model check --------------------------------------------------------------------------


def _fitted(frequencies: list[int], sam) -> list[Customer]:
    """A fit with BG/NBD's parameters and one prediction per customer, with these repeat
    purchases; ``sam`` owns every third customer."""
    fit = ModelFit.objects.create(
        status=FitStatus.DONE, observation_end=date(2025, 6, 30), fitted_at=timezone.now(),
        params={"BetaGeo": {"params": {"r": 0.8, "alpha": 40.0, "a": 0.7, "b": 2.5},
                            "standard_errors": {}}},
    )  # fmt: skip
    customers = []
    for i, frequency in enumerate(frequencies):
        customer = make_customer(owner=sam if i % 3 == 0 else None)
        CustomerPrediction.objects.create(
            customer=customer, fit=fit, frequency=frequency, recency=100.0, T=300.0,
            p_alive=0.5, churn_risk=0.5, expected_purchases_365=1.0,
            expected_average_spend=Decimal("10"), predicted_clv_365=Decimal("10"),
            value_if_stays_365=Decimal("10"), historic_clv=Decimal("0"),
        )  # fmt: skip
        customers.append(customer)
    return customers


def test_every_actual_bar_of_the_model_check_opens_as_many_customers_as_it_counts(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    frequencies = [i % 5 for i in range(40)] + [7, 9, 12, 30]  # 8 each of 0..4, four 7+
    customers = _fitted(frequencies, sam)
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(reverse("web:analytics"))
    fit = response.context["charts"]["fit"]
    assert fit["actual"] == [8, 8, 8, 8, 8, 0, 0, 4]  # by hand
    for count, url in zip(fit["actual"], fit["urls"], strict=True):
        assert _total(client, url) == count, url
    top = client.get(fit["urls"][-1])
    assert {c.pk for c in top.context["page"].items} == {c.pk for c in customers[-4:]}
    assert "Customers with 7 or more repeat purchases" in top.content.decode()
    assert fit["urls"][0].replace("&", "&amp;") in response.content.decode()
    # The success manager's bars and their customers are their own book's.
    client.force_login(sam)
    mine = client.get(reverse("web:analytics")).context["charts"]["fit"]
    assert sum(mine["actual"]) == sum(1 for c in customers if c.owner_id == sam.pk) == 15
    for count, url in zip(mine["actual"], mine["urls"], strict=True):
        page = client.get(url).context["page"]
        assert page.total == count and all(c.owner_id == sam.pk for c in page.items)


# --- the churn audit --------------------------------------------------------------------------


def test_every_bar_of_the_churn_audit_opens_the_churned_customers_it_stands_for(client):
    churn_base(planted=True)  # 40 buyers, the 20 on plan "basic" churned, the 20 "pro" stayed
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(reverse("web:lifecycle-churn-audit"))
    audit = response.context["charts"]["audit"]
    assert len(audit["urls"]) >= 3 and all(audit["urls"])
    for count, url in zip(audit["customers"], audit["urls"], strict=True):
        assert _total(client, url) == count, url
    plan = next(row for row in response.context["rows"] if row["attribute"] == "custom__plan")
    opened = client.get(plan["url"])
    assert opened.context["page"].total == plan["customers"] == 20  # every churned one: basic
    assert "Churned customers whose “plan” is “basic”" in opened.content.decode()
    assert opened.context["section"] == "lifecycle"
    assert plan["url"].replace("&", "&amp;") in response.content.decode()  # the table's link


def test_a_success_managers_audit_bar_lists_only_their_churned_customers(client):
    churn_base(planted=True)
    sam = make_user(role=Role.SUCCESS_MANAGER)
    mine = list(Customer.objects.order_by("pk")[:12])  # 6 churned (even), 6 retained
    Customer.objects.filter(pk__in=[c.pk for c in mine]).update(owner=sam)
    client.force_login(sam)
    query = {"chart": "audit", "attribute": "custom__plan", "category": "basic"}
    page = client.get(DRILL, query).context["page"]
    assert page.total == 6 and all(c.owner_id == sam.pk for c in page.items)


def test_an_audit_bar_exports_and_saves_as_a_segment(client):
    churn_base(planted=True)
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    query = "chart=audit&attribute=custom__plan&category=basic"
    csv = client.get(f"{reverse('web:analytics-drill-csv')}?{query}")
    assert csv.status_code == 200
    lines = b"".join(csv.streaming_content).decode().strip().splitlines()
    assert len(lines) == 21  # the header and the 20 churned
    response = client.post(
        reverse("web:analytics-drill-save"), {"query": query, "name": "Churned on basic"}
    )
    segment = Segment.objects.get(name="Churned on basic")
    assert response.status_code == 302 and segment.owner == manager
    members = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    assert members.count() == segment.members_count == 20


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"chart": "survival", "renewals": "1", "as_of": "2022-06-30"}, "interval"),
        ({**SURVIVAL_POINT, "interval": "week"}, "interval"),
        ({**SURVIVAL_POINT, "renewals": "-1"}, "renewals"),
        ({"chart": "repeat"}, "repeat"),
        ({"chart": "repeat", "repeat": "8", "top": "7"}, "repeat"),
        ({"chart": "audit"}, "attribute"),
        ({"chart": "audit", "attribute": "orders_count"}, "attribute"),
        ({"chart": "audit", "attribute": "custom__plan", "category": "gold"}, "category"),
        ({"chart": "audit", "attribute": "custom__plan"}, "category"),
    ],
)
def test_a_link_that_names_no_point_of_these_charts_is_refused_on_its_field(client, query, field):
    if query["chart"] == "audit":
        churn_base(planted=True)  # an audit to name a bar of
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(DRILL, query)
    assert response.status_code == 400
    assert f"<li>{field}: " in response.content.decode()
