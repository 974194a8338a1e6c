"""A coupon's use comes back when its order is voided in full: the consumer
``rewards.coupon_releases`` follows ``order.refunded``, ``order.cancelled`` and
``order.deleted`` and releases the uses made on those orders, in the batch's transaction (a
batch delivered twice releases once: a released use is skipped). A partial refund, an
``order.changed`` lowering the amount, keeps the use."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from tenure.events.consumers import Consumer
from tenure.events.models import Event

VOIDING = frozenset({"order.refunded", "order.cancelled", "order.deleted"})


def releases_follow(events: Sequence[Event]) -> None:
    from tenure.rewards.services import orders_voided_release

    now = timezone.now()
    by_kind: dict[str, set[int]] = {}
    for event in events:
        if event.kind in VOIDING and event.subject_id:
            by_kind.setdefault(event.kind, set()).add(int(event.subject_id))
    for kind, order_ids in sorted(by_kind.items()):
        orders_voided_release(sorted(order_ids), now=now, words=kind.removeprefix("order."))


RELEASES = Consumer("rewards.coupon_releases", releases_follow, kinds=VOIDING)
