"""The Django admin under the same role policy as the web app and the API.

Admin pages are open to staff (admins and managers); what each may see and change there is
decided by `tenure.access`, not by Django's per-model permission table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest

from tenure.access.form_limits import limits_onto_form
from tenure.access.scopes import may, visible
from tenure.domain.access import Action
from tenure.domain.errors import Conflict


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


class ReadOnly:
    """Rows the services alone write (a ledger, a redemption): never added, changed or
    deleted in the admin."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnly, ScopedAdmin):
    """Read only, and a row is seen when it is among ``get_queryset``'s (which a subclass
    narrows to the rows of the customers the member sees)."""

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )


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


_REFUSED = "_tenure_delete_refused"


class ServiceDeletes(admin.ModelAdmin):
    """Deletes in the admin through the record's own delete service (``record_delete``), as
    the pages and the API delete it: the role check, the history entry and events, the trash
    for the kinds kept there, an order's customer's figures. One record (``delete_model``), the
    chosen ones ("Delete selected": all or none) and the rows an inline form marks for deletion
    whose own admin is one of these.

    What goes with a record is the service's to decide (the trash keeps it too), so the admin's
    permission to delete each dependent is not asked: a customer's lifecycle stage, which nobody
    deletes here, goes with the customer. A service's refusal (``Conflict``,
    ``ValidationError``) is the page's error message, and nothing is deleted or logged."""

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__}: say which service deletes its records")

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return []  # logged by ``_deleted_by_service`` once the service has deleted them

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._deleted_by_service(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._deleted_by_service(request, list(queryset))

    def _deleted_by_service(self, request: HttpRequest, records: Sequence[Model]) -> None:
        record: Model | None = None
        try:
            with transaction.atomic():
                for record in records:
                    self.record_delete(request, record)
        except (Conflict, ValidationError) as refusal:
            reason = " ".join(refusal.messages) if isinstance(refusal, ValidationError) else refusal
            setattr(request, _REFUSED, True)
            self.message_user(request, f"Nothing was deleted. {record}: {reason}", messages.ERROR)
            return
        admin.ModelAdmin.log_deletions(self, request, records)  # type: ignore[arg-type]  # any iterable

    def message_user(self, request: HttpRequest, message: Any, *args: Any, **kwargs: Any) -> None:
        level = args[0] if args else kwargs.get("level", messages.INFO)
        if level == messages.SUCCESS and getattr(request, _REFUSED, False):
            return  # the admin's own "deleted successfully" after a refusal
        super().message_user(request, message, *args, **kwargs)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        site, model = self.admin_site, formset.model
        own = site.get_model_admin(model) if model and site.is_registered(model) else None
        if not isinstance(own, ServiceDeletes):
            super().save_formset(request, form, formset, change)
            return
        kept = formset.save(commit=False)  # marks the deleted rows, deletes none of them
        for row in formset.deleted_objects:
            own.record_delete(request, row)
        for instance in kept:
            instance.save()
        formset.save_m2m()


class TrashingAdmin(ServiceDeletes):
    """Deletes through a service that keeps the record 30 days in the trash; the confirmation
    pages say so."""

    delete_confirmation_template = "admin/trash_delete_confirmation.html"
    delete_selected_confirmation_template = "admin/trash_delete_selected_confirmation.html"
