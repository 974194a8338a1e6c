"""Bounces and complaints that come back: an mbox or a folder of messages, read with
flufl.bounce (GNU Mailman's bounce detectors: DSNs and the odd formats of many providers).

A hard (permanent) bounce suppresses its address at once; soft (temporary) bounces count, and
``TENURE_MAIL_SOFT_BOUNCES`` of them suppress it. An ARF complaint (RFC 5965: the person
pressed "this is spam") refuses all marketing email for the customers with that address.
"""

from __future__ import annotations

import email
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import Message as EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from flufl.bounce import all_failures

from tenure.customers.models import ConsentPurpose, Customer
from tenure.customers.services import consent_set
from tenure.events.record import NewEvent, events_record
from tenure.mail import events as kinds
from tenure.mail.models import Suppression, SuppressionReason


@dataclass
class BounceResult:
    read: int = 0
    hard: int = 0
    soft: int = 0
    complaints: int = 0
    suppressed: int = 0
    unrecognised: int = 0


def _customers_of(address: str) -> list[int]:
    return list(Customer.objects.filter(email__iexact=address).values_list("pk", flat=True))


def _complaint_address(message: EmailMessage) -> str | None:
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "")).lower() != "feedback-report":
        return None
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            payload: Any = part.get_payload()
            text = payload[0].as_string() if isinstance(payload, list) else str(payload)
            for line in text.splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "original-rcpt-to":
                    return value.strip().lower()
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            original: Any = payload[0] if isinstance(payload, list) else None
            if original is not None and original.get("To"):
                found = getaddresses([str(original["To"])])
                if found and found[0][1]:
                    return found[0][1].lower()
    return None


def _suppress(address: str, reason: str, detail: str, now: datetime) -> bool:
    row, _ = Suppression.objects.select_for_update().get_or_create(address=address)
    if row.suppressed_at is not None:
        return False
    row.suppressed_at, row.reason, row.detail = now, reason, detail[:500]
    row.save()
    return True


def bounce_handle(message: EmailMessage, *, now: datetime) -> BounceResult:
    """One message that came back."""
    result = BounceResult(read=1)
    with transaction.atomic():
        complained = _complaint_address(message)
        if complained:
            result.complaints += 1
            recorded = []
            for customer_id in _customers_of(complained):
                consent_set(
                    customer_id=customer_id,
                    purpose=ConsentPurpose.EMAIL_MARKETING,
                    granted=False,
                    source="complaint",
                    evidence=f"spam complaint (ARF) for {complained}",
                    now=now,
                )
                recorded.append(NewEvent(kinds.MAIL_COMPLAINED.name, "customer", customer_id,
                                         customer_id, data={}))  # fmt: skip
            events_record(recorded)
            return result
        temporary, permanent = all_failures(message)
        if not temporary and not permanent:
            result.unrecognised += 1
            return result
        recorded = []
        for raw in permanent:
            address = raw.decode("utf-8", "replace").strip().lower()
            result.hard += 1
            if _suppress(address, SuppressionReason.HARD_BOUNCE, "hard bounce", now):
                result.suppressed += 1
            recorded += [
                NewEvent(kinds.MAIL_BOUNCED.name, "customer", c, c, data={"hard": True})
                for c in _customers_of(address)
            ]
        for raw in temporary - permanent:
            address = raw.decode("utf-8", "replace").strip().lower()
            result.soft += 1
            row, _ = Suppression.objects.select_for_update().get_or_create(address=address)
            Suppression.objects.filter(pk=row.pk).update(soft_bounces=F("soft_bounces") + 1)
            row.refresh_from_db()
            if row.soft_bounces >= settings.MAIL_SOFT_BOUNCES and _suppress(
                address, SuppressionReason.SOFT_BOUNCES, f"{row.soft_bounces} soft bounces", now
            ):
                result.suppressed += 1
            recorded += [
                NewEvent(kinds.MAIL_BOUNCED.name, "customer", c, c, data={"hard": False})
                for c in _customers_of(address)
            ]
        events_record(recorded)
    return result


def _messages(path: Path) -> Iterator[EmailMessage]:
    if path.is_dir():
        for item in sorted(path.iterdir()):
            if item.is_file():
                yield email.message_from_bytes(item.read_bytes())
        return
    box = mailbox.mbox(str(path), create=False)
    try:
        yield from box
    finally:
        box.close()


def bounces_ingest(*, path: Path, now: datetime) -> BounceResult:
    """Every message of an mbox file or a folder of messages (one per file)."""
    total = BounceResult()
    for message in _messages(path):
        one = bounce_handle(message, now=now)
        for name in ("read", "hard", "soft", "complaints", "suppressed", "unrecognised"):
            setattr(total, name, getattr(total, name) + getattr(one, name))
    return total
