"""What Undo and the trash need of each kind of record, in one small registry (by the model's
label, as ``ChangeRow.model`` and the trash's content type name it): the service that changes
its fields, through which an edit's Undo puts the before-values back (so the undo is a change
in the history, with its events), and what follows a restore from the trash: its event, so the
consumers (the lifecycle, segments, webhooks) follow the record back, and for an order its
customer's figures counted again. A kind not listed is neither undone nor restored here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model

from tenure.bulk.events import (
    ACCOUNT_RESTORED,
    CUSTOMER_RESTORED,
    ORDER_RESTORED,
    SUBSCRIPTION_RESTORED,
)
from tenure.customers import services as customers
from tenure.events.record import event_record
from tenure.orders.services import customer_stats_refresh, order_update
from tenure.todos.services import task_update
from tenure.users.models import User

Update = Callable[[User, int, Mapping[str, Any]], Model]


def _no_event(record: Any, now: datetime) -> None:
    """A contact: no events of its own (none for its creation or deletion either)."""


@dataclass(frozen=True)
class Undoable:
    update: Update
    """``update(by, pk, changes)``: the record's own service."""
    restored: Callable[[Any, datetime], None] | None = None
    """What follows its restore from the trash; None: it is not trashed (a task is closed)."""


def _customer_restored(customer: Any, now: datetime) -> None:
    event_record(
        CUSTOMER_RESTORED.name, subject="customer", subject_id=customer.pk,
        customer_id=customer.pk, at=now,
    )  # fmt: skip


def _account_restored(account: Any, now: datetime) -> None:
    event_record(
        ACCOUNT_RESTORED.name, subject="account", subject_id=account.pk, customer_id=None, at=now
    )


def _order_restored(order: Any, now: datetime) -> None:
    # Dated when placed, as its deletion was: the lifecycle replays the customer from then.
    customer_stats_refresh(customer_ids=[order.customer_id])
    figures = {"status": str(order.status), "amount": format(order.amount, ".2f"),
               "currency": str(order.currency)}  # fmt: skip
    event_record(
        ORDER_RESTORED.name, subject="order", subject_id=order.pk,
        customer_id=order.customer_id, at=order.placed_at, data=figures,
    )  # fmt: skip


def _subscription_restored(subscription: Any, now: datetime) -> None:
    event_record(
        SUBSCRIPTION_RESTORED.name, subject="subscription", subject_id=subscription.pk,
        customer_id=subscription.customer_id, at=subscription.started_at,
        data={"plan": str(subscription.plan)},
    )  # fmt: skip


UNDOABLE: dict[str, Undoable] = {
    "customers.Customer": Undoable(
        lambda by, pk, changes: customers.customer_update(by=by, customer_id=pk, changes=changes),
        _customer_restored,
    ),
    "customers.Account": Undoable(
        lambda by, pk, changes: customers.account_update(by=by, account_id=pk, changes=changes),
        _account_restored,
    ),
    "customers.Contact": Undoable(
        lambda by, pk, changes: customers.contact_update(by=by, contact_id=pk, changes=changes),
        _no_event,
    ),
    "customers.Subscription": Undoable(
        lambda by, pk, changes: customers.subscription_update(
            by=by, subscription_id=pk, changes=changes
        ),
        _subscription_restored,
    ),
    "orders.Order": Undoable(
        lambda by, pk, changes: order_update(by=by, order_id=pk, changes=changes),
        _order_restored,
    ),
    "todos.Task": Undoable(lambda by, pk, changes: task_update(by=by, task_id=pk, changes=changes)),
}


def undoable_of(model: str) -> Undoable | None:
    """The registry's entry for ``model`` ("customers.Customer"), None when not undone here."""
    return UNDOABLE.get(model)
