"""Names and emails on the pages: "Your profile" (every role, its own, from the user menu) and
an admin's edit of any team member from the Team page; refusals on their fields, escaping and
CSRF kept, each change in the change history."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tenure.history.selectors import history_of
from tenure.users.models import Role, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db
PROFILE = reverse("web:profile")


def _edit(member: User) -> str:
    return reverse("web:team-member-edit", args=[member.pk])


def _token(page: str) -> str:
    return page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def _signed_in(user: User) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser


def _save(browser: Client, url: str, **values: str):
    token = _token(browser.get(url).content.decode())
    return browser.post(url, {**values, "csrfmiddlewaretoken": token})


@pytest.mark.parametrize("role", list(Role))
def test_everyone_edits_their_own_name_and_email_from_the_user_menu(role):
    me = make_user(role=role, first_name="Old", last_name="Name", email="old@example.com")
    browser = _signed_in(me)
    menu = browser.get(reverse("web:password-change")).content.decode()
    assert f'href="{PROFILE}"' in menu and "Your profile" in menu
    form = browser.get(PROFILE).content.decode()
    assert 'value="Old"' in form and 'value="old@example.com"' in form
    assert 'autocomplete="given-name"' in form and 'autocomplete="email"' in form
    response = _save(browser, PROFILE, first_name="Nia", last_name="Ng", email="nia@example.com")
    assert response.status_code == 302 and response["Location"] == PROFILE
    me.refresh_from_db()
    assert (me.first_name, me.last_name, me.email) == ("Nia", "Ng", "nia@example.com")
    assert "Your name and email were saved." in browser.get(PROFILE).content.decode()
    entry = next(iter(history_of(record=me)))
    assert entry.actor == me and entry.changes["email"] == ["old@example.com", "nia@example.com"]


def test_a_refused_email_is_shown_on_its_field_and_nothing_is_saved():
    make_user(email="taken@example.com")
    me = make_user(role=Role.ANALYST, first_name="Ana", email="ana@example.com")
    browser = _signed_in(me)
    taken = _save(browser, PROFILE, first_name="Anna", last_name="", email="TAKEN@example.com")
    assert taken.status_code == 422
    page = taken.content.decode()
    assert "Email: another team member has this email" in page  # the summary names the field
    assert 'id="id_email_error"' in page and 'value="TAKEN@example.com"' in page  # input kept
    malformed = _save(browser, PROFILE, first_name="Anna", last_name="", email="ana@")
    assert malformed.status_code == 422
    assert "Enter a valid email address" in malformed.content.decode()
    me.refresh_from_db()
    assert (me.first_name, me.email) == ("Ana", "ana@example.com")


def test_a_post_without_the_csrf_token_is_refused():
    me = make_user(role=Role.ANALYST, first_name="Ana")
    browser = _signed_in(me)
    assert browser.post(PROFILE, {"first_name": "Forged"}).status_code == 403
    me.refresh_from_db()
    assert me.first_name == "Ana"


def test_an_admin_edits_any_member_from_the_team_page_escaped():
    admin = make_user(role=Role.ADMIN, username="root")
    member = make_user(role=Role.SUCCESS_MANAGER, username="sam", first_name="<b>Sam</b>")
    browser = _signed_in(admin)
    team = browser.get(reverse("web:team")).content.decode()
    assert f'href="{_edit(member)}"' in team
    form = browser.get(_edit(member)).content.decode()
    assert 'value="&lt;b&gt;Sam&lt;/b&gt;"' in form and "<b>Sam</b>" not in form
    assert 'autocomplete="off"' in form  # another person's details
    response = _save(
        browser, _edit(member), first_name="<i>Sam</i>", last_name="Lee", email="sam@example.com"
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:team")
    member.refresh_from_db()
    assert (member.first_name, member.email) == ("<i>Sam</i>", "sam@example.com")
    team = browser.get(reverse("web:team")).content.decode()
    assert "&lt;i&gt;Sam&lt;/i&gt; Lee" in team and "<i>Sam</i>" not in team
    assert "sam was saved." in team
    entry = next(iter(history_of(record=member)))
    assert entry.actor == admin and entry.changes["last_name"] == ["", "Lee"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUCCESS_MANAGER, Role.ANALYST])
def test_only_an_admin_edits_another_member(role):
    me = make_user(role=role)
    other = make_user(role=Role.ANALYST, first_name="Them")
    browser = _signed_in(me)
    assert browser.get(_edit(other)).status_code == 403
    token = _token(browser.get(PROFILE).content.decode())
    forged = {"first_name": "Hacked", "csrfmiddlewaretoken": token}
    assert browser.post(_edit(other), forged).status_code == 403
    assert browser.post(_edit(me), forged).status_code == 403  # their own: on their profile
    other.refresh_from_db()
    me.refresh_from_db()
    assert (other.first_name, me.first_name) == ("Them", "")


def test_an_unknown_member_is_not_found():
    browser = _signed_in(make_user(role=Role.ADMIN))
    assert browser.get(reverse("web:team-member-edit", args=[987654])).status_code == 404
