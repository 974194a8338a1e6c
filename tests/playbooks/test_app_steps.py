"""The steps that act through other apps, end to end: the built-in welcome series from a
stage event to a real SMTP server (personalised, with its unsubscribe headers, each email
once), a branch on an open, and a static segment filled and emptied by playbooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition, Event
from tenure.events.record import NewEvent, acting_via, event_record, events_record
from tenure.mail.models import Message
from tenure.mail.sending import mail_send_due
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.builtin import playbooks_builtin_ensure
from tenure.playbooks.models import Enrollment, Playbook, StepRun
from tenure.playbooks.services import playbook_enable
from tenure.playbooks.triggers import TRIGGERS
from tenure.segments.models import SegmentMembership
from tenure.segments.services import segment_create
from tenure.todos.models import Task
from tests.factories import make_customer, make_user
from tests.mail.conftest import grant
from tests.playbooks.conftest import make_playbook


def _entered(customer, role: str) -> None:
    with acting_via("worker"):
        event_record(
            "stage.entered", subject="customer", subject_id=customer.pk, customer_id=customer.pk,
            data={"stage": role, "role": role},
        )  # fmt: skip


def _advance_all(now: datetime) -> None:
    while enrollments_advance(now=now):
        pass


def _noon_after(moment: datetime) -> datetime:
    """The next noon UTC (afternoon in Berlin: outside quiet hours)."""
    return datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC).replace(
        hour=12
    )


@pytest.mark.django_db(transaction=True)
def test_the_welcome_series_arrives_personalised_once_each(smtp):
    playbooks_builtin_ensure()
    welcome = Playbook.objects.get(builtin="welcome")
    playbook_enable(by=None, playbook_id=welcome.pk)
    customer = make_customer(
        first_name="Grace", email="grace@example.com", time_zone="Europe/Berlin"
    )
    grant(customer)
    _entered(customer, "new")
    _entered(make_customer(), "loyal")  # another stage: not welcomed
    consumer_drain(TRIGGERS)
    assert Enrollment.objects.filter(playbook=welcome).count() == 1

    noon = _noon_after(timezone.now())
    for day in (noon, noon + timedelta(days=2, minutes=1), noon + timedelta(days=5, minutes=2)):
        _advance_all(day)
        mail_send_due(now=day)
        mail_send_due(now=day)  # a second sender pass sends nothing again
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == ["Welcome, Grace", "Getting started", "When you need us"]
    first = smtp.messages[0]
    assert first["To"] == "grace@example.com"
    assert "Hello Grace," in first.get_body(("plain",)).get_content()
    assert first["List-Unsubscribe"].strip().startswith("<http")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    keys = list(Message.objects.order_by("pk").values_list("key", flat=True))
    assert keys == [f"playbook:{welcome.pk}:{step}:{customer.pk}:once" for step in (0, 2, 4)]
    # The worker delivers the same events again (it died before saving its place): no more mail.
    ConsumerPosition.objects.filter(name=TRIGGERS.name).update(tx=0, event_id=0)
    consumer_drain(TRIGGERS)
    _advance_all(noon + timedelta(days=9))
    mail_send_due(now=noon + timedelta(days=9))
    assert len(smtp) == 3
    assert Enrollment.objects.get(playbook=welcome).status == "completed"


@pytest.mark.django_db
def test_a_branch_on_opened_skips_the_call_for_who_opened():
    steps = [
        {"kind": "email", "template": "win-back-offer", "promotion": True, "topic": "offers"},
        {"kind": "branch", "on": "opened", "within_days": 3, "goto": 3},
        {"kind": "task", "title": "No open from {customer}: call"},
    ]
    playbook = make_playbook(slug="open-or-call", steps=steps)
    opener, silent = make_customer(owner=make_user()), make_customer(owner=make_user())
    for customer in (opener, silent):
        _entered(customer, "at_risk")
    consumer_drain(TRIGGERS)
    now = timezone.now()
    _advance_all(now)
    assert Message.objects.filter(source=f"playbook:{playbook.pk}").count() == 2
    message = Message.objects.get(customer=opener)
    events_record(
        [NewEvent("mail.opened", "message", message.pk, opener.pk, at=now + timedelta(hours=5))]
    )
    _advance_all(now + timedelta(hours=6))
    _advance_all(now + timedelta(days=3, minutes=1))
    assert list(Task.objects.values_list("customer_id", flat=True)) == [silent.pk]
    assert Enrollment.objects.get(customer=opener).status == "completed"
    branch = StepRun.objects.get(enrollment__customer=opener, step=1)
    assert branch.detail == "opened: went to step 3"


@pytest.mark.django_db
def test_playbooks_fill_and_empty_a_static_segment_once():
    vips = segment_create(by=None, name="Called back", kind="static")
    dynamic = segment_create(
        by=None,
        name="Red",
        definition={"when": {"fact": "health_band", "op": "is", "value": "red"}},
    )
    with pytest.raises(ValidationError) as refused:
        make_playbook(slug="bad", steps=[{"kind": "segment_add", "segment": dynamic.slug}])
    assert refused.value.message_dict["steps[0].segment"] == [
        "“Red” is dynamic: only a static segment's members are added or removed"
    ]
    make_playbook(slug="add", steps=[{"kind": "segment_add", "segment": vips.slug}])
    customer = make_customer()
    _entered(customer, "at_risk")
    consumer_drain(TRIGGERS)
    _advance_all(timezone.now())
    stays = SegmentMembership.objects.filter(segment=vips)
    assert [(s.customer_id, s.left_at) for s in stays] == [(customer.pk, None)]
    entered = Event.objects.filter(kind="segment.entered", customer_id=customer.pk)
    assert entered.count() == 1
    make_playbook(
        slug="remove",
        trigger={"type": "event", "kind": "stage.entered", "match": {"role": "loyal"}},
        steps=[{"kind": "segment_remove", "segment": vips.pk}],
    )
    _entered(customer, "loyal")
    consumer_drain(TRIGGERS)
    _advance_all(timezone.now())
    assert stays.get().left_at is not None
    vips.refresh_from_db()
    assert vips.members_count == 0
    assert Event.objects.filter(kind="segment.left", customer_id=customer.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_five_playbooks_firing_together_share_one_cap_by_priority(smtp, settings):
    from tenure.mail.services import template_create

    settings.MAIL_CAP = "2/24h"
    settings.MAIL_QUIET_HOURS = ""
    priorities = {"welcome": 50, "survey": 10, "offer": 30, "news": 20, "tips": 40}
    for name, priority in priorities.items():
        template_create(by=None, name=name, slug=name, subject=name.title(), text="Hello")
        make_playbook(slug=f"pb-{name}", priority=priority,
                      steps=[{"kind": "email", "template": name}])  # fmt: skip
    customer = make_customer()
    grant(customer)
    _entered(customer, "at_risk")
    consumer_drain(TRIGGERS)
    now = timezone.now()
    _advance_all(now)
    assert mail_send_due(now=now).sent == 2
    assert mail_send_due(now=now + timedelta(hours=23, minutes=59)).sent == 0
    assert mail_send_due(now=now + timedelta(hours=24)).sent == 2
    assert mail_send_due(now=now + timedelta(hours=48)).sent == 1
    assert [m["Subject"] for m in smtp.messages] == ["Welcome", "Tips", "Offer", "News", "Survey"]
