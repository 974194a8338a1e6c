"""Enrolment from the platform's events: once per occurrence however often an event is
delivered, by the re-entry policy, never from an import or an old event unless asked, only
when the conditions hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition
from tenure.events.record import acting_via, event_record
from tenure.playbooks.enrol import Candidate, enrol
from tenure.playbooks.models import Enrollment
from tenure.playbooks.services import definition_of, playbook_disable
from tenure.playbooks.triggers import TRIGGERS
from tests.factories import make_customer, make_order, make_user
from tests.playbooks.conftest import make_playbook

pytestmark = pytest.mark.django_db


def _at_risk(customer, *, via="worker", at=None, role="at_risk", **data):
    with acting_via(via):
        event_record(
            "stage.entered", subject="customer", subject_id=customer.pk, customer_id=customer.pk,
            at=at, data={"stage": "at_risk", "role": role, **data},
        )  # fmt: skip


def _redeliver_everything():
    """As a worker that died after its effects but before its position: every event again."""
    ConsumerPosition.objects.filter(name=TRIGGERS.name).update(tx=0, event_id=0)
    consumer_drain(TRIGGERS)


def test_duplicate_events_enrol_once():
    playbook = make_playbook(slug="once")
    customer = make_customer()
    _at_risk(customer)
    _at_risk(customer)
    _at_risk(make_customer(), role="loyal")  # another role: no match
    consumer_drain(TRIGGERS)
    _redeliver_everything()
    enrollments = Enrollment.objects.filter(playbook=playbook)
    assert [(e.customer_id, e.occurrence) for e in enrollments] == [(customer.pk, "once")]


def test_every_time_is_one_enrolment_per_event_however_often_delivered():
    playbook = make_playbook(slug="every", reentry="every")
    customer = make_customer()
    _at_risk(customer)
    _at_risk(customer)
    consumer_drain(TRIGGERS)
    _redeliver_everything()
    assert Enrollment.objects.filter(playbook=playbook, customer=customer).count() == 2


def test_once_per_days_refuses_a_second_enrolment_within_the_window():
    playbook = make_playbook(slug="window", reentry={"once_per_days": 30})
    definition = definition_of(playbook)
    customer = make_customer()
    now = timezone.now()
    assert enrol(playbook, definition, [Candidate(customer.pk, "event:1", now)], now) == 1
    later = now + timedelta(days=10)
    assert enrol(playbook, definition, [Candidate(customer.pk, "event:2", later)], later) == 0
    much_later = now + timedelta(days=31)
    assert enrol(playbook, definition, [Candidate(customer.pk, "e:3", much_later)], much_later) == 1


def test_an_import_or_an_old_event_enrols_nobody_unless_asked():
    strict = make_playbook(slug="strict")
    lenient = make_playbook(slug="lenient", include_imported=True)
    imported, old, fresh = make_customer(), make_customer(), make_customer()
    _at_risk(imported, via="import")
    _at_risk(old, at=timezone.now() - timedelta(days=3))
    _at_risk(fresh, via="api")
    consumer_drain(TRIGGERS)
    assert set(
        Enrollment.objects.filter(playbook=strict).values_list("customer_id", flat=True)
    ) == {fresh.pk}
    lenient_ids = Enrollment.objects.filter(playbook=lenient).values_list("customer_id", flat=True)
    assert set(lenient_ids) == {imported.pk, old.pk, fresh.pk}


def test_only_customers_meeting_the_conditions_enrol():
    playbook = make_playbook(
        slug="buyers", conditions={"fact": "orders_count", "op": ">=", "value": 1}
    )
    buyer, lead = make_customer(), make_customer()
    make_order(customer=buyer, placed_at=timezone.now() - timedelta(days=5))
    _at_risk(buyer)
    _at_risk(lead)
    consumer_drain(TRIGGERS)
    assert list(
        Enrollment.objects.filter(playbook=playbook).values_list("customer_id", flat=True)
    ) == [buyer.pk]


def test_a_disabled_playbook_enrols_nobody():
    playbook = make_playbook(slug="off")
    playbook_disable(by=None, playbook_id=playbook.pk)
    _at_risk(make_customer())
    consumer_drain(TRIGGERS)
    assert not Enrollment.objects.exists()


def test_after_event_starts_days_later():
    playbook = make_playbook(
        slug="after", trigger={"type": "after_event", "kind": "stage.entered", "days": 7}
    )
    customer = make_customer(owner=make_user())
    _at_risk(customer)
    consumer_drain(TRIGGERS)
    enrollment = Enrollment.objects.get(playbook=playbook)
    assert enrollment.next_at - enrollment.entered_at > timedelta(days=6, hours=23)
