"""The API tokens page: one's own tokens (everyone's for an admin), a new one shown once,
revoking; CSRF on every form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tenure.users.models import ApiToken, Role
from tenure.users.services import api_token_authenticate, api_token_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/tokens/"


def test_the_user_menu_links_to_the_page(client):
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(reverse("web:customers")).content.decode()
    assert f'href="{URL}"' in page and "API tokens" in page


def test_a_member_lists_their_own_tokens_without_the_secret(client):
    mia, sam = make_user(username="mia"), make_user(username="sam")
    mine, mine_secret = api_token_create(user=mia, name="<b>shop</b>")
    api_token_create(user=sam, name="sams-till")
    client.force_login(mia)
    page = client.get(URL).content.decode()
    assert mine.prefix in page
    assert "&lt;b&gt;shop&lt;/b&gt;" in page and "<b>shop</b>" not in page
    assert mine_secret not in page and mine.digest not in page
    assert "sams-till" not in page
    assert "Everyone" not in page


def test_a_new_token_is_shown_once_and_works(client):
    mia = make_user(username="mia")
    client.force_login(mia)
    response = client.post(URL, {"name": "shop"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    token = page.split('id="new-token-value" class="mono" value="')[1].split('"')[0]
    assert token.startswith("tnr_")
    assert "shown this once only" in page
    assert api_token_authenticate(token=token) == mia
    assert ApiToken.objects.get(user=mia).name == "shop"
    assert token not in client.get(URL).content.decode()  # never again


def test_a_member_revokes_their_own_token_but_not_someone_else_s(client):
    mia, sam = make_user(), make_user()
    mine, mine_secret = api_token_create(user=mia)
    theirs, theirs_secret = api_token_create(user=sam)
    client.force_login(mia)
    assert client.post(f"/tokens/{theirs.pk}/revoke/").status_code == 404
    assert api_token_authenticate(token=theirs_secret) == sam
    response = client.post(f"/tokens/{mine.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == URL
    assert api_token_authenticate(token=mine_secret) is None
    assert "revoked" in client.get(URL).content.decode()


def test_revoking_needs_a_post(client):
    mia = make_user()
    mine, secret = api_token_create(user=mia)
    client.force_login(mia)
    assert client.get(f"/tokens/{mine.pk}/revoke/").status_code == 405
    assert api_token_authenticate(token=secret) == mia


def test_an_admin_sees_and_revokes_everyone_s_tokens(client):
    admin, sam = make_user(role=Role.ADMIN), make_user(username="sam")
    theirs, secret = api_token_create(user=sam, name="sams-till")
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert "Everyone" in page and "sams-till" in page and theirs.prefix in page
    assert client.post(f"/tokens/{theirs.pk}/revoke/").status_code == 302
    assert api_token_authenticate(token=secret) is None


def test_the_forms_enforce_csrf():
    mia = make_user()
    mine, secret = api_token_create(user=mia)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(mia)
    assert strict.post(URL, {"name": "x"}).status_code == 403
    assert strict.post(f"/tokens/{mine.pk}/revoke/").status_code == 403
    assert ApiToken.objects.filter(user=mia).count() == 1
    assert api_token_authenticate(token=secret) == mia
    page = strict.get(URL).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # create, revoke, log out


def test_the_maker_chooses_how_long_a_token_lasts_and_the_list_says_when_it_expires(client):
    mia = make_user(username="mia")
    client.force_login(mia)
    page = client.get(URL).content.decode()
    assert 'name="days"' in page and 'value="90" selected' in page  # the default, chosen
    response = client.post(URL, {"name": "till", "days": "30"})
    token = ApiToken.objects.get(user=mia)
    assert (token.expires_at - token.created_at).days in (29, 30)
    assert token.expires_at.strftime("%b %-d, %Y") in response.content.decode()
    refused = client.post(URL, {"name": "forever", "days": "100000"})
    assert "Select a valid choice" in refused.content.decode()
    assert ApiToken.objects.filter(user=mia).count() == 1
