"""Deletes in the admin go through the records' delete services, as on the pages and the API:
an order, customer, account, contact or subscription deleted there (its delete page, "Delete
selected", an inline row) lands in the 30-day trash with its history entry and events, comes
back through ``trash_restore``, and an order's customer's figures follow; the other kinds with a
delete service (interactions, answers, referrals, templates, suppressions, endpoints) are deleted
by it. Through the real admin, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib import admin as django_admin
from django.contrib import messages
from django.contrib.admin.models import DELETION
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db.models import Model
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tenure.bulk.undo import trash_restore
from tenure.customers.models import Account, Contact, Customer, Subscription
from tenure.events.models import Event
from tenure.feedback.models import Referral, SurveyResponse
from tenure.history.models import TrashItem
from tenure.history.trash import TRASH_DAYS
from tenure.interactions.models import Interaction
from tenure.lifecycle.models import CustomerStage
from tenure.lifecycle.services import lifecycle_recompute
from tenure.mail.models import Suppression, Template
from tenure.orders.models import Order, OrderLine
from tenure.segments.services import segment_create, segment_members_add
from tenure.users.models import User
from tenure.webhooks.models import Endpoint
from tests.factories import T0, make_account, make_customer, make_order, make_user
from tests.web.test_admin_writes import _FormValues

pytestmark = pytest.mark.django_db


def _customer(owner: User) -> Customer:
    return make_customer(owner=owner)


def _account(owner: User) -> Account:
    return make_account(owner=owner)


def _contact(owner: User) -> Contact:
    return Contact.objects.create(account=make_account(owner=owner), first_name="Pat")


def _subscription(owner: User) -> Subscription:
    return Subscription.objects.create(
        customer=make_customer(owner=owner), plan="Pro", amount=Decimal("9.00"),
        currency="USD", interval="month", started_at=T0,
    )  # fmt: skip


def _order(owner: User) -> Order:
    order = make_order(customer=make_customer(owner=owner), amount=Decimal("40.00"))
    OrderLine.objects.create(order=order, sku="A", description="Widget", unit_price="40.00")
    return order


@dataclass(frozen=True)
class Kind:
    make: Callable[[User], Model]
    event: str | None  # the delete's event; a contact has none (its history entry only)


KINDS = {
    "customer": Kind(_customer, "customer.deleted"),
    "account": Kind(_account, "account.deleted"),
    "contact": Kind(_contact, None),
    "subscription": Kind(_subscription, "subscription.deleted"),
    "order": Kind(_order, "order.deleted"),
}
kinds = pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())


@pytest.fixture
def staff(client) -> tuple[Any, User]:
    admin = make_user(role="admin")
    client.force_login(admin)
    return client, admin


def _url(record: Model, view: str, *args: Any) -> str:
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _trashed(record: Model, by: User, kind: Kind, *, logged: bool = True) -> TrashItem:
    """The record is gone, kept in the trash by ``by``, with its history entry and event (and
    the admin's log of its deletion; an inline row's is in its parent's change message)."""
    model = type(record)
    assert not model._default_manager.filter(pk=record.pk).exists()
    item = TrashItem.objects.get(
        content_type=ContentType.objects.get_for_model(model), object_id=record.pk
    )
    assert item.deleted_by == by
    deletion = LogEntry.objects.get(
        content_type=item.content_type, object_id=record.pk, action=LogEntry.Action.DELETE
    )
    assert deletion.actor == by
    if kind.event is not None:
        event = Event.objects.get(kind=kind.event, subject_id=record.pk)
        assert (event.via, event.actor_id) == ("admin", by.pk)
    assert (
        logged
        == AdminLogEntry.objects.filter(
            object_id=str(record.pk), action_flag=DELETION, user=by
        ).exists()
    )
    return item


@kinds
def test_a_record_deleted_on_its_admin_page_goes_to_the_trash_and_comes_back(
    staff, kind, django_capture_on_commit_callbacks
):
    client, admin = staff
    record = kind.make(make_user(role="success_manager"))
    url = _url(record, "delete", record.pk)
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f"stays there {TRASH_DAYS} days" in body and 'name="post"' in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    item = _trashed(record, admin, kind)

    restored = trash_restore(by=admin, item_id=item.pk, now=timezone.now())
    assert (type(restored), restored.pk) == (type(record), record.pk)
    assert type(record)._default_manager.filter(pk=record.pk).exists()
    assert not TrashItem.objects.filter(pk=item.pk).exists()
    if isinstance(record, Order):  # its lines went and came back with it
        assert OrderLine.objects.filter(order_id=record.pk).count() == 1


@kinds
def test_delete_selected_in_the_admin_trashes_each_record(staff, kind):
    client, admin = staff
    owner = make_user(role="success_manager")
    first, second = kind.make(owner), kind.make(owner)
    changelist = _url(first, "changelist")
    chosen = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}
    confirm = client.post(changelist, chosen)
    assert confirm.status_code == 200
    assert f"stay there {TRASH_DAYS} days" in confirm.content.decode()
    done = client.post(changelist, {**chosen, "post": "yes"}, follow=True)
    assert "Successfully deleted 2" in done.content.decode()
    items = [_trashed(record, admin, kind) for record in (first, second)]
    for item in items:
        trash_restore(by=admin, item_id=item.pk, now=timezone.now())
    assert type(first)._default_manager.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_an_order_deleted_in_the_admin_counts_its_customer_again_and_again_when_restored(staff):
    client, admin = staff
    customer = make_customer()
    make_order(customer=customer, amount=Decimal("10.00"))
    gone = make_order(customer=customer, amount=Decimal("25.00"))
    also = make_order(customer=customer, amount=Decimal("5.00"))
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (3, Decimal("40.00"))

    assert client.post(_url(gone, "delete", gone.pk), {"post": "yes"}).status_code == 302
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (2, Decimal("15.00"))
    chosen = {"action": "delete_selected", "_selected_action": [also.pk], "post": "yes"}
    assert client.post(_url(also, "changelist"), chosen).status_code == 302
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (1, Decimal("10.00"))

    item = TrashItem.objects.get(object_id=gone.pk, content_type__model="order")
    trash_restore(by=admin, item_id=item.pk, now=timezone.now())
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (2, Decimal("35.00"))


def test_a_customer_in_a_stage_and_a_segment_can_be_deleted_in_the_admin(staff):
    """What goes with a customer (their stage, their stays in segments: kinds nobody deletes in
    the admin) is the service's to keep in the trash, not a missing permission."""
    client, admin = staff
    customer = make_customer()
    lifecycle_recompute(customer_ids=[customer.pk], now=timezone.now())
    assert CustomerStage.objects.filter(customer=customer).exists()
    segment = segment_create(by=admin, name="Chosen", kind="static")
    segment_members_add(by=admin, segment_id=segment.pk, customer_ids=[customer.pk])
    url = _url(customer, "delete", customer.pk)
    page = client.get(url).content.decode()
    assert "Cannot delete" not in page and "segment membership" in page.lower()
    assert client.post(url, {"post": "yes"}).status_code == 302
    item = _trashed(customer, admin, KINDS["customer"])
    assert item.counts.get("customer stages") == 1
    trash_restore(by=admin, item_id=item.pk, now=timezone.now())
    assert CustomerStage.objects.filter(customer_id=customer.pk).exists()


def test_a_customer_with_orders_is_refused_on_the_confirmation_page(staff):
    client, _ = staff
    customer = make_customer()
    make_order(customer=customer)
    url = _url(customer, "delete", customer.pk)
    page = client.get(url).content.decode()
    assert "Cannot delete" in page and "stays there" not in page
    client.post(url, {"post": "yes"})
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not TrashItem.objects.exists()


def test_a_refusal_between_the_confirmation_and_the_delete_deletes_nothing():
    """An order placed after the confirmation page was shown: the service refuses the customer,
    the chosen ones all stay, nothing is logged, and the admin does not say it deleted them."""
    admin = make_user(role="admin")
    free, ordering = make_customer(), make_customer()
    make_order(customer=ordering)
    request = RequestFactory().post("/admin/customers/customer/")
    request.user = admin
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    model_admin = django_admin.site.get_model_admin(Customer)
    model_admin.delete_queryset(request, Customer.objects.filter(pk__in=[free.pk, ordering.pk]))
    model_admin.message_user(request, "Successfully deleted 2 customers.", messages.SUCCESS)
    said = [(m.level, str(m)) for m in messages.get_messages(request)]
    assert said == [
        (messages.ERROR, f"Nothing was deleted. {ordering}: this customer has orders; orders "
         "are kept as history, so keep the customer"),
    ]  # fmt: skip
    assert Customer.objects.filter(pk__in=[free.pk, ordering.pk]).count() == 2
    assert not TrashItem.objects.exists()
    assert not AdminLogEntry.objects.filter(action_flag=DELETION).exists()


def _post_inline_delete(client: Any, url: str, marked: dict[str, str]) -> Any:
    """The parent's form as a browser posts it (a textarea's value, no empty team chosen) with
    an inline row marked for deletion."""
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    values = {name: value for name, value in parser.values.items() if name != "team"}
    return client.post(url, {**values, "custom_attributes": "{}", **marked})


def test_rows_deleted_inline_on_their_parent_go_to_the_trash(staff):
    client, admin = staff
    subscription = _subscription(make_user(role="success_manager"))
    customer = subscription.customer
    marked = {"subscriptions-0-DELETE": "on"}
    response = _post_inline_delete(client, _url(customer, "change", customer.pk), marked)
    assert response.status_code == 302, response.content.decode()[:2000]
    _trashed(subscription, admin, KINDS["subscription"], logged=False)

    contact = _contact(make_user(role="success_manager"))
    account = contact.account
    marked = {"contacts-0-DELETE": "on"}
    response = _post_inline_delete(client, _url(account, "change", account.pk), marked)
    assert response.status_code == 302, response.content.decode()[:2000]
    item = _trashed(contact, admin, KINDS["contact"], logged=False)
    trash_restore(by=admin, item_id=item.pk, now=timezone.now())
    assert Contact.objects.get(pk=contact.pk).account_id == account.pk


# --- the other kinds with a delete service ----------------------------------------------------


def _interaction(owner: User) -> Interaction:
    return Interaction.objects.create(
        customer=make_customer(owner=owner), kind="note", subject="Called",
        occurred_at=T0 + timedelta(days=2),
    )  # fmt: skip


def _answer(owner: User) -> SurveyResponse:
    return SurveyResponse.objects.create(
        customer=make_customer(owner=owner), kind="nps", score=9, answered_at=T0
    )


def _referral(owner: User) -> Referral:
    return Referral.objects.create(
        referrer=make_customer(owner=owner), referred_email="friend@example.com", referred_at=T0
    )


def _template(owner: User) -> Template:
    return Template.objects.create(
        name="Welcome", slug="welcome", subject="Hello", text="Hi {{ first_name }}"
    )


def _suppression(owner: User) -> Suppression:
    return Suppression.objects.create(address="gone@example.com", suppressed_at=T0)


def _endpoint(owner: User) -> Endpoint:
    return Endpoint.objects.create(url="https://hooks.example.com/in", secret="s" * 32)


OTHERS = {
    "interaction": (_interaction, "interaction.deleted"),
    "survey answer": (_answer, "survey.deleted"),
    "referral": (_referral, "referral.deleted"),
    "template": (_template, None),
    "suppression": (_suppression, None),
    "endpoint": (_endpoint, None),
}


@pytest.mark.parametrize(("make", "event"), OTHERS.values(), ids=OTHERS.keys())
def test_the_other_kinds_are_deleted_by_their_services_in_the_admin(staff, make, event):
    client, admin = staff
    record = make(make_user(role="success_manager"))
    url = _url(record, "delete", record.pk)
    assert "stays there" not in client.get(url).content.decode()  # not kept in the trash
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not type(record)._default_manager.filter(pk=record.pk).exists()
    assert AdminLogEntry.objects.filter(
        object_id=str(record.pk), action_flag=DELETION, user=admin
    ).exists()
    if event is not None:
        written = Event.objects.get(kind=event, subject_id=record.pk)
        assert (written.via, written.actor_id) == ("admin", admin.pk)
