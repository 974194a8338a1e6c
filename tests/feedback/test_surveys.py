"""Surveys sent by email and answered by link: one invitation and one message per key, consent
respected, a link refused when tampered with, expired or answered, and a low answer followed
up by exactly one task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.customers.models import Consent, ConsentPurpose
from tenure.feedback.models import SurveyInvitation, SurveyResponse
from tenure.feedback.survey_selectors import survey_rows, survey_send_rows
from tenure.feedback.surveys import SurveyRefused, survey_create
from tenure.feedback.tokens import survey_token_read
from tenure.mail.models import Message, Suppression
from tenure.surveys.answering import survey_answer
from tenure.surveys.sending import NO_ADDRESS, NO_CONSENT, SUPPRESSED, UNKNOWN, survey_send
from tenure.todos.models import Task
from tenure.users.models import Role
from tests.factories import make_customer, make_user

from .survey_helpers import consenting, make_survey, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def _invite(survey, customer, now, **kw):
    result = survey_send(by=None, survey_id=survey.pk, customer_ids=[customer.pk], now=now, **kw)
    return result, SurveyInvitation.objects.get(customer=customer, survey=survey)


def test_send_invites_once_per_key_and_queues_one_message_with_the_link(now):
    survey = make_survey()
    owner = make_user()
    customer = consenting(owner=owner)
    result = survey_send(by=owner, survey_id=survey.pk, customer_ids=[customer.pk], now=now)
    assert (result.invited, result.already, result.skipped_count) == (1, 0, 0)
    again = survey_send(by=owner, survey_id=survey.pk, customer_ids=[customer.pk], now=now)
    assert (again.invited, again.already) == (0, 1)
    invitation = SurveyInvitation.objects.get()
    assert invitation.account_id == customer.account_id
    assert invitation.expires_at == now + timedelta(days=30)
    message = Message.objects.get()
    assert message.kind == "marketing" and message.topic == ConsentPurpose.EMAIL_MARKETING
    # The link's token names the invitation (tokens carry their signing second: compared by it).
    token = message.context["survey_url"].rstrip("/").rsplit("/", 1)[1]
    assert survey_token_read(token) == invitation.pk
    assert message.valid_until == invitation.expires_at
    # Another day is another occurrence: a new invitation.
    later = survey_send(
        by=owner, survey_id=survey.pk, customer_ids=[customer.pk], now=now + timedelta(days=2)
    )
    assert later.invited == 1 and SurveyInvitation.objects.count() == 2


def test_customers_who_may_not_be_mailed_get_no_invitation_and_are_counted(now):
    survey = make_survey()
    fine = consenting()
    refused = make_customer()
    Consent.objects.create(
        customer=refused, purpose=ConsentPurpose.EMAIL_MARKETING, granted=False, changed_at=now
    )
    silent = make_customer()  # never asked: no consent
    no_address = consenting(email="")
    blocked = consenting()
    Suppression.objects.create(address=blocked.email.lower(), suppressed_at=now)
    ids = [fine.pk, refused.pk, silent.pk, no_address.pk, blocked.pk, 999_999]
    result = survey_send(by=None, survey_id=survey.pk, customer_ids=ids, now=now)
    assert result.invited == 1
    assert dict(result.skipped) == {NO_CONSENT: 2, NO_ADDRESS: 1, SUPPRESSED: 1, UNKNOWN: 1}
    assert "1 invited" in result.words() and "2 not invited: no consent" in result.words()
    assert list(SurveyInvitation.objects.values_list("customer_id", flat=True)) == [fine.pk]
    assert list(Message.objects.values_list("customer_id", flat=True)) == [fine.pk]
    result.send.refresh_from_db()
    assert result.send.skipped == 5


def test_only_admins_and_managers_send_or_create_surveys(now):
    survey = make_survey()
    customer = consenting()
    for role in (Role.ANALYST, Role.SUCCESS_MANAGER):
        user = make_user(role=role)
        with pytest.raises(AccessDenied):
            survey_send(by=user, survey_id=survey.pk, customer_ids=[customer.pk], now=now)
        with pytest.raises(AccessDenied):
            survey_create(by=user, name="x", kind="nps", question="?")
    assert not SurveyInvitation.objects.exists()
    made = survey_create(by=make_user(role=Role.ADMIN), name=" CES ", kind="ces", question="Easy?")
    assert made.name == "CES" and made.kind == "ces"
    with pytest.raises(ValidationError) as refused:
        survey_create(by=None, name="odd", kind="custom", question="?")
    assert "kind" in refused.value.message_dict


def test_a_switched_off_survey_is_not_sent(now):
    survey = make_survey(active=False)
    with pytest.raises(ValidationError):
        survey_send(by=None, survey_id=survey.pk, customer_ids=[consenting().pk], now=now)


def test_an_answer_through_the_link_is_recorded_once(now):
    survey = make_survey(follow_up="What should we do better?")
    _, invitation = _invite(survey, consenting(), now)
    token = token_of(invitation.pk)
    answered = survey_answer(token=token, score="9", comment=" Quick delivery ", now=now)
    answer = SurveyResponse.objects.get()
    assert answered.answer == answer
    assert (answer.kind, answer.score, answer.comment) == ("nps", 9, "Quick delivery")
    assert (answer.channel, answer.invitation_id, answer.answered_at) == (
        "email-link",
        invitation.pk,
        now,
    )
    invitation.refresh_from_db()
    assert invitation.answered_at == now
    with pytest.raises(SurveyRefused) as second:
        survey_answer(token=token, score=2, now=now + timedelta(minutes=1))
    assert second.value.reason == "answered"
    assert SurveyResponse.objects.count() == 1


def test_tampered_expired_and_closed_links_are_refused_and_write_nothing(now):
    survey = make_survey()
    _, invitation = _invite(survey, consenting(), now)
    token = token_of(invitation.pk)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token_of(invitation.pk + 1), "x"):
        with pytest.raises(SurveyRefused) as refused:
            survey_answer(token=bad, score=9, now=now)
        assert refused.value.reason == "invalid"
    with pytest.raises(SurveyRefused) as expired:
        survey_answer(token=token, score=9, now=invitation.expires_at)
    assert expired.value.reason == "expired"
    survey.active = False
    survey.save()
    with pytest.raises(SurveyRefused) as closed:
        survey_answer(token=token, score=9, now=now)
    assert closed.value.reason == "closed"
    assert not SurveyResponse.objects.exists()


def test_a_score_off_the_scale_is_refused(now):
    survey = make_survey(kind="ces", name="Effort", question="Was it easy?")
    _, invitation = _invite(survey, consenting(), now)
    for bad in (0, 8, "seven", None):
        with pytest.raises(ValidationError):
            survey_answer(token=token_of(invitation.pk), score=bad, now=now)
    assert not SurveyResponse.objects.exists()
    survey_answer(token=token_of(invitation.pk), score=7, now=now)
    assert SurveyResponse.objects.get().score == 7


def test_a_detractor_opens_exactly_one_task_for_the_owner_even_answered_twice(now):
    owner = make_user(role=Role.SUCCESS_MANAGER)
    customer = consenting(owner=owner)
    survey = make_survey()
    _, invitation = _invite(survey, customer, now)
    token = token_of(invitation.pk)
    survey_answer(token=token, score=3, now=now)
    with pytest.raises(SurveyRefused):
        survey_answer(token=token, score=3, now=now)
    task = Task.objects.get()
    answer = SurveyResponse.objects.get()
    assert (task.owner, task.customer, task.source_key) == (
        owner,
        customer,
        f"survey_answer:{answer.pk}",
    )
    assert task.priority == "high" and "NPS 3 out of 10" in task.body


@pytest.mark.parametrize(
    ("kind", "score", "low"),
    [("nps", 6, True), ("nps", 7, False), ("csat", 2, True), ("csat", 3, False),
     ("ces", 3, True), ("ces", 4, False)],
)  # fmt: skip
def test_the_negative_band_of_each_kind_opens_a_task(now, kind, score, low):
    survey = make_survey(kind=kind, name=f"{kind} survey")
    sender = make_user()
    customer = consenting()  # no owner: the task goes to whoever sent the survey
    survey_send(by=sender, survey_id=survey.pk, customer_ids=[customer.pk], now=now)
    invitation = SurveyInvitation.objects.get()
    survey_answer(token=token_of(invitation.pk), score=score, now=now)
    tasks = list(Task.objects.all())
    assert len(tasks) == (1 if low else 0)
    if low:
        assert tasks[0].owner == sender


def test_rates_per_survey_and_send_and_the_score_with_its_interval(now):
    survey = make_survey()
    people = [consenting() for _ in range(3)]
    survey_send(by=None, survey_id=survey.pk, customer_ids=[p.pk for p in people], now=now)
    invitations = list(SurveyInvitation.objects.order_by("pk"))
    survey_answer(token=token_of(invitations[0].pk), score=10, now=now)
    survey_answer(token=token_of(invitations[1].pk), score=0, now=now)
    row = survey_rows(user=None)[0]
    assert (row.rate.invited, row.rate.answered) == (3, 2)
    assert row.rate.rate == pytest.approx(2 / 3)
    # One promoter, one detractor: NPS 50 - 50 = 0 of n = 2, an interval around it.
    assert (row.score.n, row.score.score) == (2, 0.0)
    assert row.score.low < 0 < row.score.high
    (send,) = survey_send_rows(user=None, survey=survey)
    assert (send.rate.invited, send.rate.answered) == (3, 2)
    # A success manager counts only the invitations of their own book.
    mine = make_user(role=Role.SUCCESS_MANAGER)
    people[0].owner = mine
    people[0].save()
    own = survey_rows(user=mine)[0]
    assert (own.rate.invited, own.rate.answered, own.score.n) == (1, 1, 1)


def test_a_playbooks_survey_step_invites_once_per_enrolment():
    from tenure.events.consumers import consumer_drain, consumer_position
    from tenure.events.record import acting_via, event_record
    from tenure.playbooks.advance import enrollments_advance
    from tenure.playbooks.models import StepRun
    from tenure.playbooks.triggers import TRIGGERS
    from tests.playbooks.conftest import make_playbook

    make_survey(name="Welcome NPS")
    with pytest.raises(ValidationError) as refused:
        make_playbook(slug="bad", steps=[{"kind": "survey", "survey": "Nope"}])
    assert "no survey 'Nope'" in str(refused.value)
    make_playbook(slug="ask", steps=[{"kind": "survey", "survey": "Welcome NPS"}])
    asked, silent = consenting(), make_customer()
    consumer_position(TRIGGERS)  # the trigger follows events from its start on
    for customer in (asked, silent):
        with acting_via("worker"):
            event_record(
                "stage.entered", subject="customer", subject_id=customer.pk,
                customer_id=customer.pk, data={"stage": "at_risk", "role": "at_risk"},
            )  # fmt: skip
    consumer_drain(TRIGGERS)
    while enrollments_advance(now=timezone.now()):
        pass
    assert list(SurveyInvitation.objects.values_list("customer_id", flat=True)) == [asked.pk]
    assert Message.objects.filter(customer=asked).count() == 1
    runs = dict(StepRun.objects.values_list("enrollment__customer_id", "status"))
    assert runs == {asked.pk: "done", silent.pk: "skipped"}
    assert SurveyInvitation.objects.get().send.source.startswith("playbook:")
