"""Notifications as a follower of the events (``tenure.events.consumers``).

A task given to someone tells them (unless they gave it to themselves); a customer's or an
account's health turning red and a subscription's renewal coming tell the owner. Each is
written in the batch's transaction under a key made of the event's key and the recipient, so
a batch handled again (a worker killed mid-batch) notifies nobody twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.urls import NoReverseMatch, reverse

from tenure.customers.models import Account, Customer
from tenure.events.consumers import Consumer
from tenure.events.models import Event
from tenure.notifications.models import Notification, NotificationKind
from tenure.todos.models import Task

KINDS = frozenset({"task.assigned", "health.band_changed", "subscription.renewal_coming"})


def day_words(day: date | datetime) -> str:
    return f"{day:%b} {day.day}, {day.year}"  # "Jun 2, 2025", without a platform's %-d


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # no pages mounted (a worker without the web app's urls)
        return ""


def _task_notes(events: list[Event]) -> list[Notification]:
    tasks = Task.objects.in_bulk([e.subject_id for e in events if e.subject_id is not None])
    notes = []
    for event in events:
        task = tasks.get(event.subject_id or 0)
        owner_id = (event.data or {}).get("owner_id")
        if task is None or task.owner_id != owner_id or task.created_by_id == owner_id:
            continue  # gone, reassigned since, or one's own task
        notes.append(
            Notification(
                recipient_id=owner_id, kind=NotificationKind.TASK_ASSIGNED,
                text=f"Task for you: {task.title} (due {day_words(task.due)})",
                url=_url("web:task", task.pk), customer_id=task.customer_id,
                key=f"{event.key}:{owner_id}", created_at=event.recorded_at,
            )
        )  # fmt: skip
    return notes


def _owner_notes(events: list[Event]) -> list[Notification]:
    """Red health and coming renewals, for the owner of the customer (or account)."""
    customer_ids = {e.customer_id for e in events if e.customer_id is not None}
    customers = Customer.objects.select_related("owner").in_bulk(customer_ids)
    account_ids = [e.subject_id for e in events if e.subject == "account" and e.subject_id]
    accounts = Account.objects.select_related("owner").in_bulk(account_ids)
    notes = []
    for event in events:
        data = event.data or {}
        record: Customer | Account | None
        if event.kind == "health.band_changed":
            if data.get("band") != "red":
                continue
            if event.subject == "account":
                record = accounts.get(event.subject_id or 0)
                url = _url("web:account", record.pk) if record else ""
            else:
                record = customers.get(event.customer_id or 0)
                url = _url("web:customer", record.pk) if record else ""
            kind, words = NotificationKind.HEALTH_RED, "health turned red"
        else:
            record = customers.get(event.customer_id or 0)
            url = _url("web:customer", record.pk) if record else ""
            kind = NotificationKind.RENEWAL_COMING
            words = f"{data.get('plan') or 'subscription'} renews on {day_words(event.at)}"
        owner = getattr(record, "owner", None)
        if record is None or owner is None or not owner.is_active:
            continue
        notes.append(
            Notification(
                recipient_id=owner.pk, kind=kind, text=f"{record}: {words}", url=url,
                customer_id=event.customer_id, key=f"{event.key}:{owner.pk}",
                created_at=event.recorded_at,
            )
        )  # fmt: skip
    return notes


def notify_follow(events: Sequence[Event]) -> None:
    tasks = [e for e in events if e.kind == "task.assigned"]
    others = [e for e in events if e.kind != "task.assigned"]
    notes = _task_notes(tasks) + _owner_notes(others)
    # The key is unique: what a previous handling of the batch wrote stays as it was.
    Notification.objects.bulk_create(notes, ignore_conflicts=True)


NOTIFY = Consumer("notifications.notify", notify_follow, kinds=KINDS, from_now=True)
