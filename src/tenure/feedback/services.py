"""Writes for survey answers and referrals.

The role policy is the interactions' one: a role that may change records at all may record
feedback for the customers it may change (a success manager: their own book); ``by=None`` is
the operator or an import, who may do everything. Every save writes its event
(``tenure.feedback.events``), dated by when the answer was given or the referral made, so that
the lifecycle engine re-evaluates the customer from that moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from tenure.access import visible
from tenure.access.records import (
    TAKEN,
    record_for_change,
    record_save,
    reject_unknown_fields,
    require_change,
)
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.feedback.models import (
    SCALES,
    Referral,
    ReferralStatus,
    SurveyAnswerItem,
    SurveyKind,
    SurveyResponse,
)
from tenure.users.models import User

CAUSE = "feedback"
# Clocks of survey tools and shops drift a little; an answer further ahead is a mistake that
# would count only once its time came.
CLOCK_SKEW = timedelta(minutes=5)
ERASED = "[erased]"


def _customer_errors(
    by: User | None, field: str, pk: int | None, action: Action
) -> dict[str, list[str]]:
    """The customer ``pk`` must be one ``by`` may ``action``; else "no customer", on ``field``
    (never "forbidden": a customer outside one's book is not revealed)."""
    if pk is None:
        return {}
    candidates = Customer.objects.all() if by is None else visible(by, Customer, action)
    if candidates.filter(pk=pk).exists():
        return {}
    return {field: [f"no customer with id {pk}"]}


def _moment_errors(field: str, at: Any, now: datetime) -> dict[str, list[str]]:
    if not isinstance(at, datetime):
        return {field: ["a date and time is needed"]}
    if timezone.is_naive(at):
        return {field: ["the time needs a time zone"]}
    if at > now + CLOCK_SKEW:
        return {field: ["that is in the future"]}
    return {}


def _score_errors(kind: str, score: Any) -> dict[str, list[str]]:
    if kind not in SurveyKind.values:
        return {"kind": [f"choose one of: {', '.join(SurveyKind.values)}"]}
    low, high = SCALES[kind]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        return {"score": [f"a {SurveyKind(kind).label} score is a whole number {low} to {high}"]}
    return {}


def _link_errors(customer_id: int, order_id: int | None, interaction_id: int | None) -> dict:
    """The order or conversation an answer is about must be the customer's own. (Orders and
    interactions are sibling apps, not imported: their models are looked up by label.)"""
    errors: dict[str, list[str]] = {}
    for field, label, pk in (
        ("order_id", "orders.Order", order_id),
        ("interaction_id", "interactions.Interaction", interaction_id),
    ):
        model = apps.get_model(label)
        if (
            pk is not None
            and not model._default_manager.filter(pk=pk, customer_id=customer_id).exists()
        ):
            errors[field] = [f"the customer has no {model._meta.verbose_name} with id {pk}"]
    return errors


def survey_response_create(
    *,
    by: User | None = None,
    customer_id: int | None,
    kind: str,
    score: int,
    answered_at: datetime,
    comment: str = "",
    channel: str = "",
    order_id: int | None = None,
    interaction_id: int | None = None,
    external_id: str = "",
    invitation_id: int | None = None,
    now: datetime | None = None,
) -> SurveyResponse:
    """Record one NPS (0-10), CSAT (1-5) or CES (1-7) answer of a customer; ``invitation_id``
    for one given through a survey's link (``tenure.feedback.surveys``: one per invitation).

    Raises ``AccessDenied`` when ``by``'s role may not change records, and ``ValidationError``
    with a message per field: a customer ``by`` may not change reads as no such customer; an
    ``external_id`` already recorded for this kind is refused (a retried import adds nothing).
    """
    require_change(by)
    now = now or timezone.now()
    comment, channel, external_id = comment.strip(), channel.strip(), external_id.strip()
    errors: dict[str, list[str]] = {}
    if customer_id is None:
        errors["customer_id"] = ["an answer belongs to a customer"]
    errors |= _customer_errors(by, "customer_id", customer_id, Action.CHANGE)
    errors |= _score_errors(kind, score)
    errors |= _moment_errors("answered_at", answered_at, now)
    if customer_id is not None and "customer_id" not in errors:
        errors |= _link_errors(customer_id, order_id, interaction_id)
    if (
        external_id
        and "kind" not in errors
        and SurveyResponse.objects.filter(kind=kind, external_id=external_id).exists()
    ):
        errors["external_id"] = [TAKEN]
    if errors or customer_id is None:
        raise ValidationError(errors)
    answer = SurveyResponse(
        customer_id=customer_id,
        kind=kind,
        score=score,
        comment=comment,
        answered_at=answered_at,
        channel=channel,
        order_id=order_id,
        interaction_id=interaction_id,
        external_id=external_id,
        invitation_id=invitation_id,
    )
    record_save(answer)
    return answer


@transaction.atomic
def survey_response_delete(*, by: User | None = None, survey_response_id: int) -> None:
    """Delete an answer recorded by mistake; the customer's facts go back to the answer before."""
    answer = record_for_change(by, SurveyResponse, survey_response_id)
    answer.delete()


def _referral_errors(
    by: User | None, referrer_id: int | None, referred_customer_id: int | None
) -> dict[str, list[str]]:
    errors = _customer_errors(by, "referrer_id", referrer_id, Action.CHANGE)
    # The person referred only needs to be someone the user may see: linking them changes the
    # referrer's record, not theirs.
    errors |= _customer_errors(by, "referred_customer_id", referred_customer_id, Action.VIEW)
    if referred_customer_id is not None and referred_customer_id == referrer_id:
        errors["referred_customer_id"] = ["a customer cannot refer themselves"]
    return errors


def referral_create(
    *,
    by: User | None = None,
    referrer_id: int | None,
    referred_at: datetime,
    referred_customer_id: int | None = None,
    referred_email: str = "",
    status: str | None = None,
    external_id: str = "",
    now: datetime | None = None,
) -> Referral:
    """Record that a customer referred someone: an invitation (an email, or nobody known yet),
    or a customer who signed up or bought through them.

    ``status`` defaults to ``signed_up`` when the person referred is a customer already, else
    ``invited``. Errors as ``survey_response_create``.
    """
    require_change(by)
    now = now or timezone.now()
    referred_email, external_id = referred_email.strip(), external_id.strip()
    if status is None:
        status = ReferralStatus.SIGNED_UP if referred_customer_id else ReferralStatus.INVITED
    errors: dict[str, list[str]] = {}
    if referrer_id is None:
        errors["referrer_id"] = ["a referral is made by a customer"]
    errors |= _referral_errors(by, referrer_id, referred_customer_id)
    errors |= _moment_errors("referred_at", referred_at, now)
    if status not in ReferralStatus.values:
        errors["status"] = [f"choose one of: {', '.join(ReferralStatus.values)}"]
    if external_id and Referral.objects.filter(external_id=external_id).exists():
        errors["external_id"] = [TAKEN]
    if errors or referrer_id is None:
        raise ValidationError(errors)
    referral = Referral(
        referrer_id=referrer_id,
        referred_customer_id=referred_customer_id,
        referred_email=referred_email,
        referred_at=referred_at,
        status=status,
        external_id=external_id,
    )
    _referral_save(referral)
    return referral


def _referral_save(referral: Referral) -> None:
    if (
        referral.referred_customer_id is not None
        and Referral.objects.filter(
            referrer_id=referral.referrer_id, referred_customer_id=referral.referred_customer_id
        )
        .exclude(pk=referral.pk)
        .exists()
    ):
        raise ValidationError(
            {"referred_customer_id": ["this customer already referred that customer"]}
        )
    record_save(referral)


REFERRAL_CHANGES = frozenset(
    {"referred_customer_id", "referred_email", "referred_at", "status", "external_id"}
)


@transaction.atomic
def referral_update(
    *,
    by: User | None = None,
    referral_id: int,
    changes: Mapping[str, Any],
    now: datetime | None = None,
) -> Referral:
    """Move a referral along (invited -> signed up -> purchased), link the customer it brought,
    or correct its email or date. The referrer does not change: that is another referral."""
    reject_unknown_fields(changes, REFERRAL_CHANGES)
    referral = record_for_change(by, Referral, referral_id)
    errors: dict[str, list[str]] = {}
    if "referred_customer_id" in changes:
        errors |= _referral_errors(by, None, changes["referred_customer_id"])
        if changes["referred_customer_id"] == referral.referrer_id:
            errors["referred_customer_id"] = ["a customer cannot refer themselves"]
    if "referred_at" in changes:
        errors |= _moment_errors("referred_at", changes["referred_at"], now or timezone.now())
    if "status" in changes and changes["status"] not in ReferralStatus.values:
        errors["status"] = [f"choose one of: {', '.join(ReferralStatus.values)}"]
    external_id = str(changes.get("external_id", referral.external_id) or "").strip()
    taken = Referral.objects.filter(external_id=external_id).exclude(pk=referral.pk)
    if external_id and taken.exists():
        errors["external_id"] = [TAKEN]
    if errors:
        raise ValidationError(errors)
    for name, value in changes.items():
        setattr(referral, name, value.strip() if isinstance(value, str) else value)
    _referral_save(referral)
    return referral


@transaction.atomic
def referral_delete(*, by: User | None = None, referral_id: int) -> None:
    referral = record_for_change(by, Referral, referral_id)
    referral.delete()


def person_feedback_erase(*, customer: Customer) -> tuple[dict[str, int], list[Model]]:
    """Forget a person's words in feedback (``tenure.privacy.person_erase``): the comments of
    their answers, and the email of every referral they made or received (or that was sent to
    their email before they became a customer). Scores, dates and the referral links stay: they
    are the business's aggregate record. Returns the counts, and the records whose change
    history holds the old text. Call it before the customer's email is blanked."""
    answers = list(SurveyResponse.objects.filter(customer=customer).exclude(comment=""))
    SurveyResponse.objects.filter(pk__in=[a.pk for a in answers]).update(comment=ERASED)
    # Their words in custom free-text questions too; the scale and choice answers stay.
    texts = SurveyAnswerItem.objects.filter(response__customer=customer).exclude(text="")
    texts_count = texts.update(text=ERASED)
    theirs = Q(referrer=customer) | Q(referred_customer=customer)
    if customer.email:
        theirs |= Q(referred_email__iexact=customer.email)
    referrals = list(Referral.objects.filter(theirs).exclude(referred_email=""))
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(referred_email="")
    counts = {"survey_comments": len(answers), "referral_emails": len(referrals),
              "survey_texts": texts_count}  # fmt: skip
    return counts, [*answers, *referrals]
