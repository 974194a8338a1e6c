"""Notifications follow the events: a task given to someone, a customer's health turning red,
a renewal coming; each once, however often its batch is handled."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from tenure.customers.models import Subscription
from tenure.customers.tasks import renewals_announce
from tenure.events.consumers import consumer_position
from tenure.events.models import ConsumerPosition, Event
from tenure.events.record import event_record
from tenure.notifications.following import NOTIFY, notify_follow
from tenure.notifications.models import Notification, NotificationKind
from tenure.todos.services import task_create, task_update
from tenure.users.models import Role
from tests.factories import make_customer, make_user


def _drain_twice() -> None:
    """Handle the waiting events, then the same batch again (a worker killed after the
    effects, before the position moved)."""
    from tenure.events.consumers import consumer_drain

    start = ConsumerPosition.objects.get(name=NOTIFY.name)
    events = list(Event.objects.filter(kind__in=NOTIFY.kinds or ()).order_by("tx", "id"))
    consumer_drain(NOTIFY)
    notify_follow(events)  # the same batch, handled again
    assert ConsumerPosition.objects.get(name=NOTIFY.name).event_id > start.event_id


def test_task_assigned_red_health_and_renewal_notify_once(db):
    consumer_position(NOTIFY)  # the consumer follows from here, as on a running install
    mia = make_user(username="mia")
    sam = make_user(username="sam", role=Role.SUCCESS_MANAGER, first_name="Sam")
    grace = make_customer(first_name="Grace", last_name="Hopper", owner=sam)
    task = task_create(by=mia, title="Call Grace", owner=sam, due=date(2025, 6, 3),
                       customer_id=grace.pk)  # fmt: skip
    task_create(by=sam, title="My own reminder", owner=sam, due=date(2025, 6, 3))
    event_record("health.band_changed", subject="customer", subject_id=grace.pk,
                 customer_id=grace.pk, data={"band": "red", "from_band": "yellow"},
                 key=f"health.band_changed:customer:{grace.pk}:2025-06-02:red")  # fmt: skip
    event_record("health.band_changed", subject="customer", subject_id=grace.pk,
                 customer_id=grace.pk, data={"band": "green", "from_band": "red"})  # fmt: skip
    Subscription.objects.create(
        customer=grace, plan="Pro", amount="49.00", currency="EUR", interval="month",
        started_at=timezone.now() - timedelta(days=300),
        renews_at=timezone.now() + timedelta(days=10),
    )  # fmt: skip
    renewals_announce()
    _drain_twice()
    notes = Notification.objects.filter(recipient=sam).order_by("kind")
    assert [(n.kind, n.text) for n in notes] == [
        (NotificationKind.HEALTH_RED, "Grace Hopper: health turned red"),
        (NotificationKind.RENEWAL_COMING,
         f"Grace Hopper: Pro renews on {grace.subscriptions.get().renews_at:%b} "
         f"{grace.subscriptions.get().renews_at.day}, {grace.subscriptions.get().renews_at.year}"),
        (NotificationKind.TASK_ASSIGNED, "Task for you: Call Grace (due Jun 3, 2025)"),
    ]  # fmt: skip
    assert notes.get(kind=NotificationKind.TASK_ASSIGNED).url == f"/tasks/{task.pk}/"
    assert not Notification.objects.filter(recipient=mia).exists()


def test_reassigning_a_task_notifies_the_new_owner(db):
    consumer_position(NOTIFY)
    mia = make_user(username="mia")
    sam = make_user(username="sam", role=Role.SUCCESS_MANAGER)
    otto = make_user(username="otto")
    task = task_create(by=mia, title="Renewal call", owner=sam, due=date(2025, 6, 3))
    task_update(by=mia, task_id=task.pk, changes={"owner_id": otto.pk})
    task_update(by=mia, task_id=task.pk, changes={"due": date(2025, 6, 9)})  # not reassigned
    _drain_twice()
    # Sam's was given and then taken back before the consumer ran: only Otto hears of it.
    assert list(Notification.objects.values_list("recipient__username", "text")) == [
        ("otto", "Task for you: Renewal call (due Jun 9, 2025)")
    ]
