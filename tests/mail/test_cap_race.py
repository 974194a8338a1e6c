"""Race-free cap: four `tenure send-due` processes started together over the same customers
never send anyone more than the cap, and lose nothing (``benchmarks/mail_race.py`` is the
8-process, 20,000-message drill)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from django.utils import timezone

from tenure.mail.models import Message, MessageStatus
from tenure.mail.services import NewMessage, messages_queue
from tests.factories import make_customer
from tests.mail.conftest import grant

pytestmark = [pytest.mark.slow]

PROCESSES = 4
CUSTOMERS = 20
PER_CUSTOMER = 6


def test_senders_in_four_processes_keep_the_cap(database_url, smtp_server, tmp_path):
    inbox, port = smtp_server
    now = timezone.now()
    customers = [make_customer() for _ in range(CUSTOMERS)]
    for customer in customers:
        grant(customer, at=now)
    messages_queue(
        (
            NewMessage(source="race", step=str(step), customer_id=customer.pk, priority=step,
                       subject=f"{step}", text="t", due_at=now)
            for customer in customers
            for step in range(PER_CUSTOMER)
        ),
        now=now,
    )  # fmt: skip
    env = {
        **os.environ,
        "TENURE_DATABASE_URL": database_url,
        "TENURE_DATA_DIR": str(tmp_path),
        "TENURE_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "TENURE_MAIL_CAP": "3/1d",
        "TENURE_MAIL_QUIET_HOURS": "",
        "TENURE_MAIL_BATCH": "3",
    }
    senders = [
        subprocess.Popen([sys.executable, "-m", "tenure", "send-due"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(PROCESSES)
    ]  # fmt: skip
    for sender in senders:
        _, errors = sender.communicate(timeout=240)
        assert sender.returncode == 0, errors.decode()[-2000:]

    keys = Counter(m["X-Tenure-Message"] for m in inbox.messages)
    assert max(keys.values()) == 1
    per_customer = Counter(key.split(":")[2] for key in keys)
    assert set(per_customer.values()) == {3} and len(per_customer) == CUSTOMERS
    statuses = Counter(Message.objects.values_list("status", flat=True))
    assert statuses == {MessageStatus.SENT: 3 * CUSTOMERS, MessageStatus.DEFERRED: 3 * CUSTOMERS}
    sent_steps = set(Message.objects.filter(status="sent").values_list("step", flat=True))
    assert sent_steps == {"3", "4", "5"}  # the highest priorities
