"""Passwords: 12 characters at least wherever one is set (the password page, the team page,
`tenure createuser`, the demo login), and a password page that asks for the old one, keeps
this session and ends the others."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tenure.demo.services import demo_password
from tenure.users.models import User
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

URL = reverse("web:password-change")
NEW = "lantern-quiet-harbor-58"
ELEVEN = "plum-orch-7"  # 11 characters, not common, not numeric


def _token(page: str) -> str:
    return page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


@pytest.fixture
def mia() -> User:
    return make_user(username="mia", first_name="Mia", last_name="Manager")


def _signed_in(user: User) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def _change(browser: Client, old: str, new1: str, new2: str | None = None):
    token = _token(browser.get(URL).content.decode())
    return browser.post(
        URL,
        {
            "old_password": old,
            "new_password1": new1,
            "new_password2": new1 if new2 is None else new2,
            "csrfmiddlewaretoken": token,
        },
    )


def test_the_user_menu_links_to_the_password_page(mia):
    browser = _signed_in(mia)
    page = browser.get(reverse("web:customers")).content.decode()
    assert f'href="{URL}"' in page and "Change password" in page
    form = browser.get(URL).content.decode()
    assert 'name="old_password"' in form and 'autocomplete="current-password"' in form
    assert "at least 12 characters" in form  # the rules are written next to the form


def test_changing_keeps_this_session_and_ends_the_others(mia):
    browser = _signed_in(mia)
    elsewhere = _signed_in(mia)  # another browser, signed in as Mia too
    assert elsewhere.get(reverse("web:customers")).status_code == 200

    response = _change(browser, PASSWORD, NEW)
    assert response.status_code == 302
    assert response["Location"] == URL
    page = browser.get(URL).content.decode()
    assert "Your password was changed." in page  # still signed in here
    mia.refresh_from_db()
    assert mia.check_password(NEW) and not mia.check_password(PASSWORD)
    other = elsewhere.get(reverse("web:customers"))
    assert other.status_code == 302 and other["Location"].startswith(reverse("web:login"))


def test_the_old_password_is_required(mia):
    response = _change(_signed_in(mia), "not my password at all", NEW)
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    mia.refresh_from_db()
    assert mia.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new1", "new2", "says"),
    [
        (ELEVEN, None, "This password is too short. It must contain at least 12 characters."),
        ("123456789012345", None, "This password is entirely numeric."),
        ("password123456", None, "This password is too common."),
        (NEW, NEW + "x", "The two password fields didn"),
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused(mia, new1, new2, says):
    response = _change(_signed_in(mia), PASSWORD, new1, new2)
    assert response.status_code == 200
    assert says in response.content.decode().replace("&#x27;", "'")
    mia.refresh_from_db()
    assert mia.check_password(PASSWORD)


def test_the_password_page_needs_a_csrf_token(mia):
    browser = _signed_in(mia)
    response = browser.post(
        URL, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 403
    mia.refresh_from_db()
    assert mia.check_password(PASSWORD)


def test_a_stranger_is_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={URL}"


def test_the_team_page_refuses_an_11_character_password(client):
    client.force_login(make_user(role="admin", username="root"))
    response = client.post(
        reverse("web:team"), {"username": "newbie", "role": "analyst", "password": ELEVEN}
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_createuser_refuses_an_11_character_password(database_url):
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "tenure", "createuser", "sam", "--password", ELEVEN],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "This password is too short. It must contain at least 12 characters." in done.stderr
    assert not User.objects.filter(username="sam").exists()


def test_the_demo_password_satisfies_the_rules():
    from django.contrib.auth.password_validation import validate_password

    password = demo_password()
    assert len(password) >= 12
    validate_password(password, User(username="demo", email="demo@kettleandcrane.example"))
