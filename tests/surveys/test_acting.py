"""Acting on answers: a playbook started by an answer's band (an NPS detractor, any low
answer), and a promoter asked for a review or a referral once per answer, by the
``ask_promoter`` step, through the mail ledger to a real SMTP server on loopback."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tenure.events.consumers import consumer_drain, consumer_position
from tenure.feedback.models import SurveyInvitation
from tenure.mail.models import Message
from tenure.mail.sending import mail_send_due
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.models import Enrollment, StepRun
from tenure.playbooks.services import playbook_create
from tenure.playbooks.triggers import TRIGGERS
from tenure.surveys.answering import survey_answer
from tenure.surveys.asking import promoter_ask
from tenure.surveys.sending import survey_send
from tests.factories import make_user
from tests.feedback.survey_helpers import consenting, make_survey, token_of
from tests.mail.conftest import smtp, smtp_server  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _triggers_from_now():
    consumer_position(TRIGGERS)  # the triggers follow from here, as on a running install


def _playbook(slug, match, steps=None):
    return playbook_create(by=None, data={
        "name": slug, "slug": slug, "enabled": True, "reentry": "every",
        "trigger": {"type": "event", "kind": "survey.answered", "match": match},
        "steps": steps or [{"kind": "task", "title": "Call {customer}"}],
    })  # fmt: skip


def _answer(survey, score, now, **customer):
    person = consenting(owner=make_user(), **customer)
    survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=now)
    invitation = SurveyInvitation.objects.get(customer=person, survey=survey)
    return person, survey_answer(token=token_of(invitation.pk), score=score, now=now).answer


def test_a_playbook_starts_on_an_nps_detractor_and_another_on_any_low_answer():
    now = timezone.now()
    detractors = _playbook("nps-detractors", {"kind": "nps", "band": "detractor"})
    low = _playbook("any-low-answer", {"low": True})
    nps, csat = make_survey(), make_survey(name="CSAT", kind="csat", question="Happy?")
    unhappy, unhappy_answer = _answer(nps, 3, now)
    passive, _ = _answer(nps, 8, now)
    dissatisfied, _ = _answer(csat, 1, now)
    satisfied, _ = _answer(csat, 5, now)
    consumer_drain(TRIGGERS)
    (enrolled,) = Enrollment.objects.filter(playbook=detractors)
    assert enrolled.customer_id == unhappy.pk
    assert (enrolled.subject, enrolled.subject_id) == ("survey_answer", unhappy_answer.pk)
    assert set(Enrollment.objects.filter(playbook=low).values_list("customer_id", flat=True)) == {
        unhappy.pk, dissatisfied.pk,
    }  # fmt: skip
    assert not Enrollment.objects.filter(customer__in=[passive, satisfied]).exists()
    consumer_drain(TRIGGERS)  # delivered again: nobody enrolled twice
    assert Enrollment.objects.count() == 3


def test_a_promoter_is_asked_for_a_review_once_per_answer_by_two_playbooks(smtp, settings):  # noqa: F811
    settings.MAIL_QUIET_HOURS = ""
    settings.MAIL_CAP = ""
    now = timezone.now()
    steps = [{"kind": "ask_promoter", "ask": "review"}]
    first = _playbook("ask-promoters", {"band": "promoter"}, steps)
    second = _playbook("ask-nps-promoters", {"kind": "nps", "band": "promoter"}, steps)
    survey = make_survey(review_url="https://reviews.example/acme")
    fan, answer = _answer(survey, 10, now, email="fan@example.com")
    _answer(survey, 2, now)  # a detractor: enrolled nowhere
    consumer_drain(TRIGGERS)
    now = timezone.now()  # the enrolments are due from when the triggers ran
    enrollments_advance(now=now)
    (asked,) = Message.objects.filter(source="survey-ask:review")
    assert (asked.customer_id, asked.key) == (
        fan.pk,
        f"survey-ask:review:ask:{fan.pk}:a{answer.pk}",
    )
    assert asked.context["link"] == "https://reviews.example/acme"
    details = sorted(
        StepRun.objects.filter(kind="ask_promoter").values_list("enrollment__playbook_id", "detail")
    )
    assert details == [(first.pk, f"message {asked.pk} queued"),
                       (second.pk, f"message {asked.pk} queued already")]  # fmt: skip
    mail_send_due(now=now)
    review = [m for m in smtp.messages if "review" in m["Subject"]]
    assert len(review) == 1 and review[0]["To"] == "fan@example.com"
    assert "https://reviews.example/acme" in review[0].get_body(("plain",)).get_content()


def test_a_referral_ask_carries_the_customers_own_link_and_nothing_is_asked_without_one():
    now = timezone.now()
    survey = make_survey(referral_url="https://acme.example/refer?src=mail")
    _, answer = _answer(survey, 9, now, external_id="C-FAN")
    asked = promoter_ask(answer=answer, ask="referral", now=now)
    assert asked.new and asked.message is not None
    assert asked.message.context["link"] == "https://acme.example/refer?src=mail&ref=C-FAN"
    again = promoter_ask(answer=answer, ask="referral", now=now)
    assert again.message is not None and (again.new, again.message.pk) == (False, asked.message.pk)
    no_review = promoter_ask(answer=answer, ask="review", now=now)
    assert (no_review.message, no_review.reason) == (
        None, f"the survey “{survey.name}” has no review link"
    )  # fmt: skip
    _, passive = _answer(survey, 8, now)
    assert promoter_ask(answer=passive, ask="referral", now=now).reason == "NPS 8 is not positive"
    assert Message.objects.filter(source__startswith="survey-ask").count() == 1
