"""One filter definition per list: the same filter gives the same records on the page, the API
and the exports; no filter reaches beyond one's scope; a refused value is its field's error; the
API's query schemas and the FilterSets declare the same filters."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tenure.api.customers import (
    AccountFilters,
    ContactFilters,
    CustomerListFilters,
    SubscriptionFilters,
)
from tenure.api.exports import CustomerExportFilters, OrderExportFilters
from tenure.api.feedback import ReferralFilters, SurveyResponseFilters
from tenure.api.interactions import InteractionFilters
from tenure.api.lifecycle import TaskFilters
from tenure.api.orders import OrderFilters
from tenure.customers.filters import (
    AccountFilterSet,
    ContactFilterSet,
    CustomerFilterSet,
    SubscriptionFilterSet,
)
from tenure.feedback.filters import ReferralFilterSet, SurveyResponseFilterSet
from tenure.interactions.filters import InteractionFilterSet
from tenure.interactions.models import Interaction
from tenure.orders.filters import OrderFilterSet
from tenure.orders.models import OrderStatus
from tenure.todos.filters import TaskFilterSet
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_account, make_order, make_user
from tests.web.conftest import htmx

pytestmark = pytest.mark.django_db

ID_TOO_LARGE = str(2**63)


# --- the query schemas mirror the FilterSets -------------------------------------------------

PAIRS = [
    (CustomerListFilters, CustomerFilterSet),
    (AccountFilters, AccountFilterSet),
    (ContactFilters, ContactFilterSet),
    (SubscriptionFilters, SubscriptionFilterSet),
    (OrderFilters, OrderFilterSet),
    (InteractionFilters, InteractionFilterSet),
    (TaskFilters, TaskFilterSet),
    (SurveyResponseFilters, SurveyResponseFilterSet),
    (ReferralFilters, ReferralFilterSet),
]


@pytest.mark.parametrize(("schema", "filterset"), PAIRS, ids=lambda c: c.__name__)
def test_each_api_query_schema_declares_exactly_its_filtersets_filters(schema, filterset):
    assert set(schema.model_fields) == set(filterset.base_filters)


def test_the_export_schemas_are_the_lists_filters_and_nothing_else_but_insights():
    assert set(CustomerExportFilters.model_fields) - {"insights"} == set(
        CustomerFilterSet.base_filters
    )
    assert set(OrderExportFilters.model_fields) == set(OrderFilterSet.base_filters) | set(
        CustomerFilterSet.base_filters
    )


def test_the_openapi_document_offers_the_sorts(client):
    document = client.get("/api/v1/openapi.json").json()
    parameters = document["paths"]["/api/v1/customers"]["get"]["parameters"]
    sort = next(p for p in parameters if p["name"] == "sort")
    assert "-revenue" in str(sort["schema"])
    accounts = document["paths"]["/api/v1/accounts"]["get"]["parameters"]
    assert {"budget_band", "sort"} <= {p["name"] for p in accounts}


# --- the same records on every edge ----------------------------------------------------------


def _csv_column(response, column: str) -> list[str]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode()
    return [row[column] for row in csv.DictReader(io.StringIO(text))]


def _page_customers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return re.findall(r"· (C-\d+)</div>", response.content.decode())


def _customers_everywhere(client, api: Api, params: dict) -> dict[str, list[str]]:
    """The customers' external ids, in order, from the list page, the page's export, the API's
    list (page by page) and the API's export."""
    listed, _ = api.walk("/customers", limit=1, **params)
    return {
        "page": _page_customers(client.get(reverse("web:customers"), params)),
        "page export": _csv_column(client.get(reverse("web:customers-csv"), params), "customer_id"),
        "api": [row["external_id"] for row in listed],
        "api export": _csv_column(api.get("/customers/export.csv", **params), "customer_id"),
    }


CUSTOMER_QUERIES = [
    {"category": "vip", "sort": "name"},
    {"channel": "ads", "sort": "-revenue"},
    {"q": "example", "sort": "-last_order"},  # every customer; the never-ordering one last
    {"q": "lovelace", "sort": "since"},
    {"sort": "last_order"},
    {"sort": "-orders"},
]


@pytest.mark.parametrize("params", CUSTOMER_QUERIES, ids=str)
def test_a_customer_filter_and_sort_give_the_same_rows_in_the_same_order_everywhere(
    client, book, manager, params
):
    client.force_login(manager)
    found = _customers_everywhere(client, Api(client, user=manager), params)
    assert found["page"], params
    assert all(rows == found["page"] for rows in found.values()), found


def test_owner_and_account_filter_the_same_everywhere(client, book, manager):
    client.force_login(manager)
    api = Api(client, user=manager)
    acme = book["grace"].account
    for params in ({"owner_id": manager.pk}, {"account_id": acme.pk}):
        found = _customers_everywhere(client, api, {**params, "sort": "name"})
        assert all(rows == found["page"] for rows in found.values()), found
    assert found["page"] == ["C-100", "C-300"]


def test_budget_band_works_on_the_accounts_page_as_in_the_api(client, book, manager):
    client.force_login(manager)
    api = Api(client, user=manager)
    strategic = make_account(name="Umbrella", budget_band="strategic")
    make_account(name="Initech", budget_band="low")
    for params in ({"budget_band": "strategic"}, {"sort": "-name"}, {"q": "corp"}):
        page = client.get(reverse("web:accounts"), params)
        shown = re.findall(r'href="/accounts/\d+/">([^<]+)</a>', page.content.decode())
        listed, _ = api.walk("/accounts", limit=1, **params)
        assert shown == [row["name"] for row in listed], params
    assert shown == ["Acme Corp"]
    listed, _ = api.walk("/accounts", budget_band="strategic")
    assert [row["id"] for row in listed] == [strategic.pk]


def test_the_order_filters_narrow_the_orders_exports_as_the_orders_list(client, book, manager):
    client.force_login(manager)
    api = Api(client, user=manager)
    refunded = make_order(customer=book["ada"], status=OrderStatus.REFUNDED)
    for params in (
        {"status": "refunded"},
        {"placed_after": (T0 + timedelta(days=15)).isoformat(), "customer_id": book["grace"].pk},
        {"placed_before": (T0 + timedelta(days=2)).date().isoformat()},
    ):
        listed, _ = api.walk("/orders", **params)
        expected = sorted(row["external_id"] for row in listed)
        web = _csv_column(client.get(reverse("web:customer-orders-csv"), params), "order_id")
        exported = _csv_column(api.get("/orders/export.csv", **params), "order_id")
        assert expected and sorted(web) == sorted(exported) == expected, params
    assert expected != [refunded.external_id]


def test_the_orders_export_follows_the_customers_filters_and_sort(client, book, manager):
    client.force_login(manager)
    params = {"category": "vip", "sort": "-revenue"}  # Grace (400.00), then Ada (30.00)
    rows = _csv_column(client.get(reverse("web:customer-orders-csv"), params), "customer_id")
    assert rows == ["C-100"] * 2 + ["C-300"] * 3
    api_rows = _csv_column(
        Api(client, user=manager).get("/orders/export.csv", **params), "customer_id"
    )
    assert api_rows == rows


def _task(owner, *, status=TaskStatus.OPEN, due_days=1, customer=None) -> Task:
    return Task.objects.create(
        title=f"Task {Task.objects.count() + 1}",
        owner=owner,
        due=T0.date() + timedelta(days=due_days),
        status=status,
        customer=customer,
    )


def test_the_task_filters_are_the_same_on_the_page_and_in_the_api(client, book, manager):
    client.force_login(manager)
    api = Api(client, user=manager)
    done = _task(manager, status=TaskStatus.DONE, customer=book["grace"])
    _task(manager, customer=book["grace"])
    _task(manager, customer=book["alan"])
    for params in (
        {"view": "all", "status": "done"},
        {"view": "all", "customer_id": book["grace"].pk},
        {"view": "mine"},
    ):
        page = client.get(reverse("web:tasks"), params).content.decode()
        shown = sorted(int(pk) for pk in re.findall(r'href="/tasks/(\d+)/"', page))
        listed, _ = api.walk("/tasks", **params)
        assert shown == sorted(row["id"] for row in listed), params
    assert [row["id"] for row in api.walk("/tasks", view="all", status="done")[0]] == [done.pk]


# --- scope is never a filter -----------------------------------------------------------------


def test_no_filter_shows_a_success_manager_another_owners_record(client, book, manager):
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    book["edsger"].owner = sam
    book["edsger"].save()
    theirs = book["grace"]  # the manager's, on the Acme account
    Interaction.objects.create(customer=theirs, kind="note", occurred_at=T0, subject="private")
    _task(manager, customer=theirs)
    client.force_login(sam)
    api = Api(client, user=sam)
    attempts = [
        {"owner_id": manager.pk},
        {"account_id": theirs.account_id},
        {"q": "hopper"},
        {"category": "vip", "sort": "-revenue"},
        {"sort": "name"},
    ]
    for params in attempts:
        found = _customers_everywhere(client, api, params)
        assert all("C-100" not in rows for rows in found.values()), (params, found)
        orders = _csv_column(api.get("/orders/export.csv", **params), "customer_id")
        assert "C-100" not in orders
    for path, params in (
        ("/orders", {"customer_id": theirs.pk}),
        ("/interactions", {"customer_id": theirs.pk}),
        ("/tasks", {"customer_id": theirs.pk}),
        ("/accounts", {"q": "acme"}),
    ):
        assert api.walk(path, **params)[0] == [], path
    assert _page_customers(client.get(reverse("web:customers"))) == ["C-400"]


# --- a refused value is its field's error ----------------------------------------------------

REFUSED = [
    ("/customers", "owner_id", "0"),
    ("/customers", "account_id", ID_TOO_LARGE),
    ("/customers", "sort", "bogus"),
    ("/customers", "category", "vip\x00"),
    ("/accounts", "budget_band", "enormous"),
    ("/accounts", "sort", "revenue"),
    ("/orders", "placed_after", "0001-01-01T00:00:00Z"),
    ("/orders", "status", "lost"),
    ("/interactions", "kind", "letter"),
    ("/tasks", "view", "theirs"),
    ("/customers/export.csv", "sort", "-bogus"),
    ("/orders/export.csv", "owner_id", ID_TOO_LARGE),
]


@pytest.mark.parametrize(("path", "name", "value"), REFUSED)
def test_the_api_answers_a_refused_filter_with_422_naming_it(client, path, name, value):
    response = Api(client).get(path, **{name: value})
    assert response.status_code == 422, response.content
    assert name in response.json()["error"]["fields"]


def test_a_forged_sort_cursor_is_refused(client, book):
    api = Api(client)
    assert api.get("/customers", sort="name", cursor="garbage!").status_code == 422
    page = api.get("/customers", sort="name", limit=1).json()
    assert api.get("/customers", cursor=page["next_cursor"]).status_code == 422  # not a pk's


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        (reverse("web:customers"), "owner_id", "abc"),
        (reverse("web:customers"), "sort", "bogus"),
        (reverse("web:customers"), "account_id", ID_TOO_LARGE),
        (reverse("web:accounts"), "budget_band", "enormous"),
        (reverse("web:tasks"), "status", "lost"),
    ],
)
def test_a_page_shows_the_refused_filter_by_its_field_and_no_rows(
    client, book, manager, url, name, value
):
    client.force_login(manager)
    response = client.get(url, {name: value})
    assert response.status_code == 400
    errors = re.search(r'id="filter-errors".*?</div>', response.content.decode(), re.S)
    assert errors and f"<strong>{name}</strong>" in errors.group()
    assert not re.findall(r"· (C-\d+)</div>", response.content.decode())
    if url != reverse("web:tasks"):  # htmx swaps a 2xx fragment only
        fragment = client.get(url, {name: value}, **htmx("results"))
        assert fragment.status_code == 200 and 'id="filter-errors"' in fragment.content.decode()


@pytest.mark.parametrize("export", ["web:customers-csv", "web:customer-orders-csv"])
def test_a_page_export_refuses_a_bad_filter_in_words(client, book, manager, export):
    client.force_login(manager)
    response = client.get(reverse(export), {"owner_id": "-1", "category": "vip"})
    assert response.status_code == 400
    assert "owner_id" in response.content.decode()


def test_the_revenue_sort_pages_through_equal_values_without_loss(client, manager):
    from tests.factories import make_customer

    for number in range(7):  # ties on revenue: the id decides, across pages
        customer = make_customer(external_id=f"C-{number + 1:03d}", last_name="Same")
        if number % 2:
            make_order(customer=customer, amount=Decimal("5.00"))
    api = Api(client, user=manager)
    for sort in ("revenue", "-revenue", "last_order", "-last_order", "name"):
        walked, pages = api.walk("/customers", limit=2, sort=sort)
        assert pages == 4 and len({row["id"] for row in walked}) == 7, sort
        client.force_login(manager)
        assert [row["external_id"] for row in walked] == _page_customers(
            client.get(reverse("web:customers"), {"sort": sort})
        ), sort
