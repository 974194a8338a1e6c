"""The onboarding and success plan API: a start asked twice gives one onboarding and one set
of tasks; checklists with their steps (refusals naming the field); the onboardings list through
its FilterSet; a plan, its goals and milestones, a review, worked by hand. The roles of every
operation: tests/api/test_roles_table.py (test_success_api_table)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.api.success import OnboardingFilters
from tenure.events.models import Event
from tenure.success.filters import OnboardingFilterSet
from tenure.success.models import Goal, Milestone, Onboarding, SuccessPlan
from tenure.success.onboarding import onboarding_start
from tenure.todos.models import Task
from tenure.todos.services import task_complete
from tests.api.helpers import Api
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def _checklist(api: Api) -> dict:
    response = api.post(
        "/checklist-templates",
        {
            "name": "Kickoff",
            "steps": [
                {"title": "Call", "days_after_start": 2},
                {"title": "First report", "days_after_start": 10, "first_value": True},
            ],
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_start_asked_twice_gives_one_onboarding_and_one_set_of_tasks(client):
    api = Api(client, role="manager")
    template = _checklist(api)
    account = make_account(owner=make_user(role="success_manager"))
    body = {"template_id": template["id"], "account_id": account.pk}

    first = api.post("/onboardings", body)
    again = api.post("/onboardings", body)  # a retry without a key: the same onboarding
    keyed = api.post("/onboardings", body, **{"Idempotency-Key": "start-1"})
    replay = api.post("/onboardings", body, **{"Idempotency-Key": "start-1"})
    assert (first.status_code, again.status_code, keyed.status_code) == (201, 200, 200)
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"] == replay.json()["id"]
    assert Onboarding.objects.count() == 1
    assert sorted(Task.objects.filter(account=account).values_list("title", flat=True)) == [
        "Call",
        "First report",
    ]
    assert Event.objects.filter(kind="success.onboarding_started").count() == 1
    shown = first.json()
    assert (shown["steps_total"], shown["steps_done"], shown["progress"]) == (2, 0, 0.0)
    assert [s["title"] for s in shown["steps"]] == ["Call", "First report"]


def test_checklists_and_their_steps_with_refusals_on_the_field(client):
    api = Api(client, role="admin")
    template = _checklist(api)
    tid = template["id"]
    assert [(s["position"], s["title"]) for s in template["steps"]] == [
        (1, "Call"),
        (2, "First report"),
    ]
    # pydantic: the field's path in the body.
    refused = api.post("/checklist-templates", {"name": "X", "steps": [{"title": ""}]})
    assert refused.status_code == 422
    assert list(refused.json()["error"]["fields"]) == ["steps.0.title"]
    # the service: the owner rule, the single first-value step, a place out of range.
    member = api.post(f"/checklist-templates/{tid}/steps", {"title": "X", "owner_kind": "member"})
    assert member.status_code == 422
    assert member.json()["error"]["fields"] == {
        "member_id": ["choose the team member who owns this step"]
    }
    twice = api.post(f"/checklist-templates/{tid}/steps", {"title": "X", "first_value": True})
    assert twice.json()["error"]["fields"]["first_value"] == [
        "“First report” marks first value already: one step does"
    ]
    far = api.post(f"/checklist-templates/{tid}/steps", {"title": "X", "position": 9})
    assert far.json()["error"]["fields"] == {"position": ["a place from 1 to 3"]}

    added = api.post(f"/checklist-templates/{tid}/steps", {"title": "Contract", "position": 1})
    assert added.status_code == 201
    assert [s["title"] for s in added.json()["steps"]] == ["Contract", "Call", "First report"]
    call = added.json()["steps"][1]["id"]
    moved = api.patch(f"/checklist-templates/{tid}/steps/{call}", {"position": 3})
    assert [s["title"] for s in moved.json()["steps"]] == ["Contract", "First report", "Call"]
    renamed = api.patch(f"/checklist-templates/{tid}", {"name": "Onboarding", "active": False})
    assert (renamed.json()["name"], renamed.json()["active"]) == ("Onboarding", False)
    assert api.delete(f"/checklist-templates/{tid}/steps/{call}").status_code == 204
    assert api.delete(f"/checklist-templates/{tid}/steps/{call}").status_code == 404
    listed = api.get("/checklist-templates", active="false").json()
    assert [(t["name"], len(t["steps"])) for t in listed] == [("Onboarding", 2)]
    # In use: deleting it is a conflict; it is deactivated instead.
    api.patch(f"/checklist-templates/{tid}", {"active": True})
    onboarding_start(
        by=None, template_id=tid, account_id=make_account(owner=api.user).pk, now=timezone.now()
    )
    conflict = api.delete(f"/checklist-templates/{tid}")
    assert conflict.status_code == 409
    assert "deactivate it instead" in conflict.json()["error"]["message"]


def test_the_onboardings_list_filters_and_worked_progress(client):
    sue = make_user(role="success_manager")
    sam = make_user(role="success_manager")
    manager = Api(client, role="manager")
    template = _checklist(manager)
    now = timezone.now()
    late = make_account(owner=sue, name="Late Ltd")
    fresh = make_account(owner=sam, name="Fresh Ltd")
    started_late, _ = onboarding_start(
        by=None, template_id=template["id"], account_id=late.pk, now=now - timedelta(days=12)
    )
    onboarding_start(by=None, template_id=template["id"], account_id=fresh.pk, now=now)
    # Late Ltd: the call (due day 2) done, the first report (due day 10) open past due.
    task_complete(by=None, task_id=Task.objects.get(account=late, title="Call").pk)

    def names(api: Api, **query) -> list[str]:
        response = api.get("/onboardings", **query)
        assert response.status_code == 200, response.content
        return [
            {late.pk: "Late Ltd", fresh.pk: "Fresh Ltd"}[i["account_id"]]
            for i in response.json()["items"]
        ]

    assert sorted(names(manager)) == ["Fresh Ltd", "Late Ltd"]
    assert names(manager, overdue="true") == ["Late Ltd"]
    assert names(manager, overdue="false") == ["Fresh Ltd"]
    assert names(manager, owner_id=sam.pk) == ["Fresh Ltd"]
    assert names(manager, account_id=late.pk) == ["Late Ltd"]
    assert names(Api(client, user=sue)) == ["Late Ltd"]  # her book only
    assert names(manager, status="completed") == []
    refused = manager.get("/onboardings", status="finished")
    assert refused.status_code == 422 and "status" in refused.json()["error"]["fields"]

    detail = manager.get(f"/onboardings/{started_late.pk}").json()
    assert (detail["days_since_start"], detail["steps_done"], detail["overdue_steps"]) == (12, 1, 1)
    assert detail["progress"] == 0.5 and detail["first_value_at"] is None
    first_report = Task.objects.get(account=late, title="First report")
    task_complete(by=None, task_id=first_report.pk)
    reached = started_late.started_at + timedelta(days=11, hours=12)
    Task.objects.filter(pk=first_report.pk).update(completed_at=reached)
    done = manager.get(f"/onboardings/{started_late.pk}").json()
    assert done["days_to_first_value"] == 11.5  # 11 days 12 hours
    assert done["completed_at"] is not None and done["progress"] == 1.0
    assert names(manager, status="completed") == ["Late Ltd"]
    assert Api(client, user=sam).get(f"/onboardings/{started_late.pk}").status_code == 404


def test_the_query_schema_is_the_filtersets():
    assert set(OnboardingFilters.model_fields) == set(OnboardingFilterSet.base_filters)


def test_a_plan_its_goals_milestones_and_a_review(client):
    sue = make_user(role="success_manager")
    api = Api(client, user=sue)
    account = make_account(owner=sue, name="Acme")
    assert api.get(f"/accounts/{account.pk}/success-plan").status_code == 404  # none yet
    today = timezone.localdate()
    review = (today + timedelta(days=30)).isoformat()
    put = client.put(
        f"/api/v1/accounts/{account.pk}/success-plan",
        {"title": "Grow with us", "status": "active", "next_review": review, "reminder_days": 5},
        content_type="application/json",
        headers=api.headers,
    )
    assert put.status_code == 200, put.content
    plan = put.json()
    assert (plan["title"], plan["status"], plan["next_review"]) == (
        "Grow with us",
        "active",
        review,
    )
    reminder = Task.objects.get(rule="success_review")
    assert reminder.due == today + timedelta(days=25) and reminder.owner_id == sue.pk

    target = (today + timedelta(days=90)).isoformat()
    goal = api.post(
        f"/accounts/{account.pk}/success-plan/goals",
        {"title": "Adopt reports", "target_date": target, "owner_id": sue.pk},
    )
    assert goal.status_code == 201, goal.content
    gid = goal.json()["id"]
    late = api.post(
        f"/success-goals/{gid}/milestones",
        {"title": "Too late", "due": (today + timedelta(days=91)).isoformat()},
    )
    assert late.status_code == 422
    assert late.json()["error"]["fields"] == {"due": ["on or before the goal's target date"]}
    milestone = api.post(
        f"/success-goals/{gid}/milestones", {"title": "First report", "due": review}
    )
    assert milestone.status_code == 201
    mid = milestone.json()["id"]
    done = api.patch(f"/success-milestones/{mid}", {"done": True}).json()
    assert done["done_at"] is not None
    achieved = api.patch(f"/success-goals/{gid}", {"status": "achieved"}).json()
    assert achieved["status"] == "achieved" and achieved["achieved_at"] is not None
    assert Event.objects.filter(kind="success.goal_achieved").count() == 1

    shown = api.get(f"/accounts/{account.pk}/success-plan").json()
    assert [(g["title"], [m["title"] for m in g["milestones"]]) for g in shown["goals"]] == [
        ("Adopt reports", ["First report"])
    ]
    assert [g["id"] for g in api.get(f"/accounts/{account.pk}/success-plan/goals").json()] == [gid]
    next_review = (today + timedelta(days=60)).isoformat()
    reviewed = api.post(
        f"/accounts/{account.pk}/success-plan/review", {"next_review": next_review}
    ).json()
    assert reviewed["next_review"] == next_review and reviewed["last_reviewed_at"] is not None
    assert Task.objects.filter(rule="success_review").count() == 2  # one per review date

    assert api.delete(f"/success-milestones/{mid}").status_code == 204
    assert not Milestone.objects.exists()
    assert api.delete(f"/success-goals/{gid}").status_code == 204
    assert not Goal.objects.exists() and SuccessPlan.objects.count() == 1
