"""The tables' own rules hold whatever writes the rows: scores on their scale, no self-referral,
an external id once."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tenure.feedback.models import Referral, SurveyResponse
from tests.factories import make_customer

from .helpers import answer, referral

pytestmark = pytest.mark.django_db


def _refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("kind", "score", "stored"),
    [("nps", 0, True), ("nps", 10, True), ("nps", 11, False), ("nps", -1, False),
     ("csat", 1, True), ("csat", 5, True), ("csat", 0, False), ("csat", 6, False),
     ("ces", 1, True), ("ces", 7, True), ("ces", 0, False), ("ces", 8, False),
     ("xyz", 3, False)],
)  # fmt: skip
def test_a_score_is_on_its_kinds_scale(kind, score, stored):
    customer = make_customer()
    assert _refused(lambda: answer(customer, score, kind=kind)) is not stored


def test_an_external_id_is_unique_per_kind_when_given():
    customer = make_customer()
    answer(customer, 9, external_id="typeform-1")
    answer(customer, 4, kind="csat", external_id="typeform-1")  # another kind: fine
    answer(customer, 8)
    answer(customer, 7)  # no external id: as many as there are
    assert _refused(lambda: answer(customer, 3, external_id="typeform-1"))
    assert SurveyResponse.objects.count() == 4


def test_a_customer_cannot_refer_themselves():
    customer = make_customer()
    assert _refused(lambda: referral(customer, referred_customer=customer))
    referral(customer, referred_email="friend@example.com")  # an invitation: nobody linked yet
    referral(customer, referred_customer=make_customer())
    assert Referral.objects.count() == 2


def test_a_referral_is_unique_per_pair_and_by_external_id():
    referrer, friend = make_customer(), make_customer()
    referral(referrer, referred_customer=friend, external_id="R-1")
    assert _refused(lambda: referral(referrer, referred_customer=friend))
    assert _refused(lambda: referral(make_customer(), external_id="R-1"))
    assert _refused(lambda: referral(referrer, status="converted"))


def test_deleting_the_referred_customer_keeps_the_referral():
    referrer, friend = make_customer(), make_customer()
    made = referral(referrer, referred_customer=friend, status="signed_up")
    friend.delete()
    made.refresh_from_db()
    assert made.referred_customer_id is None and made.status == "signed_up"


def test_sentiment_words():
    customer = make_customer()
    words = [answer(customer, s).sentiment for s in (10, 9, 8, 7, 6, 0)]
    assert words == ["promoter", "promoter", "passive", "passive", "detractor", "detractor"]
    assert [answer(customer, s, kind="csat").sentiment for s in (5, 4, 3)] == [
        "satisfied", "satisfied", "unsatisfied",
    ]  # fmt: skip
