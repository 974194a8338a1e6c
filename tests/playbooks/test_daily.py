"""The daily triggers: a special day in the customer's own time zone, once a year per customer
even when the job runs again that day (a worker restarted), and silences beyond a customer's
own rhythm."""

from __future__ import annotations

import os
import subprocess
import sys
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from tenure.customers.models import SpecialDate
from tenure.playbooks.models import Enrollment
from tenure.playbooks.triggers import daily_triggers
from tests.factories import make_customer, make_order
from tests.playbooks.conftest import make_playbook

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)  # Auckland: 2 March, 01:00; Honolulu: 1 March


def _birthdays():
    return make_playbook(slug="birthday", trigger={"type": "special_date", "date": "birthday"})


@pytest.mark.django_db
def test_a_birthday_in_the_customers_own_time_zone_once_a_year():
    playbook = _birthdays()
    auckland = make_customer(time_zone="Pacific/Auckland", birthday=date(1990, 3, 2))
    make_customer(time_zone="Pacific/Honolulu", birthday=date(1990, 3, 2))  # still 1 March
    honolulu_today = make_customer(time_zone="Pacific/Honolulu", birthday=date(1985, 3, 1))
    make_customer(time_zone="Pacific/Auckland", birthday=date(1985, 3, 1))  # yesterday there
    daily_triggers(now=NOW)
    daily_triggers(now=NOW + timedelta(hours=3))  # the job again the same day
    enrolled = Enrollment.objects.filter(playbook=playbook)
    assert {(e.customer_id, e.occurrence) for e in enrolled} == {
        (auckland.pk, "birthday:2026"), (honolulu_today.pk, "birthday:2026"),
    }  # fmt: skip
    daily_triggers(now=NOW.replace(year=2027))
    assert enrolled.filter(customer=auckland).count() == 2  # next year, again


@pytest.mark.django_db
def test_29_february_is_celebrated_on_28_february_without_one():
    playbook = _birthdays()
    leapling = make_customer(time_zone="UTC", birthday=date(2000, 2, 29))
    daily_triggers(now=datetime(2027, 2, 28, 12, tzinfo=UTC))
    assert Enrollment.objects.get(playbook=playbook).customer_id == leapling.pk


@pytest.mark.django_db
def test_special_dates_and_first_order_anniversaries():
    wedding = make_playbook(
        slug="wedding", trigger={"type": "special_date", "date": "special_date",
                                 "label": "Wedding"},
    )  # fmt: skip
    anniversary = make_playbook(
        slug="first", trigger={"type": "special_date", "date": "first_order_anniversary"}
    )
    married = make_customer(time_zone="Europe/Berlin")
    SpecialDate.objects.create(customer=married, label="Wedding", date=date(2015, 3, 1))
    # Ordered at 23:30 UTC on 28 Feb 2025: 1 March, 00:30 in Berlin, their first-order day.
    berlin = make_customer(time_zone="Europe/Berlin")
    make_order(customer=berlin, placed_at=datetime(2025, 2, 28, 23, 30, tzinfo=UTC))
    utc = make_customer(time_zone="UTC")
    make_order(customer=utc, placed_at=datetime(2025, 2, 28, 23, 30, tzinfo=UTC))
    daily_triggers(now=NOW)
    assert [e.customer_id for e in Enrollment.objects.filter(playbook=wedding)] == [married.pk]
    assert [e.customer_id for e in Enrollment.objects.filter(playbook=anniversary)] == [berlin.pk]


@pytest.mark.django_db
def test_silence_beyond_a_customers_own_rhythm():
    playbook = make_playbook(
        slug="quiet",
        trigger={"type": "inactive", "factor": 3, "floor_days": 20},
        reentry="every",
    )
    now = timezone.now()

    def buyer(*days_ago: float):
        customer = make_customer()
        for days in days_ago:
            make_order(customer=customer, placed_at=now - timedelta(days=days))
        return customer

    crossing = buyer(50.5, 40.5, 30.5)  # every 10 days; 3 x 10 = 30 passed 12 hours ago
    buyer(200, 190, 180)  # passed 150 days ago: not today's news
    buyer(91, 61, 31)  # every 30 days: 90 days of silence are far off
    buyer(25, 24, 23)  # every day, but the floor is 20 days: 3 days to go
    daily_triggers(now=now)
    daily_triggers(now=now + timedelta(hours=1))
    enrolled = Enrollment.objects.filter(playbook=playbook)
    assert [e.customer_id for e in enrolled] == [crossing.pk]
    assert enrolled.get().occurrence.startswith("inactive:")


def test_a_restart_on_the_day_enrols_nobody_twice(database_url, tmp_path):
    """The daily job run by two processes one after the other (a worker restarted on the
    day): the birthday's occurrence (the year) holds them to one enrolment."""
    playbook = _birthdays()
    zone = "Asia/Tokyo"
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    if (today.month, today.day) == (2, 29):
        today = today - timedelta(days=1)
    customer = make_customer(time_zone=zone, birthday=date(1990, today.month, today.day))
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "tenure", "playbooks", "run-due", "--daily"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert "birthday: enrolled 0" in done.stdout  # the second run found it done
    enrollment = Enrollment.objects.get(playbook=playbook)
    assert (enrollment.customer_id, enrollment.occurrence) == (
        customer.pk, f"birthday:{timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).year}",
    )  # fmt: skip
    assert enrollment.status == "completed"  # its task step ran (skipped: no owner)
