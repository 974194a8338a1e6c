"""Reads of surveys: response rates per survey and per send, and each survey's score.

Counted over the invitations of the customers the user may see (``user=None``: all). The score
is the survey's own answers (those given through its links), with its interval from
``tenure.analytics.feedback``; a send's rate is its answered invitations over its invitations.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from tenure.access import visible
from tenure.analytics.feedback import SurveyScore, survey_score
from tenure.customers.models import Customer
from tenure.feedback.models import Survey, SurveyInvitation, SurveyResponse, SurveySend
from tenure.users.models import User


@dataclass(frozen=True)
class Rate:
    invited: int
    answered: int

    @property
    def rate(self) -> float | None:
        """Answered over invited, 0-1 (None before anyone was invited)."""
        return self.answered / self.invited if self.invited else None


@dataclass(frozen=True)
class SurveyRow:
    survey: Survey
    rate: Rate
    score: SurveyScore


@dataclass(frozen=True)
class SendRow:
    send: SurveySend
    rate: Rate


def invitations_visible(*, user: User | None) -> QuerySet[SurveyInvitation]:
    invitations = SurveyInvitation.objects.all()
    if user is None:
        return invitations
    return invitations.filter(customer__in=visible(user, Customer).values("pk"))


def _counts(invitations: QuerySet[SurveyInvitation], by: str) -> dict[int, Rate]:
    rows = (
        invitations.order_by()
        .values(by)
        .annotate(invited=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    )
    return {row[by]: Rate(row["invited"], row["answered"]) for row in rows}


def survey_rows(*, user: User | None) -> list[SurveyRow]:
    """Every survey with its response rate and score, by name."""
    invitations = invitations_visible(user=user)
    rates = _counts(invitations, "survey_id")
    scores: dict[int, list[int]] = {}
    answers = SurveyResponse.objects.filter(invitation__in=invitations.values("pk"))
    for survey_id, score in answers.values_list("invitation__survey_id", "score"):
        scores.setdefault(survey_id, []).append(score)
    return [
        SurveyRow(
            survey,
            rates.get(survey.pk, Rate(0, 0)),
            survey_score(survey.kind, scores.get(survey.pk, [])),
        )
        for survey in Survey.objects.order_by("name", "pk")
    ]


def survey_row(*, user: User | None, survey: Survey) -> SurveyRow:
    return next(row for row in survey_rows(user=user) if row.survey.pk == survey.pk)


def survey_send_rows(*, user: User | None, survey: Survey) -> list[SendRow]:
    """The survey's sends, newest first, each with its response rate."""
    rates = _counts(invitations_visible(user=user).filter(survey=survey), "send_id")
    return [SendRow(send, rates.get(send.pk, Rate(0, 0))) for send in survey.sends.all()]
