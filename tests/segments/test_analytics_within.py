"""Segments as filters of the analytics: every figure of a page or endpoint restricted to one
segment's members now (open stays), inside the user's own book, computed as the whole base's.

The hand-built business (Q2 2025, lost after 60 days without an order):

=====================  =====  ==========================  ================================
who                    count  orders                      in Q2
=====================  =====  ==========================  ================================
vip, buys again            6  10 Mar, 20 Mar, 20 Jun      active at both ends
vip, lapses                4  10 Mar, 20 Mar              lost
vip, new in June           2  10 Jun                      new (N)
regular, buys again       10  10 Mar, 20 Mar, 20 Jun      active at both ends
regular, new in June       3  10 Jun                      new (N)
once vip, lapses           1  10 Mar, 20 Mar              lost; left the segment (stay closed)
=====================  =====  ==========================  ================================

The segment "VIPs" (category is vip): S = 10, E = 6 + 2 = 8, N = 2, lost 4, retention
((8 - 2) / 10) x 100 = 60.0 %, churn 4 / 10 = 40.0 %. The whole base: S = 21, E = 21, N = 5,
lost 5, retention ((21 - 5) / 21) x 100 = 76.19 %. Sam (a success manager) owns two vips who
buy again, one vip who lapses and one regular: within the segment S = 3, E = 2, lost 1,
retention 66.67 %.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenure.analytics.activity import ActivityRule
from tenure.customers.models import Customer
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.insights.selectors import clv_distribution, clv_top, retention_figures
from tenure.lifecycle.audit import churn_audit_for
from tenure.lifecycle.services import lifecycle_recompute
from tenure.segments.models import Segment, SegmentMembership
from tenure.segments.selectors import segment_member_ids
from tenure.segments.services import segment_create, segment_refresh
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_user
from tests.insights.builders import buyer
from tests.web.lifecycle_book import _bought, lifecycle_book

pytestmark = pytest.mark.django_db

VIP = {"when": {"fact": "category", "op": "is", "value": "vip"}}
Q2 = {"period": "2025-Q2", "rule": "fixed_days", "days": 60}
PAGE_Q2 = {"rule": "fixed_days", "days": 60, "period": "quarter", "count": 3, "end": "2025-07-15"}
MARCH, JUNE = date(2025, 3, 10), date(2025, 6, 20)


class Business:
    def __init__(self) -> None:
        self.admin = make_user(role=Role.ADMIN)
        self.sam = make_user(role=Role.SUCCESS_MANAGER)
        self.vips: list[Customer] = []
        for i in range(6):
            owner = self.sam if i < 2 else None
            self.vips.append(buyer(MARCH, date(2025, 3, 20), JUNE, category="vip", owner=owner))
        for i in range(4):
            owner = self.sam if i == 0 else None
            self.vips.append(buyer(MARCH, date(2025, 3, 20), category="vip", owner=owner))
        self.vips += [buyer(date(2025, 6, 10), category="vip") for _ in range(2)]
        self.regulars = [
            buyer(MARCH, date(2025, 3, 20), JUNE, category="regular", owner=owner)
            for owner in [self.sam] + [None] * 9
        ]
        self.regulars += [buyer(date(2025, 6, 10), category="regular") for _ in range(3)]
        self.former = buyer(MARCH, date(2025, 3, 20), category="vip")
        self.segment = segment_create(by=self.admin, name="VIPs", definition=VIP, shared=True)
        # The former vip leaves the segment: their stay is closed, not deleted.
        Customer.objects.filter(pk=self.former.pk).update(category="regular")
        segment_refresh(by=self.admin, segment_id=self.segment.pk)
        self.private = segment_create(
            by=make_user(role=Role.SUCCESS_MANAGER), name="Otto's own", definition=VIP, shared=False
        )


@pytest.fixture
def business() -> Business:
    found = Business()
    stays = SegmentMembership.objects.filter(segment=found.segment)
    assert stays.filter(left_at__isnull=True).count() == 12
    assert stays.get(customer=found.former).left_at is not None
    return found


# --- the hand-worked figures -----------------------------------------------------------------


def test_the_segments_retention_is_the_hand_worked_one_and_differs_from_the_base(business):
    within = segment_member_ids(business.segment)
    start, end = date(2025, 4, 1), date(2025, 6, 30)
    rule = ActivityRule(kind="fixed_days", days=60)
    vips = retention_figures(user=business.admin, start=start, end=end, rule=rule, within=within)
    assert (vips.S, vips.E, vips.N, vips.lost) == (10, 8, 2, 4)
    assert vips.retention_rate == pytest.approx((8 - 2) / 10 * 100) == 60.0
    assert vips.churn_rate == 40.0
    base = retention_figures(user=business.admin, start=start, end=end, rule=rule)
    assert (base.S, base.E, base.N, base.lost) == (21, 21, 5, 5)
    assert base.retention_rate == pytest.approx((21 - 5) / 21 * 100)


def test_the_api_gives_the_segments_retention_with_in_segment(client, business):
    api = Api(client, user=business.admin)
    body = api.get("/analytics/retention", **Q2, in_segment=business.segment.pk).json()
    assert (body["S"], body["E"], body["N"], body["lost"]) == (10, 8, 2, 4)
    assert (body["retention_rate"], body["churn_rate"]) == (60.0, 40.0)
    whole = api.get("/analytics/retention", **Q2).json()
    assert whole["retention_rate"] == pytest.approx(76.19, abs=0.01)
    series = api.get(
        "/analytics/retention/series",
        period="quarter", count=1, end="2025-07-15", rule="fixed_days", days=60,
        in_segment=business.segment.pk,
    ).json()  # fmt: skip
    assert [(row["start"], row["retention_rate"]) for row in series] == [("2025-04-01", 60.0)]


def test_cohorts_and_orders_of_the_segment_count_its_members_only(client, business):
    api = Api(client, user=business.admin)
    cells = api.get(
        "/analytics/cohorts", period="month", count=6, end="2025-06-30",
        in_segment=business.segment.pk,
    ).json()  # fmt: skip
    march = {cell["period"]: cell for cell in cells if cell["cohort"] == "2025-03-01"}
    # The 10 vips of March (the former vip is out); 6 of them bought in June.
    assert (march[0]["customers"], march[3]["active"], march[3]["rate"]) == (10, 6, 60.0)
    whole = api.get("/analytics/cohorts", period="month", count=6, end="2025-06-30").json()
    march_all = {c["period"]: c for c in whole if c["cohort"] == "2025-03-01"}
    assert (march_all[0]["customers"], march_all[3]["active"]) == (21, 16)
    orders = api.get(
        "/analytics/orders", period="month", count=4, end="2025-06-30",
        in_segment=business.segment.pk,
    ).json()  # fmt: skip
    june = next(row for row in orders if row["period"] == "2025-06-01")
    assert (june["customers"], june["new_customers"], june["orders"]) == (8, 2, 8)
    assert june["revenue"] == "400.00"


def _predictions(business: Business) -> None:
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=date(2025, 6, 30))
    for customer in Customer.objects.all():
        value = Decimal("100.00") if customer.category == "vip" else Decimal("10.00")
        CustomerPrediction.objects.create(
            customer=customer, fit=fit, frequency=1, recency=10.0, T=100.0, p_alive=0.5,
            churn_risk=0.5, expected_purchases_365=1.0, expected_average_spend=value,
            predicted_clv_365=value, value_if_stays_365=value, historic_clv=value,
        )  # fmt: skip


def test_clv_of_the_segment_reads_its_members_predictions(client, business):
    _predictions(business)
    within = segment_member_ids(business.segment)
    shown = clv_distribution(user=business.admin, within=within)
    assert (shown.customers, shown.total) == (12, Decimal("1200.00"))
    whole = clv_distribution(user=business.admin)
    assert (whole.customers, whole.total) == (26, Decimal("1340.00"))
    top = clv_top(user=business.admin, n=100, within=within)
    assert {row.customer_id for row in top} == {c.pk for c in business.vips}
    api = Api(client, user=business.admin)
    body = api.get("/analytics/clv/distribution", in_segment=business.segment.pk).json()
    assert (body["customers"], body["total"]) == (12, "1200.00")
    recency = api.get("/analytics/p-alive-by-recency", in_segment=business.segment.pk).json()
    assert sum(bucket["customers"] for bucket in recency) == 12


# --- roles -----------------------------------------------------------------------------------


def test_a_success_managers_segment_figures_are_their_own_members_only(client, business):
    api = Api(client, user=business.sam)
    body = api.get("/analytics/retention", **Q2, in_segment=business.segment.pk).json()
    assert (body["S"], body["E"], body["N"], body["lost"]) == (3, 2, 0, 1)
    assert body["retention_rate"] == pytest.approx(200 / 3)
    own = api.get("/analytics/retention", **Q2).json()  # their book: the regular one too
    assert own["S"] == 4
    client.force_login(business.sam)
    page = client.get(reverse("web:analytics"), {**PAGE_Q2, "segment": business.segment.pk})
    assert page.status_code == 200
    q2 = next(f for f in page.context["series"] if f.start == date(2025, 4, 1))
    assert (q2.S, q2.E, q2.lost) == (3, 2, 1)


def test_an_unseen_segment_is_refused_on_the_api_naming_the_field(client, business):
    response = Api(client, user=business.sam).get(
        "/analytics/retention", **Q2, in_segment=business.private.pk
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert "in_segment" in error["fields"]
    assert "no segment" in error["fields"]["in_segment"][0]
    # The same words as for a segment that does not exist: its existence is not revealed.
    missing = Api(client, user=business.sam).get("/analytics/retention", **Q2, in_segment=10**9)
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"]["in_segment"] == [
        f"no segment '{10**9}' that you may see"
    ]
    assert error["fields"]["in_segment"] == [f"no segment '{business.private.pk}' that you may see"]
    # An admin sees every segment, private ones included.
    admin = Api(client, user=business.admin)
    seen = admin.get("/analytics/retention", **Q2, in_segment=business.private.pk)
    assert seen.status_code == 200 and seen.json()["S"] == 10


def test_an_unseen_segment_is_refused_on_the_pages(client, business):
    client.force_login(business.sam)
    for name in ("analytics", "lifecycle", "lifecycle-at-risk", "lifecycle-churn-audit",
                 "lifecycle-churn-audit-csv"):  # fmt: skip
        response = client.get(reverse(f"web:{name}"), {"segment": business.private.pk})
        assert response.status_code == 404, name
        assert "segment: no segment" in response.content.decode(), name
    other = client.get(reverse("web:lifecycle-stage", args=["at_risk"]), {"segment": "nope"})
    assert other.status_code == 404


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1e400", str(2**64)])
def test_a_bad_segment_id_is_a_clear_422_not_a_500(client, business, value):
    response = Api(client, user=business.admin).get("/analytics/retention", **Q2, in_segment=value)
    assert response.status_code == 422, response.content
    assert "in_segment" in response.json()["error"]["fields"]


@pytest.mark.parametrize("value", ["0", "abc", "not-a-slug", "1" * 40, "<b>x</b>", "²"])
def test_a_bad_segment_on_a_page_is_a_404_naming_the_field(client, business, value):
    client.force_login(business.admin)
    response = client.get(reverse("web:analytics"), {"segment": value})
    assert response.status_code == 404
    page = response.content.decode()
    assert "segment: no segment" in page and "<b>x</b>" not in page


def test_a_page_takes_the_segments_slug_and_lists_the_segments_one_may_see(client, business):
    client.force_login(business.sam)
    response = client.get(reverse("web:analytics"), {**PAGE_Q2, "segment": business.segment.slug})
    assert response.status_code == 200
    assert response.context["scope"].chosen == business.segment
    page = response.content.decode()
    assert f'<option value="{business.segment.pk}" selected>VIPs</option>' in page
    assert "Otto&#x27;s own" not in page and "Otto's own" not in page  # private, not theirs


# --- every analytics endpoint takes in_segment ------------------------------------------------

ENDPOINTS = [
    ("/analytics/retention", Q2),
    ("/analytics/retention/series", {"period": "quarter", "count": 2}),
    ("/analytics/cohorts", {}),
    ("/analytics/orders", {}),
    ("/analytics/contracts", {"period": "2025-Q2"}),
    ("/analytics/renewal-survival", {}),
    ("/analytics/clv/top", {}),
    ("/analytics/clv/distribution", {}),
    ("/analytics/p-alive-by-recency", {}),
    ("/analytics/fit-check", {}),
    ("/lifecycle/funnel", {}),
    ("/lifecycle/flow", {}),
    ("/lifecycle/buckets", {}),
    ("/lifecycle/at-risk", {}),
    ("/lifecycle/churn-audit", {}),
]


@pytest.mark.parametrize(("path", "params"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_every_analytics_endpoint_takes_in_segment(client, business, path, params):
    api = Api(client, user=business.sam)
    assert api.get(path, **params, in_segment=business.segment.pk).status_code == 200
    refused = api.get(path, **params, in_segment=business.private.pk)
    assert refused.status_code == 422, refused.content
    assert "in_segment" in refused.json()["error"]["fields"]


def test_the_openapi_document_declares_in_segment_on_the_analytics(client):
    document = Api(client).get("/openapi.json").json()
    for path, _params in ENDPOINTS:
        names = {p["name"] for p in document["paths"]["/api/v1" + path]["get"]["parameters"]}
        assert "in_segment" in names, path


# --- stages: funnel, at risk, churn audit -----------------------------------------------------


def _vip_book():
    """The lifecycle book with four vips: one of sam's at risk, two of otto's at risk, one of
    otto's new buyers."""
    book = lifecycle_book()
    vips = [book.at_risk["sam"][0], *book.at_risk["otto"][:2], book.new["otto"][0]]
    Customer.objects.filter(pk__in=[c.pk for c in vips]).update(category="vip")
    segment = segment_create(by=book.otto, name="VIPs", definition=VIP)
    return book, vips, segment


def test_the_funnel_and_at_risk_of_a_segment(client):
    book, vips, segment = _vip_book()
    api = Api(client, user=book.otto)
    funnel = {row["key"]: row["customers"] for row in api.get("/lifecycle/funnel").json()}
    assert (funnel["at_risk"], funnel["acquisition"]) == (5, 3)
    within = {
        row["key"]: row["customers"]
        for row in api.get("/lifecycle/funnel", in_segment=segment.pk).json()
    }
    assert (within["at_risk"], within["acquisition"], within["churned"]) == (3, 1, 0)
    assert sum(within.values()) == 4
    rows = api.get("/lifecycle/at-risk", in_segment=segment.pk).json()
    assert {row["customer_id"] for row in rows} == {c.pk for c in vips[:3]}
    # Sam sees only their own vip.
    mine = Api(client, user=book.sam).get("/lifecycle/at-risk", in_segment=segment.pk).json()
    assert [row["customer_id"] for row in mine] == [book.at_risk["sam"][0].pk]
    client.force_login(book.sam)
    page = client.get(reverse("web:lifecycle"), {"segment": segment.pk})
    counts = {row["key"]: row["customers"] for row in page.context["stages"]}
    assert (counts["at_risk"], sum(counts.values())) == (1, 1)
    at_risk = client.get(reverse("web:lifecycle-at-risk"), {"segment": segment.pk})
    assert [r["row"].customer_id for r in at_risk.context["rows"]] == [book.at_risk["sam"][0].pk]
    stage = client.get(reverse("web:lifecycle-stage", args=["at_risk"]), {"segment": segment.pk})
    assert [c.pk for c in stage.context["page"].items] == [book.at_risk["sam"][0].pk]
    assert f"?segment={segment.pk}" in page.content.decode()  # the tabs and stages keep it


def _audit_business():
    """18 churned customers from the web and 18 retained from the store; 12 of each are vips
    (the audit tests a value held by 10 customers or more)."""
    owner = make_user(role=Role.MANAGER)
    for i in range(18):
        category = "vip" if i < 12 else "plain"
        _bought(owner, [420, 380], "30.00", channel="web", category=category)
        _bought(owner, [30, 10], "30.00", channel="store", category=category)
    lifecycle_recompute()
    return owner, segment_create(by=owner, name="VIPs", definition=VIP)


def test_the_churn_audit_and_its_csv_within_a_segment(client):
    owner, segment = _audit_business()
    within = churn_audit_for(user=owner, within=segment_member_ids(segment))
    assert (within.attrs["churned"], within.attrs["retained"]) == (12, 12)
    channel = within.set_index("attribute").loc["channel"]
    assert channel["n"] == 24 and channel["significant"]
    client.force_login(owner)
    page = client.get(reverse("web:lifecycle-churn-audit"), {"segment": segment.pk})
    assert (page.context["churned"], page.context["retained"]) == (12, 12)
    whole = client.get(reverse("web:lifecycle-churn-audit"))
    assert (whole.context["churned"], whole.context["retained"]) == (18, 18)
    response = client.get(reverse("web:lifecycle-churn-audit-csv"), {"segment": segment.pk})
    assert response.status_code == 200
    assert f'filename="churn-audit-{segment.slug}-' in response["Content-Disposition"]
    rows = {r["attribute"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert float(rows["channel"]["n"]) == 24
    everyone = client.get(reverse("web:lifecycle-churn-audit-csv"))
    rows = {r["attribute"]: r for r in csv.DictReader(io.StringIO(everyone.content.decode()))}
    assert float(rows["channel"]["n"]) == 36
    detail = client.get(reverse("web:segment", args=[segment.pk])).content.decode()
    assert f'href="/analytics/?segment={segment.pk}"' in detail
    assert f'href="/lifecycle/?segment={segment.pk}"' in detail


# --- query counts --------------------------------------------------------------------------------


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def test_a_segment_adds_a_bounded_number_of_queries(client, business):
    client.force_login(business.sam)
    for name in ("analytics", "lifecycle", "lifecycle-at-risk", "lifecycle-churn-audit"):
        url = reverse(f"web:{name}")
        plain = _queries(client, url, PAGE_Q2)
        narrowed = _queries(client, url, {**PAGE_Q2, "segment": business.segment.pk})
        assert narrowed <= plain + 3, (name, plain, narrowed)
    # More members make no more queries: the members are a subquery, not a list of ids.
    api = Api(client, user=business.admin)
    path = "/analytics/retention"
    _api_queries(api, path, business.segment.pk)  # the token's first use is written once
    before = _api_queries(api, path, business.segment.pk)
    for _ in range(10):
        buyer(MARCH, JUNE, category="vip")
    segment_refresh(by=business.admin, segment_id=business.segment.pk)
    assert Segment.objects.get(pk=business.segment.pk).members_count == 22
    assert _api_queries(api, path, business.segment.pk) == before


def _api_queries(api: Api, path: str, segment_id: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, **Q2, in_segment=segment_id)
    assert response.status_code == 200
    return len(captured)


# --- the command line ----------------------------------------------------------------------------


def test_the_cli_takes_a_segment_as_the_api_does(business):
    from click.testing import CliRunner

    from tenure.cli.main import cli, register_commands

    register_commands()
    args = ["metrics", "retention", "--period", "2025-Q2", "--rule", "fixed_days", "--days", "60"]
    done = CliRunner().invoke(cli, [*args, "--segment", business.segment.slug, "--json"])
    assert done.exit_code == 0, done.output
    figures = json.loads(done.output)
    assert (figures["S"], figures["E"], figures["N"], figures["retention_rate"]) == (10, 8, 2, 60.0)
    as_sam = CliRunner().invoke(
        cli, [*args, "--as", business.sam.username, "--segment", str(business.segment.pk), "--json"]
    )
    assert json.loads(as_sam.output)["S"] == 3
    refused = CliRunner().invoke(
        cli, [*args, "--as", business.sam.username, "--segment", str(business.private.pk)]
    )
    assert refused.exit_code == 2
    assert "--segment" in refused.output and "no segment" in refused.output
