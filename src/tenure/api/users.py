"""/api/v1/me: who the token belongs to, and their own name and email.

The change goes through ``users.services.user_update_profile``, as the "Your profile" page's
does: every role changes their own (an analyst too: it is no customer record), an email another
team member has is refused on its field (422), and the change is kept in the change history.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.users.models import User
from tenure.users.services import user_update_profile

router = Router(tags=["users"])


class Me(Schema):
    username: str
    role: str
    email: str
    first_name: str
    last_name: str


class MePatch(Input):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254, description="empty for none")


def _me(user: User) -> Me:
    return Me(
        username=user.username,
        role=user.role,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
    )


@router.get("/me", response={200: Me, **ERROR_RESPONSES}, summary="Who the token belongs to")
def me(request: HttpRequest) -> Me:
    return _me(caller(request))


@router.patch("/me", response={200: Me, **ERROR_RESPONSES}, summary="Change your name or email")
def me_update(request: HttpRequest, payload: MePatch) -> Me:
    user = caller(request)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return _me(user_update_profile(by=user, user_id=user.pk, changes=changes))
