"""The answer page with custom questions in the customer's language (the fallback said when the
survey has none), refusals by field in the page's words, the thank-you page's review link for
a promoter; and the survey's page: questions, translations and links made and removed by
admins and managers, refused to the others, results shown with their intervals."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tenure.feedback.models import SurveyInvitation, SurveyQuestion, SurveyResponse
from tenure.feedback.questions import survey_question_add, survey_translation_save
from tenure.surveys.answering import survey_answer
from tenure.surveys.sending import survey_send
from tenure.users.models import Role
from tests.factories import make_user
from tests.feedback.survey_helpers import consenting, make_survey, token_of

pytestmark = pytest.mark.django_db

GERMAN = {
    "question": "Wie wahrscheinlich ist es, dass Sie uns empfehlen?",
    "follow_up": "Was würde daraus eine 10 machen?",
    "questions": {
        "1": {"text": "Wie einfach war die Einrichtung?", "low_label": "Sehr schwer",
              "high_label": "Sehr einfach"},
        "2": {"text": "Was nutzen Sie am meisten?",
              "options": ["Berichte", "Exporte", "Die API"]},
    },
}  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the rate limit's windows live in the cache
    yield
    cache.clear()


def _survey(**fields):
    survey = make_survey(follow_up="What would make it a 10?", **fields)
    survey_question_add(
        by=None, survey_id=survey.pk, kind="scale", text="How easy was the set-up?",
        scale_min=1, scale_max=7, low_label="Very hard", high_label="Very easy", required=True,
    )  # fmt: skip
    survey_question_add(by=None, survey_id=survey.pk, kind="choice", text="What do you use most?",
                        options=["Reports", "Exports", "The API"], multiple=True)  # fmt: skip
    survey_translation_save(by=None, survey_id=survey.pk, language="de", texts=GERMAN)
    return survey


def _link(survey, language: str) -> str:
    person = consenting(custom_attributes={"language": language} if language else {})
    survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=timezone.now())
    invitation = SurveyInvitation.objects.get(customer=person, survey=survey)
    return f"/s/{token_of(invitation.pk)}/"


def test_a_german_customer_gets_the_page_in_german_with_the_custom_questions():
    url = _link(_survey(), "de")
    response = Client().get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="de">' in html
    assert GERMAN["question"] in html and "Was würde daraus eine 10 machen?" in html
    assert "Wie einfach war die Einrichtung?" in html and "(Sehr einfach)" in html
    assert html.count('type="radio" name="q1"') == 7
    assert html.count('type="checkbox" name="q2"') == 3 and "Die API" in html
    assert "Antwort senden" in html and "(Äußerst wahrscheinlich)" in html
    assert "How easy" not in html and "survey-language-note" not in html


def test_a_language_the_survey_lacks_falls_back_and_says_so():
    html = Client().get(_link(_survey(), "fr")).content.decode()
    assert '<html lang="en">' in html
    assert "This survey is not available in français yet; it is shown in English." in html
    assert "How easy was the set-up?" in html and "Send my answer" in html
    plain = Client().get(_link(_survey(name="Plain"), "")).content.decode()
    assert "survey-language-note" not in plain


def test_a_refused_answer_is_said_by_field_in_the_pages_words_and_records_nothing():
    url = _link(_survey(), "de")
    client = Client()
    client.get(url)
    response = client.post(url, {"score": "9", "q2": ["0", "9"]})
    html = response.content.decode()
    assert response.status_code == 422
    assert html.count("Bitte prüfen Sie diese Antwort.") == 2  # q1 is required; q2 has no 9th
    assert 'id="q1-error"' in html and 'id="q2-error"' in html
    assert 'value="0" checked' in html  # what was ticked stays ticked
    assert not SurveyResponse.objects.exists()


def test_a_promoter_is_thanked_with_the_review_link_and_a_detractor_without():
    survey = _survey(review_url="https://reviews.example/acme")
    client = Client()
    url = _link(survey, "de")
    client.get(url)
    thanks = client.post(url, {"score": "10", "q1": "6", "q2": ["0", "2"], "comment": "Super"})
    html = thanks.content.decode()
    assert thanks.status_code == 200 and "Vielen Dank" in html
    assert 'href="https://reviews.example/acme"' in html and "Bewertung schreiben" in html
    answer = SurveyResponse.objects.get()
    items = answer.items.order_by("question__position")
    assert [(i.question.field, i.number, i.choices) for i in items] == [
        ("q1", 6, []), ("q2", None, [0, 2]),
    ]  # fmt: skip
    other = _link(survey, "")
    client.get(other)
    low = client.post(other, {"score": "4", "q1": "2"}).content.decode()
    assert "Thank you" in low and "reviews.example" not in low


def test_managers_add_and_remove_questions_and_translations_on_the_survey_page():
    survey = make_survey(follow_up="Why?")
    client = Client()
    client.force_login(make_user(role=Role.MANAGER))
    added = client.post(f"/surveys/{survey.pk}/questions/", {
        "kind": "choice", "text": "Which plan?", "options": "Basic\nPro\n", "multiple": "on",
    })  # fmt: skip
    assert added.status_code == 302
    question = SurveyQuestion.objects.get(survey=survey)
    assert (question.options, question.multiple, question.field) == (["Basic", "Pro"], True, "q1")
    refused = client.post(f"/surveys/{survey.pk}/questions/",
                          {"kind": "scale", "text": "Rate", "scale_min": "3", "scale_max": "2"},
                          follow=True)  # fmt: skip
    assert "scale_max: must be above the lowest answer" in refused.content.decode()
    translated = client.post(f"/surveys/{survey.pk}/translations/", {
        "language": "de", "question": "Empfehlen?", "follow_up": "Warum?",
        "q1_text": "Welcher Tarif?", "q1_options": "Basis\nPro",
    }, follow=True)  # fmt: skip
    page = translated.content.decode()
    assert "Translation “de” saved." in page and "Empfehlen?" in page
    assert survey.translations.get().questions == {"1": {"text": "Welcher Tarif?",
                                                         "options": ["Basis", "Pro"]}}  # fmt: skip
    missing = client.post(f"/surveys/{survey.pk}/translations/",
                          {"language": "fr", "question": "Recommander ?"}, follow=True)  # fmt: skip
    assert "follow_up: the follow-up question is needed" in missing.content.decode()
    client.post(f"/surveys/{survey.pk}/edit/",
                {"review_url": "https://reviews.example/x", "active": "on"})  # fmt: skip
    survey.refresh_from_db()
    assert (survey.review_url, survey.active) == ("https://reviews.example/x", True)
    bad_link = client.post(f"/surveys/{survey.pk}/edit/", {"review_url": "not a link"}, follow=True)
    assert "review_url:" in bad_link.content.decode()
    client.post(f"/surveys/{survey.pk}/translations/delete/", {"language": "de"})
    client.post(f"/surveys/questions/{question.pk}/delete/")
    assert not survey.translations.exists() and not survey.questions.exists()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SUCCESS_MANAGER])
def test_the_other_roles_read_the_page_but_change_nothing(role):
    survey = _survey()
    client = Client()
    client.force_login(make_user(role=role))
    page = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert "How easy was the set-up?" in page and 'id="question-form"' not in page
    for url, data in (
        (f"/surveys/{survey.pk}/questions/", {"kind": "text", "text": "Else?"}),
        (f"/surveys/{survey.pk}/translations/delete/", {"language": "de"}),
        (f"/surveys/questions/{survey.questions.first().pk}/delete/", {}),
        (f"/surveys/{survey.pk}/edit/", {"active": ""}),
    ):
        assert client.post(url, data).status_code == 403
    assert survey.questions.count() == 2 and survey.translations.count() == 1
    survey.refresh_from_db()
    assert survey.active


def test_the_survey_page_shows_each_questions_results_with_intervals():
    survey = _survey()
    for i, (score, given) in enumerate([(9, {"q1": "3", "q2": ["0"]}), (7, {"q1": "5"})]):
        person = consenting(email=f"r{i}@example.com")
        survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=timezone.now())
        invitation = SurveyInvitation.objects.get(customer=person)
        survey_answer(token=token_of(invitation.pk), score=score, now=timezone.now(),
                      answers=given)  # fmt: skip
    client = Client()
    client.force_login(make_user(role=Role.ANALYST))
    html = client.get(f"/surveys/{survey.pk}/").content.decode()
    # q1: 3 and 5, mean 4, s 1.414, se 1, t(0.975, 1) 12.706: clipped to the scale, 1 to 7.
    assert 'Mean <span class="strong">4.00</span>' in html
    assert "(95 % interval 1.00 to 7.00)" in html
    assert "2 answers: few answers, read with care" in html
    # q2: Reports 1 of 1: 100 %, Wilson (0.21, 1.0)
    assert (
        '<td>Reports</td><td class="num">1</td><td class="num">100 %</td><td>21 to 100 %</td>'
        in html
    )
