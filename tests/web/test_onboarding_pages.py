"""The onboarding pages: the list with its filters and worked figures, the checklists changed in
the app (refusals on the field, the order of the steps, the note that running onboardings keep
their tasks), a start by hand from the account page (once). Roles: the page table in
tests/api/test_roles_table.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.success import checklists
from tenure.success.models import ChecklistTemplate, Onboarding
from tenure.success.onboarding import onboarding_start
from tenure.todos.models import Task
from tenure.todos.services import task_complete
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def kickoff():
    return checklists.checklist_template_create(
        by=None, data={"name": "Kickoff"},
        steps=[{"title": "Call", "days_after_start": 2},
               {"title": "First report", "days_after_start": 10, "first_value": True}],
    )  # fmt: skip


def _titles(template: ChecklistTemplate) -> list[str]:
    return list(template.steps.order_by("position").values_list("title", flat=True))


def test_the_list_shows_progress_days_first_value_and_overdue_steps(client, kickoff):
    sue = make_user(role="success_manager", first_name="Sue")
    now = timezone.now()
    late = make_account(owner=sue, name="Late Ltd")
    onboarding_start(
        by=None, template_id=kickoff.pk, account_id=late.pk, now=now - timedelta(days=12)
    )
    other = make_account(owner=make_user(role="success_manager"), name="Other Ltd")
    onboarding_start(by=None, template_id=kickoff.pk, account_id=other.pk, now=now)
    call = Task.objects.get(account=late, title="Call")
    task_complete(by=None, task_id=call.pk)

    client.force_login(sue)
    page = client.get("/onboarding/").content.decode()
    assert "Late Ltd" in page and "Other Ltd" not in page  # her book only
    assert "1 of 2 done" in page and 'value="50"' in page
    assert '<td class="num">12</td>' in page  # days since the start
    report = Task.objects.get(account=late, title="First report")
    assert f'href="/tasks/{report.pk}/">First report</a>' in page  # due day 10: overdue
    assert "not yet" in page  # no first value

    client.force_login(make_user(role="analyst"))
    everyone = client.get("/onboarding/").content.decode()
    assert "Late Ltd" in everyone and "Other Ltd" in everyone
    overdue = client.get("/onboarding/?status=in_progress&overdue=true").content.decode()
    assert "Late Ltd" in overdue and "Other Ltd" not in overdue
    refused = client.get("/onboarding/?owner_id=abc")
    assert refused.status_code == 400 and 'id="filter-errors"' in refused.content.decode()


def test_a_checklist_is_made_and_its_steps_added_moved_and_removed_on_its_page(client):
    manager = make_user(role="manager")
    client.force_login(manager)
    made = client.post(
        "/onboarding/templates/", {"name": "Enterprise", "applies_to": "account", "active": "on"}
    )
    assert made.status_code == 302
    template = ChecklistTemplate.objects.get(name="Enterprise")
    page = f"/onboarding/templates/{template.pk}/"
    assert made["Location"] == page
    new_step = f"{page}steps/new/"
    refused = client.post(
        new_step, {"title": "Data", "days_after_start": "5", "owner_kind": "member"}
    )
    assert refused.status_code == 422
    assert "choose the team member who owns this step" in refused.content.decode()
    for title in ("Call", "Data", "Review"):
        sent = client.post(
            new_step, {"title": title, "days_after_start": "1", "owner_kind": "owner"}
        )
        assert sent.status_code == 302
    assert _titles(template) == ["Call", "Data", "Review"]
    review = template.steps.get(title="Review")
    assert (
        client.post(f"/onboarding/steps/{review.pk}/move/", {"direction": "up"}).status_code == 302
    )
    assert _titles(template) == ["Call", "Review", "Data"]
    edit = client.post(
        f"/onboarding/steps/{review.pk}/",
        {"title": "Review", "days_after_start": "14", "owner_kind": "role", "role": "manager",
         "position": "1"},
    )  # fmt: skip
    assert edit.status_code == 302
    assert _titles(template) == ["Review", "Call", "Data"]
    review.refresh_from_db()
    assert (review.days_after_start, review.owner_kind, review.role) == (14, "role", "manager")
    data = template.steps.get(title="Data")
    assert client.post(f"/onboarding/steps/{data.pk}/remove/").status_code == 302
    assert _titles(template) == ["Review", "Call"]
    shown = client.get(page).content.decode()
    assert "running onboarding keeps the tasks it was given" in shown
    assert "The first active manager" in shown
    renamed = client.post(page, {"name": "", "applies_to": "account", "active": "on"})
    assert renamed.status_code == 422 and ChecklistTemplate.objects.get(pk=template.pk).name

    client.force_login(make_user(role="success_manager"))
    read = client.get(page).content.decode()
    assert "Review" in read and "Add a step" not in read and "/remove/" not in read


def test_a_checklist_is_started_from_the_account_page_once(client, kickoff):
    sue = make_user(role="success_manager")
    account = make_account(owner=sue, name="Acme")
    client.force_login(sue)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert 'id="onboarding-start"' in page and f'<option value="{kickoff.pk}">Kickoff' in page
    url = f"/accounts/{account.pk}/onboarding/start/"
    first = client.post(url, {"template": kickoff.pk}, follow=True)
    assert "“Kickoff” started" in first.content.decode()
    again = client.post(url, {"template": kickoff.pk}, follow=True)
    assert "“Kickoff” had started on" in again.content.decode()
    assert Onboarding.objects.filter(account=account).count() == 1
    assert Task.objects.filter(account=account).count() == 2
    shown = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "0 of 2 steps done (0 %)" in shown

    client.force_login(make_user(role="analyst"))
    assert 'id="onboarding-start"' not in client.get(f"/accounts/{account.pk}/").content.decode()
    assert client.post(url, {"template": kickoff.pk}).status_code == 403
