"""Broadcasts against the real database and a real sender run to the outbox: the audience
queued once, pause and resume never sending twice, expiry past valid-until, a log that adds
up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from tenure.customers.models import Consent, ConsentPurpose, Customer
from tenure.domain.errors import Conflict
from tenure.events.models import Event
from tenure.mail.broadcasts import (
    broadcast_cancel,
    broadcast_create,
    broadcast_pause,
    broadcast_resume,
    broadcast_schedule,
    broadcast_start,
    broadcasts_advance,
)
from tenure.mail.models import (
    Broadcast,
    BroadcastStatus,
    Message,
    MessageStatus,
    Suppression,
    Template,
)
from tenure.mail.selectors import broadcast_counts
from tenure.mail.sending import mail_send_due
from tenure.mail.services import template_delete
from tenure.mail.transport import Outbox, Sent
from tenure.segments.models import Segment, SegmentMembership
from tests.mail.conftest import NOW

pytestmark = pytest.mark.django_db(transaction=True)


def audience(count: int, *, consent: bool = True, prefix: str = "m") -> Segment:
    """A segment of ``count`` customers (inserted in bulk), each with marketing consent."""
    n = Segment.objects.count()
    segment = Segment.objects.create(name=f"S{n}", slug=f"s{n}-{prefix}", definition={"when": {}})
    customers = Customer.objects.bulk_create(
        Customer(
            external_id=f"{prefix}{n}-{i}",
            email=f"{prefix}{n}.{i}@example.com",
            first_name="Ada",
            created_at=NOW - timedelta(days=30),
        )
        for i in range(count)
    )
    if not customers or customers[0].pk is None:  # SQLite before returning ids
        customers = list(Customer.objects.filter(external_id__startswith=f"{prefix}{n}-"))
    SegmentMembership.objects.bulk_create(
        SegmentMembership(segment=segment, customer=c, entered_at=NOW - timedelta(days=1))
        for c in customers
    )
    if consent:
        Consent.objects.bulk_create(
            Consent(
                customer=c,
                purpose=ConsentPurpose.EMAIL_MARKETING,
                granted=True,
                changed_at=NOW - timedelta(days=30),
                source="signup form",
            )
            for c in customers
        )
    return segment


def newsletter() -> Template:
    return Template.objects.get_or_create(
        name="Quarterly",
        defaults={
            "topic": ConsentPurpose.NEWSLETTER,
            "subject": "News for {{ customer.first_name }}",
            "text": "Hello {{ customer.first_name }}",
        },
    )[0]


def started(segment: Segment, **fields) -> Broadcast:
    broadcast = broadcast_create(
        by=None, name="Q2 newsletter", segment_id=segment.pk, template_id=newsletter().pk, **fields
    )
    scheduled = broadcast_schedule(by=None, broadcast_id=broadcast.pk, at=None, now=NOW)
    assert scheduled.status == BroadcastStatus.SCHEDULED  # "now": the worker starts it
    return broadcast_start(broadcast_id=broadcast.pk, now=NOW)


def statuses(broadcast: Broadcast) -> dict[str, int]:
    found: dict[str, int] = {}
    for status in Message.objects.filter(source=broadcast.source).values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    return found


def assert_adds_up(broadcast: Broadcast) -> None:
    broadcast.refresh_from_db()
    counts = broadcast_counts(broadcast)
    assert counts.adds_up, counts
    assert counts.audience == broadcast.audience


def test_starting_twice_queues_each_member_once_in_bulk():
    segment = audience(3000)
    broadcast = started(segment)
    assert broadcast.status == BroadcastStatus.SENDING
    assert broadcast.audience == 3000
    messages = Message.objects.filter(source=broadcast.source)
    assert messages.count() == 3000
    assert messages.values("customer_id").distinct().count() == 3000
    first = messages.first()
    assert first is not None and first.topic == ConsentPurpose.NEWSLETTER
    assert first.valid_until == NOW + timedelta(days=broadcast.valid_days)
    # A retried start, a forced one and the worker's step: nothing new.
    broadcast_start(broadcast_id=broadcast.pk, now=NOW)
    broadcast_start(broadcast_id=broadcast.pk, now=NOW + timedelta(minutes=1), force=True)
    assert broadcasts_advance(now=NOW + timedelta(minutes=2)).started == []
    assert messages.count() == 3000
    broadcast.refresh_from_db()
    assert broadcast.audience == 3000
    assert Event.objects.filter(kind="broadcast.started", subject_id=broadcast.pk).count() == 1
    assert_adds_up(broadcast)


def test_the_worker_starts_a_scheduled_broadcast_when_its_time_comes():
    segment = audience(5)
    broadcast = broadcast_create(by=None, name="Later", segment_id=segment.pk,
                                 template_id=newsletter().pk)  # fmt: skip
    later = NOW + timedelta(hours=2)
    broadcast_schedule(by=None, broadcast_id=broadcast.pk, at=later, now=NOW)
    assert broadcasts_advance(now=NOW).started == []
    assert broadcasts_advance(now=later).started == [broadcast.pk]
    assert Message.objects.filter(source=broadcast.source, due_at=later).count() == 5


def test_pause_and_resume_with_real_sends_never_send_twice():
    segment = audience(10)
    broadcast = started(segment)
    assert mail_send_due(now=NOW, limit=4).sent == 4
    assert_adds_up(broadcast)
    broadcast_pause(by=None, broadcast_id=broadcast.pk, now=NOW)
    assert statuses(broadcast) == {MessageStatus.SENT: 4, MessageStatus.HELD: 6}
    assert mail_send_due(now=NOW + timedelta(minutes=1)).sent == 0
    assert_adds_up(broadcast)
    with pytest.raises(Conflict):
        broadcast_pause(by=None, broadcast_id=broadcast.pk, now=NOW)
    broadcast_resume(by=None, broadcast_id=broadcast.pk, now=NOW + timedelta(minutes=2))
    assert mail_send_due(now=NOW + timedelta(minutes=2)).sent == 6
    assert mail_send_due(now=NOW + timedelta(minutes=3)).handled == 0
    sent = Message.objects.filter(source=broadcast.source, status=MessageStatus.SENT)
    assert sent.count() == 10
    assert len(set(sent.values_list("to_address", flat=True))) == 10
    assert all(sent.values_list("raw", flat=True))  # in the outbox, as it went out
    assert broadcasts_advance(now=NOW + timedelta(minutes=4)).done == [broadcast.pk]
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.DONE
    counts = broadcast_counts(broadcast)
    assert (counts.sent, counts.pending) == (10, 0)
    assert_adds_up(broadcast)
    kinds = set(Event.objects.filter(subject="broadcast").values_list("kind", flat=True))
    assert kinds == {"broadcast.started", "broadcast.paused", "broadcast.resumed", "broadcast.done"}
    assert Event.objects.filter(kind="mail.sent").count() == 10


class PausingOutbox(Outbox):
    """The outbox, with the broadcast paused by someone else just after the first hand-over:
    the rest of the sender's batch is claimed but not yet handed over."""

    def __init__(self, broadcast_id: int) -> None:
        super().__init__()
        self.broadcast_id = broadcast_id
        self.sends = 0

    def send(self, *, sender: str, to: str, raw: bytes) -> Sent:
        self.sends += 1
        if self.sends == 1:
            broadcast_pause(by=None, broadcast_id=self.broadcast_id, now=NOW)
        return super().send(sender=sender, to=to, raw=raw)


def test_a_sender_mid_batch_stops_at_the_pause():
    segment = audience(8)
    broadcast = started(segment)
    transport = PausingOutbox(broadcast.pk)
    result = mail_send_due(now=NOW, transport=transport)
    assert transport.sends == 1 and result.sent == 1
    assert statuses(broadcast) == {MessageStatus.SENT: 1, MessageStatus.HELD: 7}
    assert_adds_up(broadcast)
    broadcast_resume(by=None, broadcast_id=broadcast.pk, now=NOW)
    assert mail_send_due(now=NOW).sent == 7
    assert statuses(broadcast) == {MessageStatus.SENT: 8}


def test_a_worker_back_after_valid_until_expires_instead_of_sending_late():
    segment = audience(6)
    broadcast = started(segment, valid_days=2)
    late = NOW + timedelta(days=2, hours=1)
    result = mail_send_due(now=late)
    assert (result.sent, result.expired) == (0, 6)
    assert statuses(broadcast) == {MessageStatus.EXPIRED: 6}
    assert broadcasts_advance(now=late).done == [broadcast.pk]
    assert_adds_up(broadcast)
    assert Event.objects.filter(kind="mail.expired").count() == 6


def test_a_paused_broadcast_past_valid_until_expires_its_held_mail():
    segment = audience(5)
    broadcast = started(segment, valid_days=1)
    mail_send_due(now=NOW, limit=2)
    broadcast_pause(by=None, broadcast_id=broadcast.pk, now=NOW)
    assert broadcasts_advance(now=NOW + timedelta(hours=1)).done == []
    late = NOW + timedelta(days=1, minutes=1)
    advanced = broadcasts_advance(now=late)
    assert (advanced.expired, advanced.done) == (3, [broadcast.pk])
    assert statuses(broadcast) == {MessageStatus.SENT: 2, MessageStatus.EXPIRED: 3}
    assert_adds_up(broadcast)


def test_cancel_expires_the_unsent_with_the_reason():
    segment = audience(5)
    broadcast = started(segment)
    mail_send_due(now=NOW, limit=2)
    broadcast_cancel(by=None, broadcast_id=broadcast.pk, reason="wrong prices", now=NOW)
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.CANCELLED
    expired = Message.objects.filter(source=broadcast.source, status=MessageStatus.EXPIRED)
    assert expired.count() == 3
    assert set(expired.values_list("reason", flat=True)) == {"broadcast cancelled: wrong prices"}
    assert mail_send_due(now=NOW + timedelta(minutes=1)).sent == 0
    assert_adds_up(broadcast)
    with pytest.raises(Conflict):
        broadcast_resume(by=None, broadcast_id=broadcast.pk, now=NOW)


def test_the_log_adds_up_with_skipped_and_suppressed_recipients():
    segment = audience(6)
    unconsented = audience(3, consent=False, prefix="n")
    for membership in SegmentMembership.objects.filter(segment=unconsented):
        SegmentMembership.objects.create(segment=segment, customer_id=membership.customer_id,
                                         entered_at=NOW - timedelta(days=1))  # fmt: skip
    bounced = Customer.objects.filter(segment_memberships__segment=segment).order_by("pk").first()
    assert bounced is not None
    Suppression.objects.create(address=bounced.email, suppressed_at=NOW, reason="hard_bounce")
    # Someone who left the segment before the start is not in the audience.
    gone = SegmentMembership.objects.filter(segment=segment).order_by("-pk").first()
    assert gone is not None
    SegmentMembership.objects.filter(pk=gone.pk).update(left_at=NOW - timedelta(hours=1))
    broadcast = started(segment)
    assert broadcast.audience == 8
    mail_send_due(now=NOW)
    counts = broadcast_counts(broadcast)
    assert (counts.sent, counts.skipped, counts.pending) == (5, 3, 0)
    assert counts.skipped_reasons == {"no consent to marketing emails": 2,
                                      "address suppressed: Hard bounce": 1}  # fmt: skip
    assert_adds_up(broadcast)


def test_a_deleted_segment_or_a_used_template_is_refused_clearly():
    segment = audience(2)
    broadcast = broadcast_create(by=None, name="Orphan", segment_id=segment.pk,
                                 template_id=newsletter().pk)  # fmt: skip
    broadcast_schedule(by=None, broadcast_id=broadcast.pk, at=NOW + timedelta(hours=1), now=NOW)
    segment.delete()
    broadcasts_advance(now=NOW + timedelta(hours=2))
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.CANCELLED
    assert broadcast.reason == "its segment was deleted before it started"
    assert not Message.objects.filter(source=broadcast.source).exists()
    with pytest.raises(Conflict):
        template_delete(by=None, template_id=broadcast.template_id)
    assert Template.objects.filter(pk=broadcast.template_id).exists()


def test_the_quarterly_newsletter_is_a_builtin_draft_broadcast():
    from tenure.mail.builtin import QUARTERLY, broadcasts_builtin_ensure

    quarterly = Broadcast.objects.get(builtin=QUARTERLY)  # made at migrate
    assert quarterly.status == BroadcastStatus.DRAFT and quarterly.segment is None
    assert quarterly.template.topic == ConsentPurpose.NEWSLETTER
    assert broadcasts_builtin_ensure() is None  # once
    segment = audience(2)
    with pytest.raises(ValidationError):
        broadcast_schedule(by=None, broadcast_id=quarterly.pk, at=None, now=NOW)
    from tenure.mail.broadcasts import broadcast_update

    broadcast_update(by=None, broadcast_id=quarterly.pk, changes={"segment_id": segment.pk})
    broadcast_schedule(by=None, broadcast_id=quarterly.pk, at=None, now=NOW)
    assert broadcasts_advance(now=NOW).started == [quarterly.pk]
    assert mail_send_due(now=NOW).sent == 2  # marketing granted, the newsletter not refused
    raw = Message.objects.filter(source=quarterly.source).values_list("raw", flat=True)
    assert all("Our quarter, and what comes next, Ada" in text for text in raw)
    assert_adds_up(quarterly)


def test_only_a_broadcast_not_started_changes_and_a_scheduled_one_keeps_its_segment():
    from tenure.mail.broadcasts import broadcast_update

    segment = audience(1)
    broadcast = broadcast_create(by=None, name="Later", segment_id=segment.pk,
                                 template_id=newsletter().pk)  # fmt: skip
    broadcast_schedule(by=None, broadcast_id=broadcast.pk, at=NOW + timedelta(days=1), now=NOW)
    with pytest.raises(ValidationError) as refused:
        broadcast_update(by=None, broadcast_id=broadcast.pk, changes={"segment_id": None})
    assert refused.value.message_dict == {"segment_id": ["a scheduled broadcast needs its segment"]}
    broadcast_update(by=None, broadcast_id=broadcast.pk, changes={"priority": 9})
    broadcast_start(broadcast_id=broadcast.pk, now=NOW + timedelta(days=1))
    with pytest.raises(Conflict):
        broadcast_update(by=None, broadcast_id=broadcast.pk, changes={"priority": 1})
    assert Message.objects.get(source=broadcast.source).priority == 9
