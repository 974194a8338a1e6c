"""The pages: the list with the built-ins (off), a playbook's steps drawn as cards with their
counts, the editor showing each refusal by its field, the switch refusing email steps."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.builtin import playbooks_builtin_ensure
from tenure.playbooks.enrol import Candidate, enrol
from tenure.playbooks.models import Playbook
from tenure.playbooks.services import definition_of
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.playbooks.conftest import make_playbook

pytestmark = pytest.mark.django_db


def test_the_list_and_a_playbooks_flow_with_counts(client):
    playbooks_builtin_ensure()
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(reverse("web:playbooks")).content.decode()
    assert "Welcome series" in page and "Win-back for at-risk customers" in page
    assert 'href="/playbooks/"' in client.get(reverse("web:tasks")).content.decode()  # nav
    playbook = make_playbook(
        slug="flow", steps=[{"kind": "wait", "days": 3}, {"kind": "task", "title": "Call"}]
    )
    now = timezone.now()
    customers = [make_customer(owner=make_user()) for _ in range(2)]
    enrol(playbook, definition_of(playbook), [Candidate(c.pk, "x", now) for c in customers], now)
    enrollments_advance(now=now)
    detail = client.get(reverse("web:playbook", args=[playbook.pk])).content.decode()
    assert detail.count('class="card flow-step"') == 2
    assert "Wait 3 days" in detail
    assert "entered 2 · done 0 · waiting 2 · exited 0" in detail
    assert "entered 0 · done 0 · waiting 0 · exited 0" in detail


def test_the_editor_shows_each_refusal_by_field(client):
    client.force_login(make_user(role=Role.MANAGER))
    bad = {"name": "X", "slug": "x", "trigger": {"type": "event", "kind": "order.placed"},
           "steps": [{"kind": "wait", "days": "soon"}]}  # fmt: skip
    response = client.post(reverse("web:playbook-new"), {"definition": json.dumps(bad)})
    assert response.status_code == 422
    body = response.content.decode()
    assert "<code>steps[0].days</code> must be a number, got &#x27;soon&#x27;" in body
    assert not Playbook.objects.filter(slug="x").exists()


def test_switching_on_a_builtin_with_its_templates_and_refused_without_them(client):
    from tenure.mail.models import Template

    playbooks_builtin_ensure()
    client.force_login(make_user(role=Role.ADMIN))
    welcome = Playbook.objects.get(builtin="welcome")
    client.post(reverse("web:playbook-switch", args=[welcome.pk]), follow=True)
    welcome.refresh_from_db()
    assert welcome.enabled is True  # the mail app made its templates at migrate
    client.post(reverse("web:playbook-switch", args=[welcome.pk]))
    Template.objects.filter(slug="welcome-getting-help").delete()
    response = client.post(reverse("web:playbook-switch", args=[welcome.pk]), follow=True)
    assert "no email template &quot;welcome-getting-help&quot;" in response.content.decode()
    welcome.refresh_from_db()
    assert welcome.enabled is False
