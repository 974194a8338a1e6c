"""Token authentication and the one error shape of the API."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.utils import timezone

from tenure.users.models import ApiToken, Role
from tenure.users.services import api_token_create, api_token_revoke
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_token_authenticates(client):
    user = make_user(role=Role.ANALYST, username="ana")
    _, token = api_token_create(user=user, name="notebook")
    response = client.get("/api/v1/me", headers=_bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "username": "ana",
        "role": "analyst",
        "email": "",
        "first_name": "",
        "last_name": "",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer tnr_not-a-real-token-but-long-enough-to-look-like-one"},
        {"Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
        {"Authorization": "Bearer "},
    ],
    ids=["missing", "unknown", "wrong-scheme", "empty"],
)
def test_no_valid_token_is_401_in_the_error_shape(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "not_authenticated"
    assert body["error"]["fields"] == {}
    assert "Bearer" in body["error"]["message"]


def test_revoked_tokens_and_inactive_users_are_refused(client):
    user = make_user()
    record, token = api_token_create(user=user)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    api_token_revoke(token=record)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401

    _, second = api_token_create(user=user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me", headers=_bearer(second)).status_code == 401


def test_tokens_are_stored_hashed():
    record, token = api_token_create(user=make_user())
    stored = ApiToken.objects.get(pk=record.pk)
    assert token not in (stored.digest, stored.prefix, stored.name)
    assert token.startswith(stored.prefix)
    assert len(stored.digest) == 64


def test_unknown_path_is_404_in_the_error_shape(client):
    _, token = api_token_create(user=make_user())
    for path in ("/api/v1/no-such-thing", "/api/v2/me"):
        response = client.get(path, headers=_bearer(token))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_openapi_document_and_docs_page_need_no_cdn(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.json()
    assert document["info"]["title"] == "tenure API"
    assert "/api/v1/me" in document["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "unpkg" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html


def test_token_create_command_prints_a_working_token(database_url, client):
    make_user(username="shop-bot", role=Role.MANAGER)
    done = subprocess.run(
        [sys.executable, "-m", "tenure", "token", "create", "shop-bot", "--name", "shop"],
        env={**os.environ, "TENURE_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert client.get("/api/v1/me", headers=_bearer(token)).json()["username"] == "shop-bot"

    unknown = subprocess.run(
        [sys.executable, "-m", "tenure", "token", "create", "nobody"],
        env={**os.environ, "TENURE_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 1
    assert "no user named 'nobody'" in unknown.stderr


def test_token_create_takes_how_long_it_lasts_and_list_says_when_it_expires(database_url, client):
    make_user(username="till-bot", role=Role.MANAGER)
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}

    def tenure(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "tenure", "token", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    made = tenure("create", "till-bot", "--days", "7")
    assert made.returncode == 0, made.stderr
    record = ApiToken.objects.get(user__username="till-bot")
    assert (record.expires_at - record.created_at).days in (6, 7)
    listed = tenure("list", "till-bot").stdout
    assert f"active, expires {record.expires_at:%Y-%m-%d}" in listed
    assert tenure("create", "till-bot", "--days", "400").returncode == 2  # refused by the option

    ApiToken.objects.filter(pk=record.pk).update(expires_at=timezone.now())
    assert client.get("/api/v1/me", headers=_bearer(made.stdout.strip())).status_code == 401
    assert "expired" in tenure("list", "till-bot").stdout
