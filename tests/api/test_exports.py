"""The API's CSV exports: the import's columns, the caller's customers only, the list's filters,
tenure's figures with ``insights``."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.lifecycle.health import health_recompute
from tenure.lifecycle.services import lifecycle_recompute
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "no-store"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_a_success_manager_exports_their_own_customers_with_figures(client):
    manager = make_user(role=Role.SUCCESS_MANAGER)
    api = Api(client, user=manager)
    mine = make_customer(owner=manager, external_id="MINE-1", first_name="=HYPERLINK(1)")
    theirs = make_customer(owner=make_user(), external_id="THEIRS-1")
    now = timezone.now()
    for customer in (mine, theirs):
        make_order(customer=customer, placed_at=now - timedelta(days=40))
    lifecycle_recompute(customer_ids=[mine.pk, theirs.pk], now=now)
    health_recompute(customer_ids=[mine.pk, theirs.pk], now=now)

    rows = _rows(api.get("/customers/export.csv", insights="true"))
    assert [row["customer_id"] for row in rows] == ["MINE-1"]
    assert rows[0]["first_name"] == "'=HYPERLINK(1)"  # neutralised, as every export
    assert rows[0]["stage"] != "" and rows[0]["health_band"] in {"green", "yellow", "red"}

    plain = _rows(api.get("/customers/export.csv"))
    assert "stage" not in plain[0] and plain[0]["customer_id"] == "MINE-1"
    orders = _rows(api.get("/orders/export.csv"))
    assert [row["customer_id"] for row in orders] == ["MINE-1"]


def test_the_list_filters_narrow_the_export(client):
    api = Api(client, Role.ANALYST)
    make_customer(external_id="A-1", channel="partner")
    make_customer(external_id="B-1", channel="paid_social")
    assert [r["customer_id"] for r in _rows(api.get("/customers/export.csv"))] == ["A-1", "B-1"]
    narrowed = _rows(api.get("/customers/export.csv", channel="partner"))
    assert [row["customer_id"] for row in narrowed] == ["A-1"]
    assert _rows(api.get("/customers/export.csv", q="no such person")) == []


def test_an_export_needs_a_token(client):
    response = client.get("/api/v1/customers/export.csv")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
