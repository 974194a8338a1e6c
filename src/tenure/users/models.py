from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    SUCCESS_MANAGER = "success_manager", "Success manager"
    ANALYST = "analyst", "Analyst"


class User(AbstractUser):
    """A team member. The role decides what they may see and change."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MANAGER)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
