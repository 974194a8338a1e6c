"""The daily digest: each team member's unread notifications by email through Django's email
backend, to a real SMTP server; once per person per day, however often the job runs."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from tenure.jobs.registry import run_kind
from tenure.notifications.models import DigestSent, Notification, NotificationKind
from tenure.notifications.services import digests_send, notification_mark_read
from tests.factories import make_user

NOW = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)


def _note(user, text: str, key: str) -> Notification:
    return Notification.objects.create(
        recipient=user, kind=NotificationKind.MENTION, text=text, url="/customers/1/",
        key=key, created_at=NOW,
    )  # fmt: skip


def test_digest_is_sent_once_a_day_to_whoever_has_unread(db, smtp_server, settings):
    inbox, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.BASE_URL = "https://crm.example"
    sam = make_user(username="sam", email="sam@team.example", first_name="Sam")
    ria = make_user(username="ria", email="ria@team.example")
    make_user(username="nomail", email="")
    _note(sam, "Mia mentioned you about Grace Hopper: renewal", "k1")
    _note(sam, "Task for you: Call Grace (due Jun 3, 2025)", "k2")
    read = _note(ria, "already seen", "k3")
    notification_mark_read(user=ria, notification_id=read.pk)

    first = digests_send(now=NOW)
    again = digests_send(now=NOW.replace(hour=23))  # the job delivered twice the same day
    assert (first.sent, again.sent) == (1, 0)
    assert len(inbox) == 1
    message = inbox.messages[0]
    assert message["To"] == "sam@team.example"
    assert message["Subject"] == "tenure: 2 unread for Jun 2, 2025"
    body = message.get_content()
    assert "Task for you: Call Grace" in body and "https://crm.example/customers/1/" in body
    assert list(DigestSent.objects.values_list("recipient__username", "notifications")) == [
        ("sam", 2)
    ]
    # The next day, still unread: a new digest.
    assert digests_send(now=NOW.replace(day=3)).sent == 1
    assert len(inbox) == 2


def test_digest_is_a_nightly_step():
    kind = run_kind("notifications.digest")
    assert kind.nightly is not None and kind.nightly > 50  # after health (30), playbooks (50)


def test_mark_read_touches_only_ones_own(db):
    sam, ria = make_user(username="sam"), make_user(username="ria")
    mine = _note(sam, "a", "a")
    theirs = _note(ria, "b", "b")
    assert notification_mark_read(user=sam, notification_id=theirs.pk) == 0
    assert notification_mark_read(user=sam) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert timezone.is_aware(mine.read_at)


def test_the_back_office_shows_notifications_to_admins_only(client, db):
    from django.urls import reverse

    sam = make_user(username="sam")
    _note(sam, "private words", "k9")
    url = reverse("admin:notifications_notification_changelist")
    client.force_login(make_user(role="manager"))
    assert client.get(url).status_code == 403
    client.force_login(make_user(role="admin"))
    assert "private words" in client.get(url).content.decode()
