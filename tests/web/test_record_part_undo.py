"""Undo and the trash on the pages of contacts, subscriptions and orders (Django's client, the
real database: SQLite and PostgreSQL): a delete leads to the page it belonged to with the Undo
toast, the Trash page lists it and restores it to that page; an edit page's save offers Undo of
that save; an analyst is refused every one of these writes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from tenure.bulk.models import ChangeSet
from tenure.customers import services as customers
from tenure.customers.models import Contact, Customer, Subscription
from tenure.history.models import TrashItem
from tenure.orders.models import Order, OrderLine
from tenure.orders.services import order_create
from tenure.users.models import Role
from tests.factories import T0, make_account, make_customer, make_user
from tests.web.conftest import HTMX

pytestmark = pytest.mark.django_db


def _contact() -> Contact:
    return customers.contact_create(
        account_id=make_account(name="Acme").pk, first_name="Pat", last_name="Lee",
        email="pat@acme.example", role="champion", title="CTO",
    )  # fmt: skip


def _subscription() -> Subscription:
    return customers.subscription_create(
        customer_id=make_customer().pk, plan="Pro", amount=Decimal("49.90"), currency="EUR",
        interval="month", started_at=T0,
    )  # fmt: skip


def _order() -> Order:
    order = order_create(
        customer_id=make_customer().pk, external_id="WEB-O-1", placed_at=T0,
        amount=Decimal("120.50"), currency="USD",
    )  # fmt: skip
    OrderLine.objects.create(order=order, description="Widget", unit_price="120.50")
    return order


@dataclass(frozen=True)
class Part:
    make: Callable[[], Any]
    name: str  # the URLs' prefix: web:<name>-edit, web:<name>-delete
    home: Callable[[Any], str]  # the page it shows on, where its Undo is offered
    label: str  # the toast's words for it
    form: dict[str, str]  # its edit page's form, one value changed
    changed: tuple[str, Any, Any]  # that field: before, after
    own: Callable[[Any], str] | None = None  # its own page, if it has one (an order)

    def shown(self, record: Any) -> str:
        """Where its edit and its restore lead: its own page, else the page it shows on."""
        return (self.own or self.home)(record)


PARTS = {
    "contact": Part(
        _contact, "contact", lambda c: reverse("web:account", args=[c.account_id]), "Pat Lee",
        {"first_name": "Pat", "last_name": "Lee", "email": "pat@acme.example",
         "role": "champion", "title": "CEO"},
        ("title", "CTO", "CEO"),
    ),
    "subscription": Part(
        _subscription, "subscription",
        lambda s: reverse("web:customer", args=[s.customer_id]), "Pro (Monthly)",
        {"plan": "Team", "amount": "49.90", "currency": "EUR", "interval": "month",
         "started_at": "2025-01-01T00:00:00"},
        ("plan", "Pro", "Team"),
    ),
    "order": Part(
        _order, "order", lambda o: reverse("web:customer", args=[o.customer_id]),
        "Order WEB-O-1",
        {"external_id": "WEB-O-1", "placed_at": "2025-01-01T00:00:00", "amount": "99.00",
         "currency": "USD", "status": "completed"},
        ("amount", Decimal("120.50"), Decimal("99.00")),
        lambda o: reverse("web:order", args=[o.pk]),
    ),
}  # fmt: skip
parts = pytest.mark.parametrize("part", PARTS.values(), ids=PARTS.keys())


def _still(record: Model) -> bool:
    return type(record)._default_manager.filter(pk=record.pk).exists()


@parts
def test_a_delete_offers_undo_on_the_page_it_leads_to(client: Client, part: Part, settings):
    settings.TIME_ZONE = "UTC"
    client.force_login(make_user(role=Role.MANAGER))
    record = part.make()
    home = part.home(record)
    response = client.post(reverse(f"web:{part.name}-delete", args=[record.pk]))
    assert response.status_code == 302 and response["Location"].split("#")[0] == home
    assert not _still(record) and TrashItem.objects.get().object_id == record.pk
    page = client.get(home).content.decode()
    change_set = ChangeSet.objects.get(kind="delete")
    assert f"{part.label} deleted." in page
    assert reverse("web:undo", args=[change_set.pk]) in page
    undone = client.post(reverse("web:undo", args=[change_set.pk]), **HTMX).content.decode()
    assert f"Undone: {part.label} deleted." in undone
    assert _still(record) and not TrashItem.objects.exists()


@parts
def test_the_trash_lists_it_and_restores_it_to_its_page(client: Client, part: Part):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    client.force_login(make_user(role=Role.ADMIN))
    record = part.make()
    client.post(reverse(f"web:{part.name}-delete", args=[record.pk]))
    item = TrashItem.objects.get()
    assert part.label in client.get(reverse("web:trash")).content.decode()
    client.force_login(sam)  # another's delete: not theirs to see or restore
    assert part.label not in client.get(reverse("web:trash")).content.decode()
    assert client.post(reverse("web:trash-restore", args=[item.pk])).status_code == 404
    client.force_login(make_user(role=Role.ANALYST))
    assert client.post(reverse("web:trash-restore", args=[item.pk])).status_code == 403
    assert not _still(record)
    client.force_login(make_user(role=Role.MANAGER))
    restored = client.post(reverse("web:trash-restore", args=[item.pk]))
    assert restored.status_code == 302
    assert restored["Location"].split("#")[0] == part.shown(record)
    assert _still(record)


@parts
def test_an_analyst_may_not_delete(client: Client, part: Part):
    record = part.make()
    client.force_login(make_user(role=Role.ANALYST))
    assert client.post(reverse(f"web:{part.name}-delete", args=[record.pk])).status_code == 403
    assert _still(record) and not TrashItem.objects.exists()


@parts
def test_the_edit_page_offers_undo_of_its_save(client: Client, part: Part, settings):
    settings.TIME_ZONE = "UTC"
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    record = part.make()
    name, before, after = part.changed
    saved = client.post(reverse(f"web:{part.name}-edit", args=[record.pk]), part.form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert getattr(type(record)._default_manager.get(pk=record.pk), name) == after
    assert saved["Location"].split("#")[0] == part.shown(record)
    page = client.get(part.shown(record)).content.decode()
    change_set = ChangeSet.objects.get(author=manager, kind="edit")
    assert reverse("web:undo", args=[change_set.pk]) in page and "edited." in page
    assert change_set.rows.get().field == name  # only what the save changed
    client.post(reverse("web:undo", args=[change_set.pk]), **HTMX)
    assert getattr(type(record)._default_manager.get(pk=record.pk), name) == before


def test_an_order_undone_brings_the_customer_s_figures_back(client: Client):
    client.force_login(make_user(role=Role.MANAGER))
    order = _order()
    client.post(reverse("web:order-delete", args=[order.pk]))
    assert Customer.objects.get(pk=order.customer_id).revenue == Decimal("0")
    client.post(reverse("web:undo", args=[ChangeSet.objects.get().pk]), **HTMX)
    customer = Customer.objects.get(pk=order.customer_id)
    assert (customer.revenue, customer.orders_count) == (Decimal("120.50"), 1)
    assert Order.objects.get(pk=order.pk).lines.count() == 1
