"""Writes of email: queueing messages by key, templates, unsubscribing, tracking, suppressions.

Playbooks and broadcasts queue through ``message_queue`` / ``messages_queue`` with a key of
(source, step, customer, occurrence): queueing the same key again returns the message already
there, so a trigger handled twice, or a broadcast resumed, never makes a second message.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tenure.access import require_all
from tenure.customers.models import ConsentPurpose, Contact, Customer
from tenure.customers.services import consent_set
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.events.record import NewEvent, events_record
from tenure.mail import events as kinds
from tenure.mail import tokens
from tenure.mail.models import (
    CONTACT_TOPIC,
    TOPICS,
    Message,
    MessageKind,
    MessageStatus,
    Suppression,
    SuppressionReason,
    Template,
)
from tenure.mail.rendering import RenderError, template_check
from tenure.users.models import User

TEMPLATES_WHY = "templates and the suppression list are the whole business's: admins and managers"


def message_key(
    *,
    source: str,
    step: str,
    customer_id: int | None,
    occurrence: str,
    contact_id: int | None = None,
) -> str:
    recipient = customer_id if contact_id is None else f"contact-{contact_id}"
    return f"{source}:{step}:{recipient}:{occurrence}"


MAX_ATTACHED = 10 * 1024 * 1024
"""Bytes a message may carry in files: servers refuse mail much above this."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (a report's PDF), kept on the message as base64."""

    filename: str
    content_type: str
    data: bytes

    def stored(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }


@dataclass(frozen=True)
class NewMessage:
    """A message to queue. Content is a template's, or subject/text/html given here. It goes to
    a customer (``customer_id``) or to a contact of an account (``contact_id``, the customer
    None): a contact is sent the one thing they asked for, the results report, as marketing on
    the ``service_email`` topic, which the sender checks against ``Contact.receives_reports``."""

    source: str
    customer_id: int | None
    due_at: datetime
    step: str = ""
    occurrence: str = ""
    kind: str = MessageKind.MARKETING
    topic: str = ConsentPurpose.EMAIL_MARKETING
    priority: int = 0
    template_id: int | None = None
    subject: str = ""
    text: str = ""
    html: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    valid_until: datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    contact_id: int | None = None


def _row(new: NewMessage, now: datetime) -> Message:
    if new.kind not in MessageKind.values:
        raise ValidationError({"kind": [f"kind is one of {', '.join(MessageKind.values)}"]})
    if (new.customer_id is None) == (new.contact_id is None):
        raise ValidationError({"customer_id": ["a message goes to a customer or to a contact"]})
    if new.contact_id is not None:
        if (new.kind, new.topic) != (MessageKind.MARKETING, CONTACT_TOPIC):
            raise ValidationError({"topic": [f"a contact is sent {CONTACT_TOPIC} only"]})
    elif new.kind == MessageKind.MARKETING and new.topic not in TOPICS:
        raise ValidationError({"topic": [f"a marketing topic is one of {', '.join(TOPICS)}"]})
    if new.template_id is None and not (new.subject and new.text):
        raise ValidationError({"template_id": ["a message needs a template or a subject and text"]})
    if new.valid_until is not None and new.valid_until <= new.due_at:
        raise ValidationError({"valid_until": ["valid until must be after the due time"]})
    if sum(len(a.data) for a in new.attachments) > MAX_ATTACHED:
        raise ValidationError({"attachments": [f"at most {MAX_ATTACHED:,} bytes of files"]})
    return Message(
        key=message_key(
            source=new.source,
            step=new.step,
            customer_id=new.customer_id,
            occurrence=new.occurrence,
            contact_id=new.contact_id,
        ),
        source=new.source,
        step=new.step,
        occurrence=new.occurrence,
        customer_id=new.customer_id,
        contact_id=new.contact_id,
        template_id=new.template_id,
        kind=new.kind,
        topic=new.topic if new.kind == MessageKind.MARKETING else "",
        priority=new.priority,
        subject=new.subject,
        text=new.text,
        html=new.html,
        context=dict(new.context),
        attachments=[a.stored() for a in new.attachments],
        due_at=new.due_at,
        next_at=new.due_at,
        valid_until=new.valid_until,
        created_at=now,
    )


def message_queue(new: NewMessage, *, now: datetime) -> tuple[Message, bool]:
    """Queue one message; (the message, whether it is new). The same key is the same message."""
    row = _row(new, now)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
        return row, True
    except IntegrityError:
        return Message.objects.get(key=row.key), False


def messages_queue(news: Iterable[NewMessage], *, now: datetime, batch: int = 2000) -> int:
    """Queue many (a broadcast's audience) set-wise; keys already queued are left as they are.
    Returns how many were given."""
    rows = [_row(new, now) for new in news]
    Message.objects.bulk_create(rows, batch_size=batch, ignore_conflicts=True)
    return len(rows)


# -- templates ---------------------------------------------------------------------------------

TEMPLATE_FIELDS = ("name", "slug", "kind", "topic", "subject", "html", "text")


def _template_validate(template: Template) -> None:
    try:
        template_check(subject=template.subject, text=template.text, html=template.html)
    except RenderError as error:
        raise ValidationError({error.part: [error.reason]}) from None
    if template.kind == MessageKind.MARKETING and template.topic not in TOPICS:
        raise ValidationError({"topic": [f"a marketing topic is one of {', '.join(TOPICS)}"]})
    template.full_clean()


def template_create(*, by: User | None, **fields: Any) -> Template:
    if by is not None:
        require_all(by, Action.CHANGE, why=TEMPLATES_WHY)
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError({name: ["no such field"] for name in sorted(unknown)})
    template = Template(**fields)
    if not template.slug:
        template.slug = Template.free_slug(template.name)
    _template_validate(template)
    template.save()
    return template


@transaction.atomic
def template_update(*, by: User | None, template_id: int, changes: Mapping[str, Any]) -> Template:
    if by is not None:
        require_all(by, Action.CHANGE, why=TEMPLATES_WHY)
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError({name: ["no such field"] for name in sorted(unknown)})
    template = Template.objects.select_for_update().get(pk=template_id)
    for name, value in changes.items():
        if name == "slug" and not value:
            continue  # an empty slug keeps the one playbooks name it by
        setattr(template, name, value)
    _template_validate(template)
    template.save()
    return template


def template_delete(*, by: User | None, template_id: int) -> None:
    if by is not None:
        require_all(by, Action.CHANGE, why=TEMPLATES_WHY)
    try:
        Template.objects.filter(pk=template_id).delete()
    except ProtectedError:
        # A broadcast names its template for good: its log reads as that template's.
        raise Conflict("a broadcast uses this template, so it stays") from None


def template_test_send(
    *, by: User | None, template_id: int, customer_id: int, now: datetime
) -> Message:
    """Queue the template for one customer now, as transactional (a test reaches the tester
    whatever the cap or the hour), under a key of its own for each test."""
    if by is not None:
        require_all(by, Action.CHANGE, why=TEMPLATES_WHY)
    template = Template.objects.get(pk=template_id)
    message, _ = message_queue(
        NewMessage(
            source="test",
            step=f"template:{template.pk}",
            customer_id=customer_id,
            occurrence=now.isoformat(),
            kind=MessageKind.TRANSACTIONAL,
            template_id=template.pk,
            due_at=now,
        ),
        now=now,
    )
    return message


# -- unsubscribing -----------------------------------------------------------------------------


class InvalidToken(LookupError):
    """A link's token that tenure did not sign (or whose message is gone): 404."""


@dataclass(frozen=True)
class Unsubscribing:
    message: Message
    customer: Customer | None  # None: the message went to a contact
    topic: str
    contact: Contact | None = None


def unsubscribe_target(token: str) -> Unsubscribing:
    found = tokens.unsubscribe_read(token)
    if found is None:
        raise InvalidToken
    message_id, customer_id, topic = found
    message = Message.objects.select_related("customer", "contact").filter(pk=message_id).first()
    if message is None:
        raise InvalidToken
    if message.contact is not None:  # a contact's link names no customer (0)
        if customer_id != 0:
            raise InvalidToken
        return Unsubscribing(message, None, CONTACT_TOPIC, message.contact)
    if message.customer is None or message.customer_id != customer_id:
        raise InvalidToken
    return Unsubscribing(message, message.customer, topic or ConsentPurpose.EMAIL_MARKETING)


def _contact_reports(contact: Contact, receives: bool) -> None:
    """A contact's consent to the results report, as they chose on its link (history kept)."""
    if contact.receives_reports != receives:
        contact.receives_reports = receives
        contact.save(update_fields=["receives_reports"])


@transaction.atomic
def unsubscribe_one_click(*, token: str, now: datetime) -> None:
    """RFC 8058's one-click POST: the message's topic refused (the whole of marketing email
    when the message was about marketing in general), recorded with its evidence; a contact's
    results reports stopped."""
    target = unsubscribe_target(token)
    if target.contact is not None:
        _contact_reports(target.contact, False)
        return
    assert target.customer is not None
    consent_set(
        customer_id=target.customer.pk,
        purpose=target.topic,
        granted=False,
        source="unsubscribe",
        evidence=f"one-click unsubscribe (RFC 8058) in message {target.message.key}"[:2000],
        now=now,
    )


def preferences_of(target: Unsubscribing) -> dict[str, bool]:
    """Each marketing topic and whether the customer receives it now (a contact: the report)."""
    if target.contact is not None:
        return {CONTACT_TOPIC: target.contact.receives_reports}
    assert target.customer is not None
    stored = {c.purpose: c.granted for c in target.customer.consents.filter(purpose__in=TOPICS)}
    return {topic: stored.get(topic, topic != ConsentPurpose.EMAIL_MARKETING) for topic in TOPICS}


@transaction.atomic
def preferences_set(*, token: str, choices: Mapping[str, bool], now: datetime) -> None:
    """The preference page's form: each topic as the person chose it."""
    target = unsubscribe_target(token)
    if target.contact is not None:
        if CONTACT_TOPIC in choices:
            _contact_reports(target.contact, bool(choices[CONTACT_TOPIC]))
        return
    assert target.customer is not None
    for topic in TOPICS:
        if topic not in choices:
            continue
        consent_set(
            customer_id=target.customer.pk,
            purpose=topic,
            granted=bool(choices[topic]),
            source="unsubscribe",
            evidence=f"preference page of message {target.message.key}"[:2000],
            now=now,
        )


# -- tracking ----------------------------------------------------------------------------------


def message_opened(*, token: str) -> None:
    message_id = tokens.open_read(token)
    message = Message.objects.filter(pk=message_id).first() if message_id else None
    if message is None:
        raise InvalidToken
    events_record([NewEvent(kinds.MAIL_OPENED.name, "message", message.pk, message.customer_id)])


def message_clicked(*, token: str) -> str:
    """The link's address, after recording the click."""
    found = tokens.click_read(token)
    message = Message.objects.filter(pk=found[0]).first() if found else None
    if message is None or found is None:
        raise InvalidToken
    url = found[1]
    if not url.startswith(("https://", "http://")):
        raise InvalidToken
    events_record(
        [
            NewEvent(
                kinds.MAIL_CLICKED.name,
                "message",
                message.pk,
                message.customer_id,
                data={"url": url[:500]},
            )
        ]
    )
    return url


# -- suppressions ------------------------------------------------------------------------------


def suppression_add(
    *, by: User | None, address: str, reason: str, detail: str = "", now: datetime
) -> Suppression:
    if by is not None:
        require_all(by, Action.CHANGE, why=TEMPLATES_WHY)
    address = address.strip().lower()
    if "@" not in address or len(address) > 320:
        raise ValidationError({"address": ["an email address"]})
    if reason not in SuppressionReason.values:
        raise ValidationError({"reason": [f"one of {', '.join(SuppressionReason.values)}"]})
    with transaction.atomic():
        row, _ = Suppression.objects.select_for_update().get_or_create(address=address)
        row.suppressed_at = row.suppressed_at or now
        row.reason = reason
        row.detail = detail[:500]
        row.created_by = by
        row.save()
    return row


def suppression_remove(*, by: User | None, address: str) -> bool:
    if by is not None:
        require_all(by, Action.CHANGE, why=TEMPLATES_WHY)
    return bool(Suppression.objects.filter(address=address.strip().lower()).delete()[0])


def message_statuses() -> list[str]:
    return list(MessageStatus.values)
