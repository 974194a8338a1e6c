"""Reads of survey answers and referrals, under the role policy (``tenure.access.visible``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.forms.models import model_to_dict

from tenure.access import visible
from tenure.customers.models import Customer
from tenure.feedback.models import Referral, SurveyKind, SurveyResponse
from tenure.users.models import User


def survey_responses_visible(*, user: User | None) -> QuerySet[SurveyResponse]:
    """The answers of the customers the user may see (``user=None``: the operator, all)."""
    return SurveyResponse.objects.all() if user is None else visible(user, SurveyResponse)


def referrals_visible(*, user: User | None) -> QuerySet[Referral]:
    """Referrals made by, or bringing, a customer the user may see (None: all)."""
    return Referral.objects.all() if user is None else visible(user, Referral)


def answers_latest(
    answers: QuerySet[SurveyResponse], *, as_of: datetime | None = None
) -> QuerySet[SurveyResponse]:
    """Of ``answers``, each customer's latest of each kind answered by ``as_of`` (None: any
    time); the higher id wins a tie. One query with a window function (``survey_customer_kind_at``
    serves the partitions), however many customers: the lifecycle facts read it per chunk."""
    if as_of is not None:
        answers = answers.filter(answered_at__lte=as_of)
    newest_first = [F("answered_at").desc(), F("id").desc()]
    return (
        answers.order_by()
        .annotate(
            newest_rank=Window(
                RowNumber(), partition_by=[F("customer_id"), F("kind")], order_by=newest_first
            )
        )
        .filter(newest_rank=1)
    )


def latest_answers(
    *, user: User | None, kind: str | None = None, as_of: datetime | None = None
) -> QuerySet[SurveyResponse]:
    """The latest answer (of ``kind``, or of each kind) of every customer the user may see."""
    answers = survey_responses_visible(user=user)
    if kind is not None:
        answers = answers.filter(kind=kind)
    return answers_latest(answers, as_of=as_of)


def customer_latest_answers(
    *, customer: Customer, as_of: datetime | None = None
) -> dict[str, SurveyResponse | None]:
    """The customer's latest NPS and CSAT answers (None where they never answered), for a
    page that already checked the user may see the customer: one index probe per kind."""
    latest: dict[str, SurveyResponse | None] = {}
    for kind in SurveyKind.values:
        answers = SurveyResponse.objects.filter(customer=customer, kind=kind)
        if as_of is not None:
            answers = answers.filter(answered_at__lte=as_of)
        latest[kind] = answers.order_by("-answered_at", "-id").first()
    return latest


def person_feedback(*, customer: Customer) -> dict[str, Any]:
    """A person's answers and the referrals they made or received, for their export
    (``tenure.privacy.person_export``)."""

    def plain(record: Any) -> dict[str, Any]:
        return {**model_to_dict(record), "id": record.pk}

    answers = SurveyResponse.objects.filter(customer=customer).order_by("answered_at", "id")
    made = Referral.objects.filter(referrer=customer).order_by("referred_at", "id")
    received = Referral.objects.filter(referred_customer=customer).order_by("referred_at", "id")
    return {
        "survey_responses": [plain(answer) for answer in answers],
        "referrals_made": [plain(referral) for referral in made],
        "referrals_received": [plain(referral) for referral in received],
    }
