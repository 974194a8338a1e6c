"""Asking a promoter for a review or a referral, once per answer.

After a positive answer (an NPS promoter, 9-10; a satisfied CSAT, 4-5; an easy CES, 5-7) a
playbook's ``ask_promoter`` step (``tenure.playbooks.survey_steps``) queues one marketing email
with the business's review link (the survey's ``review_url``) or the customer's referral link
(the survey's ``referral_url`` with ``?ref=<the customer's external id>``, so the referral
programme knows who brought whom). Its key in the mail ledger names the answer
(``survey-ask:<review|referral>``, ``ask``, ``a<answer id>``), so two playbooks or a step run
twice ask once; consent, suppression, quiet hours and the frequency cap are the sender's, at
send time, as for every marketing email. The words are in the language the survey was answered
in (the invitation's), where tenure knows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from tenure.analytics.feedback import BANDS
from tenure.customers.models import ConsentPurpose
from tenure.feedback.models import Survey, SurveyResponse
from tenure.feedback.questions import survey_texts
from tenure.mail.models import Message, MessageKind
from tenure.mail.services import NewMessage, message_queue
from tenure.surveys.sending import business_name
from tenure.surveys.words import words

ASKS = ("review", "referral")
VALID_DAYS = 14
TEXT = """{{ intro }}

{{ link }}

{{ thanks }}
{{ business }}
"""
HTML = """<p>{{ intro }}</p>
<p><a href="{{ link }}">{{ link_words }}</a></p>
<p>{{ thanks }}<br>{{ business }}</p>
"""


def answer_is_positive(kind: str, score: int) -> bool:
    """Whether an answer falls in its scale's positive band (a promoter, for NPS)."""
    return score >= BANDS[kind][1]


def referral_link(survey: Survey, external_id: str) -> str:
    """The survey's referral page with the customer's reference added to its query."""
    parts = urlsplit(survey.referral_url)
    query = "&".join(q for q in (parts.query, urlencode({"ref": external_id})) if q)
    return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True)
class Asked:
    """What asking did: ``message`` queued (``new``: now, else before), or why not."""

    message: Message | None
    new: bool
    reason: str = ""


def promoter_ask(*, answer: SurveyResponse, ask: str, now: datetime, priority: int = 0) -> Asked:
    """Queue the review or referral ask of a positive answer given through a survey's link,
    once per answer; ``Asked`` with the reason when there is nothing to ask (not positive, not
    through a survey, no link configured)."""
    if ask not in ASKS:
        return Asked(None, False, f"ask is one of {', '.join(ASKS)}")
    if not answer_is_positive(answer.kind, answer.score):
        return Asked(None, False, f"{answer.get_kind_display()} {answer.score} is not positive")
    invitation = answer.invitation
    if invitation is None:
        return Asked(None, False, "the answer came through no survey")
    survey = invitation.survey
    if ask == "review" and not survey.review_url:
        return Asked(None, False, f"the survey “{survey.name}” has no review link")
    if ask == "referral" and not survey.referral_url:
        return Asked(None, False, f"the survey “{survey.name}” has no referral link")
    customer = answer.customer
    link = survey.review_url if ask == "review" else referral_link(survey, customer.external_id)
    said = words(survey_texts(survey, invitation.language).language)
    business = business_name()
    message, new = message_queue(
        NewMessage(
            source=f"survey-ask:{ask}", step="ask", occurrence=f"a{answer.pk}",
            customer_id=customer.pk, due_at=now, kind=MessageKind.MARKETING,
            topic=ConsentPurpose.EMAIL_MARKETING, priority=priority,
            subject=said[f"ask_{ask}_subject"].format(business=business), text=TEXT, html=HTML,
            context={
                "intro": said[f"ask_{ask}"].format(business=business), "link": link,
                "link_words": said[ask], "thanks": said["thanks_again"], "business": business,
            },
            valid_until=now + timedelta(days=VALID_DAYS),
        ),
        now=now,
    )  # fmt: skip
    return Asked(message, new)
