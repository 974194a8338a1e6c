"""Shared by the email benchmarks: a fresh database, an SMTP server on loopback in a process of
its own (so it never shares the sender's interpreter), customers with consent, messages.

    .venv/bin/python benchmarks/mail_common.py smtp PORT FILE   # the server (used by the others)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def smtp_serve(port: int, path: str) -> None:
    """Append each received message's X-Tenure-Message header to ``path``, one per line."""
    import email
    import threading

    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    out = open(path, "a", buffering=1)  # noqa: SIM115 -- open for the server's life

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.original_content or envelope.content)
            with lock:
                out.write(f"{message['X-Tenure-Message']}\n")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """The server in its own process; ``received()`` counts the keys it took."""

    def __init__(self) -> None:
        self.port = free_port()
        self.file = Path(tempfile.mkstemp(prefix="tenure-smtp-", suffix=".txt")[1])
        self.process = subprocess.Popen(
            [sys.executable, __file__, "smtp", str(self.port), str(self.file)]
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the SMTP server did not start")

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> Counter[str]:
        return Counter(line for line in self.file.read_text().splitlines() if line)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.file.unlink(missing_ok=True)


def fresh_database(url: str | None, name: str) -> str:
    """A new PostgreSQL database ``name`` next to ``url``, or a SQLite file when url is None."""
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="tenure-mail-bench-"))
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"


def django_setup(database_url: str, **settings: str) -> None:
    os.environ["TENURE_DATABASE_URL"] = database_url
    os.environ.update(settings)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(*, customers: int, per_customer: int, kind: str = "marketing") -> datetime:
    """``customers`` customers who agreed to marketing email, each with ``per_customer``
    messages due now (priorities 0..per_customer-1). Returns when they were queued."""
    from tenure.customers.models import Consent, Customer
    from tenure.mail.services import NewMessage, messages_queue

    now = datetime.now(UTC)
    Customer.objects.bulk_create(
        [
            Customer(
                external_id=f"B{n}", first_name=f"Ann{n}", email=f"ann{n}@example.com",
                created_at=now,
            )
            for n in range(customers)
        ],
        batch_size=5000,
    )  # fmt: skip
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    Consent.objects.bulk_create(
        [Consent(customer_id=i, purpose="email_marketing", granted=True, changed_at=now)
         for i in ids],
        batch_size=5000,
    )  # fmt: skip
    messages_queue(
        (
            NewMessage(
                source="bench", step=str(step), customer_id=i, kind=kind, priority=step,
                subject="Hello {{ customer.first_name }}",
                text="Dear {{ customer.first_name }},\n\nour news.\n" * 5,
                html="<p>Dear {{ customer.first_name }}</p>" * 5, due_at=now,
            )
            for i in ids
            for step in range(per_customer)
        ),
        now=now,
    )  # fmt: skip
    return now


def dkim_key_file() -> tuple[str, str]:
    """A fresh 2048-bit key: (its PEM file, the DNS TXT record of its public half)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    fd, path = tempfile.mkstemp(prefix="tenure-dkim-", suffix=".pem")
    os.write(fd, pem)
    os.close(fd)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode()


if __name__ == "__main__" and sys.argv[1:2] == ["smtp"]:
    smtp_serve(int(sys.argv[2]), sys.argv[3])
