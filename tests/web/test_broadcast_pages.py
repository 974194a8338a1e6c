"""The broadcast pages: made on the list's form, sent now, paused and resumed from its page,
whose counts and recipients' log follow the ledger (a success manager sees their book's)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenure.customers.models import Customer
from tenure.mail.broadcasts import broadcast_start, broadcasts_advance
from tenure.mail.models import Broadcast, BroadcastStatus, MessageStatus
from tenure.mail.sending import mail_send_due
from tenure.users.models import Role
from tests.factories import make_user
from tests.mail.conftest import NOW
from tests.mail.test_broadcasts import audience, newsletter

pytestmark = pytest.mark.django_db


def test_make_send_pause_resume_from_the_pages(signed_in, settings):
    settings.MAIL_QUIET_HOURS = ""  # "send now" is the wall clock's now, whatever its hour
    segment = audience(3)
    form = {"name": "Autumn news", "segment_id": segment.pk, "template_id": newsletter().pk,
            "valid_days": "2", "priority": "0"}  # fmt: skip
    made = signed_in.post(reverse("web:mail-broadcasts"), form)
    broadcast = Broadcast.objects.get(name="Autumn news")
    assert made.status_code == 302 and broadcast.status == BroadcastStatus.DRAFT
    page = reverse("web:mail-broadcast", args=[broadcast.pk])
    assert "No recipients until it starts" in signed_in.get(page).content.decode()

    signed_in.post(reverse("web:mail-broadcast-schedule", args=[broadcast.pk]))
    assert broadcasts_advance().started == [broadcast.pk]  # the worker's step
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.SENDING and broadcast.audience == 3
    assert mail_send_due(now=max(NOW, broadcast.scheduled_at), limit=1).sent == 1
    signed_in.post(reverse("web:mail-broadcast-pause", args=[broadcast.pk]))
    shown = signed_in.get(page).content.decode()
    assert "Paused" in shown and "2 held" in shown
    assert shown.count('<td class="muted small">its broadcast is paused</td>') == 2
    again = signed_in.post(reverse("web:mail-broadcast-pause", args=[broadcast.pk]), follow=True)
    assert "only a broadcast that is sending can be paused" in again.content.decode()
    signed_in.post(reverse("web:mail-broadcast-resume", args=[broadcast.pk]))
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.SENDING
    listed = signed_in.get(reverse("web:mail-broadcasts")).content.decode()
    assert "Autumn news" in listed and "Sending" in listed


def test_the_form_refuses_in_words(signed_in):
    segment = audience(1)
    answer = signed_in.post(reverse("web:mail-broadcasts"), {
        "name": "Bad", "segment_id": segment.pk, "template_id": newsletter().pk,
        "valid_days": "0"})  # fmt: skip
    assert answer.status_code == 200
    assert "valid_days: from 1 to 90 days" in answer.content.decode()
    assert not Broadcast.objects.filter(name="Bad").exists()


def test_a_success_manager_reads_the_recipients_of_their_book(client):
    segment = audience(2)
    sam = make_user(role=Role.SUCCESS_MANAGER)
    mine, theirs = Customer.objects.filter(segment_memberships__segment=segment).order_by("pk")
    Customer.objects.filter(pk=mine.pk).update(owner=sam)
    broadcast = Broadcast.objects.create(
        name="News", segment=segment, template=newsletter(), status="scheduled", scheduled_at=NOW
    )
    broadcast_start(broadcast_id=broadcast.pk, now=NOW)
    client.force_login(sam)
    shown = client.get(reverse("web:mail-broadcast", args=[broadcast.pk])).content.decode()
    assert mine.email in shown and theirs.email not in shown
    assert MessageStatus.QUEUED.label in shown
    assert "Send now" not in shown and "Pause" not in shown


def test_the_admin_lists_makes_and_pauses_through_the_services(client, settings):
    segment = audience(2)
    client.force_login(make_user(role=Role.ADMIN))
    changelist = reverse("admin:mail_broadcast_changelist")
    assert client.get(reverse("admin:mail_broadcast_add")).status_code == 200
    made = client.post(reverse("admin:mail_broadcast_add"), {
        "name": "Admin news", "segment": segment.pk, "template": newsletter().pk,
        "priority": "0", "valid_days": "3"})  # fmt: skip
    assert made.status_code == 302, made.content.decode()[:2000]
    broadcast = Broadcast.objects.get(name="Admin news")
    client.post(changelist, {"action": "send_now", "_selected_action": [broadcast.pk]})
    assert broadcasts_advance().started == [broadcast.pk]
    client.post(changelist, {"action": "pause", "_selected_action": [broadcast.pk]})
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.PAUSED and broadcast.audience == 2
    assert client.get(changelist).status_code == 200
    shown = client.get(reverse("admin:mail_broadcast_change", args=[broadcast.pk]))
    assert shown.status_code == 200  # read-only once started
