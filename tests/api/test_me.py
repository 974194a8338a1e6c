"""PATCH /api/v1/me: every role changes its own name and email through the profile's service,
as on the "Your profile" page; an email another member has is refused on its field."""

from __future__ import annotations

import pytest

from tenure.history.selectors import history_of
from tenure.users.models import Role
from tenure.users.services import EMAIL_TAKEN
from tests.api.helpers import Api
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
def test_every_role_changes_its_own_name_and_email(client, role):
    api = Api(client, role=role)
    response = api.patch("/me", {"first_name": "Ria", "email": "ria@example.com"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["first_name"], body["last_name"], body["email"]) == ("Ria", "", "ria@example.com")
    api.user.refresh_from_db()
    assert (api.user.first_name, api.user.email) == ("Ria", "ria@example.com")
    entry = next(iter(history_of(record=api.user)))
    assert entry.actor == api.user and entry.changes["first_name"] == ["", "Ria"]
    assert api.get("/me").json()["first_name"] == "Ria"


def test_a_taken_or_malformed_email_is_refused_on_its_field(client):
    make_user(email="pat@example.com")
    api = Api(client, role=Role.ANALYST)
    taken = api.patch("/me", {"last_name": "Lee", "email": "PAT@example.com"})
    assert taken.status_code == 422
    assert taken.json()["error"]["fields"] == {"email": [EMAIL_TAKEN]}
    malformed = api.patch("/me", {"email": "pat@"})
    assert malformed.status_code == 422
    assert list(malformed.json()["error"]["fields"]) == ["email"]
    nul = api.patch("/me", {"first_name": "A\x00B"})
    assert nul.status_code == 422 and list(nul.json()["error"]["fields"]) == ["first_name"]
    api.user.refresh_from_db()
    assert (api.user.last_name, api.user.email, api.user.first_name) == ("", "", "")
