"""The customers app's events: customers created, changed (which fields), deleted;
subscriptions started, changed, cancelled, deleted, renewal coming; consents changed.

Each ``*_events`` rule turns one change into its events; the models' saves and deletes
(``tenure.events.tracking``) and the imports use the same rules.
"""

from __future__ import annotations

from typing import Any

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent
from tenure.events.tracking import Values, changed_fields

CUSTOMER_FIELDS = (
    "external_id", "first_name", "last_name", "email", "phone", "birthday", "time_zone",
    "channel", "category", "account_id", "custom_attributes", "owner_id", "created_at",
)  # fmt: skip
"""What a person changes about a customer (not the figures that follow from orders)."""

CUSTOMER_CREATED = EventKind("customer.created", "A customer was created.")
CUSTOMER_CHANGED = EventKind("customer.changed", "A customer's fields changed (their names).")
CUSTOMER_DELETED = EventKind("customer.deleted", "A customer was deleted.")

ACCOUNT_FIELDS = (
    "name", "industry", "size_band", "budget_band", "website", "custom_attributes", "owner_id",
    "created_at",
)  # fmt: skip
ACCOUNT_CREATED = EventKind("account.created", "An account (a company) was created.")
ACCOUNT_CHANGED = EventKind("account.changed", "An account's fields changed (their names).")
ACCOUNT_DELETED = EventKind("account.deleted", "An account was deleted.")

SUBSCRIPTION_FIELDS = (
    "customer_id", "plan", "amount", "currency", "interval", "started_at", "renews_at",
    "cancelled_at",
)  # fmt: skip
SUBSCRIPTION_STARTED = EventKind("subscription.started", "A subscription started.", dated=True)
SUBSCRIPTION_CHANGED = EventKind("subscription.changed", "A subscription changed.", dated=True)
SUBSCRIPTION_CANCELLED = EventKind(
    "subscription.cancelled", "A subscription was cancelled.", dated=True
)
SUBSCRIPTION_DELETED = EventKind("subscription.deleted", "A subscription was deleted.", dated=True)
RENEWAL_COMING = EventKind(
    "subscription.renewal_coming", "A subscription renews within 30 days (once per renewal)."
)

CONSENT_FIELDS = ("customer_id", "purpose", "granted", "changed_at", "source")
CONSENT_CHANGED = EventKind("consent.changed", "A customer gave or withdrew a consent.")

event_kinds_register(
    ACCOUNT_CREATED, ACCOUNT_CHANGED, ACCOUNT_DELETED, CUSTOMER_CREATED, CUSTOMER_CHANGED,
    CUSTOMER_DELETED, SUBSCRIPTION_STARTED, SUBSCRIPTION_CHANGED, SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_DELETED, RENEWAL_COMING, CONSENT_CHANGED,
)  # fmt: skip


def customer_events(
    customer_id: int, before: Values | None, after: Values | None
) -> list[NewEvent]:
    if after is None:
        return [
            NewEvent(
                CUSTOMER_DELETED.name, "customer", customer_id, customer_id,
                key=f"{CUSTOMER_DELETED.name}:{customer_id}",
            )
        ]  # fmt: skip
    if before is None:
        return [
            NewEvent(
                CUSTOMER_CREATED.name, "customer", customer_id, customer_id,
                key=f"{CUSTOMER_CREATED.name}:{customer_id}",
            )
        ]  # fmt: skip
    fields = changed_fields(before, after)
    if not fields:
        return []
    return [
        NewEvent(
            CUSTOMER_CHANGED.name, "customer", customer_id, customer_id, data={"fields": fields}
        )
    ]


def account_events(account_id: int, before: Values | None, after: Values | None) -> list[NewEvent]:
    if after is None or before is None:
        kind = ACCOUNT_DELETED if after is None else ACCOUNT_CREATED
        return [NewEvent(kind.name, "account", account_id, None, key=f"{kind.name}:{account_id}")]
    fields = changed_fields(before, after)
    if not fields:
        return []
    return [NewEvent(ACCOUNT_CHANGED.name, "account", account_id, None, data={"fields": fields})]


def _dates(values: Values) -> list:
    return [values[name] for name in ("started_at", "cancelled_at") if values[name] is not None]


def subscription_events(
    subscription_id: int, before: Values | None, after: Values | None
) -> list[NewEvent]:
    def event(kind: EventKind, values: Values, at: Any, **extra: object) -> NewEvent:
        once = kind in (SUBSCRIPTION_STARTED, SUBSCRIPTION_DELETED)
        return NewEvent(
            kind.name, "subscription", subscription_id, values["customer_id"], at,
            {"plan": str(values["plan"]), **extra},
            key=f"{kind.name}:{subscription_id}" if once else "",
        )  # fmt: skip

    if after is None:
        assert before is not None
        return [event(SUBSCRIPTION_DELETED, before, before["started_at"])]
    if before is None:
        events = [event(SUBSCRIPTION_STARTED, after, after["started_at"])]
        if after["cancelled_at"] is not None:
            events.append(event(SUBSCRIPTION_CANCELLED, after, after["cancelled_at"]))
        return events
    fields = changed_fields(before, after)
    # The history changed from the earliest date that moved (a cancellation entered late is
    # dated when it happened); a new plan or amount changes nothing before now.
    moved = set(_dates(before)) ^ set(_dates(after))
    if before["customer_id"] != after["customer_id"]:
        moved |= {*_dates(before), *_dates(after)}
    at = min(moved, default=None)
    events = []
    if before["cancelled_at"] is None and after["cancelled_at"] is not None:
        events.append(event(SUBSCRIPTION_CANCELLED, after, after["cancelled_at"]))
        fields.remove("cancelled_at")
    if fields:
        extra: dict[str, object] = {"fields": fields}
        if before["customer_id"] != after["customer_id"]:
            extra["customer_before"] = before["customer_id"]
        events.append(event(SUBSCRIPTION_CHANGED, after, at, **extra))
    return events


def consent_events(consent_id: int, before: Values | None, after: Values | None) -> list[NewEvent]:
    values = after if after is not None else before
    assert values is not None
    same = before is not None and after is not None
    if same and all(before[k] == after[k] for k in ("granted", "purpose", "source")):  # type: ignore[index]
        return []
    granted = bool(after["granted"]) if after is not None else False
    return [
        NewEvent(
            CONSENT_CHANGED.name, "consent", consent_id, values["customer_id"],
            data={"purpose": str(values["purpose"]), "granted": granted,
                  "source": str(values.get("source") or "")},
        )
    ]  # fmt: skip


def created_events_select() -> tuple[str, str]:
    """``customer_events``' "created" events of the customer ids given as one array parameter,
    as one SELECT (PostgreSQL) for ``tenure.events.bulk.events_insert_select``."""
    return (
        "SELECT %s, %s::text || id, id, 'customer', id, CURRENT_TIMESTAMP, '{}'::jsonb "
        "FROM unnest(%s::bigint[]) AS ids(id)",
        CUSTOMER_CREATED.name,
    )
