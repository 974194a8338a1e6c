"""Telling the customers who asked that their idea shipped: one email each, queued in the
mail ledger (``tenure.mail``) under the key (``idea:<id>``, ``shipped``, customer), so the
status set to done twice, a request added after it shipped or a merge into a shipped idea
queue one message per customer and idea, never two.

It is marketing mail on the ``email_marketing`` topic: the sender checks consent, the
suppression list, quiet hours and the cap again when it sends. A customer without an address
or without consent to marketing emails now is not queued at all (as a survey's invitation)."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings

from tenure.customers.models import Consent, ConsentPurpose
from tenure.ideas.models import Idea, IdeaRequest
from tenure.mail.models import MessageKind
from tenure.mail.services import NewMessage, message_queue

TOPIC = ConsentPurpose.EMAIL_MARKETING
STEP = "shipped"

TEXT = """Hello,

you asked {{ business }} for this:

{{ idea }}

It is done and available now. Thank you for telling us: it helped us decide.
"""
HTML = """<p>Hello,</p>
<p>you asked {{ business }} for this:</p>
<p><strong>{{ idea }}</strong></p>
<p>It is done and available now. Thank you for telling us: it helped us decide.</p>
"""


def _business() -> str:
    return parseaddr(settings.MAIL_FROM)[0] or "tenure"


def _reachable(requests: list[IdeaRequest]) -> list[IdeaRequest]:
    """The requests whose customer has an address and consents to marketing emails now."""
    ids = [r.customer_id for r in requests]
    granted = set(
        Consent.objects.filter(customer_id__in=ids, purpose=TOPIC, granted=True)
        .values_list("customer_id", flat=True)
    )  # fmt: skip
    return [r for r in requests if r.customer.email.strip() and r.customer_id in granted]


def shipped_notices_queue(
    *, idea: Idea, now: datetime, customer_ids: list[int] | None = None
) -> int:
    """Queue "you asked, it shipped" for the idea's requesters (or those of ``customer_ids``);
    how many messages are new."""
    requests = IdeaRequest.objects.filter(idea=idea).select_related("customer")
    if customer_ids is not None:
        requests = requests.filter(customer_id__in=customer_ids)
    new = 0
    for request in _reachable(list(requests)):
        _, made = message_queue(
            NewMessage(
                source=f"idea:{idea.pk}", step=STEP, customer_id=request.customer_id,
                due_at=now, kind=MessageKind.MARKETING, topic=TOPIC,
                subject=f"{_business()}: what you asked for is here", text=TEXT, html=HTML,
                context={"business": _business(), "idea": idea.title},
            ),
            now=now,
        )  # fmt: skip
        new += made
    return new
