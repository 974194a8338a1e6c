"""The lifecycle engine as a follower of the events (``tenure.events.consumers``).

``stages`` re-evaluates the customers a batch of events touched, each from the earliest moment
their history changed (a dated event's ``at``: a back-dated order, a refund of last year's
order), then their health; above ``INLINE_MAX`` customers it queues one recompute job for
the worker instead. ``complaints`` opens the personal follow-up of every complaint. Both run
in the worker (or after the writer's commit with ``EVENTS_DELIVERY = "on_commit"``), in the
transaction that advances their position: their effects happen once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q

from tenure.customers.facts import ACCOUNT_FACT_FIELDS, FACT_FIELDS
from tenure.customers.models import Customer
from tenure.events.consumers import Consumer
from tenure.events.kinds import event_kind
from tenure.events.models import Event

INLINE_MAX = 5000
"""Above this many customers in one batch (a large import) the recompute goes to the worker
as one job."""

_CAUSES = {
    "order": "order",
    "customer": "customer",
    "subscription": "subscription",
    "interaction": "interaction",
    "survey_answer": "feedback",
    "referral": "feedback",
}
"""The subjects whose events change a customer's lifecycle facts, and the cause their moves
are stored with."""
_NOT_FACTS = {"subscription.renewal_coming", "stage.entered", "stage.left", "health.band_changed"}
"""Events about a customer that change none of their facts: the engine's own output, and a
notice of what is coming."""


def _touched(events: Sequence[Event]) -> dict[str, tuple[set[int], dict[int, datetime]]]:
    """Per cause, the customers the events touched and, for dated events, since when. A
    customer touched by several causes in one batch goes with the cause of their latest
    event (the likeliest to have moved them); ``since`` is the earliest of all of them."""
    cause_of: dict[int, str] = {}
    since: dict[int, datetime] = {}
    for event in events:
        cause = _CAUSES.get(event.subject)
        if cause is None or event.kind in _NOT_FACTS or event.customer_id is None:
            continue
        if event.via == "import":
            cause = "import"
        customers = [event.customer_id]
        before = (event.data or {}).get("customer_before")
        if isinstance(before, int):
            customers.append(before)
        dated = event_kind(event.kind).dated
        for customer_id in customers:
            cause_of[customer_id] = cause
            if dated:
                known = since.get(customer_id)
                since[customer_id] = event.at if known is None else min(known, event.at)
    by_cause: dict[str, tuple[set[int], dict[int, datetime]]] = {}
    for customer_id, cause in cause_of.items():
        ids, dated_since = by_cause.setdefault(cause, (set(), {}))
        ids.add(customer_id)
        if customer_id in since:
            dated_since[customer_id] = since[customer_id]
    return by_cause


def _timeless(events: Sequence[Event]) -> dict[int, datetime]:
    """The customers whose timeless facts changed (channel, category, account, attributes, the
    account's industry or bands: ``tenure.customers.facts``), each with the start of their
    history: such a fact is read as it is now at every moment, so the whole history is
    replayed, as a recompute from scratch would."""
    customers: set[int] = set()
    accounts: set[int] = set()
    for event in events:
        fields = set((event.data or {}).get("fields") or ())
        if event.kind == "customer.changed" and fields & FACT_FIELDS:
            customers.add(int(event.subject_id or 0))
        elif event.kind == "account.changed" and fields & ACCOUNT_FACT_FIELDS:
            accounts.add(int(event.subject_id or 0))
    if not customers and not accounts:
        return {}
    found = Customer.objects.filter(Q(pk__in=customers) | Q(account_id__in=accounts))
    return {
        pk: min(created, first) if first is not None else created
        for pk, created, first in found.values_list("pk", "created_at", "first_order_at")
    }


def stages_follow(events: Sequence[Event]) -> None:
    from tenure.lifecycle.services import lifecycle_recompute_enqueue, lifecycle_update

    touched = _touched(events)
    starts = _timeless(events)
    for customer_id, start in starts.items():
        # In the group that already holds the customer, else with the cause "customer".
        group = next((g for g in touched.values() if customer_id in g[0]), None)
        if group is None:
            group = touched.setdefault("customer", (set(), {}))
            group[0].add(customer_id)
        group[1][customer_id] = min(group[1].get(customer_id, start), start)
    for cause, (ids, since) in touched.items():
        customer_ids = sorted(ids)
        if len(customer_ids) > INLINE_MAX:
            lifecycle_recompute_enqueue(customer_ids=customer_ids, cause=cause, since=since)
        else:
            lifecycle_update(customer_ids=customer_ids, cause=cause, since=since)


def complaints_follow(events: Sequence[Event]) -> None:
    from tenure.lifecycle.followups import complaint_follow_up

    for event in events:
        if event.kind == "complaint.opened" and (event.data or {}).get("kind") == "complaint":
            complaint_follow_up(interaction_id=int(event.subject_id or 0))


STAGES = Consumer("lifecycle.stages", stages_follow, batch=50_000)
COMPLAINTS = Consumer(
    "lifecycle.complaint_follow_ups", complaints_follow, kinds=frozenset({"complaint.opened"})
)
