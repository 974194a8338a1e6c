"""The orders list: every order the user may see, newest first, narrowed by status, customer
and when placed (the orders' one FilterSet), refusals on their field, a saved view reopened."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from tenure.workspace.models import SavedView
from tests.factories import make_customer, make_order, make_user
from tests.web.conftest import htmx

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _order(number: str, day: int, **fields):
    return make_order(
        external_id=number, placed_at=datetime(2025, 3, day, 12, tzinfo=UTC), **fields
    )


def test_newest_first_and_narrowed_by_each_filter():
    grace = make_customer(first_name="Grace", last_name="Hopper")
    _order("O-1", 1, customer=grace, amount=Decimal("10.00"))
    _order("O-2", 5, customer=grace, status="refunded")
    _order("O-3", 9)
    client = _client(make_user(username="mia"))

    page = client.get("/orders/").content.decode()
    refunded = client.get("/orders/", {"status": "refunded"}).content.decode()
    graces = client.get("/orders/", {"customer_id": grace.pk}).content.decode()
    march = client.get("/orders/", {"placed_after": "2025-03-02", "placed_before": "2025-03-06"})

    assert page.index("O-3") < page.index("O-2") < page.index("O-1")
    assert "$10.00" in page and "Grace Hopper" in page
    assert "O-2" in refunded and "O-1" not in refunded and "O-3" not in refunded
    assert "O-3" not in graces and "O-1" in graces
    body = march.content.decode()
    assert "O-2" in body and "O-1" not in body and "O-3" not in body


def test_a_success_manager_sees_the_orders_of_their_book_only():
    sam = make_user(username="sam", role="success_manager")
    _order("MINE-1", 1, customer=make_customer(owner=sam))
    _order("THEIRS-1", 2)
    page = _client(sam).get("/orders/").content.decode()
    assert "MINE-1" in page and "THEIRS-1" not in page


def test_a_refused_filter_is_named_and_the_fragment_answers_htmx():
    client = _client(make_user(username="mia"))
    _order("O-1", 1)

    refused = client.get("/orders/", {"status": "lost", "placed_after": "yesterday"})
    fragment = client.get("/orders/", {"status": "completed"}, **htmx("results"))

    assert refused.status_code == 400
    body = refused.content.decode()
    assert "status" in body and "placed_after" in body
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "O-1" in fragment.content.decode()


def test_a_saved_view_of_the_orders_reopens_from_its_url():
    mia = make_user(username="mia")
    _order("O-1", 1, status="refunded")
    _order("O-2", 2)
    client = _client(mia)

    saved = client.post(
        "/views/new/", {"list": "orders", "name": "Refunds", "querystring": "status=refunded"}
    )
    view = SavedView.objects.get(name="Refunds")
    opened = client.get(f"/orders/?status=refunded&saved={view.pk}").content.decode()

    assert saved.status_code == 302 and f"saved={view.pk}" in saved["Location"]
    assert "O-1" in opened and "O-2" not in opened and "View: Refunds" in opened
