"""`tenure mail broadcasts`: create (draft, scheduled, now), list, show, pause, resume, cancel,
each through the broadcasts' services, refusals in words."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tenure.cli.main import cli, register_commands
from tenure.events.models import Event
from tenure.mail.models import Broadcast, Message, MessageStatus
from tests.mail.test_broadcasts import audience, newsletter

pytestmark = pytest.mark.django_db


def run(*args: str):
    register_commands()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_create_now_pause_resume_cancel_and_show():
    segment = audience(4)
    template = newsletter()
    made = run("mail", "broadcasts", "create", "--name", "Q3 news", "--segment", str(segment.pk),
               "--template", str(template.pk), "--now")  # fmt: skip
    assert made.exit_code == 0, made.output
    broadcast = Broadcast.objects.get(name="Q3 news")
    assert "Q3 news: sending" in made.output and "audience 4: sent 0" in made.output
    assert "pending 4" in made.output

    assert "paused" in run("mail", "broadcasts", "pause", str(broadcast.pk)).output
    held = Message.objects.filter(source=broadcast.source, status=MessageStatus.HELD)
    assert held.count() == 4
    again = run("mail", "broadcasts", "pause", str(broadcast.pk))
    assert again.exit_code == 1 and "only a broadcast that is sending" in again.output
    assert "sending" in run("mail", "broadcasts", "resume", str(broadcast.pk)).output
    cancelled = run("mail", "broadcasts", "cancel", str(broadcast.pk), "--reason", "typo")
    assert "cancelled" in cancelled.output and "expired 4" in cancelled.output
    assert Event.objects.filter(kind="broadcast.paused", via="cli").count() == 1

    listed = run("mail", "broadcasts", "list").output
    assert "cancelled" in listed and "Q3 news" in listed
    shown = run("mail", "broadcasts", "show", str(broadcast.pk)).output
    assert "reason: typo" in shown
    assert run("mail", "broadcasts", "show", "999999").exit_code == 1


def test_create_refuses_in_words():
    segment = audience(1)
    draft = run("mail", "broadcasts", "create", "--name", "Later", "--segment", str(segment.pk),
                "--template", str(newsletter().pk), "--valid-days", "0")  # fmt: skip
    assert draft.exit_code == 1 and "valid_days: from 1 to 90 days" in draft.output
    naive = run("mail", "broadcasts", "create", "--name", "Later", "--segment", str(segment.pk),
                "--template", str(newsletter().pk), "--at", "2030-01-01T09:00")  # fmt: skip
    assert naive.exit_code == 2 and "time zone" in naive.output
    scheduled = run("mail", "broadcasts", "create", "--name", "Later", "--segment",
                    str(segment.pk), "--template", str(newsletter().pk),
                    "--at", "2030-01-01T09:00+00:00")  # fmt: skip
    assert scheduled.exit_code == 0 and "scheduled, 2030-01-01T09:00:00+00:00" in scheduled.output
