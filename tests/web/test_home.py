"""Home per role: a dashboard for admins, managers and analysts (the Analytics answer from the
same kept figures, the five at-risk customers worth the most in the user's book, overdue
tasks, the latest imports); the empty state on an empty base; My day for a success manager."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tenure.jobs.models import Run
from tenure.lifecycle.services import lifecycle_recompute
from tenure.todos.models import Task
from tenure.transfer.models import ImportJob
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user


def _at_risk(owner, amount: str, name: str):
    # Two orders 50 days apart, the last 110 days ago: the recompute puts them at risk.
    customer = make_customer(owner=owner, first_name=name, last_name="Risk")
    now = timezone.now()
    for days in (160, 110):
        make_order(customer=customer, placed_at=now - timedelta(days=days), amount=Decimal(amount))
    lifecycle_recompute(customer_ids=[customer.pk], now=now)
    return customer


@pytest.fixture
def base(db):
    """Six customers at risk, orders of 100 to 600 (Sam owns the 600 one, Mia the rest); two
    overdue tasks of Mia's and one of Sam's, one due today; one queued import."""
    mia = make_user(role=Role.MANAGER, username="mia2")
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam2")
    names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
    customers = [
        _at_risk(sam if i == 5 else mia, f"{(i + 1) * 100}.00", name)
        for i, name in enumerate(names)
    ]
    today = timezone.localdate()
    for title, owner in (("Call Alpha", mia), ("Mail Bravo", mia), ("Sam's call", sam)):
        Task.objects.create(
            title=title, owner=owner, customer=customers[0], due=today - timedelta(days=2)
        )
    Task.objects.create(title="Later", owner=mia, customer=customers[1], due=today)
    ImportJob.objects.create(
        run=Run.objects.create(kind="transfer.import"), kind="orders", file_name="o.csv",
        path="/nowhere", created_by=mia,
    )  # fmt: skip
    return mia, sam, customers


def _block(page: str, block_id: str) -> str:
    return page[page.index(f'id="{block_id}"') :].split("</section>")[0]


def test_a_manager_sees_the_dashboard_with_the_teams_overdue_count(client, base):
    mia, *_ = base
    client.force_login(mia)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    page = response.content.decode()
    at_risk = _block(page, "home-at-risk")
    # The five worth the most, most first: Foxtrot (600) .. Bravo (200); Alpha (100) is sixth.
    order = [at_risk.index(n) for n in ("Foxtrot", "Echo", "Delta", "Charlie", "Bravo")]
    assert order == sorted(order) and "Alpha" not in at_risk
    overdue = _block(page, "home-overdue")
    assert "You have 2 overdue tasks. The team has 3." in overdue
    assert "Call Alpha" in overdue and "Later" not in overdue and "Sam&#x27;s call" not in overdue
    assert "o.csv" in _block(page, "home-imports") and "Queued" in _block(page, "home-imports")
    assert 'id="kpi-strip"' in page and 'id="answer-sentence"' in page
    assert reverse("web:lifecycle-at-risk") in at_risk and reverse("web:tasks") in overdue


def test_the_answer_is_the_analytics_pages_own(client, base):
    mia, *_ = base
    client.force_login(mia)
    analytics = client.get(reverse("web:analytics")).context["overview"]
    home = client.get(reverse("web:home")).context["overview"]
    assert home == analytics and home["sentence"]


def test_an_admin_has_no_team_count_and_an_analyst_no_write_controls(client, base):
    _mia, _sam, _customers = base
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    page = client.get(reverse("web:home")).content.decode()
    assert "You have 0 overdue tasks." in page and "The team has" not in page
    assert "Foxtrot" in _block(page, "home-at-risk")
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(reverse("web:home")).content.decode()
    assert "Foxtrot" in _block(page, "home-at-risk")
    main = page[page.index("<main") :]
    assert 'method="post"' not in main and "New customer" not in main


def test_a_success_manager_keeps_my_day(client, base):
    _mia, sam, _customers = base
    client.force_login(sam)
    assert client.get(reverse("web:home"))["Location"] == reverse("web:my-day")


def test_an_empty_base_shows_the_empty_state(client, db):
    client.force_login(make_user(role=Role.MANAGER))
    page = client.get(reverse("web:home")).content.decode()
    empty = _block(page, "home-empty")
    assert "No customers yet." in empty
    assert reverse("web:imports") in empty and reverse("web:customer-new") in empty
    assert 'id="kpi-strip"' not in page
    client.force_login(make_user(role=Role.ANALYST))
    empty = _block(client.get(reverse("web:home")).content.decode(), "home-empty")
    assert "once your team imports or adds them" in empty and "New customer" not in empty
