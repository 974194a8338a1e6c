"""Segments as a follower of the events (``tenure.events.consumers``).

``members`` re-evaluates every segment for the customers a batch of events is about (an
order, a change of their record or consent, a stage entered, a health band changed, an
answer, ...), in the transaction that advances its position, so their entries and exits
happen once. Its own events (``segment.*``) change no fact and are passed over; an account's
change reaches its customers.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenure.customers.models import Customer
from tenure.events.consumers import Consumer
from tenure.events.models import Event

_NOT_FACTS = frozenset({"segment.entered", "segment.left", "import.committed"})


def touched_customers(events: Sequence[Event]) -> list[int]:
    """The customers whose facts the events may have changed."""
    customers: set[int] = set()
    accounts: set[int] = set()
    for event in events:
        if event.kind in _NOT_FACTS:
            continue
        if event.customer_id is not None:
            customers.add(event.customer_id)
            before = (event.data or {}).get("customer_before")
            if isinstance(before, int):
                customers.add(before)
        elif event.kind == "account.changed" and event.subject_id is not None:
            accounts.add(event.subject_id)
    if accounts:
        customers.update(
            Customer.objects.filter(account_id__in=accounts).values_list("pk", flat=True)
        )
    return sorted(customers)


def members_follow(events: Sequence[Event]) -> None:
    from tenure.segments.services import segments_refresh_customers

    customer_ids = touched_customers(events)
    if customer_ids:
        segments_refresh_customers(customer_ids=customer_ids)


MEMBERS = Consumer("segments.members", members_follow, batch=50_000)
