"""Records for the feedback tests, written directly (the services are tested on their own)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tenure.customers.models import Customer
from tenure.feedback.models import Referral, SurveyResponse
from tests.factories import T0


def answer(customer: Customer, score: int, *, kind: str = "nps", at: datetime = T0, **fields: Any):
    return SurveyResponse.objects.create(
        customer=customer, kind=kind, score=score, answered_at=at, **fields
    )


def referral(referrer: Customer, *, at: datetime = T0, **fields: Any) -> Referral:
    return Referral.objects.create(referrer=referrer, referred_at=at, **fields)
