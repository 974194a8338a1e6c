"""The public feedback form (/f/<slug>/): no login, CSRF, one voice per submission, a honeypot,
a rate limit per address, and nothing on the page that tells whether an email matched."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tenure.events.models import Event
from tenure.voices.models import SourceKind, Voice
from tenure.voices.services import feedback_form_save
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the rate limit's windows live in the cache
    yield
    cache.clear()


def _form(**changes):
    fields = {"slug": "tell-us", "title": "Tell us", "intro": "We read everything.",
              "rating_question": "How was it?", "rating_scale": 5, **changes}  # fmt: skip
    return feedback_form_save(by=None, changes=fields)


def _opened(browser: Client, url: str) -> dict[str, str]:
    page = browser.get(url)
    assert page.status_code == 200
    submission = re.search(r'name="submission" value="([^"]+)"', page.content.decode())
    assert submission is not None
    return {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
            "submission": submission.group(1)}  # fmt: skip


def test_an_answer_becomes_a_voice_once_and_matches_a_customer_silently():
    form = _form()
    customer = make_customer(first_name="Grace", last_name="Hopperina", email="grace@example.com")
    browser = Client(enforce_csrf_checks=True)
    sent = _opened(browser, "/f/tell-us/")
    assert Client(enforce_csrf_checks=True).post("/f/tell-us/", {"text": "Hi"}).status_code == 403
    answer = {**sent, "text": "Great <b>support</b>", "rating": "4", "email": "grace@example.com"}
    thanks = browser.post("/f/tell-us/", answer)
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()
    assert browser.post("/f/tell-us/", answer).status_code == 200  # posted twice: one voice
    voice = Voice.objects.get()
    assert (voice.source_kind, voice.source_name, voice.form_id) == (
        SourceKind.FEEDBACK_FORM, "Tell us", form.pk
    )  # fmt: skip
    assert (voice.text, voice.rating, voice.rating_scale) == ("Great <b>support</b>", 4, 5)
    assert voice.customer_id == customer.pk
    assert Event.objects.filter(kind="voice.recorded", subject_id=voice.pk).count() == 1
    # A stranger's answer gets the very same page: nothing tells the two apart.
    other = _opened(browser, "/f/tell-us/")
    stranger = browser.post(
        "/f/tell-us/", {**other, "text": "Hello", "email": "nobody@example.com"}
    )
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", stranger.content.decode()) == strip.sub("", thanks.content.decode())
    for private in ("Grace", "Hopperina", customer.external_id):
        assert private not in thanks.content.decode()
    assert Voice.objects.get(text="Hello").customer_id is None


def test_a_bot_filling_the_honeypot_is_thanked_and_nothing_is_stored():
    _form()
    browser = Client()
    sent = _opened(browser, "/f/tell-us/")
    response = browser.post("/f/tell-us/", {**sent, "text": "Buy pills", "website": "spam.example"})
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert not Voice.objects.exists()


def test_bad_input_keeps_the_page_with_the_reason():
    _form()
    browser = Client()
    sent = _opened(browser, "/f/tell-us/")
    empty = browser.post("/f/tell-us/", {**sent, "text": "  ", "rating": "9", "email": "x@"})
    html = empty.content.decode()
    assert empty.status_code == 422
    assert "Please write a few words." in html and "Choose a rating from 1 to 5." in html
    assert "That does not look like an email address" in html
    forged = browser.post("/f/tell-us/", {"text": "Hi", "submission": "not-a-uuid"})
    assert forged.status_code == 422
    assert not Voice.objects.exists()


def test_a_closed_or_unknown_form_says_so():
    _form(active=False)
    assert Client().get("/f/tell-us/").status_code == 404
    assert Client().get("/f/nothing-here/").status_code == 404


def test_requests_past_the_limit_get_429(settings):
    _form()
    settings.FEEDBACK_FORM_RATE_PER_ADDRESS = 3
    browser = Client()
    assert [browser.get("/f/tell-us/").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = browser.get("/f/tell-us/")
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/f/tell-us/").status_code == 200  # counted per address
    settings.FEEDBACK_FORM_RATE_PER_ADDRESS = 100
    settings.FEEDBACK_FORM_ANSWERS_PER_ADDRESS = 2
    answers = [other.post("/f/tell-us/", {"text": "hi"}).status_code for _ in range(3)]
    assert answers == [422, 422, 429]  # no submission id: refused, and counted
