"""The analytics pages keep their figures while the data is unchanged, and show new figures as
soon as anything they read changes (an order placed writes an event: a new version)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenure.users.models import Role
from tests.factories import make_order, make_user
from tests.insights.builders import at, buyer
from tests.insights.test_retention import domain_example

pytestmark = pytest.mark.django_db

SETTINGS = {"rule": "fixed_days", "days": 60, "period": "quarter", "count": 3, "end": "2025-07-15"}


def _queries(client, url, query) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured), response


def test_the_analytics_figures_are_kept_until_an_order_arrives(client):
    domain_example()
    client.force_login(make_user(role=Role.MANAGER))
    url = reverse("web:analytics")
    first, response = _queries(client, url, SETTINGS)
    again, same = _queries(client, url, SETTINGS)
    assert again < first - 5  # the figures' reads are not made again
    assert same.context["series"] == response.context["series"]
    q2 = next(f for f in response.context["series"] if f.start == date(2025, 4, 1))
    assert q2.N == 5
    # a new customer buys in June: N of Q2 is 6 on the next visit
    buyer(date(2025, 6, 12))
    _count, fresh = _queries(client, url, SETTINGS)
    q2 = next(f for f in fresh.context["series"] if f.start == date(2025, 4, 1))
    assert q2.N == 6


def test_a_success_manager_never_gets_the_whole_base_figures_kept_for_a_manager(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    domain_example(owner=sam, owned=3)
    url = reverse("web:analytics")
    client.force_login(make_user(role=Role.MANAGER))
    whole = client.get(url, SETTINGS).context["series"]
    client.force_login(sam)
    own = client.get(url, SETTINGS).context["series"]
    q2 = date(2025, 4, 1)
    assert [f.S for f in whole if f.start == q2] == [20]
    assert [f.S for f in own if f.start == q2] == [3]


def test_the_lifecycle_figures_follow_a_change(client):
    customer = buyer(date(2025, 3, 1))
    client.force_login(make_user(role=Role.MANAGER))
    url = reverse("web:lifecycle")
    first, response = _queries(client, url, {})
    again, _same = _queries(client, url, {})
    assert again < first
    make_order(customer=customer, placed_at=at(date(2025, 3, 2)), amount=Decimal("5.00"))
    third, fresh = _queries(client, url, {})
    assert third > again  # read again: the order wrote an event, a new version
    assert fresh.context["total"] == response.context["total"] == 1
