"""A real SMTP server on loopback (aiosmtpd's controller), started by the test, and the
customers and consents a message needs."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from tenure.customers.models import Consent, ConsentPurpose
from tenure.mail.transport import Smtp, SmtpAddress

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC: no quiet hours in Europe


class Inbox:
    """What arrived, in order; ``raw`` as the server received it."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.lock:
            self.raw.append(envelope.original_content or envelope.content)
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [email.message_from_bytes(raw, policy=default) for raw in self.raw]

    def __len__(self) -> int:
        with self.lock:
            return len(self.raw)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server, settings) -> Iterator[Inbox]:
    """The SMTP server, and tenure's settings pointing at it."""
    inbox, port = smtp_server
    settings.SMTP_URL = f"smtp://127.0.0.1:{port}"
    yield inbox


def smtp_transport(port: int) -> Smtp:
    return Smtp(SmtpAddress("127.0.0.1", port, False, False, "", ""))


def grant(customer, *purposes: str, at: datetime = NOW) -> None:
    for purpose in purposes or (ConsentPurpose.EMAIL_MARKETING,):
        Consent.objects.update_or_create(
            customer=customer,
            purpose=purpose,
            defaults={"granted": True, "changed_at": at, "source": "signup form"},
        )
