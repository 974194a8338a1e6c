"""Recording voices: upserted on (source name, external id), matched by email, checked field by
field, each role's reach, and the events and history written with them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.access.records import TAKEN
from tenure.events.models import Event
from tenure.users.models import Role
from tenure.voices.models import Voice
from tenure.voices.services import (
    UNMATCHED_WHY,
    feedback_form_save,
    url_problem,
    voice_delete,
    voice_record,
    voice_update,
)
from tests.factories import T0, make_account, make_customer, make_user

from .helpers import make_voice, voice_data

pytestmark = pytest.mark.django_db


def _errors(data, by=None) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        voice_record(by=by, data=data)
    return refused.value.message_dict


def test_the_same_entry_sent_twice_is_one_voice_and_one_event():
    data = voice_data(external_id="r-1", rating=4, rating_scale=5)
    first = voice_record(by=None, data=data)
    again = voice_record(by=None, data=data)
    assert (first.status, again.status) == ("created", "unchanged")
    assert again.voice.pk == first.voice.pk and Voice.objects.count() == 1
    assert Event.objects.filter(kind="voice.recorded", subject_id=first.voice.pk).count() == 1
    changed = voice_record(by=None, data={**data, "text": "Edited on the site"})
    assert changed.status == "updated" and changed.voice.text == "Edited on the site"
    assert Voice.objects.count() == 1
    # The same external id at another source is another voice.
    other = voice_record(by=None, data={**data, "source_name": "Google"})
    assert other.status == "created" and Voice.objects.count() == 2


def test_a_voice_is_matched_by_email_and_takes_the_customers_account():
    account = make_account()
    customer = make_customer(email="Grace@Example.com", account=account)
    voice = make_voice(author_email="grace@example.COM")
    assert (voice.customer_id, voice.account_id) == (customer.pk, account.pk)
    unknown = make_voice(author_email="nobody@example.com")
    assert unknown.customer_id is None and unknown.matched is False


def test_bad_fields_are_refused_each_on_its_field():
    errors = _errors(
        voice_data(
            source_kind="blog", url="javascript:alert(1)", rating=6, rating_scale=5,
            published_at=datetime(2025, 1, 1), text="  ", author_email="not-an-email",
        )
    )  # fmt: skip
    assert set(errors) == {"source_kind", "url", "rating", "published_at", "text", "author_email"}
    assert errors["url"] == ["an http:// or https:// address"]
    assert errors["rating"] == ["0 to the scale's highest, 5"]
    assert errors["published_at"] == ["the time needs a time zone"]
    assert _errors(voice_data(rating=3))["rating_scale"]  # a rating needs its scale
    assert _errors(voice_data(text="a\x00b"))["text"] == ["contains a NUL character"]
    future = _errors(voice_data(published_at=datetime.now().astimezone() + timedelta(days=1)))
    assert future["published_at"] == ["that is in the future"]
    assert Voice.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.trustpilot.com/review/1", True),
        ("http://x.example/a?b=c", True),
        ("JavaScript:alert(1)", False),
        ("data:text/html,hi", False),
        ("//example.com/a", False),
        ("https://exa mple.com", False),
    ],
)
def test_only_http_and_https_addresses_are_kept(url, kept):
    assert (url_problem(url) is None) is kept


def test_a_success_manager_records_only_their_books_voices():
    manager = make_user(role=Role.SUCCESS_MANAGER)
    own = make_customer(owner=manager)
    theirs = make_customer(owner=make_user(role=Role.SUCCESS_MANAGER), email="x@example.com")
    assert make_voice(by=manager, customer_id=own.pk).customer_id == own.pk
    # Another's customer reads as none; an email of another's customer matches nothing.
    assert _errors(voice_data(customer_id=theirs.pk), by=manager)["customer_id"] == [
        f"no customer with id {theirs.pk}"
    ]
    assert _errors(voice_data(author_email="x@example.com"), by=manager)["customer_id"] == [
        UNMATCHED_WHY
    ]
    # An external id held by a voice outside their book: taken, nothing said of it.
    make_voice(external_id="held", customer_id=theirs.pk)
    held = _errors(voice_data(external_id="held", customer_id=own.pk), by=manager)
    assert held == {"external_id": [TAKEN]}
    with pytest.raises(AccessDenied):
        voice_record(by=make_user(role=Role.ANALYST), data=voice_data())


def test_matching_by_hand_and_leaving_unmatched():
    customer = make_customer()
    voice = make_voice()
    matched = voice_update(by=make_user(), voice_id=voice.pk, changes={"customer_id": customer.pk})
    assert matched.customer_id == customer.pk
    event = Event.objects.get(kind="voice.changed", subject_id=voice.pk)
    assert event.customer_id == customer.pk and event.data["fields"] == ["customer_id"]
    entry = LogEntry.objects.get_for_object(voice).filter(action=LogEntry.Action.UPDATE).get()
    assert "customer" in entry.changes_dict
    manager = make_user(role=Role.SUCCESS_MANAGER)
    customer.owner = manager
    customer.save()
    with pytest.raises(ValidationError) as refused:
        voice_update(by=manager, voice_id=voice.pk, changes={"customer_id": None})
    assert "customer_id" in refused.value.message_dict
    with pytest.raises(ValidationError):
        voice_update(by=manager, voice_id=voice.pk, changes={"text": "rewritten"})
    voice_delete(by=manager, voice_id=voice.pk)
    assert not Voice.objects.exists()
    assert Event.objects.filter(kind="voice.deleted", subject_id=voice.pk).count() == 1


def test_feedback_forms_are_made_by_admins_and_managers():
    made = feedback_form_save(by=make_user(), changes={"slug": "tell-us", "title": "Tell us"})
    assert (made.slug, made.question, made.rating_scale) == (
        "tell-us", "What would you like to tell us?", 5
    )  # fmt: skip
    with pytest.raises(AccessDenied):
        feedback_form_save(by=make_user(role=Role.SUCCESS_MANAGER), changes={"slug": "x"})
    with pytest.raises(ValidationError) as refused:
        feedback_form_save(by=None, changes={"slug": "a b", "title": "T", "rating_scale": 11})
    assert set(refused.value.message_dict) == {"slug", "rating_scale"}
    with pytest.raises(ValidationError) as taken:
        feedback_form_save(by=None, changes={"slug": "tell-us", "title": "Again"})
    assert taken.value.message_dict == {"slug": [TAKEN]}


def test_the_published_moment_dates_the_event():
    voice = make_voice(at=T0 + timedelta(days=3))
    event = Event.objects.get(kind="voice.recorded", subject_id=voice.pk)
    assert event.at == T0 + timedelta(days=3) and event.data["source_kind"] == "review_site"
    assert "text" not in event.data
