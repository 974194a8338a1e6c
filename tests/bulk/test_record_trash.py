"""Contacts, subscriptions and orders deleted into the trash and restored, and their edits
undone, through the same machinery as customers and accounts (the real database: SQLite and
PostgreSQL): each delete goes through the record's own service (its history entry and events),
comes back with the same fields and what went with it (an order's lines, a contact's place on
its interactions), tells the lifecycle again, and is undone only by its author or an admin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import model_to_dict
from django.http import Http404

from tenure.access import AccessDenied
from tenure.bulk.services import record_update_undoable
from tenure.bulk.undo import UndoRefused, changeset_undo, trash_changeset, trash_restore
from tenure.customers import services as customers
from tenure.customers.models import Contact, Customer, Subscription
from tenure.events.models import Event
from tenure.history.models import TrashItem
from tenure.history.trash import trash_purge
from tenure.interactions.models import Interaction
from tenure.orders.models import Order, OrderLine
from tenure.orders.services import order_create, order_delete
from tenure.users.models import User
from tests.factories import T0, make_account, make_customer, make_user

pytestmark = pytest.mark.django_db
NOW = T0 + timedelta(days=400)
PLACED = T0 + timedelta(days=3)


def _contact(owner: User | None) -> Contact:
    account = make_account(owner=owner)
    return customers.contact_create(
        account_id=account.pk, first_name="Pat", last_name="Lee", email="pat@acme.example",
        title="CTO", role="champion", is_primary=True, notes="met at the fair",
    )  # fmt: skip


def _subscription(owner: User | None) -> Subscription:
    return customers.subscription_create(
        customer_id=make_customer(owner=owner).pk, external_id="SUB-1", plan="Pro",
        amount=Decimal("49.90"), currency="EUR", interval="month", started_at=PLACED,
    )  # fmt: skip


def _order(owner: User | None) -> Order:
    order = order_create(
        customer_id=make_customer(owner=owner).pk, external_id="ORD-1", placed_at=PLACED,
        amount=Decimal("120.50"), currency="USD",
    )  # fmt: skip
    OrderLine.objects.create(order=order, sku="A", description="Widget", unit_price="100.50")
    OrderLine.objects.create(order=order, description="Shipping", quantity=2, unit_price="10")
    return order


@dataclass(frozen=True)
class Kind:
    model: type[Model]
    make: Callable[[User | None], Any]
    delete: Callable[[User, int], TrashItem]
    edit: dict[str, Any]
    later: dict[str, Any]


KINDS = {
    "contact": Kind(
        Contact, _contact,
        lambda by, pk: customers.contact_delete(by=by, contact_id=pk),
        {"title": "CEO", "role": "decision_maker"}, {"title": "Chair"},
    ),
    "subscription": Kind(
        Subscription, _subscription,
        lambda by, pk: customers.subscription_delete(by=by, subscription_id=pk),
        {"plan": "Team", "amount": Decimal("99.00")}, {"plan": "Enterprise"},
    ),
    "order": Kind(
        Order, _order,
        lambda by, pk: order_delete(by=by, order_id=pk),
        {"amount": Decimal("80.00"), "status": "refunded"}, {"status": "cancelled"},
    ),
}  # fmt: skip
kinds = pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())


def _fields(record: Model) -> dict[str, Any]:
    return model_to_dict(type(record)._default_manager.get(pk=record.pk))


def _history(record: Model) -> list[int]:
    return list(
        LogEntry.objects.get_for_object(record).order_by("pk").values_list("action", flat=True)
    )


# --- every kind -------------------------------------------------------------------------------


@kinds
def test_a_delete_goes_to_the_trash_and_undo_brings_back_the_same_fields(kind):
    sam = make_user(role="success_manager")
    record = kind.make(sam)
    before = _fields(record)
    item = kind.delete(sam, record.pk)
    assert not kind.model._default_manager.filter(pk=record.pk).exists()
    assert (item.object_id, item.deleted_by) == (record.pk, sam)
    assert item.content_type.model_class() is kind.model
    change_set = trash_changeset(by=sam, item=item, now=NOW)
    changeset_undo(by=sam, change_set_id=change_set.pk, now=NOW)
    assert _fields(record) == before
    assert not TrashItem.objects.exists()
    # The history keeps both: the delete, and the row that came back.
    create, delete = LogEntry.Action.CREATE, LogEntry.Action.DELETE
    assert _history(record)[-2:] == [delete, create]


@kinds
def test_only_the_author_or_an_admin_undoes_a_delete_and_others_find_no_item(kind):
    sam, sue = make_user(role="success_manager"), make_user(role="success_manager")
    record = kind.make(sam)
    item = kind.delete(sam, record.pk)
    change_set = trash_changeset(by=sam, item=item, now=NOW)
    with pytest.raises(UndoRefused, match="author or an admin"):
        changeset_undo(by=make_user(role="manager"), change_set_id=change_set.pk, now=NOW)
    with pytest.raises(Http404):
        trash_restore(by=sue, item_id=item.pk, now=NOW)
    changeset_undo(by=make_user(role="admin"), change_set_id=change_set.pk, now=NOW)
    assert kind.model._default_manager.filter(pk=record.pk).exists()


@kinds
def test_an_analyst_neither_deletes_nor_restores(kind):
    analyst = make_user(role="analyst")
    record = kind.make(None)
    with pytest.raises(AccessDenied):
        kind.delete(analyst, record.pk)
    assert kind.model._default_manager.filter(pk=record.pk).exists()
    item = kind.delete(make_user(role="admin"), record.pk)
    with pytest.raises(AccessDenied):
        trash_restore(by=analyst, item_id=item.pk, now=NOW)
    assert TrashItem.objects.filter(pk=item.pk).exists()


@kinds
def test_an_edit_is_undone_to_its_previous_values_through_the_service(kind):
    sam = make_user(role="success_manager")
    record = kind.make(sam)
    before = _fields(record)
    saved, change_set = record_update_undoable(
        by=sam, model=kind.model, pk=record.pk, changes=kind.edit, now=NOW
    )
    assert change_set is not None and change_set.rows.count() == len(kind.edit)
    assert {name: getattr(saved, name) for name in kind.edit} == kind.edit
    changeset_undo(by=sam, change_set_id=change_set.pk, now=NOW)
    assert _fields(record) == before
    # Saved, then each field put back: changes of the history like any other.
    updates = [LogEntry.Action.UPDATE] * (1 + len(kind.edit))
    assert _history(record) == [LogEntry.Action.CREATE, *updates]


@kinds
def test_an_edit_changed_since_is_not_undone(kind):
    admin = make_user(role="admin")
    record = kind.make(None)
    _, change_set = record_update_undoable(
        by=admin, model=kind.model, pk=record.pk, changes=kind.edit, now=NOW
    )
    record_update_undoable(by=admin, model=kind.model, pk=record.pk, changes=kind.later, now=NOW)
    after = _fields(record)
    with pytest.raises(UndoRefused, match="was changed since; nothing was undone"):
        changeset_undo(by=admin, change_set_id=change_set.pk, now=NOW)
    assert _fields(record) == after


@kinds
def test_an_edit_that_changes_nothing_offers_no_undo(kind):
    admin = make_user(role="admin")
    record = kind.make(None)
    same = {name: getattr(record, name) for name in kind.edit}
    _, change_set = record_update_undoable(
        by=admin, model=kind.model, pk=record.pk, changes=same, now=NOW
    )
    assert change_set is None


def test_purge_removes_contacts_subscriptions_and_orders_older_than_30_days():
    admin = make_user(role="admin")
    items = {name: kind.delete(admin, kind.make(None).pk) for name, kind in KINDS.items()}
    TrashItem.objects.update(deleted_at=NOW - timedelta(days=30, seconds=1))
    recent = customers.contact_delete(by=admin, contact_id=_contact(None).pk)
    TrashItem.objects.filter(pk=recent.pk).update(deleted_at=NOW - timedelta(days=29))
    assert trash_purge(now=NOW) == len(items)  # an order's lines are inside its item
    assert list(TrashItem.objects.values_list("pk", flat=True)) == [recent.pk]


# --- what each kind brings back ---------------------------------------------------------------


def test_an_order_comes_back_with_its_lines_figures_and_the_lifecycle_told(
    announced, django_capture_on_commit_callbacks
):
    manager = make_user(role="manager")
    order = _order(None)
    customer_id = order.customer_id
    lines = list(OrderLine.objects.filter(order=order).values())
    figures = Customer.objects.filter(pk=customer_id).values("revenue", "orders_count")
    assert figures.get() == {"revenue": Decimal("120.50"), "orders_count": 1}
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        item = order_delete(by=manager, order_id=order.pk)
    assert item.counts == {"orders": 1, "order lines": 2}
    assert not OrderLine.objects.exists()
    assert figures.get() == {"revenue": Decimal("0"), "orders_count": 0}
    assert Event.objects.filter(kind="order.deleted", subject_id=order.pk).exists()
    assert announced == [([customer_id], "order", {customer_id: PLACED})]
    announced.clear()
    with django_capture_on_commit_callbacks(execute=True):
        restored = trash_restore(by=manager, item_id=item.pk, now=NOW)
    assert restored == order
    assert list(OrderLine.objects.filter(order=order).values()) == lines
    assert figures.get() == {"revenue": Decimal("120.50"), "orders_count": 1}
    event = Event.objects.get(kind="order.restored", subject_id=order.pk)
    assert (event.customer_id, event.at, event.data["amount"]) == (customer_id, PLACED, "120.50")
    # The lifecycle replays the customer from when the order was placed, as for the delete.
    assert announced == [([customer_id], "order", {customer_id: PLACED})]


def test_an_order_whose_customer_is_gone_is_refused_in_words_until_the_customer_is_back():
    admin = make_user(role="admin")
    order = _order(None)
    order_item = order_delete(by=admin, order_id=order.pk)
    undo = trash_changeset(by=admin, item=order_item, now=NOW)
    # Without its order, the customer may go too (a customer with orders is kept).
    customer_item = customers.customer_delete(by=admin, customer_id=order.customer_id)
    with pytest.raises(ValidationError) as refused:
        trash_restore(by=admin, item_id=order_item.pk, now=NOW)
    words = refused.value.message_dict["customer"][0]
    assert words == (
        f"its customer (id {order.customer_id}) no longer exists: restore that customer first"
    )
    with pytest.raises(UndoRefused, match=f"order {order.pk}: customer: its customer"):
        changeset_undo(by=admin, change_set_id=undo.pk, now=NOW)
    assert TrashItem.objects.filter(pk=order_item.pk).exists()
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    trash_restore(by=admin, item_id=customer_item.pk, now=NOW)
    changeset_undo(by=admin, change_set_id=undo.pk, now=NOW)
    assert Order.objects.get(pk=order.pk).lines.count() == 2
    assert Customer.objects.get(pk=order.customer_id).orders_count == 1


def test_an_order_whose_external_id_was_taken_since_is_refused():
    admin = make_user(role="admin")
    order = _order(None)
    item = order_delete(by=admin, order_id=order.pk)
    order_create(
        customer_id=order.customer_id, external_id="ORD-1", placed_at=T0, amount=Decimal("1"),
        currency="USD",
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        trash_restore(by=admin, item_id=item.pk, now=NOW)
    assert "external_id" in refused.value.message_dict
    assert TrashItem.objects.filter(pk=item.pk).exists()


def test_a_restore_into_what_is_now_another_s_book_is_refused():
    sam, sue = make_user(role="success_manager"), make_user(role="success_manager")
    order = _order(sam)
    item = order_delete(by=sam, order_id=order.pk)
    customers.customer_update(customer_id=order.customer_id, changes={"owner_id": sue.pk})
    with pytest.raises(ValidationError, match="outside your book"):
        trash_restore(by=sam, item_id=item.pk, now=NOW)
    assert not Order.objects.exists() and TrashItem.objects.filter(pk=item.pk).exists()


def test_a_contact_restored_is_on_its_interactions_again():
    admin = make_user(role="admin")
    contact = _contact(None)
    note = Interaction.objects.create(
        account_id=contact.account_id, contact=contact, kind="note", occurred_at=T0
    )
    item = customers.contact_delete(by=admin, contact_id=contact.pk)
    assert Interaction.objects.get(pk=note.pk).contact_id is None  # the note stays, without them
    trash_restore(by=admin, item_id=item.pk, now=NOW)
    assert Interaction.objects.get(pk=note.pk).contact_id == contact.pk
    assert Contact.objects.get(pk=contact.pk).is_primary is True


def test_a_primary_contact_is_refused_while_another_is_primary():
    admin = make_user(role="admin")
    contact = _contact(None)
    item = customers.contact_delete(by=admin, contact_id=contact.pk)
    customers.contact_create(account_id=contact.account_id, first_name="Kim", is_primary=True)
    with pytest.raises(ValidationError) as refused:
        trash_restore(by=admin, item_id=item.pk, now=NOW)
    assert "contact_one_primary_per_account" in refused.value.message_dict["record"][0]
    assert TrashItem.objects.filter(pk=item.pk).exists()


def test_a_subscription_restored_tells_the_lifecycle_from_its_start(
    announced, django_capture_on_commit_callbacks
):
    admin = make_user(role="admin")
    subscription = _subscription(None)
    customer_id = subscription.customer_id
    item = customers.subscription_delete(by=admin, subscription_id=subscription.pk)
    assert Event.objects.filter(kind="subscription.deleted", subject_id=subscription.pk).exists()
    announced.skip()
    with django_capture_on_commit_callbacks(execute=True):
        trash_restore(by=admin, item_id=item.pk, now=NOW)
    event = Event.objects.get(kind="subscription.restored", subject_id=subscription.pk)
    assert (event.customer_id, event.at, event.data) == (customer_id, PLACED, {"plan": "Pro"})
    assert announced == [([customer_id], "subscription", {customer_id: PLACED})]
