"""The success pages: the account's onboarding and success plan cards, the plan's forms (their
refusals on the fields), My day's overdue onboardings, by role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.success.builtin import templates_builtin_ensure
from tenure.success.models import Goal, SuccessPlan
from tenure.success.onboarding import onboarding_start
from tenure.success.services import goal_create
from tenure.todos.models import Task
from tenure.todos.services import task_complete
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    owner = make_user(role="success_manager", first_name="Sue")
    make_user(role="manager", first_name="Max")
    account = make_account(owner=owner, name="Acme")
    now = timezone.now()
    onboarding_start(
        by=None, template_id=templates_builtin_ensure().pk, account_id=account.pk,
        now=now - timedelta(days=8),
    )  # fmt: skip
    kickoff = Task.objects.get(account=account, title__startswith="Kickoff")
    task_complete(by=None, task_id=kickoff.pk)
    return owner, account


def test_the_account_page_shows_the_onboarding_and_the_plan_with_edit_links_by_role(client, book):
    owner, account = book
    goal_create(
        by=owner, account_id=account.pk, now=timezone.now(),
        data={"title": "Adopt reports", "target_date": timezone.localdate(), "owner_id": owner.pk},
    )  # fmt: skip
    client.force_login(owner)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    # 1 of 4 done; set-up (due day 7) is past due on day 8, the kickoff done.
    assert "1 of 4 steps done (25 %), 1 overdue" in page
    assert 'value="25"' in page
    assert "Adopt reports" in page and "Edit plan" in page
    client.force_login(make_user(role="analyst"))
    read_only = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "Adopt reports" in read_only and "1 of 4 steps done" in read_only
    assert "Edit plan" not in read_only and "Add a goal" not in read_only
    client.force_login(make_user(role="success_manager"))
    assert client.get(f"/accounts/{account.pk}/").status_code == 404


def test_a_refused_goal_shows_its_errors_on_the_fields_and_stores_nothing(client, book):
    owner, account = book
    client.force_login(owner)
    url = f"/accounts/{account.pk}/success-plan/goals/new/"
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    sent = client.post(
        url, {"title": "Grow", "target_date": past, "owner": owner.pk, "status": "open"}
    )
    assert sent.status_code == 422
    assert "a new goal&#x27;s target date is today or later" in sent.content.decode()
    assert not Goal.objects.exists() and not SuccessPlan.objects.exists()
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    done = client.post(
        url, {"title": "Grow", "target_date": later, "owner": owner.pk, "status": "open"}
    )
    assert done.status_code == 302 and Goal.objects.get().title == "Grow"


def test_my_day_lists_the_overdue_onboardings_of_ones_own_book(client, book):
    owner, _ = book
    client.force_login(owner)
    page = client.get("/my-day/").content.decode()
    assert 'id="overdue-onboardings"' in page and "Acme" in page and "1 overdue" in page
    client.force_login(make_user(role="success_manager"))
    assert 'id="overdue-onboardings"' not in client.get("/my-day/").content.decode()
