"""The composer (mentions, a follow-up for anyone on the team, a complaint's resolution), the
notifications page and the bell, and "My day" as a success manager's home."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tenure.customers.models import Subscription
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.interactions.models import Interaction
from tenure.notifications.models import Notification, NotificationKind, WorklistSnooze
from tenure.notifications.selectors import my_day
from tenure.todos.models import Task
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.web.conftest import htmx


def _compose(client, customer, **fields):
    data = {"kind": "note", "occurred_at": "2025-03-01T10:00", **fields}
    return client.post(reverse("web:interaction-create", args=[customer.pk]), data)


def test_a_note_mentions_and_gives_a_follow_up_to_a_colleague(signed_in, manager):
    sam = make_user(
        username="sam", role=Role.SUCCESS_MANAGER, first_name="Sam", last_name="Success"
    )
    grace = make_customer(first_name="Grace", last_name="Hopper", owner=manager)
    response = _compose(
        signed_in, grace, subject="Renewal", body="Wants a discount, @sam can you call? @nobody",
        follow_up_owner="Sam Success (sam)", follow_up_due="2025-03-05",
    )  # fmt: skip
    assert response.status_code == 302
    note = Interaction.objects.get(customer=grace)
    task = Task.objects.get()
    assert (task.owner, task.due.isoformat(), task.customer, task.interaction) == (
        sam,
        "2025-03-05",
        grace,
        note,
    )
    assert task.title == "Follow up: Renewal"
    mention = Notification.objects.get(recipient=sam, kind=NotificationKind.MENTION)
    assert mention.text.startswith("Mia Manager mentioned you about Grace Hopper: Renewal")
    assert mention.url == reverse("web:customer", args=[grace.pk])
    assert not Notification.objects.filter(recipient=manager).exists()


def test_the_follow_up_is_chosen_by_name_and_refused_on_its_field(signed_in, manager):
    make_user(username="sam1", first_name="Sam", last_name="Same")
    make_user(username="sam2", first_name="Sam", last_name="Same")
    grace = make_customer(owner=manager)
    response = signed_in.post(
        reverse("web:interaction-create", args=[grace.pk]),
        {"kind": "note", "occurred_at": "2025-03-01T10:00", "body": "x",
         "follow_up_owner": "Sam Same", "follow_up_due": ""},
        **htmx("interaction-form"),
    )  # fmt: skip
    body = response.content.decode()
    assert "Choose a team member from the list, by name." in body  # two Sam Sames: ambiguous
    assert "Give the follow-up a due date." in body
    assert not Interaction.objects.exists() and not Task.objects.exists()
    # By username it is one person.
    ok = _compose(signed_in, grace, body="x", follow_up_owner="sam2", follow_up_due="2025-03-05")
    assert ok.status_code == 302 and Task.objects.get().owner.username == "sam2"


def test_a_resolution_closes_the_complaint(signed_in, manager):
    grace = make_customer(owner=manager)
    _compose(signed_in, grace, kind="complaint", subject="Late parcel", body="Two weeks")
    complaint = Interaction.objects.get()
    assert complaint.status == "open"
    missing = _compose(signed_in, grace, kind="resolution", body="Refunded shipping")
    assert "Choose the complaint this resolves." in missing.content.decode()
    _compose(signed_in, grace, kind="resolution", complaint=str(complaint.pk), body="Refunded")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution) == ("resolved", "Refunded")
    assert complaint.resolved_at is not None
    assert Interaction.objects.count() == 1


def test_an_analyst_may_not_use_the_composer(client, manager):
    analyst = make_user(role=Role.ANALYST)
    grace = make_customer(owner=manager)
    client.force_login(analyst)
    response = _compose(
        client, grace, body="sneaky", follow_up_owner="mia", follow_up_due="2025-03-05"
    )
    assert response.status_code == 403
    assert not Interaction.objects.exists() and not Task.objects.exists()
    page = client.get(reverse("web:customer", args=[grace.pk])).content.decode()
    assert 'id="interaction-form"' not in page


def test_the_bell_counts_and_the_page_marks_read(signed_in, manager):
    for n in range(3):
        Notification.objects.create(
            recipient=manager, kind=NotificationKind.MENTION, text=f"note {n}", key=f"k{n}",
            created_at=timezone.now(),
        )  # fmt: skip
    page = signed_in.get(reverse("web:notifications")).content.decode()
    assert 'id="unread-count"><span class="sr-only">, unread: </span>3</span>' in page
    first = Notification.objects.get(key="k0")
    signed_in.post(reverse("web:notifications-read"), {"id": first.pk})
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    signed_in.post(reverse("web:notifications-read"))
    page = signed_in.get(reverse("web:notifications")).content.decode()
    assert 'id="unread-count"' not in page


def test_home_is_my_day_for_a_success_manager_only(client, manager):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    client.force_login(sam)
    assert client.get(reverse("web:home"))["Location"] == reverse("web:my-day")
    client.force_login(manager)
    assert client.get(reverse("web:home")).status_code == 200  # a dashboard (test_home.py)


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


@pytest.fixture
def three(db):
    """Three customers of Sam's, checked by hand below."""
    sam = make_user(username="sam", role=Role.SUCCESS_MANAGER)
    today = timezone.localdate()
    now = timezone.now()
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=today)
    a = make_customer(first_name="Big", last_name="Safe", owner=sam)
    b = make_customer(first_name="Small", last_name="Renewing", owner=sam)
    c = make_customer(first_name="Risky", last_name="Mid", owner=sam)
    make_customer(first_name="Not", last_name="Mine")  # someone else's: not on Sam's day
    for customer, risk, value in ((a, 0.1, "10000.00"), (b, 0.5, "1000.00"), (c, 0.8, "2000.00")):
        CustomerPrediction.objects.create(
            customer=customer, fit=fit, frequency=1, recency=10.0, T=100.0, p_alive=1 - risk,
            churn_risk=risk, expected_purchases_365=1.0, expected_average_spend=Decimal(value),
            predicted_clv_365=Decimal(value), value_if_stays_365=Decimal(value),
            historic_clv=Decimal("0"),
        )  # fmt: skip
    # Small renews today (0 days), Risky in 30, Big never.
    Subscription.objects.create(
        customer=b, plan="Basic", amount="10.00", currency="USD", interval="month",
        started_at=now - timedelta(days=100), renews_at=_noon(today),
    )  # fmt: skip
    Subscription.objects.create(
        customer=c, plan="Pro", amount="10.00", currency="USD", interval="month",
        started_at=now - timedelta(days=100),
        renews_at=_noon(today + timedelta(days=30)),
    )  # fmt: skip
    return sam, a, b, c, today


def test_my_day_ranks_by_risk_value_and_renewal(three):
    sam, big, small, risky, today = three
    # By hand: Big 0.1 x 10000 x 30/395 = 75.95; Small 0.5 x 1000 x 30/30 = 500;
    # Risky 0.8 x 2000 x 30/60 = 800.
    day = my_day(user=sam, today=today)
    assert [(r.customer.pk, round(r.ranking.score, 2)) for r in day.rows] == [
        (risky.pk, 800.0),
        (small.pk, 500.0),
        (big.pk, 75.95),
    ]


def test_my_day_page_snooze_and_done(client, three):
    sam, big, small, risky, today = three
    client.force_login(sam)
    page = client.get(reverse("web:my-day")).content.decode()
    assert page.index("Risky Mid") < page.index("Small Renewing") < page.index("Big Safe")
    assert "Not Mine" not in page and "value at risk" in page
    response = client.post(
        reverse("web:my-day-snooze", args=[risky.pk]), {"until": str(today + timedelta(days=3))}
    )
    assert response.status_code == 302
    client.post(reverse("web:my-day-done", args=[small.pk]))
    assert [r.customer.pk for r in my_day(user=sam, today=today).rows] == [big.pk]
    assert {r.customer.pk for r in my_day(user=sam, today=today + timedelta(days=3)).rows} == {
        risky.pk,
        small.pk,
        big.pk,
    }
    refused = client.post(reverse("web:my-day-snooze", args=[big.pk]), {"until": str(today)})
    assert refused.status_code == 302 and not WorklistSnooze.objects.filter(customer=big).exists()


def test_an_analyst_may_not_snooze(client, three):
    _sam, big, *_ = three
    client.force_login(make_user(role=Role.ANALYST))
    assert client.post(reverse("web:my-day-done", args=[big.pk])).status_code == 403


def test_tasks_show_on_the_customer_page_and_are_reassigned_and_rescheduled(signed_in, manager):
    from datetime import date

    from tenure.events.consumers import consumer_drain, consumer_position
    from tenure.notifications.following import NOTIFY
    from tenure.todos.services import task_create

    consumer_position(NOTIFY)
    otto = make_user(username="otto", first_name="Otto", last_name="Owner")
    grace = make_customer(owner=manager)
    task = task_create(by=manager, title="Renewal call", owner=manager, due=date(2025, 3, 5),
                       customer_id=grace.pk)  # fmt: skip
    page = signed_in.get(reverse("web:customer", args=[grace.pk])).content.decode()
    tasks_card = page[page.index('id="customer-tasks"') : page.index('id="customer-lifecycle"')]
    assert "Renewal call" in tasks_card and "Mia Manager" in tasks_card
    detail = signed_in.get(reverse("web:task", args=[task.pk])).content.decode()
    assert detail.count("Mar 5, 2025") == 1  # the due date, printed once
    refused = signed_in.post(
        reverse("web:task-plan", args=[task.pk]), {"owner": "Nobody", "due": "2025-03-09"}
    )
    assert refused.status_code == 422
    assert "Choose a team member from the list, by name." in refused.content.decode()
    moved = signed_in.post(
        reverse("web:task-plan", args=[task.pk]),
        {"owner": "Otto Owner (otto)", "due": "2025-03-09"},
    )
    assert moved.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.due) == (otto, date(2025, 3, 9))
    consumer_drain(NOTIFY)
    assert (
        Notification.objects.get(recipient=otto).text
        == "Task for you: Renewal call (due Mar 9, 2025)"
    )


def test_an_analyst_may_not_reassign(client, manager):
    from datetime import date

    from tenure.todos.services import task_create

    task = task_create(by=manager, title="x", owner=manager, due=date(2025, 3, 5))
    client.force_login(make_user(role=Role.ANALYST))
    response = client.post(
        reverse("web:task-plan", args=[task.pk]), {"owner": "mia", "due": "2025-03-09"}
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.due == date(2025, 3, 5)


def test_a_task_is_done_from_my_day(client, three):
    from tenure.todos.services import task_create

    sam, big, *_ = three
    task = task_create(by=sam, title="Call Big", owner=sam, due=timezone.localdate(),
                       customer_id=big.pk)  # fmt: skip
    client.force_login(sam)
    assert "Call Big" in client.get(reverse("web:my-day")).content.decode()
    response = client.post(
        reverse("web:task-status", args=[task.pk]), {"status": "done", "back": "my-day"}
    )
    assert response["Location"] == reverse("web:my-day")
    task.refresh_from_db()
    assert task.status == "done"
    assert "Call Big" not in client.get(reverse("web:my-day")).content.decode()


def test_the_composer_on_an_account_page(signed_in, manager):
    from tenure.customers.models import Account

    sam = make_user(username="sam", role=Role.SUCCESS_MANAGER, first_name="Sam")
    acme = Account.objects.create(name="Acme", owner=manager, created_at=timezone.now())
    url = reverse("web:account-interaction-create", args=[acme.pk])
    response = signed_in.post(url, {
        "kind": "meeting", "occurred_at": "2025-03-01T10:00", "subject": "QBR",
        "body": "@sam please prepare the numbers", "follow_up_owner": "sam",
        "follow_up_due": "2025-03-08",
    })  # fmt: skip
    assert response.status_code == 302
    meeting = Interaction.objects.get()
    assert (meeting.account, meeting.customer, meeting.kind) == (acme, None, "meeting")
    task = Task.objects.get()
    assert (task.owner, task.account, task.customer) == (sam, acme, None)
    mention = Notification.objects.get(recipient=sam)
    assert mention.url == reverse("web:account", args=[acme.pk])
    assert "about Acme: QBR" in mention.text
    page = signed_in.get(reverse("web:account", args=[acme.pk])).content.decode()
    assert "QBR" in page and "Task: Follow up: QBR" in page and 'id="interaction-form"' in page


def test_an_analyst_may_not_use_the_account_composer(client, manager):
    from tenure.customers.models import Account

    acme = Account.objects.create(name="Acme", owner=manager, created_at=timezone.now())
    client.force_login(make_user(role=Role.ANALYST))
    url = reverse("web:account-interaction-create", args=[acme.pk])
    response = client.post(url, {"kind": "note", "occurred_at": "2025-03-01T10:00", "body": "x"})
    assert response.status_code == 403
    assert not Interaction.objects.exists()
