"""Custom questions (scale, choice, free text), translations and the language a customer gets,
answers to custom questions checked and stored in columns, their results with hand-worked
intervals, what an invitation is about (contact, order) and the band an answer's event names."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.customers.models import Contact
from tenure.events.models import Event
from tenure.feedback.models import SurveyAnswerItem, SurveyInvitation, SurveyResponse
from tenure.feedback.question_selectors import mean_interval, question_results
from tenure.feedback.questions import (
    customer_language,
    survey_question_add,
    survey_question_delete,
    survey_texts,
    survey_translation_save,
)
from tenure.feedback.surveys import SurveyRefused
from tenure.mail.models import Message
from tenure.surveys.answering import survey_answer
from tenure.surveys.sending import Recipient, survey_send
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_order, make_user

from .survey_helpers import consenting, make_survey, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def _survey_with_questions(**fields):
    survey = make_survey(follow_up="What would make it a 10?", **fields)
    scale = survey_question_add(
        by=None, survey_id=survey.pk, kind="scale", text="How easy was the set-up?",
        scale_min=1, scale_max=7, low_label="Very hard", high_label="Very easy", required=True,
    )  # fmt: skip
    choice = survey_question_add(
        by=None, survey_id=survey.pk, kind="choice", text="What do you use most?",
        options=["Reports", "Exports", "The API"], multiple=True,
    )  # fmt: skip
    text = survey_question_add(by=None, survey_id=survey.pk, kind="text", text="Anything else?")
    return survey, scale, choice, text


def _link(survey, now, **customer):
    person = consenting(**customer)
    survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=now)
    invitation = SurveyInvitation.objects.get(customer=person, survey=survey)
    return person, invitation, token_of(invitation.pk)


GERMAN = {
    "question": "Wie wahrscheinlich ist es, dass Sie uns einem Freund empfehlen?",
    "follow_up": "Was würde daraus eine 10 machen?",
    "questions": {
        "1": {"text": "Wie einfach war die Einrichtung?", "low_label": "Sehr schwer",
              "high_label": "Sehr einfach"},
        "2": {"text": "Was nutzen Sie am meisten?",
              "options": ["Berichte", "Exporte", "Die API"]},
        "3": {"text": "Sonst noch etwas?"},
    },
}  # fmt: skip


def test_questions_are_numbered_in_order_and_refused_by_field():
    survey, scale, choice, _ = _survey_with_questions()
    assert [(q.position, q.field, q.kind) for q in survey.questions.all()] == [
        (1, "q1", "scale"), (2, "q2", "choice"), (3, "q3", "text"),
    ]  # fmt: skip
    assert (scale.scale_min, scale.scale_max) == (1, 7)
    assert choice.options == ["Reports", "Exports", "The API"] and choice.multiple
    with pytest.raises(ValidationError) as bad_scale:
        survey_question_add(by=None, survey_id=survey.pk, kind="scale", text="?", scale_min=5,
                            scale_max=5)  # fmt: skip
    assert bad_scale.value.message_dict == {"scale_max": ["must be above the lowest answer"]}
    with pytest.raises(ValidationError) as bad_choice:
        survey_question_add(by=None, survey_id=survey.pk, kind="choice", text="",
                            options=["Only one"])  # fmt: skip
    assert bad_choice.value.message_dict == {
        "text": ["write the question"], "options": ["give 2 to 20 choices, got 1"],
    }  # fmt: skip
    with pytest.raises(ValidationError) as twice:
        survey_question_add(by=None, survey_id=survey.pk, kind="choice", text="?",
                            options=["Yes", "yes"])  # fmt: skip
    assert twice.value.message_dict == {"options": ["each choice once"]}
    with pytest.raises(ValidationError) as kind:
        survey_question_add(by=None, survey_id=survey.pk, kind="slider", text="?")
    assert list(kind.value.message_dict) == ["kind"]
    assert survey.questions.count() == 3  # nothing refused was stored


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SUCCESS_MANAGER])
def test_only_admins_and_managers_change_questions_and_translations(role):
    survey = make_survey()
    user = make_user(role=role)
    with pytest.raises(AccessDenied):
        survey_question_add(by=user, survey_id=survey.pk, kind="text", text="Anything else?")
    with pytest.raises(AccessDenied):
        survey_translation_save(by=user, survey_id=survey.pk, language="de", texts=GERMAN)
    manager = make_user(role=Role.MANAGER)
    made = survey_question_add(by=manager, survey_id=survey.pk, kind="text", text="Else?")
    with pytest.raises(AccessDenied):
        survey_question_delete(by=user, question_id=made.pk)
    assert survey.questions.count() == 1


def test_a_translation_is_saved_only_complete_and_each_missing_text_is_named():
    survey, *_ = _survey_with_questions()
    partial = {"question": "Empfehlen?", "questions": {"2": {"text": "Was?", "options": ["A"]}}}
    with pytest.raises(ValidationError) as refused:
        survey_translation_save(by=None, survey_id=survey.pk, language="de", texts=partial)
    assert refused.value.message_dict == {
        "follow_up": ["the follow-up question is needed"],
        "questions.1.text": ["the translation of “How easy was the set-up?” is needed"],
        "questions.1.low_label": ["the words at this end of the scale are needed"],
        "questions.1.high_label": ["the words at this end of the scale are needed"],
        "questions.2.options": ["3 choices, in the same order"],
        "questions.3.text": ["the translation of “Anything else?” is needed"],
    }
    with pytest.raises(ValidationError) as own:
        survey_translation_save(by=None, survey_id=survey.pk, language="en", texts=GERMAN)
    assert list(own.value.message_dict) == ["language"]
    saved = survey_translation_save(by=None, survey_id=survey.pk, language="DE", texts=GERMAN)
    assert saved.language == "de" and saved.questions["2"]["options"][2] == "Die API"
    again = survey_translation_save(
        by=None, survey_id=survey.pk, language="de", texts={**GERMAN, "question": "Empfehlen?"}
    )
    assert again.pk == saved.pk and survey.translations.get().question == "Empfehlen?"


def test_the_texts_of_a_language_fall_back_to_the_surveys_own_and_say_so():
    survey, *_ = _survey_with_questions()
    survey_translation_save(by=None, survey_id=survey.pk, language="de", texts=GERMAN)
    german = survey_texts(survey, "de-AT")  # Austrian German: German
    assert (german.language, german.fallback, german.question) == ("de", False, GERMAN["question"])
    assert [q.text for q in german.questions] == [
        "Wie einfach war die Einrichtung?", "Was nutzen Sie am meisten?", "Sonst noch etwas?",
    ]  # fmt: skip
    assert german.questions[1].options == ["Berichte", "Exporte", "Die API"]
    assert german.questions[0].low_label == "Sehr schwer"
    french = survey_texts(survey, "fr")
    assert (french.language, french.wanted, french.fallback) == ("en", "fr", True)
    assert french.question == survey.question
    assert survey_texts(survey, "").fallback is False
    # A question added after the translation is shown in the survey's own words.
    survey_question_add(by=None, survey_id=survey.pk, kind="text", text="Who else uses it?")
    assert survey_texts(survey, "de").questions[3].text == "Who else uses it?"


def test_a_customers_language_is_their_imported_attribute():
    assert customer_language({"language": "de"}) == "de"
    assert customer_language({"locale": "pt_BR"}) == "pt-br"
    assert customer_language({"language": "not a language!"}) == ""
    assert customer_language({}) == "" and customer_language(None) == ""


def test_the_invitation_goes_in_the_customers_language_when_the_survey_has_it(now):
    survey, *_ = _survey_with_questions()
    survey_translation_save(by=None, survey_id=survey.pk, language="de", texts=GERMAN)
    anna = consenting(custom_attributes={"language": "de"})
    pierre = consenting(custom_attributes={"language": "fr"})
    survey_send(by=None, survey_id=survey.pk, customer_ids=[anna.pk, pierre.pk], now=now)
    invited = dict(SurveyInvitation.objects.values_list("customer_id", "language"))
    assert invited == {anna.pk: "de", pierre.pk: "fr"}
    german = Message.objects.get(customer=anna)
    assert german.subject.endswith(": eine Frage an Sie")
    assert german.context["question"] == GERMAN["question"]
    assert german.context["answer_here"] == "Hier antworten"
    french = Message.objects.get(customer=pierre)  # no French translation: the survey's own
    assert french.context["question"] == survey.question
    assert french.subject.endswith(": a question for you")
    # A language chosen for the send wins over the customer's.
    other = make_survey(name="Other")
    survey_send(by=None, survey_id=other.pk, customer_ids=[anna.pk], now=now, language="es")
    assert SurveyInvitation.objects.get(survey=other).language == "es"
    with pytest.raises(ValidationError) as bad:
        survey_send(by=None, survey_id=other.pk, customer_ids=[anna.pk], now=now, language="?!")
    assert list(bad.value.message_dict) == ["language"]


def test_an_invitation_is_about_a_contact_and_an_order_of_the_customer_only(now):
    survey = make_survey()
    account = make_account()
    person = consenting(account=account)
    contact = Contact.objects.create(account=account, first_name="Ada")
    elsewhere = Contact.objects.create(account=make_account(), first_name="Eve")
    order = make_order(customer=person)
    theirs = make_order(customer=make_customer())
    with pytest.raises(ValidationError) as refused:
        survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=now,
                    recipients={person.pk: Recipient(elsewhere.pk, theirs.pk)})  # fmt: skip
    assert refused.value.message_dict == {
        "contact_id": [f"customer {person.pk}: no contact {elsewhere.pk} in their account"],
        "order_id": [f"customer {person.pk}: no order {theirs.pk}"],
    }
    assert not SurveyInvitation.objects.exists()
    survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=now,
                recipients={person.pk: Recipient(contact.pk, order.pk)})  # fmt: skip
    invitation = SurveyInvitation.objects.get()
    assert (invitation.account_id, invitation.contact_id, invitation.order_id) == (
        account.pk, contact.pk, order.pk
    )  # fmt: skip
    answered = survey_answer(token=token_of(invitation.pk), score=9, now=now)
    assert answered.answer.order_id == order.pk  # the answer is about the order too


def test_custom_answers_are_checked_by_field_and_nothing_is_written_when_refused(now):
    survey, scale, choice, text = _survey_with_questions()
    _, invitation, token = _link(survey, now)
    with pytest.raises(ValidationError) as refused:
        survey_answer(token=token, score=9, now=now,
                      answers={"q2": ["0", "7"], "q3": "x" * 5001, "q9": "?"})  # fmt: skip
    assert refused.value.message_dict == {
        "q1": ["please answer this question"],
        "q2": ["choose among the 3 choices given"],
        "q3": ["at most 5,000 characters"],
        "q9": ["no such question in this survey"],
    }
    with pytest.raises(ValidationError) as off:
        survey_answer(token=token, score=11, now=now, answers={"q1": "8"})
    assert off.value.message_dict == {
        "score": ["choose a score from 0 to 10"], "q1": ["choose one answer from 1 to 7"],
    }  # fmt: skip
    assert not SurveyResponse.objects.exists() and not SurveyAnswerItem.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is None  # the link still works

    answered = survey_answer(
        token=token, score="9", now=now, answers={"q1": "6", "q2": ["2", "0"], "q3": " Faster "}
    )
    items = {i.question_id: i for i in answered.answer.items.all()}
    assert (items[scale.pk].number, items[choice.pk].choices, items[text.pk].text) == (
        6, [0, 2], "Faster"
    )  # fmt: skip
    with pytest.raises(SurveyRefused):
        survey_answer(token=token, score=3, now=now, answers={"q1": "1"})
    assert SurveyAnswerItem.objects.count() == 3
    with pytest.raises(ValidationError) as answered_question:
        survey_question_delete(by=None, question_id=scale.pk)
    assert answered_question.value.message_dict["question"][0].startswith("it has 1 answer:")


def test_one_choice_only_unless_several_are_allowed(now):
    survey = make_survey()
    single = survey_question_add(by=None, survey_id=survey.pk, kind="choice", text="Plan?",
                                 options=["Basic", "Pro"])  # fmt: skip
    _, _, token = _link(survey, now)
    with pytest.raises(ValidationError) as refused:
        survey_answer(token=token, score=10, now=now, answers={"q1": ["0", "1"]})
    assert refused.value.message_dict == {"q1": ["choose one"]}
    survey_answer(token=token, score=10, now=now, answers={"q1": "1"})
    assert SurveyAnswerItem.objects.get(question=single).choices == [1]


def test_results_hand_worked_a_scales_t_interval_and_a_choices_wilson_interval(now):
    survey, scale, choice, text = _survey_with_questions()
    answers = [
        {"q1": "3", "q2": ["0", "1"], "q3": "More reports"},
        {"q1": "4", "q2": ["0"]},
        {"q1": "5", "q2": ["2"], "q3": "Faster exports"},
        {"q1": "4", "q2": []},  # left empty: no answer to q2
    ]
    for i, given in enumerate(answers):
        _, _, token = _link(survey, now, email=f"p{i}@example.com")
        survey_answer(token=token, score=9, now=now, answers=given)
    results = {r.question.pk: r for r in question_results(user=None, survey=survey)}
    # q1: 3, 4, 5, 4: mean 4, s = sqrt(2/3) = 0.8165, se = 0.40825, t(0.975, 3) = 3.18245,
    # half 1.29924: (2.70076, 5.29924).
    q1 = results[scale.pk]
    assert q1.n == 4 and q1.mean == pytest.approx(4.0)
    assert (q1.low, q1.high) == (pytest.approx(2.70076, abs=1e-4), pytest.approx(5.29924, abs=1e-4))
    assert q1.values == [(1, 0), (2, 0), (3, 1), (4, 2), (5, 1), (6, 0), (7, 0)]
    # q2: 3 answered; Reports ticked by 2 of 3: Wilson (z = 1.96) centre (2 + 1.9208) / 6.8415
    # = 0.57308, half 1.96 * sqrt(3) / 6.8415 * sqrt(2/9 + 3.8415/12) = 0.49620 * 0.73644
    # = 0.36542: (0.20766, 0.93851).
    q2 = results[choice.pk]
    assert q2.n == 3
    reports = q2.options[0]
    assert (reports.count, reports.share) == (2, pytest.approx(2 / 3))
    assert reports.low == pytest.approx(0.20766, abs=2e-4)
    assert reports.high == pytest.approx(0.93851, abs=2e-4)
    assert sum(o.count for o in q2.options) == 4  # several allowed: 4 ticks from 3 answers
    q3 = results[text.pk]
    assert q3.n == 2 and set(q3.texts) == {"More reports", "Faster exports"}
    # A success manager sees their own book's answers only: none here.
    mine = question_results(user=make_user(role=Role.SUCCESS_MANAGER), survey=survey)
    assert [r.n for r in mine] == [0, 0, 0] and mine[0].mean is None


def test_the_mean_interval_of_one_answer_is_none_and_it_stays_on_the_scale():
    assert mean_interval([], 1, 5) == (None, None, None)
    assert mean_interval([4], 1, 5) == (4.0, None, None)
    # 1 and 5: mean 3, s 2.828, se 2, t(0.975, 1) = 12.706: the interval covers the whole scale.
    assert mean_interval([1, 5], 1, 5) == (3.0, 1, 5)


def test_an_answers_event_names_its_band_for_the_triggers(now):
    survey = make_survey()
    csat = make_survey(name="CSAT", kind="csat", question="Happy?")
    for score, kind_survey in ((3, survey), (8, survey), (10, survey), (2, csat), (5, csat)):
        _, _, token = _link(kind_survey, now)
        survey_answer(token=token, score=score, now=now)
    data = [
        (e.data["kind"], e.data["score"], e.data["band"], e.data["low"])
        for e in Event.objects.filter(kind="survey.answered").order_by("pk")
    ]
    assert data == [
        ("nps", 3, "detractor", True), ("nps", 8, "passive", False),
        ("nps", 10, "promoter", False), ("csat", 2, "dissatisfied", True),
        ("csat", 5, "satisfied", False),
    ]  # fmt: skip
