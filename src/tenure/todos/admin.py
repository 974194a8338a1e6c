"""Tasks in the admin, through the services as on the pages and in the API: a task added or
reassigned here tells its owner (``task.assigned``), an owner must be an active team member, a
customer or account one the admin may change; comments are added by ``task_comment_add`` and
never edited. Nobody deletes a task anywhere (the pages and the API cancel it), so neither does
the admin: its status is set to cancelled."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest

from tenure.access.admin import LimitedModelForm, ScopedAdmin
from tenure.access.scopes import may
from tenure.customers.services import check_references
from tenure.domain.access import Action
from tenure.todos.models import Task, TaskComment
from tenure.todos.services import TASK_CHANGES, task_comment_add, task_create, task_update
from tenure.users.models import User

# What the services take, by the admin form's field names.
_ADD_FIELDS = ("title", "body", "owner", "due", "priority", "customer", "account")
_CHANGE_FIELDS = tuple(name.removesuffix("_id") for name in sorted(TASK_CHANGES))


class TaskForm(LimitedModelForm):
    """Refuses, as field errors, what the services would refuse: an inactive owner, and a
    customer or account the admin may not change (``by`` is set by ``TaskAdmin.get_form``)."""

    by: User | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        owner = cleaned.get("owner")
        if "owner" in self.fields and owner is not None and not owner.is_active:
            self.add_error("owner", "a task needs an active team member as its owner")
        if self.instance.pk is None:
            references = {
                "customer_id": getattr(cleaned.get("customer"), "pk", None),
                "account_id": getattr(cleaned.get("account"), "pk", None),
            }
            try:
                check_references(self.by, references)
            except ValidationError as refusal:
                for name, errors in refusal.message_dict.items():
                    field = name.removesuffix("_id")
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


class TaskCommentInline(admin.TabularInline):
    """Comments are added, never edited or deleted: the ones written stay as they were."""

    model = TaskComment
    extra = 0
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may(request.user, Action.CHANGE)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(ScopedAdmin):
    form = TaskForm
    list_display = ("title", "owner", "due", "priority", "status", "customer", "source")
    list_filter = ("status", "priority", "source")
    search_fields = ("title", "customer__external_id")
    list_select_related = ("owner", "customer")
    raw_id_fields = ("customer", "account", "owner")
    inlines = [TaskCommentInline]
    show_full_result_count = False

    def get_fields(self, request: HttpRequest, obj: Task | None = None) -> Any:
        if obj is None:
            return _ADD_FIELDS
        return (*_CHANGE_FIELDS, "customer", "account", "source", "rule", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Task | None = None) -> Any:
        if obj is None:
            return ()
        return ("customer", "account", "source", "rule", "created_at")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.by = request.user  # type: ignore[attr-defined]
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # cancelled, never deleted (see the module's docstring)

    def save_model(self, request: HttpRequest, obj: Task, form: ModelForm, change: bool) -> None:
        by: User = request.user  # type: ignore[assignment]
        values = form.cleaned_data
        if change:
            changes = {
                ("owner_id" if name == "owner" else name): (
                    values[name].pk if name == "owner" else values[name]
                )
                for name in form.changed_data
                if name in _CHANGE_FIELDS
            }
            saved = task_update(by=by, task_id=obj.pk, changes=changes)
        else:
            saved = task_create(
                by=by, title=values["title"], body=values.get("body") or "",
                owner=values["owner"], due=values["due"], priority=values["priority"],
                customer_id=getattr(values.get("customer"), "pk", None),
                account_id=getattr(values.get("account"), "pk", None),
            )  # fmt: skip
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        if formset.model is not TaskComment:
            super().save_formset(request, form, formset, change)
            return
        for comment in formset.save(commit=False):
            if comment.pk is None:
                task_comment_add(by=request.user, task_id=form.instance.pk, body=comment.body)  # type: ignore[arg-type]
