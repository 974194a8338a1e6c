"""The sender: due messages claimed per customer, checked, handed to the server once.

- **Claim, per customer.** A short transaction locks the customers with due messages (``SELECT
  ... FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL, so senders in other processes take other
  customers; SQLite's transactions take the write lock as they begin), then reads each one's
  due messages and the marketing messages counted against the cap, so two processes never
  both fill the same customer's last slot. Each due message ends expired (past its
  ``valid_until``), suppressed (no address, a suppressed address, no consent to its topic,
  read now, not when it was queued), deferred (quiet hours on the customer's clock, or the cap
  full: the highest priority go first, ties by due time) or claimed (``sending``, leased for
  ``TENURE_MAIL_LEASE_SECONDS``). Transactional mail skips the cap, quiet hours and consent,
  never the suppression list.
- **Hand over, once.** Outside that transaction each claimed message is rendered and
  composed, then ``handed_at`` is committed just before the SMTP call, in the same transaction
  as the previous message's outcome. A sender killed between the server's acceptance and that
  commit leaves one message ``sending`` with ``handed_at`` set: when its lease ends it becomes
  ``unknown``, never sent again. A claimed message never handed over is claimed again.
- **Consent, right before.** The statement that sets ``handed_at`` re-reads a marketing
  message's consent (marketing email granted, its topic not refused): a refusal committed
  after the claim, even mid-batch, stops every message of that customer not yet handed over
  (suppressed, with its reason). The window left is that one commit and the SMTP call after it.
- Every deferral (a new reason), expiry, suppression, failure and send is an event of the
  customer's (``mail.*``), so it is on their timeline with its reason.
- **Contacts.** A message to a contact of an account who is no customer (the results report)
  is claimed the same way per contact (``_claim_contacts``), after the customers' in the same
  batch: their consent is ``Contact.receives_reports``, read at the claim and again by the
  hand-over's statement; the cap counts their own messages; their quiet hours are on the
  business's clock; their events name no customer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tenure.customers.models import Consent, ConsentPurpose, Contact, Customer
from tenure.domain.mail import Cap, Due, cap_choose, cap_parse, quiet_hours_parse, quiet_until
from tenure.events.record import NewEvent, events_record, events_recorded
from tenure.mail import events as kinds
from tenure.mail import ledger_sql
from tenure.mail.composing import Composed, message_compose, message_render
from tenure.mail.models import (
    COUNTED,
    WAITING,
    Message,
    MessageKind,
    MessageStatus,
    Suppression,
)
from tenure.mail.rendering import RenderError
from tenure.mail.transport import Outcome, Sent, Transport, transport_from_settings

MAX_ATTEMPTS = 5  # refusals for now before a message has failed
RETRY_PAUSE = timedelta(minutes=5)


@dataclass
class SendResult:
    sent: int = 0
    deferred: int = 0
    expired: int = 0
    suppressed: int = 0
    failed: int = 0
    unknown: int = 0
    again: int = 0  # back in the queue (not handed over, or refused for now)

    @property
    def handled(self) -> int:
        return self.sent + self.expired + self.suppressed + self.failed + self.unknown + self.again


def _event(kind: str, message: Message, reason: str = "", **extra: object) -> NewEvent:
    data: dict[str, object] = {"message_id": message.pk, "key": message.key, **extra}
    if reason:
        data["reason"] = reason
    return NewEvent(kind, "message", message.pk, message.customer_id, data=data)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _cap() -> Cap | None:
    return cap_parse(settings.MAIL_CAP) if settings.MAIL_CAP.strip() else None


# -- settling leases ---------------------------------------------------------------------------


def leases_settle(now: datetime) -> SendResult:
    """Messages ``sending`` past their lease: handed over -> unknown; never handed -> queued."""
    result = SendResult()
    stale = Message.objects.filter(status=MessageStatus.SENDING, lease_until__lt=now)
    if not stale.exists():
        return result
    with transaction.atomic():
        rows = stale.order_by("pk")[:1000]
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True)
        recorded = []
        for message in rows:
            if message.handed_at is not None:
                reason = "the sender stopped after handing it to the server; not sent again"
                Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                    status=MessageStatus.UNKNOWN, reason=reason, finished_at=now
                )
                recorded.append(_event(kinds.MAIL_UNKNOWN.name, message, reason))
                result.unknown += 1
            else:
                Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                    status=MessageStatus.QUEUED, claimed_at=None, lease_until=None, next_at=now
                )
                result.again += 1
        events_record(recorded)
    return result


# -- claiming ----------------------------------------------------------------------------------


@dataclass
class _Decision:
    status: str
    reason: str = ""
    next_at: datetime | None = None


def _consent_problem(message: Message, consents: dict[str, Consent]) -> str:
    general = consents.get(ConsentPurpose.EMAIL_MARKETING)
    if general is None:
        return "no consent to marketing emails"
    if not general.granted:
        return "marketing emails refused"
    topic = message.topic
    if topic and topic != ConsentPurpose.EMAIL_MARKETING:
        chosen = consents.get(topic)
        if chosen is not None and not chosen.granted:
            return f"{ConsentPurpose(topic).label} refused"
    return ""


NO_REPORTS = "the contact does not receive results reports"


def _contact_consent_problem(message: Message, contact: Contact) -> str:
    return "" if contact.receives_reports else NO_REPORTS


def _decide(
    recipient: Customer | Contact,
    due: list[Message],
    *,
    consent_problem: Callable[[Message], str],
    suppressed: dict[str, Suppression],
    sent_at: list[datetime],
    now: datetime,
) -> dict[int, _Decision]:
    """What becomes of each due message of one recipient (a customer, or a contact of an
    account)."""
    decisions: dict[int, _Decision] = {}
    address = recipient.email.strip().lower()
    blocked = suppressed.get(address)
    marketing: list[Message] = []
    for message in due:
        if message.valid_until is not None and message.valid_until <= now:
            decisions[message.pk] = _Decision(MessageStatus.EXPIRED, "not sent before valid until")
        elif not address:
            decisions[message.pk] = _Decision(MessageStatus.SUPPRESSED, "no email address")
        elif blocked is not None:
            decisions[message.pk] = _Decision(
                MessageStatus.SUPPRESSED, f"address suppressed: {blocked.get_reason_display()}"
            )
        elif message.kind == MessageKind.TRANSACTIONAL:
            decisions[message.pk] = _Decision(MessageStatus.SENDING)
        elif problem := consent_problem(message):
            decisions[message.pk] = _Decision(MessageStatus.SUPPRESSED, problem)
        else:
            marketing.append(message)
    if not marketing:
        return decisions
    # A contact has no clock of their own: the business's (``TIME_ZONE``).
    zone = _zone(recipient.time_zone if isinstance(recipient, Customer) else "")
    quiet_end = quiet_until(now, quiet_hours_parse(settings.MAIL_QUIET_HOURS), zone)
    if quiet_end is not None:
        local = quiet_end.astimezone(zone).strftime("%H:%M")
        for message in marketing:
            decisions[message.pk] = _deferred(message, quiet_end, f"quiet hours until {local}")
        return decisions
    cap = _cap()
    go, wait, frees = cap_choose(
        [Due(m.pk, m.priority, m.due_at) for m in marketing], sent_at=sent_at, cap=cap, now=now
    )
    for message_id in go:
        decisions[message_id] = _Decision(MessageStatus.SENDING)
    by_id = {m.pk: m for m in marketing}
    for message_id in wait:
        until = frees or now + (cap.window if cap else timedelta(days=1))
        reason = f"frequency cap reached ({settings.MAIL_CAP}); waits for a free slot"
        decisions[message_id] = _deferred(by_id[message_id], until, reason)
    return decisions


def _deferred(message: Message, until: datetime, reason: str) -> _Decision:
    # It waits at most until its valid_until, when it expires if still not sent.
    if message.valid_until is not None and message.valid_until < until:
        until = message.valid_until
    return _Decision(MessageStatus.DEFERRED, reason, until)


def _due(field: str, now: datetime, limit: int) -> list[int]:
    """The recipients (``customer_id`` or ``contact_id``) with messages due, most urgent first."""
    rows = (
        Message.objects.filter(status__in=WAITING, next_at__lte=now, **{f"{field}__isnull": False})
        .order_by("-priority", "next_at")
        .values_list(field, flat=True)[: limit * 4]
    )
    return list(dict.fromkeys(rows))[:limit]


Recipient = Customer | Contact


def _locked(model: type[Recipient], candidates: list[int]) -> dict[int, Recipient]:
    """The candidates' rows locked (PostgreSQL: those another sender holds are skipped)."""
    locked = model._default_manager.filter(pk__in=candidates).order_by("pk")
    if connection.vendor == "postgresql":
        locked = locked.select_for_update(skip_locked=True, no_key=True)
    return {row.pk: row for row in locked}


def _due_of(field: str, ids: list[int], now: datetime) -> dict[int, list[Message]]:
    """Each recipient's due messages (``field``: ``customer_id`` or ``contact_id``)."""
    due_by: dict[int, list[Message]] = defaultdict(list)
    for message in (
        Message.objects.filter(**{f"{field}__in": ids}, status__in=WAITING, next_at__lte=now)
        .select_related("template")
        .order_by("pk")
    ):
        due_by[getattr(message, field)].append(message)
    return due_by


def _suppressions(recipients: Iterable[Recipient]) -> dict[str, Suppression]:
    addresses = {r.email.strip().lower() for r in recipients if r.email}
    found = Suppression.objects.filter(address__in=addresses, suppressed_at__isnull=False)
    return {s.address: s for s in found}


def _counted(field: str, ids: list[int], now: datetime) -> dict[int, list[datetime]]:
    """When each recipient's marketing messages counted against the cap were claimed."""
    sent_at: dict[int, list[datetime]] = defaultdict(list)
    cap = _cap()
    if cap is not None:
        for recipient_id, claimed_at in Message.objects.filter(
            **{f"{field}__in": ids},
            kind=MessageKind.MARKETING,
            status__in=COUNTED,
            claimed_at__gt=now - cap.window,
        ).values_list(field, "claimed_at"):
            if claimed_at is not None:
                sent_at[recipient_id].append(claimed_at)
    return sent_at


def _claim_of(
    model: type[Recipient],
    field: str,
    candidates: list[int],
    consent_problems: Callable[[list[int]], Callable[[Recipient], Callable[[Message], str]]],
    now: datetime,
    limit: int,
    result: SendResult,
) -> list[Message]:
    """One transaction: lock the recipients, decide their due messages, lease the chosen ones
    (at most ``limit``, so a batch is sent well within its lease). ``consent_problems(ids)``
    reads the recipients' consents once and gives each recipient's rule."""
    if not candidates or limit <= 0:
        return []
    with transaction.atomic():
        recipients = _locked(model, candidates)
        if not recipients:
            return []
        ids = list(recipients)
        due_by = _due_of(field, ids, now)
        problem_of = consent_problems(ids)
        suppressed = _suppressions(recipients.values())
        sent_at = _counted(field, ids, now)
        claimed: list[Message] = []
        recorded: list[NewEvent] = []
        for recipient_id, due in due_by.items():
            recipient = recipients[recipient_id]
            decisions = _decide(
                recipient, due, consent_problem=problem_of(recipient), suppressed=suppressed,
                sent_at=sent_at[recipient_id], now=now,
            )  # fmt: skip
            for message in due:
                decision = decisions[message.pk]
                if decision.status == MessageStatus.SENDING and len(claimed) >= limit:
                    continue  # the batch is full: still due, for the next claim
                _apply(message, decision, recipient, now, claimed, recorded, result)
        _lease(claimed, now)
        events_record(recorded)
    return claimed


def _customers_consents(ids: list[int]) -> Callable[[Recipient], Callable[[Message], str]]:
    consents: dict[int, dict[str, Consent]] = defaultdict(dict)
    for consent in Consent.objects.filter(customer_id__in=ids):
        consents[consent.customer_id][consent.purpose] = consent
    return lambda customer: partial(_consent_problem, consents=consents[customer.pk])


def _contacts_consents(ids: list[int]) -> Callable[[Recipient], Callable[[Message], str]]:
    # A contact's consent is on its own row, locked and read with it.
    def problem_of(contact: Recipient) -> Callable[[Message], str]:
        assert isinstance(contact, Contact)
        return partial(_contact_consent_problem, contact=contact)

    return problem_of


def _claim(now: datetime, limit: int, result: SendResult) -> list[Message]:
    """Messages to customers: claimed per customer, under their consents."""
    candidates = _due("customer_id", now, limit)
    return _claim_of(Customer, "customer_id", candidates, _customers_consents, now, limit, result)


def _claim_contacts(now: datetime, limit: int, result: SendResult) -> list[Message]:
    """Messages to contacts of accounts (the results report): the contacts locked, their
    consent ``receives_reports``, their cap counted over their own messages, their quiet hours
    on the business's clock."""
    candidates = _due("contact_id", now, limit)
    return _claim_of(Contact, "contact_id", candidates, _contacts_consents, now, limit, result)


def _lease(claimed: list[Message], now: datetime) -> None:
    """The chosen messages leased (``sending``) with their addresses: one statement run for
    each (``executemany``), not one built by the ORM for each."""
    if not claimed:
        return
    adapt = connection.ops.adapt_datetimefield_value
    lease = adapt(claimed[0].lease_until)
    with connection.cursor() as cursor:
        cursor.executemany(
            ledger_sql.sql(ledger_sql.LEASE),
            [(MessageStatus.SENDING, adapt(now), lease, m.to_address, m.pk, *WAITING)
             for m in claimed],
        )  # fmt: skip
    # Only those still waiting were leased (a broadcast paused meanwhile made some held).
    leased = set(
        Message.objects.filter(
            pk__in=[m.pk for m in claimed], status=MessageStatus.SENDING, claimed_at=now
        ).values_list("pk", flat=True)
    )
    if len(leased) < len(claimed):
        claimed[:] = [m for m in claimed if m.pk in leased]


def _apply(
    message: Message,
    decision: _Decision,
    recipient: Customer | Contact,
    now: datetime,
    claimed: list[Message],
    recorded: list[NewEvent],
    result: SendResult,
) -> None:
    # Every write here is conditional on the message still waiting: a broadcast paused or
    # cancelled since the read above (its statement waits for the row, then re-reads it) has
    # made the message held or expired, which the claim must not overwrite.
    mine = Message.objects.filter(pk=message.pk, status__in=WAITING)
    if decision.status == MessageStatus.SENDING:  # leased by ``_lease``, all in one statement
        lease = now + timedelta(seconds=settings.MAIL_LEASE_SECONDS)
        message.status, message.claimed_at, message.lease_until = MessageStatus.SENDING, now, lease
        if isinstance(recipient, Customer):
            message.customer = recipient
        else:
            message.contact = recipient
        message.to_address = recipient.email.strip()
        claimed.append(message)
        return
    if decision.status == MessageStatus.DEFERRED:
        changed = message.status != MessageStatus.DEFERRED or message.reason != decision.reason
        updated = mine.update(
            status=MessageStatus.DEFERRED, reason=decision.reason, next_at=decision.next_at
        )
        if updated and changed:
            until = decision.next_at.isoformat() if decision.next_at else ""
            recorded.append(_event(kinds.MAIL_DEFERRED.name, message, decision.reason, until=until))
            result.deferred += 1
        return
    kind = kinds.MAIL_EXPIRED if decision.status == MessageStatus.EXPIRED else kinds.MAIL_SUPPRESSED
    if not mine.update(status=decision.status, reason=decision.reason, finished_at=now):
        return
    recorded.append(_event(kind.name, message, decision.reason))
    if decision.status == MessageStatus.EXPIRED:
        result.expired += 1
    else:
        result.suppressed += 1


# -- handing over ------------------------------------------------------------------------------


@dataclass
class _Pending:
    message: Message
    sent: Sent


def _record(pending: _Pending | None, now: datetime, result: SendResult) -> None:
    """Write the outcome of the message handed over last (inside the caller's transaction)."""
    if pending is None:
        return
    message, sent = pending.message, pending.sent
    if sent.outcome == Outcome.ACCEPTED:
        if ledger_sql.finish(message, MessageStatus.SENT, "", now):
            events_record([_event(kinds.MAIL_SENT.name, message)])
            result.sent += 1
        return
    if sent.outcome == Outcome.UNKNOWN:
        if ledger_sql.finish(message, MessageStatus.UNKNOWN, sent.detail, now):
            events_record([_event(kinds.MAIL_UNKNOWN.name, message, sent.detail)])
            result.unknown += 1
        return
    _not_sent(message, sent.outcome == Outcome.REFUSED, sent.detail, now, result)


def _not_sent(
    message: Message, for_good: bool, detail: str, now: datetime, result: SendResult
) -> None:
    mine = Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    )
    tries = _tries(message.reason) + 1  # the refusals so far are counted in its reason
    if for_good or tries >= MAX_ATTEMPTS:
        if mine.update(status=MessageStatus.FAILED, reason=detail, finished_at=now):
            events_record([_event(kinds.MAIL_FAILED.name, message, detail)])
            result.failed += 1
        return
    reason = f"try {tries} of {MAX_ATTEMPTS}: {detail}"[:300]
    if mine.update(
        status=MessageStatus.QUEUED,
        reason=reason,
        next_at=now + RETRY_PAUSE * tries,
        claimed_at=None,
        lease_until=None,
        handed_at=None,
    ):
        result.again += 1


def _tries(reason: str) -> int:
    if reason.startswith("try ") and " of " in reason:
        head = reason[4:].split(" of ", 1)[0]
        if head.isdigit():
            return int(head)
    return 0


def _hand_over(message: Message, composed: Composed, now: datetime, result: SendResult) -> bool:
    """Mark ``message`` handed over (inside the caller's transaction, committed before the SMTP
    call) if it is still this sender's and, for marketing, its consent still holds: the consent
    is re-read by the same statement, so an unsubscribe that commits while the batch is being
    sent stops every message not yet handed over. A message withdrawn since its claim is
    suppressed; one whose lease ended was settled by another sender."""
    if ledger_sql.hand_over(message, composed, now):
        return True
    if message.kind == MessageKind.MARKETING:
        _withdrawn_since_claim(message, now, result)
    return False


def _record_and_hand_over(
    pending: _Pending | None,
    message: Message,
    composed: Composed,
    now: datetime,
    result: SendResult,
) -> bool:
    """``_record(pending, ...)`` then ``_hand_over(message, ...)``: the same writes in the same
    transaction. On PostgreSQL an outcome that finishes the message (sent or unknown), its
    event and the hand-over are one statement: one round trip instead of three, before every
    SMTP call (``ledger_sql``)."""
    if (
        pending is None
        or connection.vendor != "postgresql"
        or pending.sent.outcome not in (Outcome.ACCEPTED, Outcome.UNKNOWN)
    ):
        _record(pending, now, result)
        return _hand_over(message, composed, now, result)
    finished, sent = pending.message, pending.sent
    accepted = sent.outcome == Outcome.ACCEPTED
    status, reason = (MessageStatus.SENT, "") if accepted else (MessageStatus.UNKNOWN, sent.detail)
    kind = kinds.MAIL_SENT if accepted else kinds.MAIL_UNKNOWN
    event = _event(kind.name, finished, reason)
    done, handed = ledger_sql.finish_and_hand_over(
        finished, status, reason, event, message, composed, now
    )
    if done:
        events_recorded()  # as ``events_record`` does: the on-commit delivery
        if accepted:
            result.sent += 1
        else:
            result.unknown += 1
    if not handed and message.kind == MessageKind.MARKETING:
        _withdrawn_since_claim(message, now, result)
    return handed


def _withdrawn_since_claim(message: Message, now: datetime, result: SendResult) -> None:
    """A marketing message whose consent was withdrawn after its claim (an unsubscribe POST
    while its batch was being sent) is suppressed, not handed over."""
    if message.contact_id is not None:
        contact = Contact.objects.filter(pk=message.contact_id).first()
        problem = _contact_consent_problem(message, contact) if contact else NO_REPORTS
    else:
        assert message.customer_id is not None
        purposes = {ConsentPurpose.EMAIL_MARKETING, message.topic}
        consents = {
            c.purpose: c
            for c in Consent.objects.filter(customer_id=message.customer_id, purpose__in=purposes)
        }
        problem = _consent_problem(message, consents)
    if problem and Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    ).update(status=MessageStatus.SUPPRESSED, reason=problem, finished_at=now):
        events_record([_event(kinds.MAIL_SUPPRESSED.name, message, problem)])
        result.suppressed += 1


def _prepare(message: Message, when: datetime) -> Composed | RenderError:
    """Rendered, composed and signed: no database, so it runs in the composing thread."""
    try:
        rendered = message_render(message)
        return message_compose(
            message, address=message.to_address, rendered=rendered, when=when.timestamp()
        )
    except RenderError as error:
        return error


def _deliver(
    claimed: list[Message], transport: Transport, clock: Callable[[], datetime], result: SendResult
) -> None:
    """Hand the claimed messages over in order, one at a time. A thread composes and signs the
    next messages meanwhile (OpenSSL and the socket waits release the GIL), so the CPU work of
    one message overlaps the SMTP round trips of the one before; the order of commits and
    SMTP calls, which bounds ``unknown`` at one per sender, is unchanged."""
    pending: _Pending | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-compose") as composer:
        prepared = [composer.submit(_prepare, message, clock()) for message in claimed]
        try:
            for message, future in zip(claimed, prepared, strict=True):
                composed = future.result()
                now = clock()
                if isinstance(composed, RenderError):
                    with transaction.atomic():
                        _record(pending, now, result)
                        pending = None
                        reason = f"the template failed: {composed}"[:300]
                        _not_sent(message, True, reason, now, result)
                    continue
                with transaction.atomic():
                    handed = _record_and_hand_over(pending, message, composed, now, result)
                    pending = None
                    if not handed:
                        continue  # withdrawn since its claim, or settled by another sender
                sent = transport.send(
                    sender=settings.MAIL_FROM, to=composed.to_address, raw=composed.raw
                )
                pending = _Pending(message, sent)
            with transaction.atomic():
                _record(pending, clock(), result)
                pending = None
        finally:
            for future in prepared:
                future.cancel()
            transport.close()


def mail_send_due(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    transport: Transport | None = None,
) -> SendResult:
    """Settle stale leases, claim what is due and hand it over; what happened, counted.

    ``now`` fixes the clock (tests); without it each step reads the time afresh."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    result = leases_settle(clock())
    batch = limit or settings.MAIL_BATCH
    claimed = _claim(clock(), batch, result)
    claimed += _claim_contacts(clock(), batch - len(claimed), result)
    if claimed:
        _deliver(claimed, transport or transport_from_settings(), clock, result)
    return result
