"""My day's accounts: ranked by the account score over their customers, with their open tasks,
snooze and done as for customers; the page's query count does not grow with the book."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tenure.customers.models import Subscription
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.notifications.models import AccountWorklistSnooze
from tenure.notifications.selectors import my_day
from tenure.todos.models import Task
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_user


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def _predict(fit, customer, risk: float, value: str) -> None:
    CustomerPrediction.objects.create(
        customer=customer, fit=fit, frequency=1, recency=10.0, T=100.0, p_alive=1 - risk,
        churn_risk=risk, expected_purchases_365=1.0, expected_average_spend=Decimal(value),
        predicted_clv_365=Decimal(value), value_if_stays_365=Decimal(value),
        historic_clv=Decimal("0"),
    )  # fmt: skip


def _renews(customer, day: date) -> None:
    Subscription.objects.create(
        customer=customer, plan="Pro", amount="10.00", currency="USD", interval="month",
        started_at=timezone.now() - timedelta(days=100), renews_at=_noon(day),
    )  # fmt: skip


@pytest.fixture
def accounts(db):
    """Three accounts of Sam's, checked by hand below, and one of someone else's."""
    sam = make_user(username="sam", role=Role.SUCCESS_MANAGER)
    today = timezone.localdate()
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=today)
    north = make_account(name="North Ltd", owner=sam)
    south = make_account(name="South Ltd", owner=sam)
    east = make_account(name="East Ltd", owner=sam)
    make_account(name="West Ltd")  # nobody's: not on Sam's day
    n1 = make_customer(account=north, owner=sam)
    n2 = make_customer(account=north)
    s1 = make_customer(account=south, owner=sam)
    e1 = make_customer(account=east, owner=sam)
    _predict(fit, n1, 0.2, "3000.00")
    _predict(fit, n2, 0.6, "1000.00")
    _predict(fit, s1, 0.8, "500.00")
    _predict(fit, e1, 0.5, "10000.00")
    _renews(n1, today + timedelta(days=10))
    _renews(n2, today + timedelta(days=40))
    _renews(s1, today)
    Task.objects.create(title="Call North", owner=sam, account=north, due=today)
    Task.objects.create(title="Visit N2", owner=sam, customer=n2, due=today)
    return sam, north, south, east, today


def test_my_day_ranks_accounts_by_hand(accounts):
    sam, north, south, east, today = accounts
    # North: risk (0.2x3000 + 0.6x1000)/4000 = 0.3, value 4000, renews in 10 -> x 30/40: 900.
    # South: 0.8 x 500 x 1 = 400. East: 0.5 x 10000 x 30/395 = 379.75.
    day = my_day(user=sam, today=today)
    assert [(r.account.pk, round(r.ranking.score, 2), r.open_tasks) for r in day.accounts] == [
        (north.pk, 900.0, 2),
        (south.pk, 400.0, 0),
        (east.pk, 379.75, 0),
    ]
    assert day.accounts[0].customers == 2 and day.accounts[0].ranking.days_to_renewal == 10


def test_the_page_lists_accounts_and_snoozes_one(client, accounts):
    sam, north, south, east, today = accounts
    client.force_login(sam)
    page = client.get(reverse("web:my-day")).content.decode()
    assert page.index("</title>") < page.index("<main") < page.index('id="account-worklist"')
    table = page[page.index('id="account-worklist-table"') :]
    assert table.index("North Ltd") < table.index("South Ltd") < table.index("East Ltd")
    assert "West Ltd" not in page
    until = today + timedelta(days=3)
    response = client.post(
        reverse("web:my-day-account-snooze", args=[north.pk]), {"until": str(until)}
    )
    assert response.status_code == 302
    client.post(reverse("web:my-day-account-done", args=[south.pk]))
    assert [r.account.pk for r in my_day(user=sam, today=today).accounts] == [east.pk]
    assert my_day(user=sam, today=today).accounts_snoozed == 2
    back = my_day(user=sam, today=until).accounts
    assert {r.account.pk for r in back} == {north.pk, south.pk, east.pk}  # all back
    refused = client.post(
        reverse("web:my-day-account-snooze", args=[east.pk]), {"until": str(today)}
    )
    assert refused.status_code == 302
    assert not AccountWorklistSnooze.objects.filter(account=east).exists()
    followed = client.get(reverse("web:my-day")).content.decode()
    assert "Snooze North Ltd" not in followed and "Snooze East Ltd" in followed


def test_someone_elses_account_is_not_found(client, accounts):
    _sam, *_ = accounts
    other = make_user(role=Role.SUCCESS_MANAGER)
    client.force_login(other)
    north = accounts[1]
    assert client.post(reverse("web:my-day-account-done", args=[north.pk])).status_code == 404


def test_an_analyst_may_not_snooze_an_account_and_sees_no_controls(client, accounts):
    _sam, north, _south, _east, today = accounts
    client.force_login(make_user(role=Role.ANALYST))
    assert client.post(reverse("web:my-day-account-done", args=[north.pk])).status_code == 403
    snooze = reverse("web:my-day-account-snooze", args=[north.pk])
    assert client.post(snooze, {"until": str(today + timedelta(days=7))}).status_code == 403
    assert not AccountWorklistSnooze.objects.exists()
    page = client.get(reverse("web:my-day")).content.decode()
    assert "snooze-form" not in page and "Done with" not in page


def _grow(sam, fit, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        account = make_account(owner=sam)
        customer = make_customer(account=account, owner=sam)
        _predict(fit, customer, 0.3, "100.00")
        _renews(customer, today + timedelta(days=i + 1))
        Task.objects.create(title=f"t{i}", owner=sam, account=account, due=today)


def test_the_page_costs_the_same_queries_whatever_the_book(client, accounts):
    sam = accounts[0]
    client.force_login(sam)
    client.get(reverse("web:my-day"))  # warm the session and per-process caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("web:my-day")).status_code == 200
    _grow(sam, ModelFit.objects.get(), 12)
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("web:my-day")).content.decode()
    table = page[page.index('id="account-worklist-table"') :].split("</table>")[0]
    assert table.count('<a href="/accounts/') == 15  # the 3 + 12 accounts are all on the page
    assert len(large.captured_queries) == len(small.captured_queries)
