"""The consumer ``webhooks.deliveries``: a delivery row per event and endpoint subscribed.

It runs in the batch's transaction (``tenure.events.consumers``), so the rows and the
consumer's new position commit together; a batch handled again (a worker killed before its
commit, a position moved back) finds its rows there already (``ignore_conflicts`` on the unique
(endpoint, event)): one delivery per endpoint and event, whatever happens. Rows are written in
the events' order, so a delivery's id orders it among its customer's (``sending``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from tenure.events.consumers import Consumer
from tenure.events.models import Event
from tenure.events.reading import Position
from tenure.webhooks.models import Delivery, DeliveryStatus, Endpoint


def deliveries_make(events: Sequence[Event]) -> None:
    endpoints = list(Endpoint.objects.filter(active=True))
    if not endpoints:
        return
    now = timezone.now()
    rows = [
        Delivery(
            endpoint=endpoint,
            event=event,
            customer_id=event.customer_id,
            status=DeliveryStatus.PENDING,
            next_try_at=now,
        )
        for event in events  # in the events' order: ids follow it
        for endpoint in endpoints
        if (not endpoint.kinds or event.kind in endpoint.kinds)
        and Position.of(event) > Position(endpoint.start_tx, endpoint.start_event_id)
    ]
    Delivery.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


DELIVERIES = Consumer("webhooks.deliveries", deliveries_make, batch=2000)
