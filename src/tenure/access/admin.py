"""The Django admin under the same role policy as the web app and the API.

Admin pages are open to staff (admins and managers); what each may see and change there is
decided by `tenure.access`, not by Django's per-model permission table.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from tenure.access.form_limits import limits_onto_form
from tenure.access.scopes import may, visible
from tenure.domain.access import Action


class LimitedModelForm(forms.ModelForm):
    """The admin's form: a value tenure cannot store and read back (a moment outside the
    calendar, NUL, too many or too long custom attributes) is the field's error, as in the
    API, the pages and the import (``tenure.domain.limits``)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        limits_onto_form(self, cleaned)
        return cleaned


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows and buttons follow the role policy (and whose form refuses
    what cannot be stored and read back)."""

    form = LimitedModelForm

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visible(request.user, super().get_queryset(request))

    def _allows(self, request: HttpRequest, action: Action, obj: Model | None) -> bool:
        if not may(request.user, action):
            return False
        if obj is None:
            return True
        return visible(request.user, type(obj), action).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may(request.user, Action.VIEW)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allows(request, Action.VIEW, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return may(request.user, Action.CHANGE)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allows(request, Action.CHANGE, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allows(request, Action.CHANGE, obj)


class AdministerOnlyAdmin(admin.ModelAdmin):
    """Users, roles and settings: admins only."""

    def _administers(self, request: HttpRequest) -> bool:
        return may(request.user, Action.ADMINISTER)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._administers(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._administers(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._administers(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._administers(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._administers(request)
