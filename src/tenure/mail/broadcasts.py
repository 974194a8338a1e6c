"""Broadcasts (the newsletter): one template to a segment's members on a date.

- **Started once, by the ledger's keys.** Starting (the worker when ``scheduled_at`` passes;
  "send now" schedules for now) snapshots the segment's members and queues one message each, keyed
  ``broadcast:<id>::<customer>:``, in bulk. A start repeated (a retried job, two workers) finds
  the broadcast sending already; one forced again queues nothing new: the keys are taken.
- **Pause and resume in the database.** Pausing turns the broadcast's messages that were not
  handed to the server yet into ``held`` in one statement, including those a sender has
  claimed but not handed over (its hand-over is conditional on ``sending`` with no
  ``handed_at``, so it skips them); the sender only claims queued and deferred mail. Resuming
  queues the held ones again. Neither touches what was handed over, so nothing is sent twice.
- **Valid until.** Every message carries ``valid_until`` (scheduled time + ``valid_days``): a
  sender that comes back after it expires the message instead of sending it late; a paused
  broadcast's held mail expires at that moment too (``broadcasts_advance``).
- **The log adds up.** audience = sent + skipped + failed + expired +
  pending, read from the ledger by the broadcast's source (``selectors.broadcast_counts``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from tenure.access import require_all
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.events.record import NewEvent, event_record, events_record
from tenure.mail import events as kinds
from tenure.mail.models import (
    WAITING,
    Broadcast,
    BroadcastStatus,
    Message,
    MessageKind,
    MessageStatus,
    Template,
)
from tenure.mail.selectors import broadcast_counts
from tenure.mail.services import NewMessage, messages_queue
from tenure.segments.models import Segment, SegmentMembership
from tenure.users.models import User

BROADCASTS_WHY = "broadcasts reach a whole segment: admins and managers"
FIELDS = ("name", "segment_id", "template_id", "priority", "scheduled_at", "valid_days")
MAX_VALID_DAYS = 90
QUEUE_BATCH = 2000  # members read and messages inserted per statement
EVENTS_BATCH = 2000

EDITABLE = (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED)
OPEN = (BroadcastStatus.SENDING, BroadcastStatus.PAUSED)


def _require(by: User | None) -> None:
    if by is not None:
        require_all(by, Action.CHANGE, why=BROADCASTS_WHY)


def _not_handed(source: str) -> QuerySet[Message]:
    """The broadcast's messages no server has seen: waiting, held, or claimed by a sender that
    has not committed ``handed_at`` yet."""
    return Message.objects.filter(source=source).filter(
        Q(status__in=(*WAITING, MessageStatus.HELD))
        | Q(status=MessageStatus.SENDING, handed_at__isnull=True)
    )


def _validate(broadcast: Broadcast) -> None:
    problems: dict[str, list[str]] = {}
    template = Template.objects.filter(pk=broadcast.template_id).first()
    if template is None:
        problems["template_id"] = ["no such template"]
    elif template.kind != MessageKind.MARKETING:
        # A newsletter must ask for consent: transactional mail would skip it.
        problems["template_id"] = ["a broadcast sends a marketing template"]
    if (
        broadcast.segment_id is not None
        and not Segment.objects.filter(pk=broadcast.segment_id).exists()
    ):
        problems["segment_id"] = ["no such segment"]
    if broadcast.segment_id is None and broadcast.status == BroadcastStatus.SCHEDULED:
        problems["segment_id"] = ["a scheduled broadcast needs its segment"]
    if not 1 <= broadcast.valid_days <= MAX_VALID_DAYS:
        problems["valid_days"] = [f"from 1 to {MAX_VALID_DAYS} days"]
    if broadcast.scheduled_at is not None and timezone.is_naive(broadcast.scheduled_at):
        problems["scheduled_at"] = ["a moment with its time zone"]
    if problems:
        raise ValidationError(problems)
    broadcast.full_clean(exclude=["segment", "template", "created_by"])


def broadcast_create(*, by: User | None, **fields: Any) -> Broadcast:
    """A draft; ``broadcast_schedule`` sets it going."""
    _require(by)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError({name: ["no such field"] for name in sorted(unknown)})
    if "template_id" not in fields:
        raise ValidationError({"template_id": ["a broadcast needs a template"]})
    broadcast = Broadcast(**fields, created_by=by, status=BroadcastStatus.DRAFT)
    _validate(broadcast)
    broadcast.save()
    return broadcast


@transaction.atomic
def broadcast_update(
    *, by: User | None, broadcast_id: int, changes: Mapping[str, Any]
) -> Broadcast:
    """Change a broadcast that has not started; one that has is its ledger's."""
    _require(by)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationError({name: ["no such field"] for name in sorted(unknown)})
    broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
    if broadcast.status not in EDITABLE:
        raise Conflict(f"a broadcast {broadcast.get_status_display().lower()} cannot be changed")
    for name, value in changes.items():
        setattr(broadcast, name, value)
    _validate(broadcast)
    broadcast.save()
    return broadcast


def broadcast_schedule(
    *, by: User | None, broadcast_id: int, at: datetime | None, now: datetime
) -> Broadcast:
    """Schedule for ``at``; None: now. The worker starts it (its follower looks every half
    second): queueing a large audience takes a while (100,000 members: about 40 s on
    PostgreSQL on the shared 2-core machine), too long for a request to wait."""
    _require(by)
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status not in EDITABLE:
            raise Conflict(
                f"a broadcast {broadcast.get_status_display().lower()} cannot be scheduled"
            )
        if broadcast.segment_id is None:
            raise ValidationError({"segment_id": ["choose the segment it goes to first"]})
        if at is not None and timezone.is_naive(at):
            raise ValidationError({"scheduled_at": ["a moment with its time zone"]})
        broadcast.scheduled_at = at or now
        broadcast.status = BroadcastStatus.SCHEDULED
        broadcast.save(update_fields=["scheduled_at", "status", "updated_at"])
    return broadcast


def _member_ids(segment_id: int, source: str) -> Iterator[list[int]]:
    """The members now without a message of ``source`` (all of them, at a first start)."""
    queued = Message.objects.filter(source=source).values("customer_id")
    members = (
        SegmentMembership.objects.filter(segment_id=segment_id, left_at__isnull=True)
        .exclude(customer_id__in=queued)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
    )
    chunk: list[int] = []
    for customer_id in members.iterator(chunk_size=QUEUE_BATCH):
        chunk.append(customer_id)
        if len(chunk) == QUEUE_BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@transaction.atomic
def broadcast_start(*, broadcast_id: int, now: datetime, force: bool = False) -> Broadcast:
    """Queue the audience's messages: the segment's members now, one message each. A
    broadcast already started is left as it is (``force``: queued again, which the ledger's
    keys make a no-op for everyone already queued; they are not even read again). The worker's
    (``broadcasts_advance``), and ``tenure mail broadcasts create --now``'s."""
    broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
    startable = (BroadcastStatus.SCHEDULED, *((BroadcastStatus.SENDING,) if force else ()))
    if broadcast.status not in startable:
        return broadcast
    if broadcast.segment_id is None:
        broadcast.status = BroadcastStatus.CANCELLED
        broadcast.reason = "its segment was deleted before it started"
        broadcast.finished_at = now
        broadcast.save(update_fields=["status", "reason", "finished_at", "updated_at"])
        return broadcast
    template = broadcast.template
    due = broadcast.scheduled_at or now
    # Measured from the scheduled time, not the start: a worker that was down past it sends
    # nothing late, the sender expires these messages instead.
    valid_until = due + timedelta(days=broadcast.valid_days)
    for chunk in _member_ids(broadcast.segment_id, broadcast.source):
        messages_queue(
            (
                NewMessage(
                    source=broadcast.source,
                    customer_id=customer_id,
                    due_at=due,
                    kind=template.kind,
                    topic=template.topic,
                    priority=broadcast.priority,
                    template_id=template.pk,
                    valid_until=valid_until,
                )
                for customer_id in chunk
            ),
            now=now,
            batch=QUEUE_BATCH,
        )
    broadcast.audience = Message.objects.filter(source=broadcast.source).count()
    broadcast.status = BroadcastStatus.SENDING
    broadcast.started_at = broadcast.started_at or now
    broadcast.save(update_fields=["audience", "status", "started_at", "updated_at"])
    # Keyed: a forced second start is the same start, not a new event.
    _event(
        kinds.BROADCAST_STARTED.name,
        broadcast,
        key=f"broadcast.started:{broadcast.pk}",
        audience=broadcast.audience,
    )
    return broadcast


def _event(kind: str, broadcast: Broadcast, *, key: str = "", **data: Any) -> None:
    event_record(
        kind, subject="broadcast", subject_id=broadcast.pk, customer_id=None, data=data, key=key
    )


@transaction.atomic
def broadcast_pause(*, by: User | None, broadcast_id: int, now: datetime) -> Broadcast:
    _require(by)
    broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
    if broadcast.status != BroadcastStatus.SENDING:
        raise Conflict("only a broadcast that is sending can be paused")
    held = _not_handed(broadcast.source).update(
        status=MessageStatus.HELD,
        reason="its broadcast is paused",
        claimed_at=None,
        lease_until=None,
    )
    broadcast.status = BroadcastStatus.PAUSED
    broadcast.save(update_fields=["status", "updated_at"])
    _event(kinds.BROADCAST_PAUSED.name, broadcast, held=held)
    return broadcast


@transaction.atomic
def broadcast_resume(*, by: User | None, broadcast_id: int, now: datetime) -> Broadcast:
    _require(by)
    broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
    if broadcast.status != BroadcastStatus.PAUSED:
        raise Conflict("only a paused broadcast can be resumed")
    released = Message.objects.filter(source=broadcast.source, status=MessageStatus.HELD).update(
        status=MessageStatus.QUEUED, reason="", next_at=now
    )
    broadcast.status = BroadcastStatus.SENDING
    broadcast.save(update_fields=["status", "updated_at"])
    _event(kinds.BROADCAST_RESUMED.name, broadcast, released=released)
    return broadcast


def _expire(messages: QuerySet[Message], reason: str, now: datetime) -> int:
    """Expire ``messages`` with ``reason``, a ``mail.expired`` event each (the customer's
    timeline shows why the newsletter never came), in batches."""
    expired = 0
    while True:
        # Each batch leaves ``messages`` once expired, so the next read starts afresh.
        batch = list(messages.order_by("pk").values_list("pk", "customer_id", "key")[:EVENTS_BATCH])
        if not batch:
            return expired
        Message.objects.filter(pk__in=[pk for pk, _, _ in batch]).update(
            status=MessageStatus.EXPIRED, reason=reason[:300], finished_at=now
        )
        events_record(
            NewEvent(
                kinds.MAIL_EXPIRED.name,
                "message",
                pk,
                customer_id,
                data={"message_id": pk, "key": key, "reason": reason[:300]},
            )
            for pk, customer_id, key in batch
        )
        expired += len(batch)


@transaction.atomic
def broadcast_cancel(
    *, by: User | None, broadcast_id: int, reason: str = "", now: datetime
) -> Broadcast:
    """Stop for good: every message not handed over yet expires, with the reason."""
    _require(by)
    broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
    if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        raise Conflict(f"the broadcast is {broadcast.get_status_display().lower()} already")
    why = reason.strip() or "cancelled"
    expired = _expire(_not_handed(broadcast.source), f"broadcast cancelled: {why}", now)
    broadcast.status = BroadcastStatus.CANCELLED
    broadcast.reason = why[:300]
    broadcast.finished_at = now
    broadcast.save(update_fields=["status", "reason", "finished_at", "updated_at"])
    _event(kinds.BROADCAST_CANCELLED.name, broadcast, expired=expired)
    return broadcast


@dataclass
class Advanced:
    started: list[int] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    expired: int = 0

    @property
    def handled(self) -> int:
        return len(self.started) + len(self.done) + self.expired


def broadcasts_advance(*, now: datetime | None = None, limit: int = 5) -> Advanced:
    """The worker's step: start the broadcasts whose time came, expire a paused one's held
    mail past its valid-until, and mark done those with no message left to send."""
    at = now or timezone.now()
    result = Advanced()
    due = Broadcast.objects.filter(status=BroadcastStatus.SCHEDULED, scheduled_at__lte=at)
    for broadcast_id in due.order_by("scheduled_at", "pk").values_list("pk", flat=True)[:limit]:
        if broadcast_start(broadcast_id=broadcast_id, now=at).status == BroadcastStatus.SENDING:
            result.started.append(broadcast_id)
    for broadcast_id in Broadcast.objects.filter(status__in=OPEN).values_list("pk", flat=True):
        source = f"broadcast:{broadcast_id}"
        stale = Message.objects.filter(
            source=source, status=MessageStatus.HELD, valid_until__lte=at
        ).exists()
        if not stale and _pending(source).exists():
            continue  # nothing to do: no lock taken (SQLite's is the whole database's)
        with transaction.atomic():
            broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
            if broadcast.status not in OPEN:
                continue
            result.expired += _expire(
                Message.objects.filter(
                    source=broadcast.source, status=MessageStatus.HELD, valid_until__lte=at
                ),
                "not sent before valid until (its broadcast was paused)",
                at,
            )
            if _pending(broadcast.source).exists():
                continue
            broadcast.status = BroadcastStatus.DONE
            broadcast.finished_at = at
            broadcast.save(update_fields=["status", "finished_at", "updated_at"])
            counts = broadcast_counts(broadcast)
            _event(
                kinds.BROADCAST_DONE.name,
                broadcast,
                key=f"broadcast.done:{broadcast.pk}",
                **counts.as_dict(),
            )
            result.done.append(broadcast_id)
    return result


def _pending(source: str) -> QuerySet[Message]:
    return Message.objects.filter(
        source=source, status__in=(*WAITING, MessageStatus.SENDING, MessageStatus.HELD)
    )
