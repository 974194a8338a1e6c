"""The playbook step ``ask_promoter``: ask the customer who just gave a positive survey answer
for a review or a referral (``tenure.surveys.asking.promoter_ask``: one email per answer,
consent and caps at send time). Here, not in the surveys app, because playbooks sit above it.

The answer is the trigger's: a playbook on ``survey.answered`` (``"match": {"band":
"promoter"}``) enrols with the answer as its subject; enrolled otherwise, the step asks about
the customer's latest answer given through a survey within ``within_days``.
"""

from __future__ import annotations

from datetime import timedelta

from tenure.domain.playbook_steps import Param, StepKind
from tenure.feedback.models import SurveyResponse
from tenure.playbooks.steps import Outcome, StepContext, step_register
from tenure.surveys.asking import ASKS, promoter_ask

ASK_PROMOTER = StepKind(
    "ask_promoter",
    "Ask a promoter for a review or a referral",
    {
        "ask": Param(
            "choice",
            choices=ASKS,
            default="review",
            help="review: the survey's review link; referral: the customer's own link",
        ),
        "within_days": Param(
            "int",
            minimum=1,
            maximum=365,
            default=7,
            help="without a triggering answer: the latest of these days",
        ),
    },
    "Email the customer whose survey answer was positive (an NPS promoter) the survey's review "
    "link or their referral link: once per answer, with consent.",
    needs="the surveys",
)


def _answer(ctx: StepContext) -> SurveyResponse | None:
    enrollment = ctx.enrollment
    answers = SurveyResponse.objects.select_related("customer", "invitation__survey")
    if enrollment.subject == "survey_answer" and enrollment.subject_id:
        return answers.filter(pk=enrollment.subject_id, customer_id=enrollment.customer_id).first()
    days = ctx.step.params.get("within_days") or 7
    since = ctx.now - timedelta(days=float(days))
    return (
        answers.filter(
            customer_id=enrollment.customer_id, invitation__isnull=False, answered_at__gte=since
        )
        .order_by("-answered_at", "-pk")
        .first()
    )


def _ask_promoter(ctx: StepContext) -> Outcome:
    answer = _answer(ctx)
    if answer is None:
        return Outcome("skipped", "no survey answer to follow")
    asked = promoter_ask(
        answer=answer, ask=str(ctx.step.params.get("ask") or "review"), now=ctx.now,
        priority=ctx.definition.priority,
    )  # fmt: skip
    if asked.message is None:
        return Outcome("skipped", asked.reason)
    done = "queued" if asked.new else "queued already"
    return Outcome("done", f"message {asked.message.pk} {done}")


def survey_steps_register() -> None:
    step_register(ASK_PROMOTER, _ask_promoter)
