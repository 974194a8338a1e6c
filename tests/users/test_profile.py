"""A team member's name and email (``user_update_profile``): an admin changes anyone's, every
other role only their own; an email is one, and no other member's in any case; each change is
in the change history with who made it."""

from __future__ import annotations

import pytest
from auditlog.context import set_actor
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.history.selectors import history_of
from tenure.users.models import Role, User
from tenure.users.services import EMAIL_TAKEN, user_create, user_update_profile
from tests.factories import make_user

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "plum-orchard-7731"


def test_an_admin_changes_a_member_s_name_and_email_into_the_history():
    admin = make_user(role=Role.ADMIN)
    member = make_user(role=Role.ANALYST, first_name="Ann", email="ann@old.example")
    with set_actor(admin):
        changed = user_update_profile(
            by=admin,
            user_id=member.pk,
            changes={"first_name": " Anne ", "last_name": "Lee", "email": "anne@new.example"},
        )
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.email) == (
        "Anne", "Lee", "anne@new.example",
    )  # fmt: skip
    assert changed.pk == member.pk and member.role == Role.ANALYST
    entry = next(iter(history_of(record=member)))
    assert entry.actor == admin
    assert entry.changes["first_name"] == ["Ann", "Anne"]
    assert entry.changes["email"] == ["ann@old.example", "anne@new.example"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUCCESS_MANAGER, Role.ANALYST])
def test_every_role_changes_its_own_profile_and_nobody_else_s(role):
    me = make_user(role=role, first_name="Old")
    other = make_user(role=Role.ANALYST, first_name="Them")
    user_update_profile(by=me, user_id=me.pk, changes={"first_name": "New"})
    me.refresh_from_db()
    assert me.first_name == "New"
    with pytest.raises(AccessDenied):
        user_update_profile(by=me, user_id=other.pk, changes={"first_name": "Hacked"})
    other.refresh_from_db()
    assert other.first_name == "Them"


def test_an_email_another_member_has_in_any_case_is_refused_on_its_field():
    make_user(email="Pat@Example.com")
    me = make_user(role=Role.SUCCESS_MANAGER, email="me@example.com")
    with pytest.raises(ValidationError) as caught:
        user_update_profile(by=me, user_id=me.pk, changes={"email": "pat@EXAMPLE.com"})
    assert caught.value.message_dict == {"email": [EMAIL_TAKEN]}
    me.refresh_from_db()
    assert me.email == "me@example.com"
    # One's own email in another case is no clash; no email at all is anyone's.
    user_update_profile(by=me, user_id=me.pk, changes={"email": "ME@example.com"})
    make_user(email="")
    user_update_profile(by=me, user_id=me.pk, changes={"email": ""})
    me.refresh_from_db()
    assert me.email == ""


def test_each_problem_is_on_its_field_and_nothing_is_saved():
    me = make_user(role=Role.ANALYST, first_name="Kept", email="kept@example.com")
    with pytest.raises(ValidationError) as caught:
        user_update_profile(
            by=me, user_id=me.pk, changes={"first_name": "x" * 151, "email": "not an email"}
        )
    errors = caught.value.message_dict
    assert set(errors) == {"first_name", "email"}
    assert "at most 150 characters" in errors["first_name"][0]
    assert "valid email" in errors["email"][0]
    with pytest.raises(ValidationError) as caught:
        user_update_profile(by=me, user_id=me.pk, changes={"username": "root"})
    assert caught.value.message_dict == {"username": ["unknown field"]}
    me.refresh_from_db()
    assert (me.first_name, me.email) == ("Kept", "kept@example.com")


def test_saving_the_same_values_writes_no_history_entry():
    me = make_user(role=Role.ANALYST, first_name="Sam", email="sam@example.com")
    before = len(list(history_of(record=me)))
    user_update_profile(by=me, user_id=me.pk, changes={"first_name": "Sam", "email": ""})
    after = len(list(history_of(record=me)))
    assert after == before + 1  # the email only
    user_update_profile(by=me, user_id=me.pk, changes={"first_name": "Sam", "email": ""})
    assert len(list(history_of(record=me))) == after


def test_a_new_member_cannot_take_an_email_another_member_has():
    make_user(email="nora@example.org")
    with pytest.raises(ValidationError) as caught:
        user_create(username="nora2", email="NORA@example.org", password=GOOD_PASSWORD)
    assert caught.value.message_dict == {"email": [EMAIL_TAKEN]}
    assert not User.objects.filter(username="nora2").exists()
