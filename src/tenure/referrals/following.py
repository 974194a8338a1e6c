"""Referral rewards as a follower of the orders' events (``tenure.events.consumers``), in the
transaction that advances the consumer's position: each batch's effects happen once.

A completed order placed (or an order completed again) for a customer whose referral is
signed up takes their *first* completed order, read from the orders (the events say who to
look at; the orders say which order is first): the referral then waits for the refund window
and the feedback referral becomes ``purchased``. A refund, cancellation, deletion or move of
a first order still waiting marks the referral not rewarded with that reason, at once (the
nightly ``referrals.reward`` checks the order again before paying, whatever came late).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils import timezone

from tenure.events.consumers import Consumer
from tenure.events.models import Event
from tenure.referrals.models import AttributionStatus, ReferralAttribution

PLACING = frozenset({"order.placed", "order.changed"})
KINDS = frozenset({*PLACING, "order.refunded", "order.cancelled", "order.deleted"})
CHUNK = 5000


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def first_orders_follow(events: Sequence[Event]) -> None:
    from tenure.referrals.services import first_order_take, order_changed

    now = timezone.now()
    buyers: set[int] = set()
    orders: set[int] = set()
    for event in events:
        if event.subject_id:
            orders.add(event.subject_id)
        completed = (event.data or {}).get("status") == "completed"
        if event.kind in PLACING and event.customer_id and completed:
            buyers.add(event.customer_id)
    for ids in _chunks(sorted(buyers)):
        waiting = ReferralAttribution.objects.filter(
            status=AttributionStatus.SIGNED_UP, referred_id__in=ids
        )
        for attribution in waiting.order_by("pk"):
            first_order_take(attribution, now)
    for ids in _chunks(sorted(orders)):
        ordered = ReferralAttribution.objects.filter(
            status=AttributionStatus.ORDERED, order_id__in=ids
        )
        for attribution in ordered.order_by("pk"):
            order_changed(attribution, now)


FIRST_ORDERS = Consumer("referrals.first_orders", first_orders_follow, kinds=KINDS, batch=20_000)
