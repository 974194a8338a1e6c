"""Team members and API tokens: the services behind the team and token pages."""

from __future__ import annotations

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.history.selectors import history_of
from tenure.users.models import Role, User
from tenure.users.selectors import api_token_get, api_tokens_of, team_list
from tenure.users.services import (
    NO_ADMIN_LEFT,
    api_token_create,
    api_token_revoke,
    user_create,
    user_set_active,
    user_update_role,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "plum-orchard-7731"


def test_an_admin_creates_a_team_member_with_a_role():
    admin = make_user(role=Role.ADMIN)
    user = user_create(
        by=admin, username="nora", email="nora@example.org", role="analyst", password=GOOD_PASSWORD
    )
    assert (user.role, user.email, user.is_staff) == (Role.ANALYST, "nora@example.org", False)
    assert user.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUCCESS_MANAGER, Role.ANALYST])
def test_only_an_admin_manages_the_team(role):
    someone = make_user(role=role)
    target = make_user(role=Role.ANALYST)
    with pytest.raises(AccessDenied):
        user_create(by=someone, username="sneaky", password=GOOD_PASSWORD)
    with pytest.raises(AccessDenied):
        user_update_role(by=someone, user_id=target.pk, role=Role.ADMIN)
    with pytest.raises(AccessDenied):
        user_set_active(by=someone, user_id=target.pk, active=False)
    with pytest.raises(AccessDenied):
        team_list(user=someone)
    target.refresh_from_db()
    assert (target.role, target.is_active) == (Role.ANALYST, True)
    assert not User.objects.filter(username="sneaky").exists()


def test_creating_reports_every_problem_on_its_field():
    make_user(username="taken")
    with pytest.raises(ValidationError) as caught:
        user_create(username="taken", email="not an email", role="boss", password="12345678")
    errors = caught.value.message_dict
    assert set(errors) == {"username", "email", "role", "password"}
    assert "already exists" in errors["username"][0]
    assert any("too common" in message or "numeric" in message for message in errors["password"])
    with pytest.raises(ValidationError) as caught:
        user_create(username="bad name!", password=GOOD_PASSWORD)
    assert set(caught.value.message_dict) == {"username"}


def test_a_role_change_and_a_deactivation_are_in_the_history_without_the_password():
    admin = make_user(role=Role.ADMIN, username="ada")
    member = make_user(role=Role.ANALYST)
    with set_actor(admin):
        user_update_role(by=admin, user_id=member.pk, role=Role.MANAGER)
        user_set_active(by=admin, user_id=member.pk, active=False)
    member.refresh_from_db()
    assert (member.role, member.is_active, member.is_staff) == (Role.MANAGER, False, True)
    entries = list(history_of(record=member))
    assert [e.actor for e in entries[:2]] == [admin, admin]
    assert entries[0].changes["is_active"] == [True, False]
    assert entries[1].changes["role"] == ["analyst", "manager"]
    for entry in LogEntry.objects.filter(object_id=member.pk):
        assert "password" not in entry.changes_dict


def test_the_last_active_admin_cannot_demote_or_deactivate_themselves():
    admin = make_user(role=Role.ADMIN)
    make_user(role=Role.ADMIN, is_active=False)  # an inactive admin does not count
    with pytest.raises(ValidationError) as caught:
        user_update_role(by=admin, user_id=admin.pk, role=Role.MANAGER)
    assert caught.value.message_dict == {"role": [NO_ADMIN_LEFT]}
    with pytest.raises(ValidationError) as caught:
        user_set_active(by=admin, user_id=admin.pk, active=False)
    assert caught.value.message_dict == {"is_active": [NO_ADMIN_LEFT]}
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)


def test_with_a_second_admin_an_admin_may_step_down():
    admin, second = make_user(role=Role.ADMIN), make_user(role=Role.ADMIN)
    user_update_role(by=admin, user_id=admin.pk, role=Role.ANALYST)
    with pytest.raises(ValidationError):  # now the second is the last one
        user_set_active(by=second, user_id=second.pk, active=False)
    admin.refresh_from_db()
    assert (admin.role, admin.is_superuser) == (Role.ANALYST, False)


def test_a_deactivated_member_s_tokens_stop_working_and_come_back():
    from tenure.users.services import api_token_authenticate

    admin, member = make_user(role=Role.ADMIN), make_user()
    _, token = api_token_create(user=member)
    user_set_active(by=admin, user_id=member.pk, active=False)
    assert api_token_authenticate(token=token) is None
    user_set_active(by=admin, user_id=member.pk, active=True)
    assert api_token_authenticate(token=token) == member


def test_tokens_are_seen_and_revoked_by_their_owner_or_an_admin():
    admin, mia, sam = make_user(role=Role.ADMIN), make_user(), make_user()
    mias, _ = api_token_create(user=mia, name="shop")
    sams, _ = api_token_create(user=sam, name="till")
    assert list(api_tokens_of(user=mia)) == [mias]
    assert set(api_tokens_of(user=admin)) == {mias, sams}
    with pytest.raises(type(sams).DoesNotExist):
        api_token_get(user=mia, token_id=sams.pk)
    with pytest.raises(AccessDenied):
        api_token_revoke(by=mia, token=sams)
    sams.refresh_from_db()
    assert sams.is_active
    api_token_revoke(by=mia, token=mias)
    api_token_revoke(by=admin, token=sams)
    assert not any(t.is_active for t in api_tokens_of(user=admin))


def test_active_tokens_are_listed_before_revoked_ones():
    mia = make_user()
    api_token_create(user=mia, name="older but active")
    revoked, _ = api_token_create(user=mia, name="newer but revoked")
    api_token_revoke(token=revoked)
    names = [t.name for t in api_tokens_of(user=mia)]
    assert names == ["older but active", "newer but revoked"]


def test_a_token_lasts_its_days_then_is_refused_like_a_revoked_one(settings):
    from datetime import timedelta

    from django.utils import timezone

    from tenure.users.services import api_token_authenticate

    settings.API_TOKEN_DAYS = 30
    mia = make_user()
    record, token = api_token_create(user=mia, name="shop")
    lasts = record.expires_at - record.created_at
    assert timedelta(days=30) - timedelta(seconds=5) < lasts <= timedelta(days=30)
    year, _ = api_token_create(user=mia, days=365)
    assert (year.expires_at - timezone.now()).days == 364  # a year less the moments since
    assert api_token_authenticate(token=token) == mia

    type(record).objects.filter(pk=record.pk).update(expires_at=timezone.now())
    record.refresh_from_db()
    assert api_token_authenticate(token=token) is None
    assert (record.is_expired, record.is_active) == (True, False)
    assert [t.name for t in api_tokens_of(user=mia)] == ["", "shop"]  # usable ones first
    for days in (0, 366, True):
        with pytest.raises(ValueError, match="a token lasts 1 to 365 days"):
            api_token_create(user=mia, days=days)


def test_a_token_made_before_tokens_expired_keeps_working_until_revoked():
    from tenure.users.services import api_token_authenticate

    mia = make_user()
    record, token = api_token_create(user=mia)
    type(record).objects.filter(pk=record.pk).update(expires_at=None)  # as the migration left it
    assert api_token_authenticate(token=token) == mia
