"""The customers list's CSV exports: the list's filters and search, the viewer's records only,
streamed, in the columns and with the formula neutralising of `tenure export`."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user
from tests.web.conftest import htmx


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response
    assert isinstance(response, StreamingHttpResponse)  # streamed, not built in memory
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def _column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def test_the_export_is_an_attachment_named_with_the_date(signed_in, book):
    response = signed_in.get(reverse("web:customers-csv"))
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="customers-{today}.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0][:4] == ["customer_id", "email", "first_name", "last_name"]
    assert sorted(_column(rows, "customer_id")) == ["C-100", "C-200", "C-300", "C-400"]


def test_the_export_follows_the_filters_and_the_search(signed_in, book):
    vip = _csv(signed_in.get(reverse("web:customers-csv"), {"category": "vip", "page": "7"}))
    assert sorted(_column(vip, "customer_id")) == ["C-100", "C-300"]
    searched = _csv(signed_in.get(reverse("web:customers-csv"), {"q": "lovelace"}))
    assert _column(searched, "last_name") == ["Lovelace"]


def test_the_orders_export_has_the_orders_of_the_listed_customers(signed_in, book):
    response = signed_in.get(reverse("web:customer-orders-csv"), {"category": "vip"})
    assert "orders-" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]
    assert sorted(set(_column(rows, "customer_id"))) == ["C-100", "C-300"]  # Alan is no vip
    assert len(rows) - 1 == 2 + 3


def test_a_success_manager_exports_only_their_own_customers(client, book, manager):
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    make_customer(external_id="MINE-1", last_name="Mine", owner=success_manager)
    theirs = make_customer(external_id="THEIRS-1", last_name="Secretperson", owner=manager)
    make_order(customer=theirs, external_id="THEIR-ORDER")
    client.force_login(success_manager)

    rows = _csv(client.get(reverse("web:customers-csv")))
    assert _column(rows, "customer_id") == ["MINE-1"]
    # Not by naming the owner nor by searching for the name either.
    for params in ({"owner_id": manager.pk}, {"q": "Secretperson"}):
        text = "\n".join(
            ",".join(row) for row in _csv(client.get(reverse("web:customers-csv"), params))
        )
        assert "Secretperson" not in text and "THEIRS-1" not in text
    orders = _csv(client.get(reverse("web:customer-orders-csv")))
    assert orders[1:] == []


def test_cells_a_spreadsheet_would_run_are_neutralised(signed_in):
    make_customer(external_id="=cmd|' /C calc'!A0", first_name="@SUM(1+1)")
    rows = _csv(signed_in.get(reverse("web:customers-csv")))
    assert _column(rows, "customer_id") == ["'=cmd|' /C calc'!A0"]
    assert _column(rows, "first_name") == ["'@SUM(1+1)"]


def test_the_list_links_to_the_exports_with_its_filters(signed_in, book):
    page = signed_in.get(reverse("web:customers"), {"category": "vip", "page": "2"}).content
    text = page.decode()
    assert 'href="/customers/export.csv?category=vip"' in text
    assert 'href="/customers/orders.csv?category=vip"' in text
    fragment = signed_in.get(reverse("web:customers"), {"channel": "ads"}, **htmx("results"))
    fragment = fragment.content.decode()
    # htmx swaps the results; the export links follow out of band.
    assert 'id="list-actions" hx-swap-oob="true"' in fragment
    assert "/customers/export.csv?channel=ads" in fragment


def test_an_export_needs_a_login(client):
    response = client.get(reverse("web:customers-csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.django_db(transaction=True)
def test_the_export_streams_outside_a_transaction_as_under_a_real_server(client):
    # A server runs in autocommit: the rows are read (a server-side cursor on PostgreSQL) while
    # the response is sent, after the view has returned.
    client.force_login(make_user(role=Role.MANAGER))
    for n in range(12):
        make_customer(external_id=f"S{n:02d}")
    response = client.get(reverse("web:customers-csv"))
    assert _column(_csv(response), "customer_id") == [f"S{n:02d}" for n in range(12)]
