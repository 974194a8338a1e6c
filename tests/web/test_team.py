"""The team page: admins list, create, re-role, deactivate and reactivate team members."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from tenure.history.selectors import history_of
from tenure.users.models import Role, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/team/"
GOOD_PASSWORD = "plum-orchard-7731"


@pytest.fixture
def admin(client: Client) -> User:
    user = make_user(role=Role.ADMIN, username="root", first_name="Ruth", last_name="Admin")
    client.force_login(user)
    return user


def test_the_team_lists_members_with_role_and_state_escaped(client, admin):
    make_user(role=Role.ANALYST, username="ann", first_name="<script>x</script>")
    make_user(role=Role.SUCCESS_MANAGER, username="gone", is_active=False)
    page = client.get(URL).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    assert 'value="analyst" selected' in page
    assert "Deactivated" in page and "Reactivate" in page
    assert 'href="/team/"' in page  # in the navigation, for admins


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUCCESS_MANAGER, Role.ANALYST])
def test_other_roles_are_refused_and_see_no_link(client, role):
    user = make_user(role=role)
    member = make_user(role=Role.ANALYST)
    client.force_login(user)
    assert 'href="/team/"' not in client.get(reverse("web:customers")).content.decode()
    assert client.get(URL).status_code == 403
    form = {"username": "x", "role": "admin", "password": GOOD_PASSWORD}
    assert client.post(URL, form).status_code == 403
    assert client.post(f"/team/{member.pk}/role/", {"role": "admin"}).status_code == 403
    assert client.post(f"/team/{user.pk}/role/", {"role": "admin"}).status_code == 403
    assert client.post(f"/team/{member.pk}/active/", {"active": "0"}).status_code == 403
    member.refresh_from_db()
    user.refresh_from_db()
    assert (member.role, member.is_active, user.role) == (Role.ANALYST, True, role)
    assert not User.objects.filter(username="x").exists()


def test_an_admin_creates_a_member(client, admin):
    form = {"username": "nora", "email": "nora@example.org", "role": "success_manager"}
    response = client.post(URL, {**form, "password": GOOD_PASSWORD})
    assert response.status_code == 302
    nora = User.objects.get(username="nora")
    assert (nora.role, nora.email) == (Role.SUCCESS_MANAGER, "nora@example.org")
    assert nora.check_password(GOOD_PASSWORD)
    assert "nora joined the team as Success manager" in client.get(URL).content.decode()
    [created] = history_of(record=nora)
    assert (created.action, created.actor) == ("create", admin)  # the creation, by the admin


def test_creation_errors_show_on_their_fields(client, admin):
    make_user(username="taken")
    response = client.post(
        URL, {"username": "taken", "email": "nope", "role": "analyst", "password": "password"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    new_member = page[page.index('id="new-member"') :]
    assert "Enter a valid email address." in new_member  # the form's own check
    assert User.objects.filter(username="taken").count() == 1
    response = client.post(
        URL, {"username": "taken", "email": "", "role": "analyst", "password": "password"}
    )
    page = response.content.decode()
    assert "a user named &#x27;taken&#x27; already exists" in page  # the service's, by field
    assert "This password is too common." in page
    assert 'value="taken"' in page  # what was typed stays, but never the password
    assert 'value="password"' not in page


def test_an_admin_changes_a_role_recorded_in_the_history(client, admin):
    member = make_user(role=Role.ANALYST)
    response = client.post(f"/team/{member.pk}/role/", {"role": "manager"})
    assert response.status_code == 302 and response["Location"] == URL
    member.refresh_from_db()
    assert (member.role, member.is_staff) == (Role.MANAGER, True)
    entry = history_of(record=member)[0]
    assert entry.actor == admin and entry.changes["role"] == ["analyst", "manager"]
    assert client.post(f"/team/{member.pk}/role/", {"role": "emperor"}).status_code == 302
    member.refresh_from_db()
    assert member.role == Role.MANAGER


def test_an_admin_deactivates_and_reactivates(client, admin):
    member = make_user(role=Role.ANALYST)
    assert client.post(f"/team/{member.pk}/active/", {"active": "0"}).status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert client.post(f"/team/{member.pk}/active/", {"active": "1"}).status_code == 302
    member.refresh_from_db()
    assert member.is_active
    changes = [e.changes.get("is_active") for e in history_of(record=member)]
    assert changes[:2] == [[False, True], [True, False]]


def test_the_last_admin_cannot_step_down_and_is_told_why(client, admin):
    response = client.post(f"/team/{admin.pk}/role/", {"role": "manager"}, follow=True)
    assert "at least one active admin" in response.content.decode()
    response = client.post(f"/team/{admin.pk}/active/", {"active": "0"}, follow=True)
    assert "at least one active admin" in response.content.decode()
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)
    assert not LogEntry.objects.filter(object_id=admin.pk, action=LogEntry.Action.UPDATE).exists()


def test_an_admin_who_steps_down_leaves_the_team_page(client, admin):
    make_user(role=Role.ADMIN)
    response = client.post(f"/team/{admin.pk}/role/", {"role": "manager"})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert client.get(URL).status_code == 403


def test_a_missing_member_is_404(client, admin):
    assert client.post("/team/999999/role/", {"role": "manager"}).status_code == 404
    assert client.post("/team/999999/active/", {"active": "0"}).status_code == 404


def test_the_forms_enforce_csrf(admin):
    member = make_user(role=Role.ANALYST)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin)
    assert strict.post(f"/team/{member.pk}/role/", {"role": "admin"}).status_code == 403
    assert strict.post(f"/team/{member.pk}/active/", {"active": "0"}).status_code == 403
    form = {"username": "x", "role": "admin", "password": GOOD_PASSWORD}
    assert strict.post(URL, form).status_code == 403
    member.refresh_from_db()
    assert (member.role, member.is_active) == (Role.ANALYST, True)
