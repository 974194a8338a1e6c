"""Writing events, in the transaction of the change they report.

``events_record`` writes many events in one statement (an import's batch writes its events
set-wise); ``event_record`` one. Who made the change comes from the request's actor (the same
as the change history's) and the path it came by from ``acting_via`` (set by each edge: the
API, the pages, the admin, the import, the CLI, the worker).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tenure.events.kinds import event_kind
from tenure.events.models import Event

_via: ContextVar[str] = ContextVar("tenure_events_via", default="service")
_actor: ContextVar[int | None] = ContextVar("tenure_events_actor", default=None)


@contextlib.contextmanager
def acting_via(via: str, actor_id: int | None = None) -> Iterator[None]:
    """Events recorded inside come by ``via`` (and from ``actor_id`` when given)."""
    via_token = _via.set(via)
    actor_token = _actor.set(actor_id) if actor_id is not None else None
    try:
        yield
    finally:
        _via.reset(via_token)
        if actor_token is not None:
            _actor.reset(actor_token)


def current_via() -> str:
    return _via.get()


def current_actor_id() -> int | None:
    actor_id = _actor.get()
    if actor_id is not None:
        return actor_id
    from auditlog.context import auditlog_value  # the request's user, as the history has it

    actor = auditlog_value.get({}).get("actor")
    return getattr(actor, "pk", None)


@dataclass(frozen=True)
class NewEvent:
    kind: str
    subject: str
    subject_id: int | None
    customer_id: int | None
    at: datetime | None = None  # None: now
    data: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""  # empty: unique to this event (a change); give one for what happens once


def unique_key(kind: str, subject_id: int | None) -> str:
    return f"{kind}:{subject_id}:{uuid.uuid4().hex}"


def events_record(events: Iterable[NewEvent]) -> int:
    """Write ``events`` in the current transaction; one whose key is known already is the same
    event written again (a retried write) and is skipped. Returns how many were given."""
    now = timezone.now()
    via, actor_id = current_via(), current_actor_id()
    rows = []
    for event in events:
        event_kind(event.kind)  # registered, or an error
        rows.append(
            Event(
                kind=event.kind,
                key=event.key or unique_key(event.kind, event.subject_id),
                customer_id=event.customer_id,
                subject=event.subject,
                subject_id=event.subject_id,
                at=event.at or now,
                via=via,
                actor_id=actor_id,
                data=dict(event.data),
            )
        )
    if rows:
        Event.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        events_recorded()
    return len(rows)


def event_record(
    kind: str,
    *,
    subject: str,
    subject_id: int | None,
    customer_id: int | None,
    at: datetime | None = None,
    data: Mapping[str, Any] | None = None,
    key: str = "",
) -> None:
    events_record([NewEvent(kind, subject, subject_id, customer_id, at, data or {}, key)])


def events_recorded() -> None:
    """Events were written in this transaction: with ``EVENTS_DELIVERY = "on_commit"`` (the
    tests, a single process without a worker) the consumers run once it commits; with
    ``"worker"`` (the default) the worker follows them within a second."""
    if settings.EVENTS_DELIVERY != "on_commit":
        return
    from tenure.events.consumers import consumers_drain_settled

    # One drain per write: a later one finds nothing left to do (one query per consumer).
    transaction.on_commit(consumers_drain_settled)
