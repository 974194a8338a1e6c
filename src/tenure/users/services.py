"""Writes for team members."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from tenure.users.models import ApiToken, Role, User
from tenure.users.tokens import TOKEN_PREFIX, token_digest, token_generate, token_looks_valid


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str = Role.MANAGER,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    validate: bool = True,
) -> User:
    """Create a team member; admins also get Django admin access."""
    if role not in set(Role):
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Role)}")
    if User.objects.filter(username=username).exists():
        raise ValueError(f"a user named {username!r} already exists")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    return user


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the record and the token (shown once, never stored)."""
    if not user.is_active:
        raise ValueError(f"user {user.username!r} is not active")
    token = token_generate()
    record = ApiToken.objects.create(
        user=user, name=name, prefix=token[: len(TOKEN_PREFIX) + 6], digest=token_digest(token)
    )
    return record, token


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, token: str) -> User | None:
    """The active user a token belongs to, or None; records when the token was last used."""
    if not token_looks_valid(token):
        return None
    record = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if record is None:
        return None
    now = timezone.now()
    # Write at most once a minute per token: every API call must not be a write.
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user
