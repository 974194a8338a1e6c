"""The lockout page says how long the login is paused in words ("15 minutes"), not in ISO 8601
("PT15M")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tenure.web.templatetags.tenure_web import duration
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_lockout_page_says_15_minutes(client):
    make_user(username="target")
    for _ in range(5):
        locked = client.post(reverse("web:login"), {"username": "target", "password": "wrong"})
    assert locked.status_code == 429
    page = locked.content.decode().replace("\xa0", " ")
    assert "After 5 wrong passwords in a row this login is paused for\n      15 minutes." in page
    assert "PT15M" not in page


def test_a_changed_cool_off_is_written_in_words(client, settings):
    settings.AXES_COOLOFF_TIME = 1.5  # hours
    make_user(username="target")
    for _ in range(5):
        locked = client.post(reverse("web:login"), {"username": "target", "password": "wrong"})
    assert "paused for\n      1 hour, 30 minutes." in locked.content.decode().replace("\xa0", " ")


@pytest.mark.parametrize(
    ("length", "words"),
    [
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(hours=12), "12 hours"),
        (timedelta(days=1, hours=2), "1 day, 2 hours"),
    ],
)
def test_duration_in_words(length, words):
    assert duration(length).replace("\xa0", " ") == words
