"""Login attempts are rate-limited; a success resets the count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _login(client, username: str, password: str):
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_five_failures_lock_the_login_even_with_the_right_password(client):
    make_user(username="target")
    for _ in range(4):
        assert _login(client, "target", "wrong").status_code == 200  # the form again
    locked = _login(client, "target", "wrong")
    assert locked.status_code == 429
    assert b"Too many attempts" in locked.content
    assert _login(client, "target", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_count(client):
    make_user(username="forgetful")
    for _ in range(4):
        _login(client, "forgetful", "wrong")
    assert _login(client, "forgetful", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "forgetful", "wrong").status_code == 200
    assert _login(client, "forgetful", PASSWORD).status_code == 302


def test_another_username_is_not_locked_by_someone_elses_failures(client):
    make_user(username="victim")
    make_user(username="bystander")
    for _ in range(5):
        _login(client, "victim", "wrong")
    assert _login(client, "bystander", PASSWORD).status_code == 302
