"""Reads for team members and their API tokens."""

from __future__ import annotations

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from tenure.access import may, require
from tenure.domain.access import Action
from tenure.users.models import ApiToken, User


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The tokens ``user`` may see and revoke: their own, and everyone's for an admin.

    Active tokens first, newest first; never the token itself (only its digest is stored).
    """
    tokens = ApiToken.objects.select_related("user")
    if not may(user, Action.ADMINISTER):
        tokens = tokens.filter(user=user)
    usable = Q(revoked_at__isnull=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    first = Case(When(usable, then=Value(0)), default=Value(1))
    return tokens.order_by(first, "-created_at", "-id")


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    """One token ``user`` may see. Raises ``ApiToken.DoesNotExist`` (also for another user's)."""
    return api_tokens_of(user=user).get(pk=token_id)


def team_list(*, user: User) -> QuerySet[User]:
    """Every team member, active ones first, for the admin who manages the team (AccessDenied
    for anyone else)."""
    require(user, Action.ADMINISTER)
    return User.objects.order_by("-is_active", "username")
