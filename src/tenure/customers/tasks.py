"""What the worker runs for the customers app: the daily "renewal coming" events."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tenure.customers.events import RENEWAL_COMING
from tenure.customers.models import Subscription
from tenure.events.record import NewEvent, acting_via, events_record

RENEWAL_NOTICE = timedelta(days=30)


def renewals_announce(now: datetime | None = None) -> dict[str, int]:
    """One ``subscription.renewal_coming`` per live subscription renewing within 30 days, once
    per renewal (its key holds the renewal date: running this twice, or daily, adds nothing)."""
    now = now or timezone.now()
    coming = Subscription.objects.filter(
        cancelled_at__isnull=True, renews_at__gt=now, renews_at__lte=now + RENEWAL_NOTICE
    ).values_list("pk", "customer_id", "plan", "renews_at")
    events = [
        NewEvent(
            RENEWAL_COMING.name, "subscription", pk, customer_id, renews_at,
            {"plan": plan, "renews_at": renews_at.isoformat()},
            key=f"{RENEWAL_COMING.name}:{pk}:{renews_at.date().isoformat()}",
        )
        for pk, customer_id, plan, renews_at in coming.iterator(chunk_size=5000)
        if renews_at is not None
    ]  # fmt: skip
    with transaction.atomic(), acting_via("worker"):
        events_record(events)
    return {"renewals": len(events)}
