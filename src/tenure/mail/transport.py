"""Where mail goes: a real SMTP server (``TENURE_SMTP_URL``) or tenure's own outbox.

One SMTP connection serves a whole batch. A send ends in one of four ways: accepted; refused
for good (5xx: the message failed); refused for now (4xx, or no connection before the message
was handed over: it is queued again); or unknown (the connection broke while the server had
the message, so it may have been accepted: never sent again).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.utils import parseaddr
from enum import StrEnum
from functools import lru_cache
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 30.0


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"  # for good
    LATER = "later"  # not handed over, or refused for now
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sent:
    outcome: Outcome
    detail: str = ""


class Transport(Protocol):
    name: str

    def open(self) -> None: ...

    def send(self, *, sender: str, to: str, raw: bytes) -> Sent: ...

    def close(self) -> None: ...


class Outbox:
    """No server: the stored message (``Message.raw``) is the outbox, shown on its page."""

    name = "outbox"

    def open(self) -> None:
        return None

    def send(self, *, sender: str, to: str, raw: bytes) -> Sent:
        return Sent(Outcome.ACCEPTED, "kept in the outbox")

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class SmtpAddress:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str
    password: str


def smtp_url_parse(url: str) -> SmtpAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("TENURE_SMTP_URL reads like smtp://user:password@host:587?starttls=1")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpAddress(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """Made once, and only for TLS: loading the system's certificates took 0.15 s, paid by
    every batch's connection even without TLS."""
    return ssl.create_default_context()


class Smtp:
    name = "smtp"

    def __init__(self, address: SmtpAddress) -> None:
        self.address = address
        self.connection: smtplib.SMTP | None = None

    def open(self) -> None:
        if self.connection is not None:
            return
        a = self.address
        if a.implicit_tls:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                a.host, a.port, timeout=TIMEOUT_SECONDS, context=_tls_context()
            )
        else:
            connection = smtplib.SMTP(a.host, a.port, timeout=TIMEOUT_SECONDS)
            if a.starttls:
                connection.starttls(context=_tls_context())
        if a.username:
            connection.login(a.username, a.password)
        self.connection = connection

    def send(self, *, sender: str, to: str, raw: bytes) -> Sent:
        """MAIL and RCPT first: a connection lost there has handed nothing over, so the
        message is tried again on a fresh connection (once); lost during DATA, it is unknown."""
        for attempt in (1, 2):
            try:
                self.open()
                assert self.connection is not None
                connection = self.connection
                connection.ehlo_or_helo_if_needed()
                code, _ = connection.mail(parseaddr(sender)[1])
                if code != 250:
                    connection.rset()
                    return _refused(code, f"the server refused the sender ({code})")
                code, _ = connection.rcpt(to)
                if code not in (250, 251):
                    connection.rset()
                    return _refused(code, f"the server refused the recipient ({code})")
            except (smtplib.SMTPException, OSError) as error:
                self.close_quietly()
                if attempt == 2:
                    return Sent(Outcome.LATER, f"no connection to the mail server: {error}"[:300])
                continue
            break
        try:
            code, _ = connection.data(raw)
        except smtplib.SMTPDataError as error:
            connection.rset()
            return _refused(error.smtp_code, f"the server refused the message ({error.smtp_code})")
        except (smtplib.SMTPException, OSError) as error:
            self.close_quietly()
            return Sent(Outcome.UNKNOWN, f"the connection broke during the send: {error}"[:300])
        if code != 250:
            return _refused(code, f"the server refused the message ({code})")
        return Sent(Outcome.ACCEPTED)

    def close_quietly(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.close()
        self.connection = None

    def close(self) -> None:
        if self.connection is None:
            return
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self.connection.quit()
        self.connection = None


def _refused(code: int, detail: str) -> Sent:
    return Sent(Outcome.REFUSED if 500 <= code < 600 else Outcome.LATER, detail)


def transport_from_settings() -> Transport:
    if settings.SMTP_URL:
        return Smtp(smtp_url_parse(settings.SMTP_URL))
    return Outbox()
