"""Every page needs a login; logging in and out; CSRF on the login form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from tenure.web import urls as web_urls

PUBLIC = {"login"}


def page_urls() -> list[str]:
    """Every route of the web app, with 1 for each id in the path."""
    found = []
    for pattern in web_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in PUBLIC:
            continue
        args = [1] * len(pattern.pattern.converters)
        found.append(reverse(f"web:{pattern.name}", args=args))
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("url", page_urls())
def test_every_page_sends_a_stranger_to_the_login(client, url):
    method = client.post if url.endswith(("/interactions/", "/logout/")) else client.get
    response = method(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_login_then_home_then_logout(db, manager):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("web:login")).content.decode()
    assert "Log in" in page
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    refused = browser.post(
        reverse("web:login"),
        {"username": "mia", "password": "wrong", "csrfmiddlewaretoken": token},
    )
    assert refused.status_code == 200
    assert "Please enter a correct username and password" in refused.content.decode()
    response = browser.post(
        reverse("web:login"),
        {
            "username": "mia",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    home = browser.get(response["Location"])  # a manager's home: the dashboard
    assert home.status_code == 200 and "<h1>Home</h1>" in home.content.decode()
    page = browser.get(reverse("web:customers")).content.decode()
    assert "Mia Manager" in page and "Log out" in page
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert browser.post(reverse("web:logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert browser.get(reverse("web:customers")).status_code == 302


def test_login_refuses_a_post_without_csrf_token(db, manager):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        reverse("web:login"), {"username": "mia", "password": "correct horse battery staple"}
    )
    assert response.status_code == 403


def test_pages_link_only_to_vendored_assets(signed_in, book):
    page = signed_in.get(reverse("web:customers")).content.decode()
    assert "/static/web/htmx-2.0.11.min.js" in page and "/static/web/tenure.css" in page
    for outside in ("https://", "http://", "//cdn", "unpkg", "jsdelivr"):
        assert f'src="{outside}' not in page and f'href="{outside}' not in page


def test_static_assets_are_served(signed_in):
    for asset in ("web/htmx-2.0.11.min.js", "web/tenure.css", "web/tenure.js"):
        response = signed_in.get(f"/static/{asset}")
        assert response.status_code == 200, asset
