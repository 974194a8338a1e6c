"""Signed-in sessions end after 30 minutes idle and 12 hours after login (not 14 days).

Time is moved by rewriting the session's own stamps (when the login started, when it was last
seen), as the clock would have: no test sleeps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tenure.config.sessions import SEEN, STARTED
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PAGE = reverse("web:customers")
LOGIN = reverse("web:login")


@pytest.fixture
def signed_in(client: Client) -> Client:
    client.force_login(make_user(username="mia"))  # a login: the session's clock starts
    return client


def _age(client: Client, *, seen: float | None = None, started: float | None = None) -> None:
    """Pretend the last request was ``seen`` seconds ago and the login ``started`` ago."""
    session = client.session
    now = time.time()
    if seen is not None:
        session[SEEN] = int(now - seen)
    if started is not None:
        session[STARTED] = int(now - started)
    session.save()


def test_the_login_starts_the_clock_and_the_cookie_lives_12_hours_at_most(client):
    make_user(username="mia")
    before = int(time.time())
    page = client.get(LOGIN)
    token = page.cookies["csrftoken"].value
    response = client.post(
        LOGIN, {"username": "mia", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 12 * 3600  # not Django's 14 days
    session = client.session
    assert before <= session[STARTED] <= time.time()
    assert session[SEEN] == session[STARTED]


def test_29_minutes_idle_is_still_signed_in(signed_in):
    _age(signed_in, seen=29 * 60)
    assert signed_in.get(PAGE).status_code == 200
    assert signed_in.session[SEEN] >= time.time() - 5  # the request counts as activity


def test_31_minutes_idle_signs_out_and_the_login_page_says_why(signed_in):
    _age(signed_in, seen=31 * 60)
    response = signed_in.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PAGE}"
    assert SESSION_KEY not in signed_in.session
    login_page = signed_in.get(response["Location"]).content.decode()
    assert "You were signed out after 30\xa0minutes idle. Please log in again." in login_page
    # And it stays so: the old session is gone, not just refused once.
    assert signed_in.get(PAGE).status_code == 302


def test_an_active_session_still_ends_12_hours_after_login(signed_in):
    _age(signed_in, seen=10, started=12 * 3600 + 60)
    response = signed_in.get(PAGE)
    assert response.status_code == 302
    assert "12\xa0hours after login" in signed_in.get(response["Location"]).content.decode()


def test_11_hours_after_login_an_active_session_goes_on(signed_in):
    _age(signed_in, seen=10, started=11 * 3600)
    assert signed_in.get(PAGE).status_code == 200


def test_an_htmx_request_sends_the_whole_window_to_the_login(signed_in):
    _age(signed_in, seen=31 * 60)
    response = signed_in.get(
        PAGE,
        {"q": "ada"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/customers/?q=ada"},
    )
    # Not the login page swapped into the list: htmx follows HX-Redirect with the whole window.
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{LOGIN}?next=%2Fcustomers%2F%3Fq%3Dada"
    assert SESSION_KEY not in signed_in.session


def test_the_idle_limit_is_a_setting(signed_in, settings):
    settings.SESSION_IDLE_SECONDS = 5 * 60
    _age(signed_in, seen=6 * 60)
    assert signed_in.get(PAGE).status_code == 302


def test_requests_within_a_minute_do_not_save_the_session_again(signed_in):
    _age(signed_in, seen=20)
    stamp = signed_in.session[SEEN]
    assert signed_in.get(PAGE).status_code == 200
    assert signed_in.session[SEEN] == stamp


def test_an_api_token_request_is_not_a_session(client):
    from tenure.users.services import api_token_create

    _, token = api_token_create(user=make_user(username="api"))
    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_the_limits_come_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_IDLE_SECONDS, s.SESSION_MAX_SECONDS, s.SESSION_COOKIE_AGE)"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TENURE_")},
        "TENURE_DATA_DIR": str(tmp_path),
        "TENURE_SESSION_IDLE_MINUTES": "15",
        "TENURE_SESSION_MAX_HOURS": "8",
        "DJANGO_SETTINGS_MODULE": "tenure.config.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.split() == ["900", "28800", "28800"], done.stderr
