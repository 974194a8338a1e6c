"""Model fits in the back office: read-only, and for admins only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenure.insights.models import FitStatus, ModelFit
from tenure.users.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_an_admin_reads_fits_and_cannot_change_them(client):
    fit = ModelFit.objects.create(status=FitStatus.FAILED, error="no orders")
    client.force_login(make_user(role=Role.ADMIN, is_staff=True))
    listing = client.get(reverse("admin:insights_modelfit_changelist"))
    assert listing.status_code == 200 and b"no orders" not in listing.content
    page = client.get(reverse("admin:insights_modelfit_change", args=[fit.pk]))
    assert page.status_code == 200 and b"no orders" in page.content
    assert b'name="_save"' not in page.content
    assert client.get(reverse("admin:insights_modelfit_add")).status_code == 403
    assert client.post(reverse("admin:insights_modelfit_delete", args=[fit.pk])).status_code == 403


def test_a_manager_does_not_see_fits_in_the_admin(client):
    fit = ModelFit.objects.create(status=FitStatus.DONE)
    client.force_login(make_user(role=Role.MANAGER, is_staff=True))
    page = client.get(reverse("admin:insights_modelfit_change", args=[fit.pk]))
    assert page.status_code in (302, 403)
