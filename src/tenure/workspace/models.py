"""Saved list views: a list's filters, sort and columns under a name, a person's own or shared
with the team, and at most one per role and list opened when that role opens the list bare."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenure.domain.access import Role


class ListName(models.TextChoices):
    CUSTOMERS = "customers", "Customers"
    ACCOUNTS = "accounts", "Accounts"
    ORDERS = "orders", "Orders"
    TASKS = "tasks", "Tasks"


QUERYSTRING_MAX = 2000


class SavedView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    list = models.CharField(max_length=20, choices=ListName.choices)
    name = models.CharField(max_length=120)
    querystring = models.CharField(
        max_length=QUERYSTRING_MAX,
        blank=True,
        help_text="the list's filters, sort and columns as a URL query, validated when saved",
    )
    shared = models.BooleanField(default=False, help_text="the whole team sees it")
    default_for_role = models.CharField(
        max_length=20,
        blank=True,
        choices=[(role.value, role.value.replace("_", " ")) for role in Role],
        help_text="opened when this role opens the list without a query (admins, managers)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["list", "name", "id"]
        indexes = [models.Index(fields=["list", "owner"], name="saved_view_list_owner")]
        constraints = [
            models.UniqueConstraint(
                fields=["list", "default_for_role"],
                condition=~Q(default_for_role=""),
                name="saved_view_one_default_per_role",
            ),
            models.CheckConstraint(
                condition=Q(list__in=ListName.values), name="saved_view_list_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.list}: {self.name}"
