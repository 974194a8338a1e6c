"""Answering a survey through its link, and the follow-up a low answer opens.

A detractor (NPS 0-6), a dissatisfied CSAT (1-2) or a difficult CES (1-3), the negative bands
of ``tenure.analytics.feedback``, opens one task for the customer's owner (else for whoever
sent the survey), in the answer's transaction. The task is claimed by the key
``survey_answer:<answer id>``, the key the built-in "complaint and detractor" playbook's claimed
task uses for the same answer, so the two never both open one; the invitation is answered once,
so a second submission of the link records nothing and opens nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenure.analytics.feedback import BANDS
from tenure.feedback.models import SurveyResponse
from tenure.feedback.surveys import Answered, survey_answer_record
from tenure.todos.models import Task, TaskPriority, TaskSource
from tenure.todos.services import task_create

RULE = "survey_follow_up"
DUE_DAYS = 1
WORDS = {"nps": "a low NPS answer", "csat": "a low CSAT answer", "ces": "a hard CES answer"}


def answer_is_low(kind: str, score: int) -> bool:
    """Whether an answer falls in its scale's negative band."""
    return score <= BANDS[kind][0]


def follow_up_key(answer_id: int) -> str:
    return f"survey_answer:{answer_id}"


def low_answer_follow_up(
    *, answer: SurveyResponse, sent_by_id: int | None, now: datetime
) -> Task | None:
    """The follow-up task of a low answer, once (None: not low, nobody to give it to, or the
    task exists already). Runs in the caller's transaction."""
    if not answer_is_low(answer.kind, answer.score):
        return None
    customer = answer.customer
    owner = customer.owner_id or sent_by_id
    key = follow_up_key(answer.pk)
    if owner is None or Task.objects.filter(source_key=key).exists():
        return None
    who = customer.name or customer.external_id
    said = f"{answer.get_kind_display()} {answer.score} out of {answer.scale_high}"
    wrote = f"\n\nThey wrote: {answer.comment}" if answer.comment else ""
    body = f"Survey answer: {said}.{wrote}"
    return task_create(
        by=None, title=f"Follow up {WORDS[answer.kind]} of {who}"[:200], owner=owner,
        due=timezone.localdate(now) + timedelta(days=DUE_DAYS), priority=TaskPriority.HIGH,
        customer_id=customer.pk, source=TaskSource.RULE, rule=RULE, source_key=key,
        body=body + "\n\nCall them and write down what you hear.",
    )  # fmt: skip


@transaction.atomic
def survey_answer(
    *,
    token: str,
    score: Any,
    comment: str = "",
    now: datetime,
    answers: Mapping[str, Any] | None = None,
) -> Answered:
    """Record an answer given through a survey's link (with its custom questions' ``answers``
    by field) and follow it up when it is low, in one transaction. ``SurveyRefused`` (invalid,
    expired, answered, closed) or ``ValidationError`` (a score off the scale, a custom answer
    refused) leave nothing written."""
    answered = survey_answer_record(
        token=token, score=score, comment=comment, now=now, answers=answers
    )
    low_answer_follow_up(answer=answered.answer, sent_by_id=answered.invitation.sent_by_id, now=now)
    return answered
