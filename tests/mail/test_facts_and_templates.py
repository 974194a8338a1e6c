"""What mail gives the rest of tenure: the email facts the health score and segments read
(hand-counted), and templates named by slug, tenure's own made at migrate."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from tenure.events.record import NewEvent, events_record
from tenure.facts import chunks, facts_compute
from tenure.mail.builtin import BUILTIN, templates_builtin_ensure
from tenure.mail.models import Message, Template
from tenure.mail.services import template_create, template_update
from tests.factories import make_customer
from tests.mail.conftest import NOW

pytestmark = pytest.mark.django_db


def _message(customer, n: int, status: str, finished_days_ago: float) -> Message:
    at = NOW - timedelta(days=finished_days_ago)
    return Message.objects.create(
        key=f"t:{n}:{customer.pk}:", source="t", customer=customer, kind="marketing",
        topic="email_marketing", subject="s", text="t", due_at=at, next_at=at, created_at=at,
        status=status, finished_at=at,
    )  # fmt: skip


def test_emails_sent_and_engaged_in_the_last_90_days():
    reader, silent, never = make_customer(), make_customer(), make_customer()
    sent = [_message(reader, n, "sent", days) for n, days in enumerate((1, 10, 89))]
    _message(reader, 3, "sent", 91)  # before the window
    _message(reader, 4, "failed", 2)  # not sent
    _message(silent, 5, "sent", 3)
    opened, clicked = sent[0], sent[1]
    events_record([
        NewEvent("mail.opened", "message", opened.pk, reader.pk, at=NOW - timedelta(hours=20)),
        NewEvent("mail.opened", "message", opened.pk, reader.pk, at=NOW - timedelta(hours=10)),
        NewEvent("mail.clicked", "message", opened.pk, reader.pk, at=NOW - timedelta(hours=9)),
        NewEvent("mail.clicked", "message", clicked.pk, reader.pk, at=NOW - timedelta(days=9)),
        NewEvent("mail.opened", "message", clicked.pk, reader.pk, at=NOW + timedelta(days=1)),
    ])  # fmt: skip
    ids = np.array(sorted([reader.pk, silent.pk, never.pk]), dtype=np.int64)
    (chunk,) = chunks(ids)
    facts = facts_compute(
        chunk=chunk, ids=ids, now=NOW, needed=["emails_sent_90d", "emails_engaged_90d"]
    )
    by_id = {int(i): (facts["emails_sent_90d"][n], facts["emails_engaged_90d"][n])
             for n, i in enumerate(ids)}  # fmt: skip
    # Three sent in the window; two of them opened or clicked (the first three times: once).
    assert by_id[reader.pk] == (3.0, 2.0)
    assert by_id[silent.pk] == (1.0, 0.0)
    assert by_id[never.pk] == (0.0, 0.0)


def test_tenures_own_templates_exist_once_and_stay_as_edited():
    assert set(Template.objects.filter(builtin=True).values_list("slug", flat=True)) == set(BUILTIN)
    intro = Template.objects.get(slug="welcome-introduction")
    template_update(by=None, template_id=intro.pk, changes={"subject": "Hi {{ customer.name }}"})
    assert templates_builtin_ensure() == []
    intro.refresh_from_db()
    assert intro.subject == "Hi {{ customer.name }}"
    Template.objects.filter(slug="win-back-offer").delete()
    assert [t.slug for t in templates_builtin_ensure()] == ["win-back-offer"]


def test_a_slug_from_the_name_unique_and_kept_when_left_empty():
    first = template_create(by=None, name="Spring news", subject="s", text="t")
    second = template_create(by=None, name="Spring  news!", subject="s", text="t")
    assert (first.slug, second.slug) == ("spring-news", "spring-news-2")
    kept = template_update(by=None, template_id=second.pk, changes={"slug": "", "name": "Other"})
    assert kept.slug == "spring-news-2"
    with pytest.raises(Exception) as taken:
        template_update(by=None, template_id=second.pk, changes={"slug": "spring-news"})
    assert "slug" in taken.value.message_dict
