"""The customers list by what tenure concluded: stage, health, predicted CLV, churn risk, last
order and owner, as filters declared once (``CustomerFilterSet``) and so the same on the page,
the API list and the CSV export; columns joined in the page's one query; sorts along them."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.lifecycle.models import AccountHealthScore, CustomerStage, HealthScore
from tenure.lifecycle.services import active_definition
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_account, make_customer, make_user

pytestmark = pytest.mark.django_db

URL = reverse("web:customers")
HEADER = re.compile(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]+)')


def _headers(response) -> list[str]:
    return HEADER.findall(response.content.decode())


def _facts(customer, *, stage, band, score, clv=None, risk=None, p_alive=None):
    """The stage, health and prediction of a customer, as the engine and a fit would store
    them (over whatever the customer's creation already computed)."""
    CustomerStage.objects.update_or_create(
        customer=customer,
        defaults={"stage": stage, "entered_at": T0, "definition": active_definition()},
    )
    HealthScore.objects.update_or_create(
        customer=customer, defaults={"score": score, "band": band, "computed_at": T0}
    )
    if clv is not None:
        fit = ModelFit.objects.filter(status=FitStatus.DONE).first() or ModelFit.objects.create(
            status=FitStatus.DONE, observation_end=date(2025, 6, 30)
        )
        CustomerPrediction.objects.update_or_create(
            customer=customer,
            defaults={
                "fit": fit, "frequency": 1, "recency": 10.0, "T": 100.0, "p_alive": p_alive,
                "churn_risk": risk, "expected_purchases_365": 1.0, "expected_average_spend": clv,
                "predicted_clv_365": clv, "value_if_stays_365": clv, "historic_clv": clv,
            },
        )  # fmt: skip


@pytest.fixture
def base():
    """Four customers in known stages, health, CLV and churn risk; two owners."""
    sam, kim = make_user(role=Role.SUCCESS_MANAGER), make_user(role=Role.SUCCESS_MANAGER)
    a = make_customer(external_id="A-1", owner=sam, last_order_at=datetime(2025, 3, 1, tzinfo=UTC))
    b = make_customer(external_id="B-2", owner=kim, last_order_at=datetime(2024, 6, 1, tzinfo=UTC))
    c = make_customer(external_id="C-3", owner=kim, last_order_at=datetime(2023, 1, 1, tzinfo=UTC))
    d = make_customer(external_id="D-4", owner=sam)
    _facts(
        a, stage="active", band="green", score=80.0, clv=Decimal("500.00"), risk=0.1, p_alive=0.9
    )
    _facts(
        b, stage="at_risk", band="red", score=25.0, clv=Decimal("1200.00"), risk=0.8, p_alive=0.2
    )
    _facts(c, stage="lost", band="red", score=10.0, clv=Decimal("50.00"), risk=0.95, p_alive=0.05)
    _facts(d, stage="new", band="yellow", score=55.0)
    return {"sam": sam, "kim": kim, "a": a, "b": b, "c": c, "d": d}


CASES = [
    ({"stage": "at_risk"}, {"B-2"}),
    ({"stage": ["at_risk", "lost"]}, {"B-2", "C-3"}),
    ({"health": "red"}, {"B-2", "C-3"}),
    ({"health": "yellow"}, {"D-4"}),
    ({"clv_min": "100"}, {"A-1", "B-2"}),
    ({"clv_max": "600"}, {"A-1", "C-3"}),
    ({"clv_min": "100", "clv_max": "600"}, {"A-1"}),
    ({"churn_risk_min": "0.8"}, {"B-2", "C-3"}),
    ({"last_order_before": "2025-01-01"}, {"B-2", "C-3"}),
    ({"last_order_after": "2025-01-01T00:00:00Z"}, {"A-1"}),
    ({"stage": "at_risk", "health": "red"}, {"B-2"}),
    ({"stage": ["at_risk", "lost"], "health": "red", "churn_risk_min": "0.9"}, {"C-3"}),
]


def _page_ids(response) -> set[str]:
    return set(re.findall(r"· ([A-D]-\d)</div>", response.content.decode()))


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_the_page_the_api_and_the_export_choose_the_same_customers(client, base, query, expected):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    page = client.get(URL, query)
    assert page.status_code == 200
    assert _page_ids(page) == expected
    api = Api(client, user=manager)
    items, _pages = api.walk("/customers", **query)
    assert {item["external_id"] for item in items} == expected
    export = client.get(reverse("web:customers-csv"), query)
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {row["customer_id"] for row in rows} == expected


def test_the_owner_filter_and_scope_hold_together(client, base):
    api = Api(client, user=base["sam"])  # a success manager sees their own book only
    items, _ = api.walk("/customers", health="red")
    assert items == []
    items, _ = api.walk("/customers", stage=["new", "active", "at_risk"])
    assert {item["external_id"] for item in items} == {"A-1", "D-4"}
    manager = Api(client, role=Role.MANAGER)
    items, _ = manager.walk("/customers", owner_id=base["kim"].pk, health="red")
    assert {item["external_id"] for item in items} == {"B-2", "C-3"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"health": "purple"}, "health"),
        ({"churn_risk_min": "2"}, "churn_risk_min"),
        ({"clv_min": "-5"}, "clv_min"),
        ({"clv_max": "lots"}, "clv_max"),
        ({"last_order_before": "yesterday"}, "last_order_before"),
        ({"stage": "x" * 61}, "stage"),
    ],
)
def test_a_refused_value_names_its_filter_on_the_page_and_in_the_api(client, base, query, field):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    page = client.get(URL, query)
    assert page.status_code == 400
    assert f"<strong>{field}</strong>" in page.content.decode()
    answer = Api(client, user=manager).get("/customers", **query)
    assert answer.status_code == 422
    assert field in answer.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-clv", ["B-2", "A-1", "C-3", "D-4"]),  # no prediction: last either way
        ("clv", ["C-3", "A-1", "B-2", "D-4"]),
        ("-churn_risk", ["C-3", "B-2", "A-1", "D-4"]),
        ("health", ["C-3", "B-2", "D-4", "A-1"]),
    ],
)
def test_the_new_sorts_order_the_page_and_page_the_api_along_them(client, base, sort, expected):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    body = client.get(URL, {"sort": sort}).content.decode()
    assert re.findall(r"· ([A-D]-\d)</div>", body) == expected
    items, pages = Api(client, user=manager).walk("/customers", sort=sort, limit=1)
    assert [item["external_id"] for item in items] == expected
    assert pages == 4  # one row a page: the cursor carried the related values, NULL included


def test_the_columns_show_stage_health_clv_risk_and_owner(client, base):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    body = client.get(URL, {"stage": "at_risk", "cols": "name,stage,health,clv,churn_risk,owner"})
    text = body.content.decode()
    assert _headers(body) == ["Customer", "Stage", "Health", "Predicted CLV", "Churn risk", "Owner"]
    assert "At risk" in text  # the stage's name in the active definition, not its key
    assert "Red 25" in text and "$1,200.00" in text and "80 %" in text
    assert str(base["kim"]) in text


def test_the_page_reads_its_columns_in_a_fixed_number_of_queries(client, base):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    cols = {"cols": "name,stage,health,clv,churn_risk,owner,account,last_order"}
    client.get(URL, cols)  # warm: the default lifecycle definition is stored on first use
    with CaptureQueriesContext(connection) as few:
        client.get(URL, cols)
    account = make_account(name="Acme")
    for n in range(20):
        customer = make_customer(owner=base["kim"], account=account)
        _facts(customer, stage="active", band="green", score=70.0 + n,
               clv=Decimal("10.00"), risk=0.2, p_alive=0.8)  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, cols)
    assert response.content.decode().count("Acme") >= 20
    assert len(many) == len(few)  # 4 rows or 24: the same queries, none per row


def test_columns_come_from_the_url_in_its_order_else_the_roles_defaults(client, base):
    analyst = make_user(role=Role.ANALYST)
    client.force_login(analyst)
    text = client.get(URL, {"cols": "health,name"}).content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]+)', text)
    assert headers == ["Health", "Customer"]
    analysts = re.findall(
        r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]+)', client.get(URL).content.decode()
    )
    client.force_login(base["sam"])
    theirs = re.findall(
        r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]+)', client.get(URL).content.decode()
    )
    assert "Revenue" in analysts and "Revenue" not in theirs  # an analyst's figures
    assert theirs[:3] == ["Customer", "Stage", "Health"]


def test_an_unknown_column_is_refused_by_name_and_the_defaults_shown(client, base):
    client.force_login(make_user(role=Role.MANAGER))
    response = client.get(URL, {"cols": "name,shoe_size"})
    text = response.content.decode()
    assert "<strong>cols</strong>" in text and "shoe_size" in text
    assert "B-2" in text  # the rows are still listed, with the role's columns


def test_the_accounts_list_filters_and_sorts_by_account_health(client):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    red, green = make_account(name="Redwood"), make_account(name="Greenfield")
    make_account(name="Unscored")
    AccountHealthScore.objects.create(account=red, score=20.0, band="red", computed_at=T0)
    AccountHealthScore.objects.create(account=green, score=90.0, band="green", computed_at=T0)
    page = client.get(reverse("web:accounts"), {"health": "red"}).content.decode()
    assert "Redwood" in page and "Greenfield" not in page
    assert "Red 20" in page
    items, _ = Api(client, user=manager).walk("/accounts", sort="-health", limit=1)
    assert [item["name"] for item in items] == ["Greenfield", "Redwood", "Unscored"]
    assert Api(client, user=manager).get("/accounts", health="blue").status_code == 422
