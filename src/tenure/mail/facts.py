"""The email facts, as of a moment, for the health score's email component and for segments:
``emails_sent_90d`` (messages the mail server accepted, or the outbox kept, in the 90 days up
to ``now``) and ``emails_engaged_90d`` (of the customer's messages, how many were opened or
clicked in those days, each message counted once). One query each, only those asked for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.db.models import Count

from tenure.domain.facts import Fact, FactProvider
from tenure.events.models import Event
from tenure.facts import FactRequest, fetch_numbers, scatter
from tenure.mail.events import MAIL_CLICKED, MAIL_OPENED
from tenure.mail.models import Message, MessageStatus

WINDOW = timedelta(days=90)


def _email_facts(request: FactRequest) -> dict[str, Any]:
    ids, now, needed, chunk = request.ids, request.now, request.needed, request.chunk
    since = now - WINDOW
    facts: dict[str, Any] = {}
    if "emails_sent_90d" in needed:
        rows = fetch_numbers(
            Message.objects.filter(
                chunk.where("customer_id"),
                status=MessageStatus.SENT,
                finished_at__gt=since,
                finished_at__lte=now,
            )
            .order_by()
            .values("customer_id")
            .annotate(n=Count("id"))
            .values_list("customer_id", "n"),
            2,
        )
        facts["emails_sent_90d"] = scatter(ids, rows[:, 0].astype(np.int64), rows[:, 1], 0.0)
    if "emails_engaged_90d" in needed:
        rows = fetch_numbers(
            Event.objects.filter(
                chunk.where("customer_id"),
                kind__in=(MAIL_OPENED.name, MAIL_CLICKED.name),
                at__gt=since,
                at__lte=now,
            )
            .order_by()
            .values("customer_id")
            .annotate(n=Count("subject_id", distinct=True))
            .values_list("customer_id", "n"),
            2,
        )
        facts["emails_engaged_90d"] = scatter(ids, rows[:, 0].astype(np.int64), rows[:, 1], 0.0)
    return facts


PROVIDER = FactProvider(
    name="email",
    facts=(
        Fact("emails_engaged_90d", "number", "Of the customer's emails, how many they opened or "
             "clicked in the last 90 days (tracked messages only)."),
        Fact("emails_sent_90d", "number", "Emails sent to the customer in the last 90 days."),
    ),
    compute=_email_facts,
)  # fmt: skip
"""Registered by ``MailConfig.ready``."""
