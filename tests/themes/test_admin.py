"""Themes in the admin go through the services: a name changed there is a rename (kept by
runs, with its event), tags added and taken off are tagged and untagged, hidden is hidden;
themes are not added or deleted there, nor assignments edited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenure.events.models import Event
from tenure.themes.models import Theme, ThemeStatus, ThemeTag
from tenure.themes.services import theme_tag
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.themes.helpers import answer, make_theme

pytestmark = pytest.mark.django_db


def test_an_admin_change_is_a_rename_tags_and_hide_through_the_services(client):
    client.force_login(make_user(role=Role.ADMIN, is_staff=True))
    late = make_theme("late", [answer(make_customer(), "late")])
    old = theme_tag(by=None, theme_id=late.pk, tag="old")
    new = ThemeTag.objects.create(name="new")
    url = reverse("admin:themes_theme_change", args=[late.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"label": "Late deliveries", "tags": [new.pk], "hidden": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    late.refresh_from_db()
    assert late.label == "Late deliveries" and late.renamed_by_person
    assert late.status == ThemeStatus.HIDDEN
    assert list(late.tags.all()) == [new] and old.pk
    kinds = sorted(
        Event.objects.filter(subject="theme", subject_id=late.pk).values_list("kind", flat=True)
    )
    assert kinds == [
        "theme.hidden",
        "theme.renamed",
        "theme.tagged",
        "theme.tagged",
        "theme.untagged",
    ]


def test_themes_are_not_added_or_deleted_in_the_admin(client):
    client.force_login(make_user(role=Role.MANAGER, is_staff=True))
    late = make_theme("late", [answer(make_customer(), "late")])
    assert client.get(reverse("admin:themes_theme_add")).status_code == 403
    assert client.get(reverse("admin:themes_theme_delete", args=[late.pk])).status_code == 403
    assert client.get(reverse("admin:themes_themeassignment_changelist")).status_code == 200
    assert Theme.objects.filter(pk=late.pk).exists()
