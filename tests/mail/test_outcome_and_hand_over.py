"""The outcome of one message and the hand-over of the next, written in one transaction: on
PostgreSQL as one statement (``ledger_sql.finish_and_hand_over``), on SQLite as three. Either
way the ledger and the events get what the statements one by one wrote."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenure.events.models import Event
from tenure.events.record import NewEvent
from tenure.mail import ledger_sql, sending
from tenure.mail.composing import Composed
from tenure.mail.models import Message, MessageKind, MessageStatus, Template
from tenure.mail.sending import SendResult, mail_send_due
from tenure.mail.services import NewMessage, message_queue
from tenure.mail.transport import Outcome, Sent, Transport, transport_from_settings
from tests.factories import make_customer
from tests.mail.conftest import NOW, grant

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)


def queue(count: int, *, tag: str) -> list[Message]:
    """``count`` customers with one message each, every third one transactional (its hand-over
    reads no consent)."""
    template = Template.objects.get_or_create(
        name="Note", defaults={"subject": "Hi {{ customer.first_name }}", "text": "Hello"}
    )[0]
    messages = []
    for n in range(count):
        customer = make_customer(email=f"{tag}{n}@example.com")
        grant(customer)
        kind = MessageKind.TRANSACTIONAL if n % 3 == 2 else MessageKind.MARKETING
        new = NewMessage(
            source=tag, customer_id=customer.pk, template_id=template.pk, kind=kind, due_at=NOW
        )
        messages.append(message_queue(new, now=NOW)[0])
    return messages


def one_by_one(pending, message, composed, now, result):
    """The statements one by one, as before the combined one (SQLite's path)."""
    sending._record(pending, now, result)
    return sending._hand_over(message, composed, now, result)


def written(messages: list[Message]) -> list[tuple[object, ...]]:
    """What the ledger and the events hold for ``messages``, ids and clocks left out."""
    rows = []
    for message in messages:
        message.refresh_from_db()
        (event,) = Event.objects.filter(subject="message", subject_id=message.pk)
        rows.append(
            (
                message.status, message.reason, message.finished_at, message.handed_at,
                message.message_id in message.raw, event.kind,
                event.customer_id == message.customer_id,
                event.key.startswith(f"{event.kind}:{message.pk}:"),
                event.data == {"message_id": message.pk, "key": message.key}, event.via,
                event.actor_id, event.at is not None and event.recorded_at is not None,
            )
        )  # fmt: skip
    return rows


class Meddling:
    """The real SMTP transport; during the call for ``to`` it does what ``meddle`` does (as
    another sender would, committed) or answers ``answer`` instead of sending."""

    def __init__(self, inner: Transport, to: str, meddle=None, answer: Sent | None = None):
        self.inner, self.to, self.meddle, self.answer = inner, to, meddle, answer

    def send(self, *, sender: str, to: str, raw: bytes) -> Sent:
        if to == self.to and self.meddle is not None:
            self.meddle()
        if to == self.to and self.answer is not None:
            return self.answer
        return self.inner.send(sender=sender, to=to, raw=raw)

    def close(self) -> None:
        self.inner.close()


def test_the_combined_path_writes_what_the_statements_one_by_one_wrote(smtp, monkeypatch):
    began = timezone.now()
    before = queue(6, tag="before")
    with monkeypatch.context() as patch:
        patch.setattr(sending, "_record_and_hand_over", one_by_one)
        assert mail_send_due(now=NOW) == SendResult(sent=6)
    after = queue(6, tag="after")
    assert mail_send_due(now=NOW) == SendResult(sent=6)
    assert len(smtp) == 12
    old, new = written(before), written(after)
    assert new == old
    status, reason, finished_at, handed_at, *_ = new[0]
    assert (status, reason, finished_at, handed_at) == (MessageStatus.SENT, "", NOW, NOW)
    events = Event.objects.filter(kind="mail.sent")
    assert events.count() == 12 and not events.filter(at__lt=began).exists()
    if connection.vendor == "postgresql":
        assert not events.filter(tx=0).exists()  # the column's default: the writing transaction


@pytest.mark.parametrize("settled", ["claimed again", "unknown"])
def test_a_message_settled_by_another_sender_meanwhile_is_not_finished(smtp, settled):
    messages = queue(5, tag="m")
    middle = messages[2]
    later = NOW + timedelta(minutes=10)

    def meddle() -> None:  # during its SMTP call, committed by "another sender"
        mine = Message.objects.filter(pk=middle.pk)
        if settled == "claimed again":
            mine.update(claimed_at=later, handed_at=None)
        else:
            mine.update(status=MessageStatus.UNKNOWN, reason="lease ended", finished_at=later)

    transport = Meddling(transport_from_settings(), "m2@example.com", meddle)
    result = mail_send_due(now=NOW, transport=transport)
    assert result == SendResult(sent=4)
    assert len(smtp) == 5  # it did go out: the other sender's state is the truth now
    middle.refresh_from_db()
    if settled == "claimed again":
        assert (middle.status, middle.claimed_at) == (MessageStatus.SENDING, later)
    else:
        assert (middle.status, middle.reason) == (MessageStatus.UNKNOWN, "lease ended")
    assert not Event.objects.filter(subject="message", subject_id=middle.pk).exists()
    others = [m for m in messages if m.pk != middle.pk]
    for message in others:
        message.refresh_from_db()
        assert message.status == MessageStatus.SENT and message.handed_at == NOW
    assert Event.objects.filter(kind="mail.sent").count() == 4


def test_an_unknown_outcome_is_finished_with_its_reason(smtp):
    messages = queue(4, tag="u")
    lost = Sent(Outcome.UNKNOWN, "connection lost during DATA")
    transport = Meddling(transport_from_settings(), "u1@example.com", answer=lost)
    assert mail_send_due(now=NOW, transport=transport) == SendResult(sent=3, unknown=1)
    message = messages[1]
    message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.UNKNOWN, lost.detail)
    (event,) = Event.objects.filter(kind="mail.unknown")
    assert (event.subject_id, event.customer_id) == (message.pk, message.customer_id)
    assert event.data == {"message_id": message.pk, "key": message.key, "reason": lost.detail}
    assert len(smtp) == 3


@postgresql_only
def test_on_postgresql_each_outcome_and_the_next_hand_over_are_one_statement(smtp, settings):
    settings.EVENTS_DELIVERY = "worker"  # no consumers run after the commits, to count
    queue(5, tag="q")
    with CaptureQueriesContext(connection) as queries:
        assert mail_send_due(now=NOW) == SendResult(sent=5)
    texts = [query["sql"] for query in queries.captured_queries]
    assert sum(text.startswith("WITH finished AS") for text in texts) == 4
    assert sum("SET handed_at" in text for text in texts) == 5  # the first one's alone
    assert sum(text.startswith('INSERT INTO "events_event"') for text in texts) == 1  # the last


@postgresql_only
def test_a_known_event_key_is_skipped(smtp):
    first, second = queue(2, tag="k")
    Message.objects.filter(pk__in=[first.pk, second.pk]).update(
        status=MessageStatus.SENDING, claimed_at=NOW, lease_until=NOW + timedelta(minutes=5)
    )
    first.refresh_from_db()
    second.refresh_from_db()
    taken = Event.objects.create(
        kind="mail.sent", key="known", customer_id=first.customer_id, subject="message",
        subject_id=first.pk, at=NOW, via="service", data={},
    )  # fmt: skip
    event = NewEvent("mail.sent", "message", first.pk, first.customer_id, key="known")
    composed = Composed(raw=b"raw", message_id="<id@example.com>", to_address="k1@example.com")
    done, handed = ledger_sql.finish_and_hand_over(
        first, MessageStatus.SENT, "", event, second, composed, NOW
    )
    assert (done, handed) == (True, True)
    assert list(Event.objects.filter(kind="mail.sent").values_list("pk", flat=True)) == [taken.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == MessageStatus.SENT and second.handed_at == NOW
