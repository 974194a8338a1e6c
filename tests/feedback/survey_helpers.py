"""Surveys, consenting customers and the link of an invitation, for the survey tests."""

from __future__ import annotations

from typing import Any

from tenure.customers.models import Consent, ConsentPurpose, Customer
from tenure.feedback.models import Survey
from tenure.feedback.tokens import survey_token
from tests.factories import T0, make_customer


def make_survey(**fields: Any) -> Survey:
    fields.setdefault("name", "Quarterly NPS")
    fields.setdefault("kind", "nps")
    fields.setdefault("question", "How likely are you to recommend us to a friend?")
    return Survey.objects.create(**fields)


def consenting(**fields: Any) -> Customer:
    customer = make_customer(**fields)
    Consent.objects.create(
        customer=customer, purpose=ConsentPurpose.EMAIL_MARKETING, granted=True, changed_at=T0
    )
    return customer


def token_of(invitation_id: int) -> str:
    return survey_token(invitation_id)
