"""Exactly once under SIGKILL: the real worker sends to the real SMTP server on loopback and
is killed at random moments and started again; no message reaches the server twice, every
message ends in a final state, and no more are ``unknown`` than there were kills.
(``benchmarks/mail_kills.py`` is the 10,000-message drill.)"""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.events import consumers
from tenure.mail.models import FINAL, Message, MessageKind, MessageStatus
from tenure.mail.services import NewMessage, messages_queue
from tests.factories import make_customer
from tests.jobs.workers import wait_until, worker_kill, worker_start, worker_stop

pytestmark = [pytest.mark.slow]

MESSAGES = 600
KILLS = 4


def test_the_sender_is_a_follower_of_the_worker():
    assert "mail.send" in consumers._FOLLOWERS


def test_killed_at_random_the_worker_sends_each_message_once(database_url, smtp_server):
    inbox, port = smtp_server
    rng = random.Random(14)
    customers = [make_customer() for _ in range(30)]
    now = timezone.now()
    messages_queue(
        (
            NewMessage(
                source="drill",
                occurrence=str(n),
                customer_id=customers[n % len(customers)].pk,
                kind=MessageKind.TRANSACTIONAL,
                subject=f"Message {n}",
                text="Hello",
                due_at=now,
            )
            for n in range(MESSAGES)
        ),
        now=now,
    )
    env = {
        "TENURE_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "TENURE_MAIL_LEASE_SECONDS": "2",
        "TENURE_MAIL_BATCH": "20",
    }
    for _ in range(KILLS):
        worker = worker_start(database_url, **env)
        started = len(inbox)
        wait_until(lambda s=started: len(inbox) > s, seconds=60, what="the worker sends")
        time.sleep(rng.uniform(0.0, 0.5))
        worker_kill(worker)
    worker = worker_start(database_url, **env)
    try:
        wait_until(
            lambda: not Message.objects.exclude(status__in=FINAL).exists(),
            seconds=120,
            what="every message final",
        )
    except AssertionError:
        left = Message.objects.exclude(status__in=FINAL)
        raise AssertionError(
            f"not final: {Counter(left.values_list('status', 'reason'))}"
        ) from None
    finally:
        worker_stop(worker)

    keys = Counter(m["X-Tenure-Message"] for m in inbox.messages)
    assert max(keys.values()) == 1, "a message reached the server twice"
    statuses = Counter(Message.objects.values_list("status", flat=True))
    assert statuses[MessageStatus.UNKNOWN] <= KILLS
    assert statuses[MessageStatus.SENT] + statuses[MessageStatus.UNKNOWN] == MESSAGES
    sent = set(Message.objects.filter(status=MessageStatus.SENT).values_list("key", flat=True))
    assert sent <= set(keys)  # every message recorded sent did arrive
    assert set(keys) - sent <= set(
        Message.objects.filter(status=MessageStatus.UNKNOWN).values_list("key", flat=True)
    )
    assert timezone.now() - now < timedelta(minutes=5)
