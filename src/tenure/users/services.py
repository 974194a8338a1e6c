"""Writes for team members."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenure.access import require
from tenure.access.records import reject_unknown_fields
from tenure.domain.access import Action
from tenure.users.models import ApiToken, Role, User
from tenure.users.tokens import TOKEN_PREFIX, token_digest, token_generate, token_looks_valid


def _require_administer(by: User | None) -> None:
    if by is not None:
        require(by, Action.ADMINISTER)


@transaction.atomic
def user_create(
    *,
    by: User | None = None,
    username: str,
    password: str,
    role: str = Role.MANAGER,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    validate: bool = True,
) -> User:
    """Create a team member; admins also get Django admin access.

    ``by`` is the admin doing it in the web app (others get AccessDenied); ``by=None`` is the
    operator at the command line. Raises ValidationError with the problems by field (username
    taken or malformed, unknown role, invalid email, a password the validators refuse).
    """
    _require_administer(by)
    errors: dict[str, list[str]] = {}
    if role not in set(Role):
        errors["role"] = [f"unknown role {role!r}; choose one of {', '.join(Role)}"]
    if User.objects.filter(username=username).exists():
        errors["username"] = [f"a user named {username!r} already exists"]
    if _email_taken(email, user_id=None):
        errors["email"] = [EMAIL_TAKEN]
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
    )
    try:
        user.full_clean(exclude=["password", *errors])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as error:
            errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    return user


PROFILE_FIELDS = ("first_name", "last_name", "email")
EMAIL_TAKEN = "another team member has this email (emails are told apart regardless of case)"


def _email_taken(email: str, *, user_id: int | None) -> bool:
    """Whether another team member, active or not, has ``email`` in any case."""
    others = User.objects.filter(email__iexact=email)
    if user_id is not None:
        others = others.exclude(pk=user_id)
    return bool(email) and others.exists()


@transaction.atomic
def user_update_profile(
    *, by: User | None = None, user_id: int, changes: Mapping[str, str]
) -> User:
    """Change a team member's first name, last name or email: an admin anyone's, everyone else
    only their own (AccessDenied otherwise); recorded in the change history.

    Raises ``User.DoesNotExist``, and ValidationError by field: an unknown field, a name too
    long, an email that is not one or that another team member has (in any case).
    """
    if by is None or by.pk != user_id:
        _require_administer(by)
    reject_unknown_fields(changes, PROFILE_FIELDS)
    user = User.objects.select_for_update().get(pk=user_id)
    changed = []
    for name, value in changes.items():
        value = value.strip()
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if not changed:
        return user
    errors: dict[str, list[str]] = {}
    try:
        others = [f.name for f in User._meta.fields if f.name not in changed]
        user.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if "email" in changed and "email" not in errors and _email_taken(user.email, user_id=user.pk):
        errors["email"] = [EMAIL_TAKEN]
    if errors:
        raise ValidationError(errors)
    user.save(update_fields=changed)
    return user


NO_ADMIN_LEFT = "tenure needs at least one active admin: make another team member admin first"


def _keep_an_active_admin(user: User, *, role: str, active: bool) -> None:
    """Refuse a change that would leave no active admin (nobody could manage the team)."""
    if user.role != Role.ADMIN or not user.is_active or (role == Role.ADMIN and active):
        return
    # Lock the active admins, so that two admins demoting each other at once cannot both pass.
    admins = User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True)
    if not [pk for pk in admins.order_by("pk").values_list("pk", flat=True) if pk != user.pk]:
        raise ValidationError({"role" if active else "is_active": [NO_ADMIN_LEFT]})


def team_rules_problems(
    *, user: User | None, email: str, role: str, active: bool
) -> dict[str, list[str]]:
    """What a change of ``user`` (None: a new member) to this email, role and active flag
    breaks of the team's rules, by field (empty: nothing): an email another member has, no
    active admin left. For the edits that do not come through the services above (the Django
    admin's user form), so the rules hold there too."""
    errors: dict[str, list[str]] = {}
    if _email_taken(email.strip(), user_id=None if user is None else user.pk):
        errors["email"] = [EMAIL_TAKEN]
    if user is not None:
        try:
            _keep_an_active_admin(user, role=role, active=active)
        except ValidationError as error:
            errors.update(error.message_dict)
    return errors


def _user_for_change(by: User | None, user_id: int) -> User:
    _require_administer(by)
    return User.objects.select_for_update().get(pk=user_id)


@transaction.atomic
def user_update_role(*, by: User | None = None, user_id: int, role: str) -> User:
    """Give a team member another role (admins only); recorded in the change history.

    Raises ``User.DoesNotExist``, and ValidationError for an unknown role or when the last
    active admin would stop being one.
    """
    user = _user_for_change(by, user_id)
    if role not in set(Role):
        raise ValidationError({"role": [f"unknown role {role!r}; choose one of {', '.join(Role)}"]})
    if user.role != role:
        _keep_an_active_admin(user, role=role, active=user.is_active)
        user.role = role
        user.save(update_fields=["role"])
    return user


@transaction.atomic
def user_set_active(*, by: User | None = None, user_id: int, active: bool) -> User:
    """Deactivate a team member (they can no longer log in, their API tokens stop working) or
    reactivate them. Admins only; the last active admin cannot be deactivated."""
    user = _user_for_change(by, user_id)
    if user.is_active != active:
        _keep_an_active_admin(user, role=user.role, active=active)
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user


API_TOKEN_DAYS_MAX = 365


def api_token_create(
    *, user: User, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` that lasts ``days`` (1 to 365; default
    ``TENURE_API_TOKEN_DAYS``); returns the record and the token (shown once, never stored)."""
    if not user.is_active:
        raise ValueError(f"user {user.username!r} is not active")
    days = settings.API_TOKEN_DAYS if days is None else days
    if isinstance(days, bool) or not 1 <= days <= API_TOKEN_DAYS_MAX:
        raise ValueError(f"a token lasts 1 to {API_TOKEN_DAYS_MAX} days, not {days}")
    token = token_generate()
    record = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=token[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return record, token


def api_token_revoke(*, by: User | None = None, token: ApiToken) -> ApiToken:
    """Revoke a token: one's own, or anyone's for an admin (AccessDenied otherwise)."""
    if by is not None and token.user_id != by.pk:
        require(by, Action.ADMINISTER)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, token: str) -> User | None:
    """The active user a token belongs to, or None (unknown, revoked or expired token, inactive
    user); records when the token was last used."""
    if not token_looks_valid(token):
        return None
    now = timezone.now()
    record = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if record is None:
        return None
    # Write at most once a minute per token: every API call must not be a write.
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user
