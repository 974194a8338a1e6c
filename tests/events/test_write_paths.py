"""Every write path writes the same events for the same change: the service, the pages' forms,
the API (one record and a batch), the admin and the CSV import. Like the role table, one row per
(change, path); each writes its change on records of its own and the events it wrote are
compared, ids replaced by what they name."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from tenure.customers.models import Customer
from tenure.customers.services import customer_update
from tenure.events.models import Event
from tenure.interactions.services import interaction_log
from tenure.orders.models import Order
from tenure.orders.services import order_create, order_update
from tenure.transfer.services import customers_import, orders_import
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import T0, make_customer, make_order, make_user
from tests.transfer.conftest import csv_bytes
from tests.web.test_admin_writes import _FormValues, _post_change

pytestmark = pytest.mark.django_db

PLACED = T0 + timedelta(days=3)
AMOUNT = "12.30"


def _signature(events: list[Event], customer: Customer, record_id: int | None) -> list[tuple]:
    def plain(value: Any) -> Any:
        if value == customer.pk:
            return "<customer>"
        if record_id is not None and value == record_id:
            return "<record>"
        return value

    return sorted(
        (
            e.kind,
            e.subject,
            plain(e.customer_id),
            # The subject is the record when it is one (its id may equal the customer's).
            "<record>"
            if record_id is not None and e.subject_id == record_id
            else plain(e.subject_id),
            e.at if e.kind.split(".")[0] in {"order", "interaction", "complaint"} else None,
            tuple(sorted((k, repr(plain(v))) for k, v in e.data.items())),
        )
        for e in events
    )


_start: list[int] = []


def _setup_done() -> None:
    """Called by each path once its records are set up: its change's events come after."""
    _start.append(Event.objects.order_by("-id").values_list("id", flat=True).first() or 0)


def _written(action: Callable[[], tuple[Customer, int | None]]) -> tuple[list[tuple], set[str]]:
    _start.clear()
    customer, record_id = action()
    events = list(
        Event.objects.filter(id__gt=_start[-1]).exclude(kind="import.committed").order_by("id")
    )
    return _signature(events, customer, record_id), {e.via for e in events}


def _admin(client):
    client.force_login(make_user(role=Role.ADMIN))
    return client


def _import_orders(rows: list[list[str]]) -> None:
    header = ["order_id", "customer_id", "placed_at", "amount", "currency", "status"]
    orders_import(source=io.BytesIO(csv_bytes([header, *rows])), column_map={})


# --- order placed ------------------------------------------------------------------------------


def _placed_service(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    order = order_create(
        external_id="S1", customer_id=customer.pk, placed_at=PLACED,
        amount=Decimal(AMOUNT), currency="EUR",
    )  # fmt: skip
    return customer, order.pk


def _placed_api(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    body = {"external_id": "A1", "customer_id": customer.pk, "placed_at": PLACED.isoformat(),
            "amount": AMOUNT, "currency": "EUR"}  # fmt: skip
    response = Api(client).post("/orders", body)
    assert response.status_code == 201, response.content
    return customer, response.json()["id"]


def _placed_api_bulk(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    order = {"external_id": "B1", "customer_id": customer.pk, "placed_at": PLACED.isoformat(),
             "amount": "12.3", "currency": "EUR"}  # fmt: skip
    body = {"orders": [order]}
    response = Api(client).post("/orders/bulk", body)
    assert response.status_code == 200, response.content
    return customer, response.json()["results"][0]["id"]


def _placed_admin(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    response = _admin(client).post(
        reverse("admin:orders_order_add"),
        {"external_id": "D1", "customer": str(customer.pk),
         "placed_at_0": PLACED.date().isoformat(), "placed_at_1": PLACED.time().isoformat(),
         "amount": AMOUNT, "currency": "EUR",
         "status": "completed", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    return customer, Order.objects.get(external_id="D1").pk


def _web(client):
    client.force_login(make_user(role=Role.MANAGER))
    return client


def _placed_web(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    form = {"external_id": "W1", "placed_at": PLACED.strftime("%Y-%m-%dT%H:%M:%S"),
            "amount": AMOUNT, "currency": "EUR", "status": "completed"}  # fmt: skip
    response = _web(client).post(reverse("web:order-new", args=[customer.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    return customer, Order.objects.get(external_id="W1").pk


def _placed_import(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    _import_orders([["I1", customer.external_id, PLACED.isoformat(), "12.3", "EUR", ""]])
    return customer, Order.objects.get(external_id="I1").pk


# --- order refunded ----------------------------------------------------------------------------


def _refund_setup() -> tuple[Customer, Order]:
    customer = make_customer()
    _setup_done()
    return customer, make_order(customer=customer, placed_at=PLACED, amount=Decimal(AMOUNT))


def _refunded_service(client) -> tuple[Customer, int]:
    customer, order = _refund_setup()
    _setup_done()
    order_update(order_id=order.pk, changes={"status": "refunded"})
    return customer, order.pk


def _refunded_api(client) -> tuple[Customer, int]:
    customer, order = _refund_setup()
    _setup_done()
    assert Api(client).patch(f"/orders/{order.pk}", {"status": "refunded"}).status_code == 200
    return customer, order.pk


def _refunded_admin(client) -> tuple[Customer, int]:
    customer, order = _refund_setup()
    _setup_done()
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert _post_change(_admin(client), url, status="refunded").status_code == 302
    return customer, order.pk


def _refunded_web(client) -> tuple[Customer, int]:
    customer, order = _refund_setup()
    _setup_done()
    form = {"external_id": order.external_id, "placed_at": PLACED.strftime("%Y-%m-%dT%H:%M:%S"),
            "amount": AMOUNT, "currency": "USD", "status": "refunded"}  # fmt: skip
    response = _web(client).post(reverse("web:order-edit", args=[order.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    return customer, order.pk


def _refunded_import(client) -> tuple[Customer, int]:
    customer, order = _refund_setup()
    _setup_done()
    _import_orders(
        [[order.external_id, customer.external_id, PLACED.isoformat(), AMOUNT, "USD", "refunded"]]
    )
    return customer, order.pk


# --- customer changed --------------------------------------------------------------------------


def _email_service(client) -> tuple[Customer, None]:
    customer = make_customer()
    _setup_done()
    customer_update(customer_id=customer.pk, changes={"email": "new@example.com"})
    return customer, None


def _email_api(client) -> tuple[Customer, None]:
    customer = make_customer()
    _setup_done()
    response = Api(client).patch(f"/customers/{customer.pk}", {"email": "new@example.com"})
    assert response.status_code == 200, response.content
    return customer, None


def _email_admin(client) -> tuple[Customer, None]:
    customer = make_customer()
    _setup_done()
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    parser = _FormValues()
    parser.feed(_admin(client).get(url).content.decode())
    form = {k: v for k, v in parser.values.items() if k != "team"}  # none chosen: not posted
    response = client.post(url, {**form, "email": "new@example.com"})
    assert response.status_code == 302, response.content.decode()[:3000]
    return customer, None


def _email_web(client) -> tuple[Customer, None]:
    customer = make_customer()
    _setup_done()
    form = {"external_id": customer.external_id, "first_name": customer.first_name,
            "last_name": customer.last_name, "email": "new@example.com",
            "created_at": customer.created_at.strftime("%Y-%m-%dT%H:%M:%S")}  # fmt: skip
    response = _web(client).post(reverse("web:customer-edit", args=[customer.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    return customer, None


def _email_import(client) -> tuple[Customer, None]:
    customer = make_customer()
    _setup_done()
    customers_import(
        source=io.BytesIO(
            csv_bytes([["customer_id", "email"], [customer.external_id, "new@example.com"]])
        ),
        column_map={}, now=T0 + timedelta(days=400),
    )  # fmt: skip
    return customer, None


# --- complaint opened --------------------------------------------------------------------------


def _complaint_service(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    made = interaction_log(
        author=None,
        customer=customer,
        kind="complaint",
        occurred_at=PLACED,
        subject="Late",
        status="open",
    )
    return customer, made.pk


def _complaint_api(client) -> tuple[Customer, int]:
    customer = make_customer()
    _setup_done()
    body = {"customer_id": customer.pk, "kind": "complaint", "occurred_at": PLACED.isoformat(),
            "subject": "Late", "status": "open"}  # fmt: skip
    response = Api(client).post("/interactions", body)
    assert response.status_code == 201, response.content
    return customer, response.json()["id"]


def _complaint_admin(client) -> tuple[Customer, int]:
    from tenure.interactions.models import Interaction

    customer = make_customer()
    _setup_done()
    response = _admin(client).post(
        reverse("admin:interactions_interaction_add"),
        {"customer": str(customer.pk), "kind": "complaint",
         "occurred_at_0": PLACED.date().isoformat(), "occurred_at_1": PLACED.time().isoformat(),
         "subject": "Late", "status": "open"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    return customer, Interaction.objects.get(customer=customer).pk


TABLE = {
    "order placed": {
        "service": _placed_service, "api": _placed_api, "api batch": _placed_api_bulk,
        "admin": _placed_admin, "import": _placed_import, "web": _placed_web,
    },
    "order refunded": {
        "service": _refunded_service, "api": _refunded_api, "admin": _refunded_admin,
        "import": _refunded_import, "web": _refunded_web,
    },
    "customer changed": {
        "service": _email_service, "api": _email_api, "admin": _email_admin,
        "import": _email_import, "web": _email_web,
    },
    "complaint opened": {
        "service": _complaint_service, "api": _complaint_api, "admin": _complaint_admin,
    },
}  # fmt: skip
VIA = {"service": "service", "api": "api", "api batch": "api", "admin": "admin", "import": "import",
       "web": "web"}  # fmt: skip


@pytest.mark.parametrize("change", list(TABLE))
def test_every_path_writes_the_same_events_for_the_same_change(client, change):
    written = {path: _written(lambda a=action: a(client)) for path, action in TABLE[change].items()}
    reference, _ = written["service"]
    assert reference, "the change wrote no event"
    for path, (signature, via) in written.items():
        assert signature == reference, f"{change} by {path}"
        assert via == {VIA[path]} | ({"import"} if path == "import" else set()), path
