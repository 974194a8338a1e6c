"""Reads of email, under ``visible``: a message is its customer's (a success manager reads the
messages of their book); templates and suppressions are the whole business's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from tenure.access import get_visible_or_404, require_all, visible
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.loyalty.tokens import points_url
from tenure.mail.composing import customer_context
from tenure.mail.models import Broadcast, Message, MessageStatus, Suppression, Template
from tenure.mail.rendering import Rendered, template_render
from tenure.mail.services import TEMPLATES_WHY


def message_list(
    *, user: Any, customer_id: int | None = None, status: str | None = None
) -> QuerySet[Message]:
    messages = visible(user, Message).select_related("customer", "contact", "template")
    if customer_id is not None:
        messages = messages.filter(customer_id=customer_id)
    if status:
        messages = messages.filter(status=status)
    return messages.defer("raw", "html", "text").order_by("-id")


def outbox(*, user: Any) -> QuerySet[Message]:
    """What was sent (to the outbox or the server), newest first."""
    return message_list(user=user, status=MessageStatus.SENT)


def message_get(*, user: Any, message_id: int) -> Message:
    return get_visible_or_404(
        user, Message.objects.select_related("customer", "contact"), pk=message_id
    )


def template_list(*, user: Any) -> QuerySet[Template]:
    """Every role reads the templates (they hold no customer's data)."""
    return Template.objects.order_by("id")


def template_preview(*, user: Any, template: Template, customer_id: int) -> Rendered:
    """The template rendered for a real customer the caller may see."""
    require_all(user, Action.CHANGE, why=TEMPLATES_WHY)
    customer = get_visible_or_404(user, Customer, pk=customer_id)
    return template_render(
        subject=template.subject,
        text=template.text,
        html=template.html,
        context={"customer": customer_context(customer), "loyalty_link": points_url(customer.pk)},
    )


def suppression_list(*, user: Any) -> QuerySet[Suppression]:
    require_all(user, Action.CHANGE, why=TEMPLATES_WHY)
    return Suppression.objects.order_by("id")


# -- broadcasts: every role reads them, a success manager the recipients of their book ---------


def broadcast_list(*, user: Any, status: str | None = None) -> QuerySet[Broadcast]:
    broadcasts = Broadcast.objects.select_related("segment", "template", "created_by")
    if status:
        broadcasts = broadcasts.filter(status=status)
    return broadcasts.order_by("-id")


def broadcast_get(*, user: Any, broadcast_id: int) -> Broadcast:
    return get_object_or_404(broadcast_list(user=user), pk=broadcast_id)


def broadcast_recipients(
    *, user: Any, broadcast: Broadcast, status: str | None = None
) -> QuerySet[Message]:
    """The broadcast's messages (its per-recipient log) among the customers ``user`` sees."""
    recipients = visible(user, Message).filter(source=broadcast.source)
    if status:
        recipients = recipients.filter(status=status)
    return recipients.select_related("customer").defer("raw", "html", "text").order_by("id")


# -- a broadcast's log: where its messages ended up ----------------------------------------------


@dataclass(frozen=True)
class BroadcastCounts:
    """The audience and where each message of it ended up; ``sent + skipped + failed + expired
    + pending == audience`` (``unknown``: handed to the server, outcome not recorded, counted
    as sent since it may have arrived; ``held`` is part of ``pending``)."""

    audience: int
    sent: int
    skipped: int
    failed: int
    expired: int
    pending: int
    unknown: int = 0
    held: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def adds_up(self) -> bool:
        return self.sent + self.skipped + self.failed + self.expired + self.pending == self.audience

    def as_dict(self) -> dict[str, Any]:
        return {
            "audience": self.audience,
            "sent": self.sent,
            "skipped": self.skipped,
            "failed": self.failed,
            "expired": self.expired,
            "pending": self.pending,
            "unknown": self.unknown,
            "held": self.held,
        }


def broadcast_counts(broadcast: Broadcast) -> BroadcastCounts:
    """Counted from the ledger in two grouped reads."""
    by_status = dict(
        Message.objects.filter(source=broadcast.source)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    reasons = dict(
        Message.objects.filter(source=broadcast.source, status=MessageStatus.SUPPRESSED)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    s = MessageStatus

    def n(*statuses: str) -> int:
        return sum(by_status.get(status, 0) for status in statuses)

    queued = sum(by_status.values())
    return BroadcastCounts(
        # The snapshot taken at the start, so the sum is checked against it, not itself.
        audience=queued if broadcast.audience is None else broadcast.audience,
        sent=n(s.SENT, s.UNKNOWN),
        skipped=n(s.SUPPRESSED),
        failed=n(s.FAILED),
        expired=n(s.EXPIRED),
        pending=n(s.QUEUED, s.DEFERRED, s.SENDING, s.HELD),
        unknown=n(s.UNKNOWN),
        held=n(s.HELD),
        skipped_reasons=reasons,
    )
