from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from tenure.domain.access import Role

__all__ = ["ApiToken", "Role", "User"]


ROLE_CHOICES = [
    (Role.ADMIN.value, "Admin"),
    (Role.MANAGER.value, "Manager"),
    (Role.SUCCESS_MANAGER.value, "Success manager"),
    (Role.ANALYST.value, "Analyst"),
]


class User(AbstractUser):
    """A team member. The role decides what they may see and change."""

    role = models.CharField(max_length=20, choices=ROLE_CHOICES, default=Role.MANAGER.value)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Django's own flags follow the role, so that changing a role is one edit.
        self.is_staff = self.role in (Role.ADMIN, Role.MANAGER)
        self.is_superuser = self.role == Role.ADMIN
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="what uses it, e.g. the shop")
    prefix = models.CharField(max_length=12, help_text="the token's first characters, to tell it")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="refused from then on (empty: made before tokens expired)"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
