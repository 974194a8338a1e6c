"""The security headers every page carries: Content-Security-Policy without inline script or
style, Permissions-Policy, Referrer-Policy, Cross-Origin-Opener-Policy, X-Frame-Options."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenure.users.services import api_token_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    found = {}
    for part in header.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


@pytest.mark.parametrize(
    "url", [reverse("web:login"), reverse("web:customers"), "/api/v1/docs", "/admin/"]
)
def test_pages_carry_the_security_headers(client, url):
    client.force_login(make_user(role="admin", username="root", is_staff=True))
    response = client.get(url, follow=True)
    assert response.status_code == 200
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_api_answers_carry_the_policy_too(client):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert "default-src 'self'" in response["Content-Security-Policy"]


def _cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


@pytest.mark.parametrize("url", [reverse("web:customers"), reverse("web:tasks"), "/admin/"])
def test_what_a_signed_in_user_sees_is_never_stored_by_a_cache(client, url):
    client.force_login(make_user(role="admin", username="root", is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    assert {"no-store", "private"} <= _cache_control(response)


def test_an_api_answer_to_a_token_is_never_stored_by_a_cache(client):
    token = api_token_create(user=make_user(role="manager"))[1]
    response = client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert {"no-store", "private"} <= _cache_control(response)
    refused = client.get("/api/v1/customers")  # no one signed in: nothing private to keep
    assert refused.status_code == 401
    assert "no-store" not in _cache_control(refused)
