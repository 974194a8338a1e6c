"""An installation with no customer: the customers list offers ways in (import, create) by
role, and an admin may load the demo business in the background, once, only into an empty
database; the run loads it, fits the models and follows its events. The accounts, orders and
tasks lists offer their own ways in when there is nothing at all yet, by role."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tenure.customers.models import Customer
from tenure.demo.tasks import DEMO_LOAD_RUN
from tenure.insights.selectors import latest_fit
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.lifecycle.models import CustomerStage
from tenure.todos.models import Task
from tests.factories import T0, make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _client(role: str) -> Client:
    client = Client()
    client.force_login(make_user(role=role))
    return client


def test_the_empty_list_offers_ways_in_by_role():
    admin = _client("admin").get("/customers/").content.decode()
    manager = _client("manager").get("/customers/").content.decode()
    analyst = _client("analyst").get("/customers/").content.decode()

    assert "No customers yet." in admin and "Load the demo business" in admin
    assert "Import a file" in admin and "/customers/new/" in admin
    assert "Import a file" in manager and "Load the demo business" not in manager
    assert "Import a file" not in analyst and "once your team imports" in analyst
    make_customer()
    filled = _client("admin").get("/customers/?q=zzz").content.decode()
    assert "No customers match." in filled and "Load the demo business" not in filled


def test_an_admin_queues_the_load_once_and_only_into_an_empty_database():
    client = _client("admin")

    first = client.post("/demo/load/", follow=True)
    second = client.post("/demo/load/", follow=True)

    assert first.status_code == 200 and "Loading the demo business" in first.content.decode()
    assert "loading already" in second.content.decode()
    assert Run.objects.filter(kind=DEMO_LOAD_RUN).count() == 1
    assert "refresh in a minute" in client.get("/customers/").content.decode()
    assert _client("manager").post("/demo/load/").status_code == 403


def test_a_database_with_customers_is_never_given_the_demo():
    make_customer()
    assert _client("admin").post("/demo/load/").status_code == 403
    assert not Run.objects.filter(kind=DEMO_LOAD_RUN).exists()


@pytest.mark.slow
def test_the_run_loads_the_demo_fits_and_follows_its_events():
    _client("admin").post("/demo/load/")
    run = Run.objects.get(kind=DEMO_LOAD_RUN)

    outcome = run_execute(run.pk)

    assert outcome["status"] == "done", outcome["error"]
    result = outcome["result"]
    assert result["created"] is True and result["customers"] == Customer.objects.count() > 0
    assert latest_fit() is not None
    assert CustomerStage.objects.count() > 0  # the events were followed: stages exist


def _cell(page: str) -> str:
    """The empty state's cell, or "" when the list shows none."""
    if 'id="empty-state"' not in page:
        return ""
    return page.split('id="empty-state"')[1].split("</td>")[0]


def test_each_list_with_nothing_yet_offers_its_own_ways_in_by_role():
    # (list, its ways in for a role that changes records, where each goes)
    offers = {
        "/accounts/": [("Create account", "/accounts/new/"),
                       ("Import customers and accounts", "/imports/?kind=customers")],
        "/orders/": [("Import orders", "/imports/?kind=orders"),
                     ("Record an order", "/customers/")],
        "/tasks/": [("Create a task", "#new-task")],
        "/customers/": [("Import a file", "/imports/?kind=customers"),
                        ("New customer", "/customers/new/")],
    }  # fmt: skip
    for role in ("admin", "manager", "success_manager"):
        client = _client(role)
        for url, ways in offers.items():
            cell = _cell(client.get(url).content.decode())
            assert "yet.</strong>" in cell, (role, url)
            for label, href in ways:
                assert f'href="{href}"' in cell and f"{label}</a>" in cell, (role, url, label)
            assert cell.count("</a>") == len(ways), (role, url)  # nothing another list offers
    tasks = _cell(_client("manager").get("/tasks/").content.decode())
    assert 'data-open="new-task"' in tasks  # opens the New task form on the page
    analyst = _client("analyst")
    for url in offers:
        cell = _cell(analyst.get(url).content.decode())
        assert "yet.</strong>" in cell and "once your team" in cell, url
        assert "</a>" not in cell and "btn" not in cell, url  # an analyst is offered no action


def test_a_filter_that_matches_nothing_keeps_no_match_and_a_way_to_clear_it():
    manager = make_user(role="manager")
    account = make_account(name="Acme")
    customer = make_customer(account=account, owner=manager)
    make_order(customer=customer)
    Task.objects.create(title="Call", owner=manager, due=T0.date(), customer=customer)
    client = Client()
    client.force_login(manager)
    for url, query, words, clear in (
        ("/accounts/", {"q": "zzz"}, "No accounts match.", 'href="/accounts/?q="'),
        ("/orders/", {"status": "refunded"}, "No orders match.", 'href="/orders/?status="'),
        ("/tasks/", {"view": "all", "status": "done"}, "No tasks match.",
         'href="/tasks/?view=all"'),
    ):  # fmt: skip
        page = client.get(url, query).content.decode()
        assert words in page and clear in page, url
        assert 'id="empty-state"' not in page and "yet.</strong>" not in page, url
    # A success manager whose book is empty, though others' records exist, starts from nothing.
    sam = make_user(role="success_manager")
    client.force_login(sam)
    for url in ("/accounts/", "/orders/", "/tasks/"):
        assert "yet.</strong>" in _cell(client.get(url).content.decode()), url


def test_the_import_page_opens_on_the_kind_a_list_asked_for():
    client = _client("manager")

    def checked(query: dict[str, str]) -> list[str]:
        page = client.get("/imports/", query).content.decode()
        return re.findall(r'<input type="radio" name="kind" value="(\w+)"[^>]* checked>', page)

    assert checked({"kind": "orders"}) == ["orders"]
    assert checked({"kind": "<b>"}) == ["customers"]  # an unknown kind: the default
