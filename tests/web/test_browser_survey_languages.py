"""A survey with custom questions answered in German, in a real browser (Chromium, Playwright,
a live server, a real SMTP server on loopback): a manager sends it from its page to a customer
whose language is German; the email the server received is in German and its link opens the
page in German (a scale, a choice of several, free text); the customer answers 10 and the
thank-you page offers the review link; the survey's page shows the custom questions' results.
Screenshots are kept in var/test/screenshots/surveys/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.cache import cache

from tenure.users.models import Role
from tests.factories import PASSWORD, make_customer, make_user
from tests.mail.conftest import grant, smtp, smtp_server  # noqa: F401  (the fixtures)
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "surveys"
GERMAN = "Wie wahrscheinlich ist es, dass Sie Acme einem Freund empfehlen?"


@pytest.mark.browser
def test_a_custom_question_survey_is_answered_in_german_from_the_inbox(
    live_server,
    browser_page,  # noqa: F811
    smtp,  # noqa: F811
    settings,
):
    from playwright.sync_api import expect

    from tenure.feedback.models import SurveyResponse
    from tenure.feedback.questions import survey_question_add, survey_translation_save
    from tenure.mail.sending import mail_send_due
    from tests.feedback.survey_helpers import make_survey

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cache.clear()  # the answer page's rate limit counts in the cache
    settings.BASE_URL = live_server.url
    settings.MAIL_QUIET_HOURS = ""
    make_user(username="mia", role=Role.MANAGER, first_name="Mia")
    survey = make_survey(name="Nach der Lieferung", follow_up="What would make it a 10?",
                         review_url="https://reviews.example/acme")  # fmt: skip
    survey_question_add(by=None, survey_id=survey.pk, kind="scale", text="How easy was it?",
                        scale_min=1, scale_max=5, low_label="Hard", high_label="Easy",
                        required=True)  # fmt: skip
    survey_question_add(by=None, survey_id=survey.pk, kind="choice", text="What do you use?",
                        options=["Reports", "Exports", "The API"], multiple=True)  # fmt: skip
    survey_question_add(by=None, survey_id=survey.pk, kind="text", text="Anything else?")
    survey_translation_save(by=None, survey_id=survey.pk, language="de", texts={
        "question": GERMAN, "follow_up": "Was würde daraus eine 10 machen?",
        "questions": {"1": {"text": "Wie einfach war es?", "low_label": "Schwer",
                            "high_label": "Einfach"},
                      "2": {"text": "Was nutzen Sie?", "options": ["Berichte", "Exporte",
                                                                   "Die API"]},
                      "3": {"text": "Sonst noch etwas?"}},
    })  # fmt: skip
    anna = make_customer(external_id="C-DE", first_name="Anna", email="anna@beispiel.example",
                         custom_attributes={"language": "de"})  # fmt: skip
    grant(anna)

    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    send = page.locator("#survey-send-form")
    send.get_by_label("Or to customers by id (separated by commas)").fill(str(anna.pk))
    send.get_by_role("button", name="Send survey").click()
    expect(page.get_by_text("Nach der Lieferung: 1 invited.")).to_be_visible()

    mail_send_due()
    (received,) = smtp.messages
    assert received["To"] == "anna@beispiel.example"
    assert received["Subject"].endswith(": eine Frage an Sie")
    text = received.get_body(("plain",)).get_content()
    assert GERMAN in text and "Hier antworten" in text
    found = re.search(rf"{re.escape(live_server.url)}/s/[^/\s]+/", text)
    assert found is not None, text

    browser = page.context.browser
    assert browser is not None
    hers = browser.new_context(viewport={"width": 375, "height": 812}, locale="de-DE")
    try:
        answer = hers.new_page()
        answer.on("pageerror", lambda error: errors.append(str(error)))
        answer.goto(found.group(0))
        expect(answer.get_by_role("heading", name=GERMAN)).to_be_visible()
        assert answer.locator("html").get_attribute("lang") == "de"
        assert "Anna" not in answer.content()
        answer.get_by_role("button", name="Antwort senden").click()  # q1 is required
        expect(answer.locator("#q1-error")).to_have_text("Bitte prüfen Sie diese Antwort.")
        answer.get_by_role("radio", name="10 (Äußerst wahrscheinlich)").check()
        scale = answer.get_by_role("group", name="Wie einfach war es?")
        scale.get_by_role("radio", name="4", exact=True).check()
        answer.get_by_role("checkbox", name="Berichte").check()
        answer.get_by_role("checkbox", name="Die API").check()
        answer.get_by_label("Sonst noch etwas?").fill("Schnellere Exporte, bitte.")
        answer.get_by_label("Was würde daraus eine 10 machen?").fill("Nichts.")
        answer.screenshot(path=str(SCREENSHOTS / "10-german-answering.png"), full_page=True)
        answer.get_by_role("button", name="Antwort senden").click()
        expect(answer.get_by_role("heading", name="Vielen Dank")).to_be_visible()
        review = answer.get_by_role("link", name="Bewertung schreiben")
        expect(review).to_have_attribute("href", "https://reviews.example/acme")
        answer.screenshot(path=str(SCREENSHOTS / "11-german-thanks.png"), full_page=True)
    finally:
        hers.close()

    stored = SurveyResponse.objects.get()
    assert (stored.score, stored.comment) == (10, "Nichts.")
    items = stored.items.order_by("question__position")
    assert [(i.number, i.choices, i.text) for i in items] == [
        (4, [], ""), (None, [0, 2], ""), (None, [], "Schnellere Exporte, bitte."),
    ]  # fmt: skip

    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    expect(page.locator("#question-1")).to_contain_text("Mean 4.00")
    expect(page.locator("#question-2")).to_contain_text("Reports")
    expect(page.locator("#question-3")).to_contain_text("Schnellere Exporte, bitte.")
    expect(page.locator("#survey-translations")).to_contain_text(GERMAN)
    page.screenshot(path=str(SCREENSHOTS / "12-custom-results.png"), full_page=True)
    assert errors == []
