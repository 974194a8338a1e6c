"""The ideas board's services: one request per customer, the roles, merge, status with its
history and event, the weighed figures worked by hand, and "it shipped" emailed once through a
real SMTP server even when the status is set to done twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404

from tenure.access.scopes import AccessDenied
from tenure.customers.models import Contact, Customer
from tenure.events.models import Event
from tenure.ideas.filters import IdeaFilterSet
from tenure.ideas.models import IdeaRequest, IdeaStatus
from tenure.ideas.services import (
    idea_create,
    idea_delete,
    idea_merge,
    idea_request_add,
    idea_request_remove,
    idea_status_set,
    idea_update,
)
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.mail.models import Message
from tenure.mail.sending import mail_send_due
from tests.factories import make_account, make_customer, make_order, make_user
from tests.mail.conftest import grant

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # a Monday noon: no quiet hours


def _idea(title="Dark mode", by=None):
    return idea_create(by=by, data={"title": title}, now=NOW)


def _ask(idea, customer, by=None, **data):
    return idea_request_add(by=by, idea_id=idea.pk, customer_id=customer.pk, data=data, now=NOW)


def test_a_customer_asks_once_however_often_it_is_recorded():
    idea = _idea()
    customer = make_customer()
    first, new = _ask(idea, customer, note="Please, my eyes")
    again, new_again = _ask(idea, customer, note="Asked again on a call")
    assert (new, new_again, first.pk) == (True, False, again.pk)
    assert IdeaRequest.objects.get().note == "Please, my eyes"
    assert Event.objects.filter(kind="idea.requested", customer_id=customer.pk).count() == 1


def test_fields_are_checked_and_named():
    with pytest.raises(ValidationError) as error:
        idea_create(by=None, data={"title": "  "}, now=NOW)
    assert error.value.message_dict == {"title": ["required: give it a few words"]}
    with pytest.raises(ValidationError) as error:
        idea_create(by=None, data={"title": "x", "votes": 3}, now=NOW)
    assert error.value.message_dict == {"votes": ["unknown field"]}
    idea, customer = _idea(), make_customer(account=make_account())
    stranger = Contact.objects.create(account=make_account(), first_name="Not theirs")
    with pytest.raises(ValidationError) as error:
        _ask(idea, customer, contact_id=stranger.pk)
    assert error.value.message_dict == {"contact_id": ["a contact of the customer's account"]}
    with pytest.raises(ValidationError) as error:
        idea_status_set(by=None, idea_id=idea.pk, status="shipped", now=NOW)
    assert "one of under_review" in error.value.message_dict["status"][0]
    assert not IdeaRequest.objects.exists()


def test_roles_success_managers_ask_for_their_book_and_only_managers_steer():
    sm, other, analyst = (
        make_user(role=r) for r in ("success_manager", "success_manager", "analyst")
    )
    mine, theirs = make_customer(owner=sm), make_customer(owner=other)
    idea = _idea(by=sm)  # a success manager may create ideas
    assert idea.created_by_id == sm.pk
    _ask(idea, mine, by=sm)
    with pytest.raises(Http404):
        _ask(idea, theirs, by=sm)  # another's customer: as if it did not exist
    with pytest.raises(AccessDenied):
        _ask(idea, mine, by=analyst)
    with pytest.raises(AccessDenied):
        idea_create(by=analyst, data={"title": "Mine"}, now=NOW)
    with pytest.raises(AccessDenied):
        idea_status_set(by=sm, idea_id=idea.pk, status=IdeaStatus.PLANNED, now=NOW)
    with pytest.raises(AccessDenied):
        idea_merge(by=sm, idea_id=idea.pk, into_id=_idea("Other").pk, now=NOW)
    with pytest.raises(AccessDenied):
        idea_delete(by=sm, idea_id=idea.pk)
    # Their own idea's words are theirs to edit; another's idea is not found.
    assert (
        idea_update(by=sm, idea_id=idea.pk, changes={"title": "Dark theme"}).title == "Dark theme"
    )
    with pytest.raises(Http404):
        idea_update(by=other, idea_id=idea.pk, changes={"title": "Mine now"})
    theirs_request, _ = _ask(idea, theirs, by=other)
    with pytest.raises(Http404):
        idea_request_remove(by=sm, request_id=theirs_request.pk)
    manager = make_user(role="manager")
    assert (
        idea_status_set(by=manager, idea_id=idea.pk, status="planned", now=NOW).status == "planned"
    )
    assert IdeaRequest.objects.filter(idea=idea).count() == 2


def test_a_status_change_keeps_its_history_and_is_announced():
    manager = make_user(role="manager")
    idea = _idea()
    idea_status_set(by=manager, idea_id=idea.pk, status=IdeaStatus.PLANNED, now=NOW)
    idea_status_set(by=manager, idea_id=idea.pk, status=IdeaStatus.PLANNED, now=NOW)  # no change
    (event,) = Event.objects.filter(kind="idea.status_changed")
    assert (event.subject_id, event.data) == (
        idea.pk,
        {"before": "under_review", "after": "planned"},
    )
    changes = [e.changes_dict for e in LogEntry.objects.get_for_object(idea).order_by("pk")]
    assert changes[-1]["status"] == ["under_review", "planned"]


def test_merge_moves_requests_keeping_one_per_customer():
    manager = make_user(role="manager")
    keep, dup = _idea("Export to CSV"), _idea("CSV download")
    both, only_dup, only_keep = make_customer(), make_customer(), make_customer()
    _ask(keep, both, note="kept")
    _ask(keep, only_keep)
    _ask(dup, both, note="dropped")
    _ask(dup, only_dup)
    earlier = _idea("Spreadsheet export")
    idea_merge(by=None, idea_id=earlier.pk, into_id=dup.pk, now=NOW)

    assert idea_merge(by=manager, idea_id=dup.pk, into_id=keep.pk, now=NOW).pk == keep.pk
    rows = sorted(IdeaRequest.objects.values_list("idea_id", "customer_id", "note"))
    assert rows == sorted([(keep.pk, both.pk, "kept"), (keep.pk, only_keep.pk, ""),
                           (keep.pk, only_dup.pk, "")])  # fmt: skip
    dup.refresh_from_db()
    earlier.refresh_from_db()
    assert (dup.merged_into_id, dup.status) == (keep.pk, IdeaStatus.DECLINED)
    assert earlier.merged_into_id == keep.pk  # what was merged into it follows
    # A request for a merged idea lands on the one it was merged into.
    late = make_customer()
    request, new = _ask(dup, late)
    assert (request.idea_id, new) == (keep.pk, True)
    for bad, why in (((keep, keep), "into_id"), ((dup, keep), "idea_id"), ((keep, dup), "into_id")):
        with pytest.raises(ValidationError) as error:
            idea_merge(by=manager, idea_id=bad[0].pk, into_id=bad[1].pk, now=NOW)
        assert list(error.value.message_dict) == [why]


def test_the_board_weighs_ideas_by_customers_revenue_and_clv_worked_by_hand():
    a, b, c = make_customer(), make_customer(), make_customer()
    make_order(customer=a, amount=Decimal("100.00"))
    make_order(customer=a, amount=Decimal("20.50"))
    make_order(customer=b, amount=Decimal("300.00"))
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=NOW.date())
    for customer, clv in ((a, "40.00"), (b, "10.25")):
        CustomerPrediction.objects.create(
            customer=customer, fit=fit, frequency=1, recency=1.0, T=2.0, p_alive=0.9,
            churn_risk=0.1, expected_purchases_365=1.0, expected_average_spend=Decimal("1"),
            predicted_clv_365=Decimal(clv), value_if_stays_365=Decimal("1"),
            historic_clv=Decimal("0"),
        )  # fmt: skip
    wide, rich, empty = _idea("Wide"), _idea("Rich"), _idea("Nobody")
    for customer in (a, b, c):
        _ask(wide, customer)
    _ask(rich, b)
    manager = make_user(role="manager")
    rows = IdeaFilterSet.of(manager, {"sort": "-revenue"}).for_page()
    got = [(i.title, i.customers, i.revenue, i.clv) for i in rows]
    # Wide: 120.50 + 300 + 0 = 420.50 revenue, 40 + 10.25 = 50.25 CLV (c has no prediction).
    assert got == [
        ("Wide", 3, Decimal("420.50"), Decimal("50.25")),
        ("Rich", 1, Decimal("300.00"), Decimal("10.25")),
        ("Nobody", 0, Decimal("0.00"), Decimal("0.00")),
    ]
    by_default = [i.title for i in IdeaFilterSet.of(manager, {}).for_page()]
    assert by_default == ["Wide", "Rich", "Nobody"]  # most customers first
    found = IdeaFilterSet.of(manager, {"q": "ric", "status": ["under_review"]}).for_page()
    assert [i.title for i in found] == ["Rich"]
    # A success manager weighs the board by their own book.
    sm = make_user(role="success_manager")
    Customer.objects.filter(pk=a.pk).update(owner=sm)  # the cached revenue stays
    mine = {i.title: (i.customers, i.revenue) for i in IdeaFilterSet.of(sm, {}).for_page()}
    assert mine == {"Wide": (1, Decimal("120.50")), "Rich": (0, Decimal("0.00")),
                    "Nobody": (0, Decimal("0.00"))}  # fmt: skip
    assert empty.pk in {i.pk for i in IdeaFilterSet.of(sm, {}).for_page()}


def test_it_shipped_is_delivered_once_even_when_done_is_set_twice(smtp):
    manager = make_user(role="manager")
    idea = _idea("Dark mode")
    asked = [make_customer(email=f"asker{n}@example.com") for n in range(2)]
    silent = make_customer(email="no-consent@example.com")  # never agreed to marketing email
    for customer in asked:
        grant(customer)
        _ask(idea, customer)
    _ask(idea, silent)

    idea_status_set(by=manager, idea_id=idea.pk, status=IdeaStatus.DONE, now=NOW)
    idea_status_set(by=manager, idea_id=idea.pk, status=IdeaStatus.IN_PROGRESS, now=NOW)
    idea_status_set(by=manager, idea_id=idea.pk, status=IdeaStatus.DONE, now=NOW + timedelta(1))
    assert mail_send_due(now=NOW).sent == 2
    assert mail_send_due(now=NOW + timedelta(days=2)).sent == 0

    received = sorted(str(m["To"]) for m in smtp.messages)
    assert received == ["asker0@example.com", "asker1@example.com"]
    body = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "Dark mode" in body and "It is done" in body
    assert Message.objects.filter(source=f"idea:{idea.pk}").count() == 2
    idea.refresh_from_db()
    assert idea.shipped_at == NOW  # the first time it shipped

    # A customer who asks after it shipped is told at once, once.
    late = make_customer(email="late@example.com")
    grant(late)
    _ask(idea, late)
    _ask(idea, late)
    mail_send_due(now=NOW + timedelta(days=3))
    assert sorted(str(m["To"]) for m in smtp.messages)[-1] == "late@example.com"
    assert len(smtp) == 3
