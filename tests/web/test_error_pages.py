"""403, 404 and 500 in the app's frame, with words and a way back; the back office's branding
and what it leaves out; the API docs' summaries."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tenure.demo.models import DemoLoad, DemoTruth
from tenure.users.models import Role
from tests.factories import make_user


def test_a_missing_page_is_a_styled_404_with_a_way_back(signed_in: Client):
    response = signed_in.get("/customers/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'href="/"' in page and "Back to tenure" in page
    assert 'class="nav"' in page and "Customers" in page  # the app's navigation
    assert "tenure.css" in page


def test_an_unknown_address_is_the_same_404(signed_in: Client):
    response = signed_in.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "/no/such/page/" in response.content.decode()


def test_a_role_that_may_not_gets_a_styled_403_naming_the_reason(client: Client, db):
    client.force_login(make_user(role=Role.MANAGER, username="mia"))
    response = client.get(reverse("web:team"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page
    assert "Your role may not administer records. You are signed in as mia (Manager)" in page
    assert "Back to tenure" in page and 'class="nav"' in page


@pytest.mark.django_db
def test_an_anonymous_visitor_gets_a_404_that_offers_to_log_in(client: Client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert f'href="{reverse("web:login")}"' in page
    assert "Log out" not in page and "API tokens" not in page


def test_the_500_page_stands_alone(client: Client, settings):
    from django.template.loader import render_to_string

    page = render_to_string("500.html")  # Django renders it with an empty context
    assert "Something went wrong" in page and 'href="/"' in page


def test_the_back_office_is_branded_and_hides_the_demo_answer_key(client: Client, db):
    assert DemoTruth not in admin.site._registry
    assert DemoLoad in admin.site._registry
    client.force_login(make_user(role=Role.ADMIN, username="ada"))
    index = client.get(reverse("admin:index")).content.decode()
    assert "<title>Back office | tenure</title>" in index
    assert 'id="site-name"><a href="/admin/">tenure</a>' in index
    assert "Demo truth" not in index and "demotruth" not in index
    assert client.get("/admin/demo/demotruth/").status_code == 404


def test_the_api_docs_use_the_right_article(client: Client, db):
    summaries = [
        operation["summary"]
        for path in client.get("/api/v1/openapi.json").json()["paths"].values()
        for operation in path.values()
    ]
    assert "Create an account" in summaries and "Create a customer" in summaries
    assert "Change an interaction" in summaries and "Delete an order" in summaries
    assert not [s for s in summaries if " a account" in s or " a interaction" in s]
    assert not [s for s in summaries if " a order" in s]


@pytest.mark.django_db
def test_a_form_without_its_token_gets_a_styled_403():
    response = Client(enforce_csrf_checks=True).post(
        reverse("web:login"), {"username": "ada", "password": "x"}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "This form has expired" in page and "nothing was changed" in page
    assert "tenure.css" in page
