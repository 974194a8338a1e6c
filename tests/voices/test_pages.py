"""The voices' pages: the list and its filters, a voice with "attach to a customer", the
feedback forms, and the "voice" kind of the customer's and the account's timelines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tenure.customers.models import Customer
from tenure.customers.timeline import TIMELINE_KINDS, account_timeline, customer_timeline
from tenure.users.models import Role
from tenure.voices.models import FeedbackForm, Voice
from tests.api.helpers import Api
from tests.factories import T0, make_account, make_customer, make_order, make_user

from .helpers import make_voice

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_source_rating_and_matching(client):
    client.force_login(make_user(role=Role.ANALYST))
    customer = make_customer()
    review = make_voice(
        text="Five stars from Ann", rating=5, rating_scale=5, customer_id=customer.pk
    )
    tweet = make_voice(text="Meh from Bob", source_kind="social", source_name="Twitter/X")
    everything = client.get("/feedback/voices/").content.decode()
    assert "Five stars from Ann" in everything and "Meh from Bob" in everything
    assert "5 of 5" in everything and "Unmatched" in everything
    social = client.get("/feedback/voices/", {"source_kind": "social"}).content.decode()
    assert "Meh from Bob" in social and "Five stars" not in social
    unmatched = client.get("/feedback/voices/", {"matched": "false"}).content.decode()
    assert f"/feedback/voices/{tweet.pk}/" in unmatched
    assert f"/feedback/voices/{review.pk}/" not in unmatched
    rated = client.get("/feedback/voices/", {"rating_min": "4"}).content.decode()
    assert "Five stars" in rated and "Meh from Bob" not in rated
    refused = client.get("/feedback/voices/", {"published_after": "yesterday"})
    assert refused.status_code == 400 and "published_after" in refused.content.decode()


def test_a_voice_is_attached_by_email_and_its_link_is_kept_safe(client):
    manager = make_user()
    client.force_login(manager)
    customer = make_customer(email="grace@example.com")
    voice = make_voice(text="Nice", url="https://example.com/review/1")
    page = client.get(f"/feedback/voices/{voice.pk}/").content.decode()
    assert 'href="https://example.com/review/1"' in page and 'rel="noopener' in page
    wrong = client.post(f"/feedback/voices/{voice.pk}/attach/", {"customer": "nobody@x.org"})
    assert (
        wrong.status_code == 422 and "the email of one of your customers" in wrong.content.decode()
    )
    done = client.post(f"/feedback/voices/{voice.pk}/attach/", {"customer": "GRACE@example.com"})
    assert done.status_code == 302
    assert Voice.objects.get(pk=voice.pk).customer_id == customer.pk
    assert "javascript:" not in page


def test_feedback_forms_made_on_the_page(client):
    client.force_login(make_user())
    made = client.post(
        "/feedback/forms/",
        {"title": "Tell us", "slug": "tell-us", "rating_question": "How was it?",
         "rating_scale": "5", "ask_email": "on", "active": "on"},
    )  # fmt: skip
    form = FeedbackForm.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/feedback/forms/{form.pk}/"
    assert (form.slug, form.rating_question, form.ask_email, form.active) == (
        "tell-us", "How was it?", True, True
    )  # fmt: skip
    bad = client.post("/feedback/forms/", {"title": "X", "slug": "no spaces", "rating_scale": "5"})
    assert bad.status_code == 422 and "letters, digits" in bad.content.decode()
    closed = client.post(
        f"/feedback/forms/{form.pk}/", {"title": "Tell us", "slug": "tell-us", "rating_scale": "5"}
    )
    assert closed.status_code == 302 and FeedbackForm.objects.get().active is False
    assert "/f/tell-us/" in client.get("/feedback/forms/").content.decode()


def test_voices_are_a_kind_of_the_customers_timeline(client):
    account = make_account()
    customer = make_customer(account=account)
    make_order(customer=customer, placed_at=T0)
    voice = make_voice(customer_id=customer.pk, text="Loved the onboarding", at=T0 + timedelta(1))
    assert TIMELINE_KINDS["voice"] == "Comments and reviews"
    page = customer_timeline(customer=customer)
    assert next((e.kind, e.item.pk) for e in page.entries) == ("voice", voice.pk)
    only = customer_timeline(customer=customer, kinds={"voice"})
    assert [e.kind for e in only.entries] == ["voice"]
    of_account = account_timeline(
        account=account, customers=Customer.objects.filter(pk=customer.pk)
    )
    assert ("voice", voice.pk) in [(e.kind, e.item.pk) for e in of_account.entries]
    client.force_login(make_user())
    html = client.get(
        reverse("web:customer-timeline", args=[customer.pk]) + "?kind=voice",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Loved the onboarding" in html and f"/feedback/voices/{voice.pk}/" in html
    api = Api(client)
    items = api.get(f"/customers/{customer.pk}/timeline", kinds="voice").json()["items"]
    assert [(i["kind"], i["id"], i["status"]) for i in items] == [
        ("voice", voice.pk, "review_site")
    ]
    assert items[0]["summary"].startswith("Trustpilot: Loved the onboarding")


def test_the_admin_shows_voices_and_deletes_through_the_service(client):
    from tenure.events.models import Event

    client.force_login(make_user(role=Role.ADMIN))
    voice = make_voice(text="Said in the admin")
    assert client.get(reverse("admin:voices_voice_changelist"), {"q": "admin"}).status_code == 200
    assert client.get(reverse("admin:voices_voice_change", args=[voice.pk])).status_code == 200
    assert client.get(reverse("admin:voices_voice_add")).status_code == 403
    assert client.get(reverse("admin:voices_feedbackform_add")).status_code == 200
    deleted = client.post(reverse("admin:voices_voice_delete", args=[voice.pk]), {"post": "yes"})
    assert deleted.status_code == 302 and not Voice.objects.exists()
    assert Event.objects.filter(kind="voice.deleted", subject_id=voice.pk, via="admin").count() == 1
