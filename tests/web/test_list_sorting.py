"""The orders and tasks lists sort by a column's header: the sort in the URL, reversed by a
second click, said by ``aria-sort``; the same ``sort`` in the API's lists (paged along it) and
the exports; kept by a saved view; an unknown key refused on its field, never a 500."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tenure.todos.models import TaskStatus
from tenure.todos.services import task_create, task_update
from tenure.users.models import Role
from tenure.workspace.services import saved_view_create
from tests.api.helpers import Api
from tests.factories import make_customer, make_order, make_user
from tests.web.conftest import htmx

pytestmark = pytest.mark.django_db

ORDERS = reverse("web:orders")
TASKS = reverse("web:tasks")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _numbers(page: str) -> list[str]:
    """The orders' numbers as the page lists them."""
    return re.findall(r'href="/orders/\d+/"[^>]*>([^<]+)<', page)


def _orders(owner=None) -> None:
    """Four orders: O-A 30.00 on 3 March, O-B 5.00 on 9 March, O-C 120.00 on 1 March,
    O-D 30.00 on 5 March (the same amount as O-A: the id breaks the tie)."""
    customer = make_customer(owner=owner)
    for number, amount, day in (("O-A", "30.00", 3), ("O-B", "5.00", 9), ("O-C", "120.00", 1),
                                ("O-D", "30.00", 5)):  # fmt: skip
        make_order(
            customer=customer, external_id=number, amount=Decimal(amount),
            placed_at=datetime(2025, 3, day, 12, tzinfo=UTC),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["O-B", "O-D", "O-A", "O-C"]),  # newest first, as before
        ("placed", ["O-C", "O-A", "O-D", "O-B"]),
        ("-amount", ["O-C", "O-D", "O-A", "O-B"]),  # 30.00 twice: the later id first, reversed
        ("amount", ["O-B", "O-A", "O-D", "O-C"]),
        ("-order", ["O-D", "O-C", "O-B", "O-A"]),
    ],
)
def test_orders_sort_by_a_column_on_the_page_and_in_the_api_alike(client, sort, expected):
    _orders()
    manager = make_user(role=Role.MANAGER)
    params = {"sort": sort} if sort else {}
    page = _client(manager).get(ORDERS, params)
    assert page.status_code == 200
    assert _numbers(page.content.decode()) == expected
    if sort:  # the API pages along the sort (a cursor per row), the same rows in the same order
        listed, pages = Api(client, user=manager).walk("/orders", limit=1, **params)
        assert [row["external_id"] for row in listed] == expected and pages == 4


def test_an_orders_header_links_its_sort_reversed_and_says_which_way(client):
    _orders()
    client.force_login(make_user(role=Role.MANAGER))
    page = client.get(ORDERS, {"status": "completed", "sort": "-amount"}).content.decode()
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert 'aria-sort="descending"' in header and header.count("aria-sort") == 1
    assert 'href="?status=completed&amp;sort=amount"' in header  # the same column, reversed
    assert 'href="?status=completed&amp;sort=order"' in header  # a name: A to Z first
    assert 'href="?status=completed&amp;sort=-placed"' in header  # a moment: newest first
    assert 'id="sort-input" value="-amount"' in page  # the filters keep it
    plain = client.get(ORDERS).content.decode().split("<thead>")[1].split("</thead>")[0]
    assert 'aria-sort="descending"' in plain and 'href="?sort=placed"' in plain  # the default
    fragment = client.get(ORDERS, {"sort": "amount"}, **htmx("results")).content.decode()
    assert 'id="sort-input" value="amount" hx-swap-oob="true"' in fragment


def test_an_unknown_sort_is_refused_on_its_field_on_the_page_and_the_api(client):
    _orders()
    manager = make_user(role=Role.MANAGER)
    page = _client(manager).get(ORDERS, {"sort": "colour"})
    assert page.status_code == 400 and "O-A" not in page.content.decode()
    assert "sort" in page.context["filter_errors"]
    tasks = _client(manager).get(TASKS, {"view": "all", "sort": "-priority"})
    assert tasks.status_code == 400 and "sort" in tasks.context["filter_errors"]
    api = Api(client, user=manager)
    for path in ("/orders", "/tasks"):
        response = api.get(path, sort="colour")
        assert response.status_code == 422, path
        assert "sort" in response.content.decode()


def test_a_success_managers_sorted_orders_are_their_book_only():
    sam = make_user(role=Role.SUCCESS_MANAGER)
    _orders(owner=sam)
    make_order(external_id="THEIRS", amount=Decimal("999.00"))
    page = _client(sam).get(ORDERS, {"sort": "-amount"}).content.decode()
    assert _numbers(page) == ["O-C", "O-D", "O-A", "O-B"]


def test_the_orders_export_follows_the_orders_sort_and_still_the_customers(client):
    _orders()
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)

    def numbers(response) -> list[str]:
        assert response.status_code == 200, response.content[:300]
        text = b"".join(response.streaming_content).decode()
        return [row["order_id"] for row in csv.DictReader(io.StringIO(text))]

    web = numbers(client.get(reverse("web:customer-orders-csv"), {"sort": "-amount"}))
    api = numbers(Api(client, user=manager).get("/orders/export.csv", sort="-amount"))
    assert web == api == ["O-C", "O-D", "O-A", "O-B"]
    # a customers' sort still names whose orders first (then by id)
    assert numbers(client.get(reverse("web:customer-orders-csv"), {"sort": "-revenue"})) == [
        "O-A", "O-B", "O-C", "O-D",
    ]  # fmt: skip
    refused = client.get(reverse("web:customer-orders-csv"), {"sort": "colour"})
    assert refused.status_code == 400 and b"sort" in refused.content


def test_a_saved_view_keeps_the_sort_and_reopens_in_it():
    _orders()
    manager = make_user(role=Role.MANAGER)
    view = saved_view_create(
        by=manager, list_name="orders", name="Biggest", querystring="sort=-amount"
    )
    client = _client(manager)
    reopened = client.get(ORDERS, {"sort": "-amount", "saved": view.pk}).content.decode()
    assert _numbers(reopened) == ["O-C", "O-D", "O-A", "O-B"]
    assert "View: Biggest" in reopened
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="sort"):
        saved_view_create(by=manager, list_name="tasks", name="No", querystring="sort=amount")


# --- tasks --------------------------------------------------------------------------------------


def _titles(page: str) -> list[str]:
    return re.findall(r'href="/tasks/\d+/">([^<]+)<', page)


def _tasks() -> dict[str, object]:
    """Three tasks: "Call" due 10 June (Ann's), "Email" due 2 June (Bob's, done on 3 June),
    "Audit" due 20 June (Ann's)."""
    ann = make_user(first_name="Ann", last_name="Able", username="ann")
    bob = make_user(first_name="Bob", last_name="Brown", username="bob")
    call = task_create(by=None, title="Call", owner=ann, due=date(2025, 6, 10))
    email = task_create(by=None, title="Email", owner=bob, due=date(2025, 6, 2))
    task_create(by=None, title="Audit", owner=ann, due=date(2025, 6, 20))
    task_update(by=None, task_id=email.pk, changes={"status": TaskStatus.DONE})
    return {"ann": ann, "bob": bob, "call": call}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (None, ["Call", "Audit", "Email"]),  # open first, then by due date, as before
        ("due", ["Email", "Call", "Audit"]),
        ("-due", ["Audit", "Call", "Email"]),
        ("title", ["Audit", "Call", "Email"]),
        ("-owner", ["Email", "Audit", "Call"]),  # Bob, then Ann's, by id reversed
        ("-completed", ["Email", "Audit", "Call"]),  # the one done first; not done last
        ("completed", ["Email", "Call", "Audit"]),  # not done last either way
    ],
)
def test_tasks_sort_by_a_column_on_the_page_and_in_the_api_alike(client, sort, expected):
    _tasks()
    manager = make_user(role=Role.MANAGER)
    params = {"view": "all", **({"sort": sort} if sort else {})}
    page = _client(manager).get(TASKS, params)
    assert page.status_code == 200
    assert _titles(page.content.decode()) == expected
    if sort:
        listed, _ = Api(client, user=manager).walk("/tasks", limit=1, **params)
        assert [row["title"] for row in listed] == expected


def test_a_tasks_header_says_the_due_order_of_my_tasks_and_reverses_it():
    book = _tasks()
    client = _client(book["ann"])
    page = client.get(TASKS).content.decode()  # My tasks: open, by due date
    header = page.split("<thead>")[1].split("</thead>")[0]
    assert re.search(r'aria-sort="ascending">\s*<a href="\?sort=-due"', header)
    assert _titles(page) == ["Call", "Audit"]
    reversed_ = client.get(TASKS, {"sort": "-due"}).content.decode()
    assert _titles(reversed_) == ["Audit", "Call"]
    assert 'id="sort-input" value="-due"' in reversed_
