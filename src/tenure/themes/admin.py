"""Themes in the admin, through the services: a changed name is a rename (kept by later runs),
tags added or taken off are tagged and untagged, hidden is hidden, each with its history and
event, as the pages, the API and the CLI do. Themes are made by runs only and never deleted (a
merge keeps the merged one as a pointer); assignments are read here, never edited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from tenure.access.admin import LimitedModelForm, ScopedAdmin
from tenure.themes.models import Theme, ThemeAssignment, ThemeStatus, ThemeTag
from tenure.themes.services import theme_hide, theme_rename, theme_tag, theme_untag


class ThemeForm(LimitedModelForm):
    hidden = forms.BooleanField(required=False, help_text="hidden from the lists")

    class Meta:
        model = Theme
        fields = ("label", "tags")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hidden"].initial = self.instance.status == ThemeStatus.HIDDEN


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Theme)
class ThemeAdmin(ScopedAdmin):
    form = ThemeForm
    list_display = ("label", "status", "renamed_by_person", "seen_in_last_run", "updated_at")
    list_filter = ("status", "seen_in_last_run", "tags")
    search_fields = ("label",)
    filter_horizontal = ("tags",)
    show_full_result_count = False
    readonly_fields = ("terms", "status", "merged_into", "renamed_by_person", "seen_in_last_run",
                       "last_seen_run", "created_at", "updated_at")  # fmt: skip

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # runs find themes

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # merge instead: the answers move, the theme stays as a pointer

    def save_model(self, request: HttpRequest, obj: Theme, form: Any, change: bool) -> None:
        by = request.user
        if "label" in form.changed_data:
            theme_rename(by=by, theme_id=obj.pk, label=form.cleaned_data["label"])
        if "hidden" in form.changed_data:
            theme_hide(by=by, theme_id=obj.pk, hidden=form.cleaned_data["hidden"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Tags through the services (their events), not the form's own save_m2m.
        theme = form.instance
        before = {tag.pk: tag.name for tag in Theme.objects.get(pk=theme.pk).tags.all()}
        after = {tag.pk: tag.name for tag in form.cleaned_data.get("tags", [])}
        for pk in sorted(after.keys() - before.keys()):
            theme_tag(by=request.user, theme_id=theme.pk, tag=after[pk])
        for pk in sorted(before.keys() - after.keys()):
            theme_untag(by=request.user, theme_id=theme.pk, tag=before[pk])


@admin.register(ThemeTag)
class ThemeTagAdmin(ReadOnlyAdmin):
    """Tags are made by tagging a theme (``theme_tag``)."""

    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(ThemeAssignment)
class ThemeAssignmentAdmin(ReadOnlyAdmin):
    """Written by runs only."""

    list_display = ("source", "source_id", "theme", "customer", "at", "weight")
    list_filter = ("source",)
    list_select_related = ("theme", "customer")
    raw_id_fields = ("customer", "account", "theme")
    show_full_result_count = False
