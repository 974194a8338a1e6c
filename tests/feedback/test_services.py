"""Recording answers and referrals: errors name the field, the role policy holds, and every write
tells the lifecycle engine which customer changed and since when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404

from tenure.access import AccessDenied
from tenure.feedback.models import Referral, SurveyResponse
from tenure.feedback.selectors import (
    customer_latest_answers,
    latest_answers,
    referrals_visible,
    survey_responses_visible,
)
from tenure.feedback.services import (
    referral_create,
    referral_delete,
    referral_update,
    survey_response_create,
    survey_response_delete,
)
from tenure.interactions.models import Interaction
from tenure.users.models import Role
from tests.factories import T0, make_customer, make_order, make_user

from .helpers import answer, referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def _fields(error: pytest.ExceptionInfo) -> set[str]:
    return set(error.value.message_dict)


def test_an_answer_is_recorded_and_announced_as_of_its_time(announced, commits):
    customer = make_customer()
    at = T0 + timedelta(days=3)
    announced.skip()
    with commits(execute=True):
        saved = survey_response_create(
            customer_id=customer.pk, kind="nps", score=9, answered_at=at,
            comment="  Lovely beans ", channel="email", external_id="tf-1",
        )  # fmt: skip
    assert (saved.score, saved.comment, saved.channel) == (9, "Lovely beans", "email")
    assert announced == [([customer.pk], "feedback", {customer.pk: at})]
    assert LogEntry.objects.get_for_object(saved).count() == 1  # change history kept


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"score": 11}, "score"),
        ({"kind": "csat", "score": 0}, "score"),
        ({"kind": "csat", "score": 6}, "score"),
        ({"kind": "ces", "score": 8}, "score"),
        ({"kind": "xyz"}, "kind"),
        ({"customer_id": None}, "customer_id"),
        ({"customer_id": 10**9}, "customer_id"),
        ({"answered_at": T0.replace(tzinfo=None)}, "answered_at"),
        ({"answered_at": T0 + timedelta(days=10_000)}, "answered_at"),
        ({"order_id": 10**9}, "order_id"),
        ({"interaction_id": 10**9}, "interaction_id"),
    ],
)
def test_a_wrong_answer_is_refused_naming_the_field(changes, field):
    customer = make_customer()
    fields = {"customer_id": customer.pk, "kind": "nps", "score": 7, "answered_at": T0}
    with pytest.raises(ValidationError) as refused:
        survey_response_create(**{**fields, **changes})
    assert field in _fields(refused)
    assert not SurveyResponse.objects.exists()


def test_an_answer_links_only_the_customers_own_order_and_conversation():
    customer, other = make_customer(), make_customer()
    mine = make_order(customer=customer)
    theirs = make_order(customer=other)
    talk = Interaction.objects.create(customer=customer, kind="call", occurred_at=T0, body="x")
    fields = {"customer_id": customer.pk, "kind": "csat", "score": 5, "answered_at": T0}
    linked = survey_response_create(**fields, order_id=mine.pk, interaction_id=talk.pk)
    assert (linked.order_id, linked.interaction_id) == (mine.pk, talk.pk)
    with pytest.raises(ValidationError) as refused:
        survey_response_create(**fields, order_id=theirs.pk)
    assert _fields(refused) == {"order_id"}


def test_a_retried_import_adds_no_second_answer():
    customer = make_customer()
    fields = {"customer_id": customer.pk, "kind": "nps", "score": 9, "answered_at": T0}
    survey_response_create(**fields, external_id="tf-9")
    with pytest.raises(ValidationError) as refused:
        survey_response_create(**fields, external_id="tf-9")
    assert _fields(refused) == {"external_id"}
    survey_response_create(**{**fields, "kind": "csat", "score": 4}, external_id="tf-9")
    assert SurveyResponse.objects.count() == 2


def test_success_managers_record_feedback_for_their_own_customers_only():
    manager = make_user(role=Role.SUCCESS_MANAGER)
    mine, theirs = make_customer(owner=manager), make_customer(owner=make_user())
    fields = {"kind": "nps", "score": 9, "answered_at": T0}
    survey_response_create(by=manager, customer_id=mine.pk, **fields)
    with pytest.raises(ValidationError) as refused:
        survey_response_create(by=manager, customer_id=theirs.pk, **fields)
    assert _fields(refused) == {"customer_id"}  # not revealed: "no customer with id ..."
    with pytest.raises(AccessDenied):
        survey_response_create(by=make_user(role=Role.ANALYST), customer_id=mine.pk, **fields)

    other_answer = answer(theirs, 3)
    with pytest.raises(Http404):
        survey_response_delete(by=manager, survey_response_id=other_answer.pk)
    assert set(survey_responses_visible(user=manager).values_list("customer_id", flat=True)) == {
        mine.pk
    }


def test_deleting_an_answer_announces_its_time(announced, commits):
    customer = make_customer()
    at = T0 + timedelta(hours=5)
    made = answer(customer, 2, at=at)
    announced.skip()
    with commits(execute=True):
        survey_response_delete(survey_response_id=made.pk)
    assert not SurveyResponse.objects.exists()
    assert announced == [([customer.pk], "feedback", {customer.pk: at})]


def test_a_referral_is_recorded_for_the_referrer(announced, commits):
    referrer, friend = make_customer(), make_customer()
    at = T0 + timedelta(days=1)
    fields = {"referrer_id": referrer.pk, "referred_at": at}
    announced.skip()
    with commits(execute=True):
        invited = referral_create(**fields, referred_email="f@x.org")
        linked = referral_create(**fields, referred_customer_id=friend.pk)
    assert (invited.status, linked.status) == ("invited", "signed_up")
    # One commit, one drain: both referrals' events at once.
    assert announced == [([referrer.pk], "feedback", {referrer.pk: at})]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"referrer_id": None}, "referrer_id"),
        ({"referrer_id": 10**9}, "referrer_id"),
        ({"referred_customer_id": "self"}, "referred_customer_id"),
        ({"referred_customer_id": 10**9}, "referred_customer_id"),
        ({"referred_email": "not an email"}, "referred_email"),
        ({"status": "converted"}, "status"),
        ({"referred_at": T0.replace(tzinfo=None)}, "referred_at"),
    ],
)
def test_a_wrong_referral_is_refused_naming_the_field(changes, field):
    referrer = make_customer()
    if changes.get("referred_customer_id") == "self":
        changes = {"referred_customer_id": referrer.pk}
    fields = {"referrer_id": referrer.pk, "referred_at": T0}
    with pytest.raises(ValidationError) as refused:
        referral_create(**{**fields, **changes})
    assert field in _fields(refused)
    assert not Referral.objects.exists()


def test_the_same_pair_and_the_same_external_id_are_refused():
    referrer, friend = make_customer(), make_customer()
    fields = {"referrer_id": referrer.pk, "referred_at": T0}
    referral_create(**fields, referred_customer_id=friend.pk, external_id="R-7")
    with pytest.raises(ValidationError) as twice:
        referral_create(**fields, referred_customer_id=friend.pk)
    assert _fields(twice) == {"referred_customer_id"}
    with pytest.raises(ValidationError) as retried:
        referral_create(**fields, external_id="R-7")
    assert _fields(retried) == {"external_id"}


def test_a_referral_moves_along_and_a_new_date_is_announced_as_of_the_earlier(announced, commits):
    referrer, friend = make_customer(), make_customer()
    made = referral(referrer, referred_email="f@x.org")
    announced.skip()
    with commits(execute=True):
        moved = referral_update(
            referral_id=made.pk, changes={"referred_customer_id": friend.pk, "status": "purchased"}
        )
    assert (moved.referred_customer_id, moved.status) == (friend.pk, "purchased")
    # Re-evaluated from the referral's date (its count did not move; a replay finds so).
    assert announced == [([referrer.pk], "feedback", {referrer.pk: made.referred_at})]
    announced.clear()
    earlier = T0 - timedelta(days=30)
    with commits(execute=True):
        referral_update(referral_id=made.pk, changes={"referred_at": earlier})
    assert announced == [([referrer.pk], "feedback", {referrer.pk: earlier})]
    with pytest.raises(ValidationError) as refused:
        referral_update(referral_id=made.pk, changes={"referred_customer_id": referrer.pk})
    assert _fields(refused) == {"referred_customer_id"}
    with pytest.raises(ValidationError) as unknown:
        referral_update(referral_id=made.pk, changes={"referrer_id": friend.pk})
    assert _fields(unknown) == {"referrer_id"}
    referral_delete(referral_id=made.pk)
    assert not Referral.objects.exists()


def test_success_managers_reach_referrals_of_their_book_from_either_side():
    manager = make_user(role=Role.SUCCESS_MANAGER)
    mine, theirs = make_customer(owner=manager), make_customer(owner=make_user())
    made = referral(mine, referred_customer=theirs)
    brought = referral(theirs, referred_customer=mine)
    elsewhere = referral(theirs)
    assert set(referrals_visible(user=manager)) == {made, brought}
    with pytest.raises(ValidationError) as refused:
        referral_create(by=manager, referrer_id=theirs.pk, referred_at=T0)
    assert _fields(refused) == {"referrer_id"}
    with pytest.raises(Http404):
        referral_update(by=manager, referral_id=elsewhere.pk, changes={"status": "purchased"})
    with pytest.raises(Http404):
        referral_delete(by=manager, referral_id=elsewhere.pk)
    with pytest.raises(AccessDenied):
        referral_delete(by=make_user(role=Role.ANALYST), referral_id=made.pk)


def test_the_latest_answer_per_customer_and_kind():
    ada, bob = make_customer(), make_customer()
    answer(ada, 3, at=T0)
    newest = answer(ada, 9, at=T0 + timedelta(days=2))
    tie_low = answer(bob, 5, at=T0)
    tie_high = answer(bob, 6, at=T0)  # the same moment: the later record wins
    csat = answer(ada, 4, kind="csat", at=T0 + timedelta(days=1))
    assert set(latest_answers(user=None)) == {newest, tie_high, csat}
    assert set(latest_answers(user=None, kind="nps", as_of=T0 + timedelta(days=1))) == {
        SurveyResponse.objects.get(customer=ada, score=3), tie_high,
    }  # fmt: skip
    assert tie_low not in set(latest_answers(user=None))
    assert customer_latest_answers(customer=ada) == {"nps": newest, "csat": csat, "ces": None}
    assert customer_latest_answers(customer=bob)["csat"] is None
