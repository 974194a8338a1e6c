"""Bulk changes of orders and the orders' and tasks' cells against the real database (SQLite
and PostgreSQL): each order through ``order_update`` (figures, history, events: a refund is
``order.refunded``), refused per row outside one's book, undone by their author; the cells
through ``order_update`` / ``task_update`` with their Undo."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.bulk.order_bulk import order_cell_set, orders_bulk_apply, orders_bulk_start
from tenure.bulk.task_bulk import task_cell_set
from tenure.bulk.undo import UndoRefused, changeset_undo
from tenure.customers.models import Customer
from tenure.events.models import Event
from tenure.jobs.runner import run_execute
from tenure.orders.models import Order, OrderStatus
from tenure.orders.services import customer_stats_refresh, order_update
from tenure.todos.models import Task
from tests.factories import T0, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db
NOW = T0 + timedelta(days=400)


def _orders(customer, *amounts: str, status=OrderStatus.COMPLETED) -> list[Order]:
    made = [
        make_order(customer=customer, amount=Decimal(amount), status=status) for amount in amounts
    ]
    customer_stats_refresh(customer_ids=[customer.pk])
    return made


def _refund(by, ids=None, filters=None) -> dict:
    return orders_bulk_apply(
        by=by, action="set", params={"field": "status", "value": "refunded"},
        filters=filters or {}, ids=ids, now=NOW,
    )  # fmt: skip


def test_a_manager_refunds_the_filtered_orders_through_the_service_then_undoes_it():
    boss = make_user(role="manager")
    customer = make_customer()
    completed = _orders(customer, "10.00", "20.50", "5.25")
    cancelled = _orders(customer, "99.00", status=OrderStatus.CANCELLED)[0]
    assert Customer.objects.get(pk=customer.pk).revenue == Decimal("35.75")
    result = _refund(boss, filters={"status": "completed"})
    assert (result["changed"], result["unchanged"], result["refused"]) == (3, 0, [])
    assert set(Order.objects.filter(status="refunded").values_list("pk", flat=True)) == {
        o.pk for o in completed
    }
    assert Order.objects.get(pk=cancelled.pk).status == "cancelled"  # the filter left it
    # Each is a single edit's change: the figures recounted (Decimal, to the cent), its history,
    # and the refund the lifecycle follows.
    refreshed = Customer.objects.get(pk=customer.pk)
    assert (refreshed.revenue, refreshed.orders_count) == (Decimal("0"), 0)
    assert LogEntry.objects.get_for_object(completed[0]).filter(changes__icontains="status")
    refunded = Event.objects.filter(kind="order.refunded", subject_id__in=[o.pk for o in completed])
    assert refunded.count() == 3
    changeset_undo(by=boss, change_set_id=result["change_set"], now=NOW)
    assert Order.objects.filter(status="completed").count() == 3
    assert Customer.objects.get(pk=customer.pk).revenue == Decimal("35.75")


def test_unchanged_orders_are_counted_and_nothing_to_undo_leaves_no_change_set():
    boss = make_user(role="manager")
    orders = _orders(make_customer(), "1.00", "2.00")
    order_update(by=boss, order_id=orders[0].pk, changes={"status": "refunded"})
    result = _refund(boss, ids=[o.pk for o in orders])
    assert (result["changed"], result["unchanged"]) == (1, 1)
    again = _refund(boss, ids=[o.pk for o in orders])
    assert (again["changed"], again["unchanged"], again["change_set"]) == (0, 2, None)


def test_a_success_manager_changes_only_their_book_and_forged_ids_are_refused_per_row():
    sam = make_user(role="success_manager", username="sam")
    sue = make_user(role="success_manager", username="sue")
    mine = _orders(make_customer(owner=sam), "10.00")[0]
    theirs = _orders(make_customer(owner=sue), "10.00")[0]
    result = _refund(sam, ids=[mine.pk, theirs.pk, 999_999])
    assert result["changed"] == 1
    assert result["refused"] == [
        {"id": theirs.pk, "reason": f"no order with id {theirs.pk}"},
        {"id": 999_999, "reason": "no order with id 999999"},
    ]
    assert Order.objects.get(pk=theirs.pk).status == "completed"
    # "Every order matching" is the success manager's own orders only.
    everyone = orders_bulk_apply(
        by=sam, action="set", params={"field": "status", "value": "cancelled"}, filters={},
        ids=None, now=NOW,
    )  # fmt: skip
    assert (everyone["changed"], everyone["refused"]) == (1, [])
    assert Order.objects.get(pk=theirs.pk).status == "completed"


def test_undo_is_refused_after_a_later_change_and_by_another_person():
    boss = make_user(role="manager")
    other = make_user(role="manager")
    order = _orders(make_customer(), "10.00")[0]
    result = _refund(boss, ids=[order.pk])
    with pytest.raises(UndoRefused, match="Only its author or an admin"):
        changeset_undo(by=other, change_set_id=result["change_set"], now=NOW)
    order_update(by=boss, order_id=order.pk, changes={"status": "cancelled"})
    with pytest.raises(UndoRefused, match="status was changed since"):
        changeset_undo(by=boss, change_set_id=result["change_set"], now=NOW)
    assert Order.objects.get(pk=order.pk).status == "cancelled"


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("delete", {}, "action"),
        ("set", {"field": "amount", "value": "1"}, "field"),
        ("set", {"field": "status", "value": "lost"}, "value"),
    ],
)
def test_a_bad_request_names_its_field(action, params, field):
    boss = make_user(role="manager")
    with pytest.raises(ValidationError) as refused:
        orders_bulk_start(by=boss, action=action, params=params, filters={}, ids=None, via="api")
    assert field in refused.value.message_dict
    with pytest.raises(ValidationError) as wrong:
        orders_bulk_start(
            by=boss, action="set", params={"field": "status", "value": "refunded"},
            filters={"status": "lost"}, ids=None, via="api",
        )  # fmt: skip
    assert "status" in wrong.value.message_dict


def test_an_analyst_is_refused_and_the_run_does_the_change_as_the_asker():
    with pytest.raises(AccessDenied):
        orders_bulk_start(
            by=make_user(role="analyst"), action="set",
            params={"field": "status", "value": "refunded"}, filters={}, ids=None, via="web",
        )  # fmt: skip
    boss = make_user(role="manager")
    order = _orders(make_customer(), "10.00")[0]
    run = orders_bulk_start(
        by=boss, action="set", params={"field": "status", "value": "refunded"}, filters={},
        ids=[order.pk], via="web",
    )  # fmt: skip
    assert Order.objects.get(pk=order.pk).status == "completed"  # the worker does it
    finished = run_execute(run.pk)
    assert finished["status"] == "done"
    assert Order.objects.get(pk=order.pk).status == "refunded"
    assert LogEntry.objects.get_for_object(order).filter(actor=boss).exists()  # not the worker


def test_an_order_cell_keeps_the_amount_to_the_cent_and_undo_puts_it_back():
    boss = make_user(role="manager")
    customer = make_customer()
    order = _orders(customer, "10.00")[0]
    saved, change_set = order_cell_set(
        by=boss, order_id=order.pk, field="amount", value=Decimal("12.5"), now=NOW
    )
    assert saved.amount == Decimal("12.50") and change_set is not None
    assert change_set.label == f"{order}: amount changed"
    assert Customer.objects.get(pk=customer.pk).revenue == Decimal("12.50")
    row = change_set.rows.get()
    assert (row.model, row.before, row.after) == ("orders.Order", "10.00", "12.50")
    changeset_undo(by=boss, change_set_id=change_set.pk, now=NOW)  # not "changed since"
    assert Order.objects.get(pk=order.pk).amount == Decimal("10.00")
    assert Customer.objects.get(pk=customer.pk).revenue == Decimal("10.00")
    _, nothing = order_cell_set(
        by=boss, order_id=order.pk, field="status", value="completed", now=NOW
    )
    assert nothing is None  # nothing changed, nothing to undo
    with pytest.raises(ValidationError) as refused:
        order_cell_set(by=boss, order_id=order.pk, field="currency", value="EUR", now=NOW)
    assert "currency" in refused.value.message_dict
    with pytest.raises(ValidationError) as negative:
        order_cell_set(by=boss, order_id=order.pk, field="amount", value=Decimal("-1"), now=NOW)
    assert "amount" in negative.value.message_dict
    with pytest.raises(AccessDenied):
        order_cell_set(
            by=make_user(role="analyst"), order_id=order.pk, field="status", value="refunded",
            now=NOW,
        )  # fmt: skip


def test_a_task_cell_reassigns_through_task_update_and_is_undone():
    boss = make_user(role="manager")
    ann = make_user(role="success_manager", username="ann")
    bob = make_user(role="success_manager", username="bob")
    task = Task.objects.create(title="Call", owner=ann, due=date(2026, 1, 5), created_by=boss)
    saved, change_set = task_cell_set(
        by=boss, task_id=task.pk, field="owner_id", value=bob.pk, now=NOW
    )
    assert saved.owner_id == bob.pk and change_set is not None
    assert Event.objects.filter(kind="task.assigned", subject_id=task.pk).exists()  # bob told
    changeset_undo(by=boss, change_set_id=change_set.pk, now=NOW)
    assert Task.objects.get(pk=task.pk).owner_id == ann.pk
    _, closed = task_cell_set(by=boss, task_id=task.pk, field="status", value="done", now=NOW)
    assert Task.objects.get(pk=task.pk).completed_at is not None  # as one edit's close
    assert closed is not None
    with pytest.raises(ValidationError) as refused:
        task_cell_set(by=boss, task_id=task.pk, field="title", value="x", now=NOW)
    assert "title" in refused.value.message_dict
