"""Appreciation: recorded by hand or by a playbook's step (once per enrolment), validated per
field, scoped by the account, with its history and event; the totals worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tenure.access.scopes import AccessDenied
from tenure.customers.models import Contact
from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition, Event
from tenure.ideas.services import idea_create, idea_request_add
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.models import StepRun
from tenure.playbooks.services import playbook_create
from tenure.playbooks.triggers import TRIGGERS
from tenure.success.appreciation import (
    account_appreciations,
    appreciation_delete,
    appreciation_record,
)
from tenure.success.appreciation_filters import AppreciationFilterSet
from tenure.success.models import Appreciation
from tests.factories import make_account, make_customer, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 10, tzinfo=UTC)


def _record(account, by=None, **data):
    data.setdefault("kind", "gift")
    return appreciation_record(by=by, account_id=account.pk, data=data, now=NOW)


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


def test_recorded_by_hand_with_its_cost_history_and_event():
    sm = make_user(role="success_manager")
    account = make_account(owner=sm)
    anna = Contact.objects.create(account=account, first_name="Anna")
    given, new = _record(account, by=sm, kind="thank_you_note", cost="12.50", currency="eur",
                         given_on=date(2025, 5, 30), contact_id=anna.pk,
                         description="Card after the renewal")  # fmt: skip
    assert new
    given.refresh_from_db()
    assert (given.cost, given.currency, given.given_by_id, given.contact_id) == (
        Decimal("12.50"), "EUR", sm.pk, anna.pk,
    )  # fmt: skip
    (event,) = Event.objects.filter(kind="appreciation.recorded")
    assert (event.subject_id, event.data["account_id"], event.data["what"]) == (
        given.pk, account.pk, "thank_you_note",
    )  # fmt: skip
    assert LogEntry.objects.get_for_object(given).count() == 1
    appreciation_delete(by=sm, appreciation_id=given.pk)
    assert not Appreciation.objects.exists()
    assert Event.objects.filter(kind="appreciation.deleted").count() == 1


def test_bad_values_are_refused_by_field():
    account = make_account()
    stranger = Contact.objects.create(account=make_account(), first_name="Not theirs")
    assert _errors(lambda: _record(account, kind="bribe")) == {
        "kind": ["one of gift, thank_you_note, event_invitation, other"]
    }
    assert list(_errors(lambda: _record(account, cost="-1"))) == ["cost"]
    assert list(_errors(lambda: _record(account, cost="1.005"))) == ["cost"]
    assert list(_errors(lambda: _record(account, cost="NaN"))) == ["cost"]
    assert list(_errors(lambda: _record(account, currency="euro"))) == ["currency"]
    assert _errors(lambda: _record(account, contact_id=stranger.pk)) == {
        "contact_id": ["a contact of this account"]
    }
    assert list(_errors(lambda: _record(account, given_on=date(2031, 1, 1)))) == ["given_on"]
    assert not Appreciation.objects.exists()


def test_a_key_records_one_and_roles_follow_the_account():
    sm, other, analyst = (
        make_user(role=r) for r in ("success_manager", "success_manager", "analyst")
    )
    mine, theirs = make_account(owner=sm), make_account(owner=other)
    first, new = _record(mine, by=sm, key="gala-2025")
    again, new_again = _record(mine, by=sm, key="gala-2025", cost="99.00")
    assert (new, new_again, first.pk, Appreciation.objects.count()) == (True, False, again.pk, 1)
    with pytest.raises(Http404):
        _record(theirs, by=sm)
    with pytest.raises(AccessDenied):
        _record(mine, by=analyst)
    theirs_given, _ = _record(theirs, by=other)
    with pytest.raises(Http404):
        appreciation_delete(by=sm, appreciation_id=theirs_given.pk)
    assert {a.pk for a in AppreciationFilterSet.of(sm, {}).filtered()} == {first.pk}
    assert {a.pk for a in AppreciationFilterSet.of(analyst, {}).filtered()} == {
        first.pk, theirs_given.pk,
    }  # fmt: skip


def test_the_accounts_total_this_year_worked_by_hand():
    manager = make_user(role="manager")
    account = make_account()
    _record(account, cost="25.00", given_on=date(2025, 1, 10))
    _record(account, cost="7.50", given_on=date(2025, 5, 1), kind="thank_you_note")
    _record(account, cost="100.00", given_on=date(2024, 12, 31))  # last year
    _record(account, cost="10.00", currency="EUR", given_on=date(2025, 2, 1))
    shown, totals = account_appreciations(user=manager, account_id=account.pk,
                                          today=date(2025, 6, 2))  # fmt: skip
    assert len(shown) == 4 and shown[0].given_on == date(2025, 5, 1)  # newest first
    # This year: 25.00 + 7.50 in USD, 10.00 in EUR (never added across currencies).
    assert (totals.count, totals.cost) == (3, {"USD": Decimal("32.50"), "EUR": Decimal("10.00")})
    found = AppreciationFilterSet.of(manager, {"kind": "gift", "given_after": "2025-01-01"})
    assert sorted(a.cost for a in found.filtered()) == [Decimal("10.00"), Decimal("25.00")]


def test_a_playbook_step_records_one_per_enrolment_however_often_it_runs():
    playbook_create(by=None, data={
        "name": "Thank who asks", "slug": "thank-who-asks", "enabled": True,
        "trigger": {"type": "event", "kind": "idea.requested"},
        "steps": [{"kind": "record_appreciation", "what": "thank_you_note", "cost": 3.5,
                   "description": "Card: thanks for the idea"}],
    })  # fmt: skip
    owner = make_user(role="success_manager")
    account = make_account(owner=owner)
    customer = make_customer(account=account, owner=owner)
    loner = make_customer()  # no account: nothing to record
    now = timezone.now()
    idea = idea_create(by=None, data={"title": "Dark mode"}, now=now)
    for who in (customer, loner):
        idea_request_add(by=None, idea_id=idea.pk, customer_id=who.pk, data={}, now=now)
    consumer_drain(TRIGGERS)
    while enrollments_advance(now=now + timedelta(minutes=1)):
        pass
    ConsumerPosition.objects.filter(name=TRIGGERS.name).update(tx=0, event_id=0)
    consumer_drain(TRIGGERS)  # every event again, as after a worker died
    while enrollments_advance(now=now + timedelta(minutes=2)):
        pass

    given = Appreciation.objects.get()
    assert (given.account_id, given.customer_id, given.kind, given.cost, given.given_by_id) == (
        account.pk, customer.pk, "thank_you_note", Decimal("3.50"), owner.pk,
    )  # fmt: skip
    details = sorted(run.detail.replace(str(given.pk), "N") for run in StepRun.objects.all())
    assert details == ["appreciation N recorded", "the customer belongs to no account"]
