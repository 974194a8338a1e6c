"""Writes for team members."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from tenure.users.models import Role, User


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
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")
    if User.objects.filter(username=username).exists():
        raise ValueError(f"a user named {username!r} already exists")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        is_staff=role in (Role.ADMIN, Role.MANAGER),
        is_superuser=role == Role.ADMIN,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    return user
