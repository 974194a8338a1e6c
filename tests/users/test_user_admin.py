"""The team's rules hold in the Django admin's user pages as on the Team page and the API: an
email no other member has (in any case), at least one active admin, who cannot be deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tenure.users.models import Role, User
from tenure.users.services import EMAIL_TAKEN, NO_ADMIN_LEFT
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _posted(client, user: User, **changes: Any):
    """The admin's change form of ``user`` posted back as shown, with ``changes``."""
    url = reverse("admin:users_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if hasattr(field.widget, "decompress"):  # the split date and time of date_joined
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(url, data)


@pytest.fixture
def ada(client) -> User:
    ada = make_user(role=Role.ADMIN, username="ada", email="ada@example.com")
    client.force_login(ada)
    return ada


def test_an_email_another_member_has_is_refused_in_the_admin(client, ada):
    bob = make_user(role=Role.MANAGER, username="bob", email="bob@example.com")
    response = _posted(client, bob, email="ADA@example.com")
    assert response.status_code == 200  # the form again, with the error on the field
    assert EMAIL_TAKEN in response.context["adminform"].form.errors["email"][0]
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"
    assert _posted(client, bob, email="robert@example.com").status_code == 302
    bob.refresh_from_db()
    assert bob.email == "robert@example.com"


def test_the_last_active_admin_is_neither_demoted_nor_deactivated_in_the_admin(client, ada):
    for change in ({"role": Role.MANAGER}, {"is_active": False}):
        response = _posted(client, ada, **change)
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert NO_ADMIN_LEFT in str(errors)
        ada.refresh_from_db()
        assert ada.role == Role.ADMIN and ada.is_active
    make_user(role=Role.ADMIN, username="grace")  # another admin: now Ada may step down
    assert _posted(client, ada, role=Role.MANAGER).status_code == 302
    ada.refresh_from_db()
    assert ada.role == Role.MANAGER


def test_a_new_member_with_a_taken_email_is_refused_in_the_admin(client, ada):
    response = client.post(
        reverse("admin:users_user_add"),
        {"username": "eve", "email": "Ada@Example.com", "usable_password": "true",
         "password1": "a-Long-passphrase-42", "password2": "a-Long-passphrase-42"},
    )  # fmt: skip
    assert response.status_code == 200
    assert EMAIL_TAKEN in response.context["adminform"].form.errors["email"][0]
    assert not User.objects.filter(username="eve").exists()


def test_the_last_active_admin_cannot_be_deleted_in_the_admin(client, ada):
    bob = make_user(role=Role.MANAGER, username="bob")
    changelist = reverse("admin:users_user_changelist")
    assert client.get(reverse("admin:users_user_delete", args=[ada.pk])).status_code == 403
    chosen = {"action": "delete_selected", "_selected_action": [ada.pk, bob.pk], "post": "yes"}
    assert client.post(changelist, chosen).status_code == 403
    # Two admins chosen together: each alone leaves the other, both leave none.
    grace = make_user(role=Role.ADMIN, username="grace")
    chosen["_selected_action"] = [ada.pk, grace.pk]
    response = client.post(changelist, chosen, follow=True)
    assert NO_ADMIN_LEFT in response.content.decode()
    assert User.objects.filter(pk__in=[ada.pk, bob.pk, grace.pk]).count() == 3
    chosen["_selected_action"] = [grace.pk, bob.pk]
    client.post(changelist, chosen)
    assert list(User.objects.values_list("username", flat=True)) == ["ada"]
