"""What Undo and the trash need, in two small registries.

``UNDOABLE``, per kind of record (by the model's label, as ``ChangeRow.model`` and the trash's
content type name it): the service that changes its fields, through which an edit's Undo puts
the before-values back (so the undo is a change in the history, with its events); what follows
a restore from the trash: its event, so the consumers (the lifecycle, segments, webhooks)
follow the record back, and for an order its customer's figures counted again; and for a
record an action made (an interaction logged, its follow-up task), how it is taken away again
and which of its values, changed since, refuse that. A kind not listed is neither undone nor
restored here.

``REVERSALS``, per kind of change set (``ChangeKind``): how its rows are checked and reversed;
``tenure.bulk.undo`` and ``tenure.bulk.reversible`` register theirs, and ``changeset_undo``
dispatches on the change set's kind alone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model

from tenure.bulk.events import (
    ACCOUNT_RESTORED,
    CUSTOMER_RESTORED,
    INTERACTION_RESTORED,
    ORDER_RESTORED,
    SUBSCRIPTION_RESTORED,
)
from tenure.bulk.models import ChangeRow, ChangeSet
from tenure.customers import services as customers
from tenure.events.record import event_record
from tenure.interactions.services import interaction_delete, interaction_update
from tenure.orders.services import customer_stats_refresh, order_update
from tenure.todos.models import TaskStatus
from tenure.todos.services import TASK_CHANGES, task_update
from tenure.users.models import User

Update = Callable[[User, int, Mapping[str, Any]], Model]
Remove = Callable[[User, int], object]
INTERACTION_COMPARED = ("kind", "occurred_at", "subject", "body", "status", "resolution",
                        "customer_id", "account_id", "contact_id")  # fmt: skip


def _no_event(record: Any, now: datetime) -> None:
    """A contact: no events of its own (none for its creation or deletion either)."""


@dataclass(frozen=True)
class Undoable:
    update: Update
    """``update(by, pk, changes)``: the record's own service."""
    restored: Callable[[Any, datetime], None] | None = None
    """What follows its restore from the trash; None: it is not trashed (a task is closed)."""
    remove: Remove | None = None
    """``remove(by, pk)``: a record an action made, taken away through its service (an
    interaction to the trash, a task cancelled); None: never undone as a creation."""
    compared: tuple[str, ...] = ()
    """The values a creation's undo finds as made, or refuses: the record was edited since."""


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


def _interaction_restored(interaction: Any, now: datetime) -> None:
    # Dated when it happened, as its deletion was: the lifecycle replays the customer from then.
    data = {"kind": str(interaction.kind), "account_id": interaction.account_id}
    event_record(
        INTERACTION_RESTORED.name, subject="interaction", subject_id=interaction.pk,
        customer_id=interaction.customer_id, at=interaction.occurred_at, data=data,
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
    "interactions.Interaction": Undoable(
        lambda by, pk, changes: interaction_update(by=by, interaction_id=pk, changes=changes),
        _interaction_restored,
        remove=lambda by, pk: interaction_delete(by=by, interaction_id=pk),
        compared=INTERACTION_COMPARED,
    ),
    "todos.Task": Undoable(
        lambda by, pk, changes: task_update(by=by, task_id=pk, changes=changes),
        remove=lambda by, pk: task_update(
            by=by, task_id=pk, changes={"status": TaskStatus.CANCELLED}
        ),
        compared=tuple(sorted(TASK_CHANGES)),
    ),
}


def undoable_of(model: str) -> Undoable | None:
    """The registry's entry for ``model`` ("customers.Customer"), None when not undone here."""
    return UNDOABLE.get(model)


@dataclass(frozen=True)
class Reversal:
    """How Undo reverses one kind of change set, given its rows newest first: ``check`` refuses
    (``UndoRefused``, in words) before anything is changed; ``apply`` reverses, through the
    services, in the undo's transaction."""

    check: Callable[[User, ChangeSet, list[ChangeRow]], None]
    apply: Callable[[User, ChangeSet, list[ChangeRow], datetime], None]


REVERSALS: dict[str, Reversal] = {}


def reversal_register(reversal: Reversal, *kinds: str) -> None:
    """Reverse change sets of ``kinds`` (``ChangeKind`` values) with ``reversal``."""
    for kind in kinds:
        REVERSALS[kind] = reversal


def reversal_of(kind: str) -> Reversal | None:
    """How a change set of ``kind`` is undone; None when it is not undone here."""
    return REVERSALS.get(kind)
