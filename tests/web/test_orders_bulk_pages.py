"""The orders list's bulk bar (status, export), its cells edited in place (status, amount) and
Undo, through the pages (Django's client, the real database: SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from tenure.bulk.models import ChangeSet
from tenure.events.models import Event
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.orders.models import Order, OrderStatus
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


def _cell(order: Order, name: str) -> str:
    return reverse("web:order-cell", args=[order.pk, name])


def test_the_list_shows_the_bar_checkboxes_and_cells_to_those_who_change(client):
    client.force_login(make_user(role=Role.MANAGER))
    order = make_order()
    page = client.get(reverse("web:orders")).content.decode()
    assert 'id="bulk-form"' in page and reverse("web:orders-bulk") in page
    assert f'name="ids" value="{order.pk}" form="bulk-form"' in page
    assert 'data-bulk-filters="order-filters"' in page and 'data-list-total="1"' in page
    assert _cell(order, "status") in page and _cell(order, "amount") in page
    # An analyst reads: the export of the chosen rows, no change, the values without buttons.
    client.force_login(make_user(role=Role.ANALYST))
    read_only = client.get(reverse("web:orders")).content.decode()
    assert reverse("web:orders-bulk-export") in read_only
    assert "Apply to chosen" not in read_only and _cell(order, "status") not in read_only
    assert f'id="order-cell-{order.pk}-status"' in read_only


def test_the_bar_refunds_the_filtered_orders_shows_the_counts_and_undoes(client):
    manager = make_user(role=Role.MANAGER)
    customer = make_customer()
    completed = [make_order(customer=customer, amount=Decimal("10.00")) for _ in range(3)]
    cancelled = make_order(customer=customer, status=OrderStatus.CANCELLED)
    client.force_login(manager)
    started = client.post(
        reverse("web:orders-bulk"),
        {"all": "1", "query": "status=completed", "operation": "status",
         "new_status": "refunded"},
        **HTMX,
    )  # fmt: skip
    assert started.status_code == 200, started.content
    run = Run.objects.get(kind="bulk.orders")
    assert reverse("web:orders-bulk-run", args=[run.pk]) in started.content.decode()
    run_execute(run.pk)
    card = client.get(reverse("web:orders-bulk-run", args=[run.pk]), **HTMX)
    assert "Finished: 3 changed, 0 unchanged, 0 refused." in card.content.decode()
    assert card["HX-Trigger"] == "tenure-list-changed"  # the list shows its rows as they are
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in completed])} == {
        "refunded"
    }
    assert Order.objects.get(pk=cancelled.pk).status == "cancelled"
    assert Event.objects.filter(kind="order.refunded").count() == 3
    page = client.get(reverse("web:orders-bulk-run", args=[run.pk])).content.decode()
    assert "chosen orders" in page and reverse("web:orders") in page
    change_set = ChangeSet.objects.get(author=manager)
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX)
    assert undone.status_code == 200 and "Undone" in undone.content.decode()
    assert Order.objects.filter(status="completed").count() == 3


def test_a_bad_request_is_refused_in_words_and_starts_nothing(client):
    client.force_login(make_user(role=Role.MANAGER))
    order = make_order()
    bad = client.post(
        reverse("web:orders-bulk"),
        {"ids": [str(order.pk)], "operation": "status", "new_status": "lost"},
    )
    assert bad.status_code == 422 and "value" in bad.content.decode()
    empty = client.post(
        reverse("web:orders-bulk"), {"operation": "status", "new_status": "refunded"}
    )
    assert empty.status_code == 422 and "choose at least one order" in empty.content.decode()
    unknown = client.post(reverse("web:orders-bulk"), {"all": "1", "operation": "delete"})
    assert unknown.status_code == 422 and "choose what to do" in unknown.content.decode()
    filters = client.post(
        reverse("web:orders-bulk"),
        {"all": "1", "query": "status=lost", "operation": "status", "new_status": "refunded"},
    )
    assert filters.status_code == 422 and "status" in filters.content.decode()
    assert not Run.objects.exists() and Order.objects.get(pk=order.pk).status == "completed"


def test_an_analyst_is_refused_and_another_persons_run_is_not_found(client):
    order = make_order()
    client.force_login(make_user(role=Role.ANALYST))
    refused = client.post(
        reverse("web:orders-bulk"), {"all": "1", "operation": "status", "new_status": "refunded"}
    )
    assert refused.status_code == 403 and not Run.objects.exists()
    assert client.post(_cell(order, "status"), {"status": "refunded"}, **HTMX).status_code == 403
    assert "data-cell-input" not in client.get(_cell(order, "status"), **HTMX).content.decode()
    assert Order.objects.get(pk=order.pk).status == "completed"
    run = Run.objects.create(kind="bulk.orders", requested_by=make_user(role=Role.MANAGER))
    client.force_login(make_user(role=Role.MANAGER))
    assert client.get(reverse("web:orders-bulk-run", args=[run.pk])).status_code == 404
    # A tasks run's id is not an orders run.
    tasks_run = Run.objects.create(kind="bulk.tasks", requested_by=make_user(role=Role.ADMIN))
    client.force_login(tasks_run.requested_by)
    assert client.get(reverse("web:orders-bulk-run", args=[tasks_run.pk])).status_code == 404


def test_a_success_manager_refunds_only_their_book(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    mine = make_order(customer=make_customer(owner=sam))
    theirs = make_order(customer=make_customer(owner=make_user(role=Role.SUCCESS_MANAGER)))
    client.force_login(sam)
    started = client.post(
        reverse("web:orders-bulk"),
        {"ids": [str(mine.pk), str(theirs.pk)], "operation": "status",
         "new_status": "refunded"},
    )  # fmt: skip
    assert started.status_code == 302
    run = Run.objects.get(kind="bulk.orders")
    run_execute(run.pk)
    card = client.get(reverse("web:orders-bulk-run", args=[run.pk]), **HTMX).content.decode()
    assert "Finished: 1 changed, 0 unchanged, 1 refused." in card
    assert f"no order with id {theirs.pk}" in card
    assert Order.objects.get(pk=theirs.pk).status == "completed"
    assert client.get(_cell(theirs, "status"), **HTMX).status_code == 404


def test_export_of_the_chosen_orders_is_neutralised_and_scoped(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    client.force_login(sam)
    mine = make_order(customer=make_customer(owner=sam), external_id="=HYPERLINK(1)")
    other_mine = make_order(customer=make_customer(owner=sam), external_id="KEEP-OUT")
    theirs = make_order(external_id="THEIRS")
    response = client.get(
        reverse("web:orders-bulk-export"), {"ids": [str(mine.pk), str(theirs.pk)]}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "order_id"
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(1)"]  # not the other's, not unchosen
    every = client.get(reverse("web:orders-bulk-export"), {"all": "1"})
    text = b"".join(every.streaming_content).decode()
    assert other_mine.external_id in text and "THEIRS" not in text
    bad = client.get(reverse("web:orders-bulk-export"), {"all": "1", "query": "status=lost"})
    assert bad.status_code == 400


def test_a_status_cell_refuses_a_bad_value_in_the_cell_then_refunds_and_is_undone(client):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    order = make_order(amount=Decimal("10.00"))
    opened = client.get(_cell(order, "status"), **HTMX).content.decode()
    assert "data-cell-input" in opened and 'value="completed" selected' in opened
    refused = client.post(_cell(order, "status"), {"status": "lost"}, **HTMX)
    body = refused.content.decode()
    assert refused.status_code == 200 and "Select a valid choice" in body
    assert 'aria-invalid="true"' in body and 'role="alert"' in body
    assert f'aria-describedby="order-cell-{order.pk}-status-error"' in body
    plain = client.post(_cell(order, "status"), {"status": "lost"})
    assert plain.status_code == 422 and "Select a valid choice" in plain.content.decode()
    saved = client.post(_cell(order, "status"), {"status": "refunded"}, **HTMX)
    body = saved.content.decode()
    assert "Refunded" in body and 'id="undo-toast" hx-swap-oob="innerHTML"' in body
    assert Order.objects.get(pk=order.pk).status == "refunded"
    assert Event.objects.filter(kind="order.refunded", subject_id=order.pk).exists()
    assert LogEntry.objects.get_for_object(order).filter(actor=manager).exists()
    change_set = ChangeSet.objects.get(author=manager)
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX).content.decode()
    assert "Undone" in undone and f'id="order-cell-{order.pk}-status" hx-swap-oob="true"' in undone
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_an_amount_cell_is_decimal_and_names_the_services_refusal(client):
    client.force_login(make_user(role=Role.MANAGER))
    order = make_order(amount=Decimal("10.00"))
    too_fine = client.post(_cell(order, "amount"), {"amount": "1.005"}, **HTMX).content.decode()
    assert "decimal places" in too_fine and 'role="alert"' in too_fine
    negative = client.post(_cell(order, "amount"), {"amount": "-1"}, **HTMX).content.decode()
    assert "greater than or equal to 0" in negative
    client.post(_cell(order, "amount"), {"amount": "12.5"}, **HTMX)
    assert Order.objects.get(pk=order.pk).amount == Decimal("12.50")
    cancelled = client.get(_cell(order, "amount") + "?cancel=1", **HTMX).content.decode()
    assert "data-cell-input" not in cancelled and "12.50" in cancelled
    assert client.get(_cell(order, "currency"), **HTMX).status_code == 404  # not a cell
