"""Writes of surveys and their invitations, and answering one through its signed link.

Surveys are the whole business's: admins and managers create them (``require_all``); sending
(``tenure.surveys.sending``, which also queues the emails) and the follow-up of a low answer
(``tenure.surveys.answering``, which opens the task) sit above the mail and tasks apps and call
these. An answer through the link is the customer's own: it is recorded as the operator
(``by=None``), never as a team member.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from tenure.access import require_all
from tenure.access.records import record_save, reject_unknown_fields
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.feedback.models import (
    SCALES,
    Survey,
    SurveyAnswerItem,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    SurveySend,
)
from tenure.feedback.questions import SURVEYS_WHY as SURVEYS_WHY
from tenure.feedback.questions import answer_items_clean
from tenure.feedback.services import survey_response_create
from tenure.feedback.tokens import survey_token_read
from tenure.users.models import User

CHANNEL = "email-link"
COMMENT_MAX = 5000
KEY_MAX = 200
SURVEY_FIELDS = (
    "name", "kind", "question", "follow_up", "language", "valid_days", "active", "review_url",
    "referral_url",
)  # fmt: skip


def survey_create(*, by: User | None, **fields: Any) -> Survey:
    """A new survey (name, kind nps/csat/ces, question, and optionally follow_up, language,
    valid_days 1-365, active, review_url, referral_url). ``ValidationError`` per field."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    reject_unknown_fields(fields, SURVEY_FIELDS)
    values = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
    survey = Survey(**values, created_by=by)
    if survey.kind not in SurveyKind.values:
        raise ValidationError({"kind": [f"choose one of: {', '.join(SurveyKind.values)}"]})
    record_save(survey)
    return survey


@transaction.atomic
def survey_update(*, by: User | None, survey_id: int, changes: Mapping[str, Any]) -> Survey:
    """Change a survey's wording, validity or whether it may be sent. Its kind stays: the
    answers already given are on its scale."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    reject_unknown_fields(changes, set(SURVEY_FIELDS) - {"kind"})
    survey = Survey.objects.select_for_update().get(pk=survey_id)
    for name, value in changes.items():
        setattr(survey, name, value.strip() if isinstance(value, str) else value)
    record_save(survey)
    return survey


@transaction.atomic
def survey_delete(*, by: User | None, survey_id: int) -> None:
    """Delete a survey never sent; one that was sent holds its invitations and answers'
    context, so it is switched off instead (``Conflict``)."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    survey = Survey.objects.select_for_update().filter(pk=survey_id).first()
    if survey is None:
        raise Http404("no such survey")
    if survey.invitations.exists() or survey.sends.exists():
        raise Conflict("the survey has been sent: switch it off (active: false) instead")
    survey.delete()


def survey_send_claim(
    *, survey: Survey, key: str, source: str, by: User | None, now: datetime
) -> SurveySend:
    """The send named ``key``, created the first time it is asked for."""
    send, _ = SurveySend.objects.get_or_create(
        key=key, defaults={"survey": survey, "source": source, "created_by": by, "created_at": now}
    )
    return send


def invitation_claim(
    *,
    send: SurveySend,
    customer: Customer,
    occurrence: str,
    by: User | None,
    now: datetime,
    contact_id: int | None = None,
    order_id: int | None = None,
    language: str = "",
) -> tuple[SurveyInvitation, bool]:
    """The customer's invitation to the send's survey for ``occurrence``: (it, whether new).
    Its key (survey, customer, occurrence) is unique, so asking again returns the first one."""
    survey = send.survey
    key = f"survey:{survey.pk}:{customer.pk}:{occurrence}"
    if len(key) > KEY_MAX:  # a long occurrence (a playbook's) is kept unique by its digest
        key = f"survey:{survey.pk}:{customer.pk}:{sha256(occurrence.encode()).hexdigest()}"
    found = SurveyInvitation.objects.filter(key=key).first()
    if found is not None:
        return found, False
    invitation = SurveyInvitation.objects.create(
        survey=survey, send=send, customer=customer, account_id=customer.account_id,
        contact_id=contact_id, order_id=order_id, key=key, language=language, sent_by=by,
        sent_at=now,
        expires_at=now + timedelta(days=survey.valid_days),
    )  # fmt: skip
    return invitation, True


class SurveyRefused(Exception):
    """Why a survey link cannot be answered: ``reason`` is ``invalid`` (not a link tenure
    signed, or its invitation is gone), ``expired``, ``answered`` or ``closed`` (the survey
    was switched off)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invitation_of_token(token: str, *, now: datetime, lock: bool = False) -> SurveyInvitation:
    """The invitation a link names, if it may be answered now; ``SurveyRefused`` otherwise."""
    invitation_id = survey_token_read(token)
    if invitation_id is None:
        raise SurveyRefused("invalid")
    invitations = SurveyInvitation.objects.select_related("survey")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise SurveyRefused("invalid")
    if invitation.answered_at is not None:
        raise SurveyRefused("answered")
    if invitation.expires_at <= now:
        raise SurveyRefused("expired")
    if not invitation.survey.active:
        raise SurveyRefused("closed")
    return invitation


@dataclass(frozen=True)
class Answered:
    invitation: SurveyInvitation
    answer: SurveyResponse


def survey_answer_record(
    *,
    token: str,
    score: Any,
    comment: str,
    now: datetime,
    answers: Mapping[str, Any] | None = None,
) -> Answered:
    """Record the answer given through a link: once per invitation (the invitation is locked,
    so two submissions at once record one), through ``survey_response_create`` with the
    channel ``email-link``, with the answers to the survey's custom questions (``answers`` by
    field, ``q1``, ...: ``tenure.feedback.questions.answer_items_clean``). The caller holds the
    transaction. ``SurveyRefused`` for a link that may not be answered, ``ValidationError``
    naming each field refused (a score off the scale, a required question left empty)."""
    invitation = invitation_of_token(token, now=now, lock=True)
    survey = invitation.survey
    low, high = SCALES[survey.kind]
    if isinstance(score, str) and score.strip().lstrip("-").isdigit() and len(score) < 6:
        score = int(score.strip())
    errors: dict[str, list[str]] = {}
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        errors["score"] = [f"choose a score from {low} to {high}"]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [f"at most {COMMENT_MAX:,} characters"]
    items: list[SurveyAnswerItem] = []
    try:
        items = answer_items_clean(list(survey.questions.all()), answers)
    except ValidationError as refused:
        errors |= refused.message_dict
    if errors:
        raise ValidationError(errors)
    answer = survey_response_create(
        by=None, customer_id=invitation.customer_id, kind=survey.kind, score=score,
        answered_at=now, comment=comment if survey.follow_up else "", channel=CHANNEL,
        order_id=invitation.order_id, invitation_id=invitation.pk, now=now,
    )  # fmt: skip
    for item in items:
        item.response = answer
    SurveyAnswerItem.objects.bulk_create(items)
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    return Answered(invitation, answer)
