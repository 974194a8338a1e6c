"""The frequency cap with priorities, and quiet hours on the customer's own clock across the
daylight-saving changes of Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tenure.domain.mail import QuietHours, cap_parse, quiet_hours_parse, quiet_until
from tenure.events.models import Event
from tenure.mail.models import Message, MessageStatus
from tenure.mail.sending import mail_send_due
from tenure.mail.services import NewMessage, message_queue
from tests.factories import make_customer
from tests.mail.conftest import NOW, grant

BERLIN = ZoneInfo("Europe/Berlin")


def test_caps_read_like_a_count_per_window():
    assert cap_parse("3/7d").count == 3 and cap_parse("3/7d").window == timedelta(days=7)
    assert cap_parse("2 / 24h").window == timedelta(hours=24)
    with pytest.raises(ValueError, match="3/7d"):
        cap_parse("three a week")


@pytest.mark.parametrize(
    ("utc", "ends_utc"),
    [
        # The night the clocks go forward (2025-03-30, 02:00 CET -> 03:00 CEST): quiet hours
        # 21:00-08:00 local end at 08:00 CEST, 06:00 UTC, not 07:00 UTC.
        (datetime(2025, 3, 29, 20, 30, tzinfo=UTC), datetime(2025, 3, 30, 6, 0, tzinfo=UTC)),
        (datetime(2025, 3, 30, 1, 30, tzinfo=UTC), datetime(2025, 3, 30, 6, 0, tzinfo=UTC)),
        # The night they go back (2025-10-26, 03:00 CEST -> 02:00 CET): 08:00 CET is 07:00 UTC.
        (datetime(2025, 10, 25, 19, 30, tzinfo=UTC), datetime(2025, 10, 26, 7, 0, tzinfo=UTC)),
        (datetime(2025, 10, 26, 0, 30, tzinfo=UTC), datetime(2025, 10, 26, 7, 0, tzinfo=UTC)),
        (datetime(2025, 10, 26, 1, 30, tzinfo=UTC), datetime(2025, 10, 26, 7, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_end_at_the_local_hour_across_daylight_saving(utc, ends_utc):
    quiet = quiet_hours_parse("21:00-08:00")
    assert quiet_until(utc, quiet, BERLIN) == ends_utc


@pytest.mark.parametrize(
    "utc",
    [
        datetime(2025, 3, 29, 19, 59, tzinfo=UTC),  # 20:59 CET
        datetime(2025, 3, 30, 6, 0, tzinfo=UTC),  # 08:00 CEST
        datetime(2025, 10, 25, 18, 59, tzinfo=UTC),  # 20:59 CEST
        datetime(2025, 10, 26, 7, 0, tzinfo=UTC),  # 08:00 CET
    ],
)
def test_outside_quiet_hours_on_those_days_nothing_waits(utc):
    assert quiet_until(utc, quiet_hours_parse("21-8"), BERLIN) is None


def test_quiet_hours_within_one_day():
    quiet = QuietHours(start=datetime(2025, 1, 1, 12).time(), end=datetime(2025, 1, 1, 14).time())
    at = datetime(2025, 7, 1, 11, 0, tzinfo=UTC)  # 13:00 CEST
    assert quiet_until(at, quiet, BERLIN) == datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_a_message_due_in_a_berlin_night_goes_at_eight_local(settings):
    settings.SMTP_URL = ""
    customer = make_customer(time_zone="Europe/Berlin")
    grant(customer)
    night = datetime(2025, 3, 29, 22, 0, tzinfo=UTC)  # 23:00 CET
    message_queue(
        NewMessage(source="news", customer_id=customer.pk, subject="s", text="t", due_at=night),
        now=night,
    )
    assert mail_send_due(now=night).deferred == 1
    message = Message.objects.get()
    assert message.status == MessageStatus.DEFERRED
    assert message.next_at == datetime(2025, 3, 30, 6, 0, tzinfo=UTC)
    assert message.reason == "quiet hours until 08:00"
    assert mail_send_due(now=datetime(2025, 3, 30, 5, 59, tzinfo=UTC)).sent == 0
    assert mail_send_due(now=datetime(2025, 3, 30, 6, 0, tzinfo=UTC)).sent == 1
    deferral = Event.objects.get(kind="mail.deferred", customer_id=customer.pk)
    assert deferral.data["reason"] == "quiet hours until 08:00"


@pytest.mark.django_db(transaction=True)
def test_under_a_cap_of_two_a_day_the_highest_priorities_go_first(smtp, settings):
    settings.MAIL_CAP = "2/24h"
    settings.MAIL_QUIET_HOURS = ""
    customer = make_customer()
    grant(customer)
    priorities = {"welcome": 50, "survey": 10, "offer": 30, "news": 20, "tips": 40}
    for step, priority in priorities.items():
        message_queue(
            NewMessage(
                source=f"playbook:{step}",
                customer_id=customer.pk,
                priority=priority,
                subject=step,
                text="t",
                due_at=NOW,
            ),
            now=NOW,
        )
    assert mail_send_due(now=NOW).sent == 2
    assert [m["Subject"] for m in smtp.messages] == ["welcome", "tips"]
    waiting = Message.objects.filter(status=MessageStatus.DEFERRED)
    assert {m.next_at for m in waiting} == {NOW + timedelta(hours=24)}
    assert mail_send_due(now=NOW + timedelta(hours=23, minutes=59)).sent == 0
    assert mail_send_due(now=NOW + timedelta(hours=24)).sent == 2
    assert [m["Subject"] for m in smtp.messages][2:] == ["offer", "news"]
    assert mail_send_due(now=NOW + timedelta(hours=48)).sent == 1
    assert [m["Subject"] for m in smtp.messages][4:] == ["survey"]
    # Each deferral is on the customer's timeline with its reason, once per reason.
    deferrals = Event.objects.filter(kind="mail.deferred", customer_id=customer.pk)
    assert deferrals.count() == 3
    assert all("frequency cap" in e.data["reason"] for e in deferrals)


@pytest.mark.django_db(transaction=True)
def test_a_deferred_message_expires_at_its_own_valid_until(smtp, settings):
    settings.MAIL_CAP = "1/24h"
    settings.MAIL_QUIET_HOURS = ""
    customer = make_customer()
    grant(customer)
    for step, priority in (("a", 2), ("b", 1)):
        message_queue(
            NewMessage(
                source="p",
                step=step,
                customer_id=customer.pk,
                priority=priority,
                subject=step,
                text="t",
                due_at=NOW,
                valid_until=NOW + timedelta(hours=6),
            ),
            now=NOW,
        )
    mail_send_due(now=NOW)
    late = Message.objects.get(step="b")
    assert late.status == MessageStatus.DEFERRED
    assert late.next_at == NOW + timedelta(hours=6)  # looked at again when it would expire
    assert mail_send_due(now=NOW + timedelta(hours=6)).expired == 1
    late.refresh_from_db()
    assert late.status == MessageStatus.EXPIRED
    assert len(smtp) == 1
