"""The column chooser of the orders and tasks lists: the columns named in the URL (``?cols=``)
in their order, else the role's defaults; an unknown column refused by name; the chooser's
links; a named view that keeps its columns and reopens with them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tenure.todos.models import Task
from tenure.users.models import Role
from tenure.workspace.models import SavedView
from tests.factories import T0, make_customer, make_order, make_user
from tests.web.conftest import htmx

pytestmark = pytest.mark.django_db
ORDERS, TASKS = reverse("web:orders"), reverse("web:tasks")


def _headers(page: str) -> list[str]:
    """The table's column headers, in order (the checkbox's header has no words; a sortable
    one's words are its link's)."""
    table = page.split("<thead>")[1].split("</thead>")[0]
    return re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]+)<', table)


def _as(role: str) -> tuple[Client, object]:
    client, user = Client(), make_user(role=role)
    client.force_login(user)
    return client, user


@pytest.fixture
def book():
    """An order and a task for everyone to see (the manager's customer)."""
    boss = make_user(role=Role.MANAGER, username="boss")
    grace = make_customer(first_name="Grace", last_name="Hopper", owner=boss)
    make_order(customer=grace, external_id="O-77", currency="EUR")
    Task.objects.create(title="Call Grace", owner=boss, due=T0.date(), customer=grace)
    return boss


def test_order_columns_come_from_the_url_in_its_order_else_the_roles_defaults(book):
    analyst, _ = _as(Role.ANALYST)
    chosen = analyst.get(ORDERS, {"cols": "amount,order,currency"}).content.decode()
    assert _headers(chosen) == ["Amount", "Order", "Currency"]
    row = chosen.split("<tbody>")[1].split("</tr>")[0]
    cells = row.split("</td>", 1)[1]  # after the checkbox
    assert cells.index("50.00") < cells.index(">O-77</a>") < cells.index("<td>EUR</td>")
    assert "Grace Hopper" not in chosen  # no customer column asked for
    # Without ?cols=, the role's defaults: an analyst reads the figures, a manager who bought.
    assert _headers(analyst.get(ORDERS).content.decode()) == [
        "Order", "Placed", "Status", "Amount", "Currency",
    ]  # fmt: skip
    manager, _ = _as(Role.MANAGER)
    assert _headers(manager.get(ORDERS).content.decode()) == [
        "Order", "Customer", "Placed", "Status", "Amount",
    ]  # fmt: skip


def test_task_columns_come_from_the_url_in_its_order_else_the_roles_defaults(book):
    manager, _ = _as(Role.MANAGER)
    chosen = manager.get(TASKS, {"view": "all", "cols": "status,title,source"}).content.decode()
    assert _headers(chosen) == ["Status", "Task", "Source"]
    assert "Call Grace" in chosen and "Grace Hopper" not in chosen  # no "About" column
    defaults = {
        Role.MANAGER: ["Task", "About", "Owner", "Due", "Priority", "Status"],
        Role.SUCCESS_MANAGER: ["Task", "About", "Due", "Priority", "Status"],
        Role.ANALYST: ["Task", "About", "Owner", "Due", "Status", "Created", "Completed"],
    }
    for role, headers in defaults.items():
        client, _ = _as(role)
        assert _headers(client.get(TASKS, {"view": "all"}).content.decode()) == headers, role


def test_an_unknown_column_is_refused_by_name_and_the_defaults_shown(book):
    manager, _ = _as(Role.MANAGER)
    for url, query, named, row, defaults in (
        (ORDERS, {"cols": "order,shoe_size"}, "&#x27;shoe_size&#x27;", "O-77", 5),
        (TASKS, {"view": "all", "cols": "title,<b>"}, "&#x27;&lt;b&gt;&#x27;", "Call Grace", 6),
    ):
        page = manager.get(url, query).content.decode()
        assert "<strong>cols</strong>" in page and f"no column {named}" in page, url
        assert row in page and len(_headers(page)) == defaults, url


def test_the_chooser_links_keep_the_filters_and_change_only_the_columns(book):
    manager, _ = _as(Role.MANAGER)
    page = manager.get(ORDERS, {"status": "completed", "cols": "order,amount"}).content.decode()
    menu = page.split('id="columns-menu"')[1].split("</details>")[0]
    assert 'href="?status=completed&amp;cols=order%2Camount%2Ccurrency"' in menu  # Show
    assert 'href="?status=completed&amp;cols=amount%2Corder"' in menu  # Order later
    assert 'href="?status=completed&amp;cols=amount"' in menu  # Hide Order
    assert '<input type="hidden" name="cols" value="order,amount">' in page  # filters keep them
    # htmx refreshes the rows and, out of band, the chooser with the views menu.
    fragment = manager.get(
        TASKS, {"view": "all", "cols": "title,due"}, **htmx("results")
    ).content.decode()
    assert 'id="list-actions" hx-swap-oob="true"' in fragment
    assert 'id="columns-menu"' in fragment and _headers(fragment) == ["Task", "Due"]


@pytest.mark.parametrize(("url", "name"), [(ORDERS, "orders"), (TASKS, "tasks")])
def test_a_named_view_keeps_its_columns_and_reopens_with_them(book, url, name):
    client, sam = _as(Role.MANAGER)
    query = "cols=amount%2Corder" if name == "orders" else "view=all&cols=due%2Ctitle"
    page = client.get(f"{url}?{query}").content.decode()
    assert f'name="querystring" value="{query.replace("&", "&amp;")}"' in page
    saved = client.post(
        reverse("web:saved-view-new"), {"list": name, "name": "Mine", "querystring": query}
    )
    view = SavedView.objects.get(owner=sam)
    assert saved["Location"] == f"{url}?{query}&saved={view.pk}"
    reopened = client.get(saved["Location"]).content.decode()
    expected = ["Amount", "Order"] if name == "orders" else ["Due", "Task"]
    assert "View: Mine" in reopened and _headers(reopened) == expected
    # A view with a column the list does not have is refused on it, nothing saved.
    refused = client.post(
        reverse("web:saved-view-new"), {"list": name, "name": "Bad", "querystring": "cols=nope"}
    )
    assert refused.status_code == 422 and "no column &#x27;nope&#x27;" in refused.content.decode()
    assert SavedView.objects.count() == 1
