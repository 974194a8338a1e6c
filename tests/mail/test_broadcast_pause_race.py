"""Real processes: pausing while two `tenure send-due --follow` send a broadcast to a loopback
SMTP server hands nothing over after the pause (claims in flight skip the held messages), and
after resume everyone has it exactly once; a real worker starts a scheduled broadcast, sends it
and marks it done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.utils import timezone

from tenure.mail.broadcasts import (
    broadcast_create,
    broadcast_pause,
    broadcast_resume,
    broadcast_schedule,
    broadcast_start,
)
from tenure.mail.models import Message, MessageStatus
from tests.mail.test_broadcasts import audience, newsletter

pytestmark = [pytest.mark.slow]

MEMBERS = 400


def _wait(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_pause_stops_two_running_senders_and_resume_sends_the_rest_once(
    database_url, smtp_server, tmp_path
):
    inbox, port = smtp_server
    segment = audience(MEMBERS)
    broadcast = broadcast_create(by=None, name="Race", segment_id=segment.pk,
                                 template_id=newsletter().pk)  # fmt: skip
    broadcast_schedule(by=None, broadcast_id=broadcast.pk, at=None, now=timezone.now())
    broadcast_start(broadcast_id=broadcast.pk, now=timezone.now())
    env = {
        **os.environ,
        "TENURE_DATABASE_URL": database_url,
        "TENURE_DATA_DIR": str(tmp_path),
        "TENURE_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "TENURE_MAIL_CAP": "",
        "TENURE_MAIL_QUIET_HOURS": "",
        "TENURE_MAIL_BATCH": "7",
    }
    senders = [
        subprocess.Popen([sys.executable, "-m", "tenure", "send-due", "--follow", "--poll", "0.1"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]  # fmt: skip
    handed = Message.objects.filter(source=broadcast.source, handed_at__isnull=False)
    try:
        _wait(lambda: len(inbox) >= 20)
        broadcast_pause(by=None, broadcast_id=broadcast.pk, now=timezone.now())
        before = handed.count()
        time.sleep(2.0)  # the senders keep claiming: what they took is held now
        assert handed.count() == before
        assert before < MEMBERS
        held = Message.objects.filter(source=broadcast.source, status=MessageStatus.HELD)
        assert held.count() == MEMBERS - before
        _wait(lambda: len(inbox) == before)

        broadcast_resume(by=None, broadcast_id=broadcast.pk, now=timezone.now())
        _wait(lambda: len(inbox) >= MEMBERS)
        time.sleep(0.5)
    finally:
        for sender in senders:
            sender.send_signal(signal.SIGTERM)
        for sender in senders:
            _, errors = sender.communicate(timeout=60)
            assert sender.returncode == 0, errors.decode()[-2000:]
    recipients = Counter(str(m["To"]) for m in inbox.messages)
    assert len(recipients) == MEMBERS and set(recipients.values()) == {1}
    sent = Message.objects.filter(source=broadcast.source, status=MessageStatus.SENT)
    assert sent.count() == MEMBERS


def test_a_real_worker_starts_a_scheduled_broadcast_sends_it_and_marks_it_done(
    database_url, smtp_server
):
    from tenure.mail.models import Broadcast, BroadcastStatus
    from tests.jobs.workers import wait_until, worker_start, worker_stop

    inbox, port = smtp_server
    segment = audience(30)
    broadcast = broadcast_create(by=None, name="Worker", segment_id=segment.pk,
                                 template_id=newsletter().pk)  # fmt: skip
    broadcast_schedule(by=None, broadcast_id=broadcast.pk, at=None, now=timezone.now())
    worker = worker_start(database_url, TENURE_SMTP_URL=f"smtp://127.0.0.1:{port}",
                          TENURE_MAIL_QUIET_HOURS="", TENURE_MAIL_CAP="")  # fmt: skip
    done = Broadcast.objects.filter(pk=broadcast.pk, status=BroadcastStatus.DONE)
    try:
        wait_until(done.exists, seconds=120, what="the broadcast done")
    finally:
        worker_stop(worker)
    assert len(inbox) == 30
    assert len({str(m["To"]) for m in inbox.messages}) == 30
