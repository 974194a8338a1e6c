"""A person's export holds their answers and referrals; erasing them blanks the words (answer
comments, referral emails) and keeps the scores."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry

from tenure.feedback.models import Referral, SurveyResponse
from tenure.feedback.services import referral_create, survey_response_create
from tenure.privacy.services import JSON_ENCODER, person_erase, person_export
from tests.factories import T0, make_customer

pytestmark = pytest.mark.django_db
NAME, EMAIL, FRIEND = "Zebulon", "zebulon.qm@example.org", "friend.of.z@example.org"


@pytest.fixture
def person():
    customer = make_customer(first_name=NAME, email=EMAIL)
    survey_response_create(
        customer_id=customer.pk, kind="nps", score=9, answered_at=T0,
        comment=f"{NAME} here: love it", external_id="tf-1",
    )  # fmt: skip
    survey_response_create(customer_id=customer.pk, kind="csat", score=4, answered_at=T0)
    referral_create(referrer_id=customer.pk, referred_at=T0, referred_email=FRIEND)
    sponsor = make_customer(external_id="SPONSOR")
    referral_create(
        referrer_id=sponsor.pk, referred_at=T0, referred_customer_id=customer.pk,
        referred_email=EMAIL, status="purchased",
    )  # fmt: skip
    # An invitation to their email from before they were a customer, linked to nobody.
    referral_create(referrer_id=sponsor.pk, referred_at=T0, referred_email=EMAIL.upper())
    return customer


def test_the_export_holds_their_answers_and_referrals(person):
    data = json.loads(json.dumps(person_export(customer_id=person.pk), cls=JSON_ENCODER))
    answers = data["survey_responses"]
    assert [(a["kind"], a["score"], a["comment"]) for a in answers] == [
        ("nps", 9, f"{NAME} here: love it"), ("csat", 4, ""),
    ]  # fmt: skip
    assert [r["referred_email"] for r in data["referrals_made"]] == [FRIEND]
    assert [r["status"] for r in data["referrals_received"]] == ["purchased"]


def test_erasing_blanks_the_words_and_keeps_the_scores(person):
    answers = list(SurveyResponse.objects.filter(customer=person))
    referrals = list(Referral.objects.all())
    assert all(LogEntry.objects.get_for_object(record).exists() for record in answers + referrals)

    counts = person_erase(customer_id=person.pk)

    assert (counts["survey_comments"], counts["referral_emails"]) == (1, 3)
    kept = SurveyResponse.objects.filter(customer=person).order_by("answered_at", "kind")
    assert [(a.kind, a.score, a.comment) for a in kept] == [("csat", 4, ""), ("nps", 9, "[erased]")]
    assert set(Referral.objects.values_list("referred_email", flat=True)) == {""}
    assert Referral.objects.filter(referrer=person).count() == 1  # the referral counts still
    assert Referral.objects.get(referred_customer=person).status == "purchased"
    stored = json.dumps(
        [list(SurveyResponse.objects.values()), list(Referral.objects.values()),
         list(LogEntry.objects.values("changes", "object_repr"))],
        cls=JSON_ENCODER,
    )  # fmt: skip
    for trace in (NAME, EMAIL, EMAIL.upper(), FRIEND):
        assert trace not in stored, trace
