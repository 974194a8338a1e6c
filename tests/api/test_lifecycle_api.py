"""/api/v1/lifecycle/... and /api/v1/tasks: figures within the caller's book, one error shape,
definitions refused by path, recompute, tasks and the at-risk follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.domain.lifecycle import preset_definition
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.lifecycle.models import LifecycleDefinition, RecomputeRun
from tenure.todos.models import Task
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.web.lifecycle_book import lifecycle_book

pytestmark = pytest.mark.django_db


def _funnel(api: Api) -> dict[str, int]:
    response = api.get("/lifecycle/funnel")
    assert response.status_code == 200
    return {row["key"]: row["customers"] for row in response.json()}


def test_the_funnel_counts_only_a_success_managers_customers(client):
    book = lifecycle_book()
    everyone = _funnel(Api(client, user=book.otto))
    theirs = _funnel(Api(client, user=book.sam))
    assert (everyone["at_risk"], everyone["acquisition"], everyone["churned"]) == (5, 3, 1)
    assert (theirs["at_risk"], theirs["acquisition"], theirs["churned"]) == (2, 1, 0)
    assert list(everyone)[:2] == ["reach", "acquisition"] and list(everyone)[-1] == "unstaged"


def test_flow_and_buckets(client):
    book = lifecycle_book()
    api = Api(client, user=book.otto)
    flow = api.get("/lifecycle/flow", period="month", count=3).json()
    assert flow["steps"][0] == "reach"
    assert len(flow["periods"]) <= 3 and flow["periods"][-1]["counts"]["at_risk"] == 5
    # this month is not over: counted so far
    assert [row["partial"] for row in flow["periods"]] == [False] * (len(flow["periods"]) - 1) + [
        True
    ]
    steps = {row["stage"]: row for row in flow["conversion"]}
    assert steps["acquisition"]["reached"] == 9 and steps["reach"]["conversion"] is None
    assert {row["stage"] for row in flow["durations"]} >= {"at_risk", "churned"}
    buckets = api.get("/lifecycle/buckets", period="month", count=12).json()
    assert len(buckets) == 12 and all(row["dormant"] <= 0 for row in buckets)
    assert sum(row["new"] for row in buckets) == 8  # first orders within the last year
    bad = api.get("/lifecycle/flow", period="decade")
    assert bad.status_code == 422 and "period" in bad.json()["error"]["fields"]


def test_the_at_risk_list_speaks_money_as_text(client):
    book = lifecycle_book()
    rows = Api(client, user=book.sam).get("/lifecycle/at-risk").json()
    assert [row["customer_id"] for row in rows] == [c.pk for c in book.at_risk["sam"]]
    first = rows[0]
    assert isinstance(first["value_at_stake"], str) and first["value_at_stake"].count(".") == 1
    assert first["owner_name"] == "Sam Success" and first["has_open_task"] is False
    assert "their usual gap is 50 days" in first["reason"]
    wider = Api(client, user=book.otto).get("/lifecycle/at-risk", include_churned="true").json()
    assert len(wider) == 6


def test_the_churn_audit_says_why_it_has_no_findings(client):
    book = lifecycle_book()
    audit = Api(client, user=book.sam).get("/lifecycle/churn-audit").json()
    assert (audit["churned"], audit["retained"], audit["findings"]) == (0, 3, [])
    assert "nothing to compare yet" in audit["note"]
    full = Api(client, user=book.otto).get("/lifecycle/churn-audit").json()
    assert full["churned"] == 1 and {f["attribute"] for f in full["findings"]} >= {"category"}


def test_a_customers_lifecycle(client):
    book = lifecycle_book()
    rita = book.at_risk["sam"][0]
    body = Api(client, user=book.sam).get(f"/customers/{rita.pk}/lifecycle").json()
    assert (body["stage"], body["stage_name"], body["rule"]) == (
        "at_risk",
        "At risk",
        "slowing_down",
    )
    # replayed over their history: every move at the moment it happened, recorded at the run
    assert [move["to_stage"] for move in body["history"]][-2:] == ["retention", "at_risk"]
    moves = body["history"]
    assert moves[-1]["cause"] == "recompute" and moves[-1]["superseded_at"] is None
    assert [m["effective_at"] for m in moves] == sorted(m["effective_at"] for m in moves)
    assert moves[-1]["effective_at"] < moves[-1]["recorded_at"]
    assert body["entered_at"] == moves[-1]["effective_at"]
    assert body["superseded"] == []
    assert body["health"]["band"] in ("red", "yellow", "green")
    assert body["health"]["explanation"]
    other = book.at_risk["otto"][0]
    missing = Api(client, user=book.sam).get(f"/customers/{other.pk}/lifecycle")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_an_invalid_definition_is_refused_with_each_path(client):
    api = Api(client, role=Role.ADMIN)
    data = preset_definition("default")
    data["rules"][0]["when"] = {"fact": "orders_cnt", "op": ">=", "value": 1}
    data["stages"][1]["key"] = "Bad Key"
    response = api.post("/lifecycle/definitions", {"definition": data})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "definition.rules[0].when.fact" in fields
    assert any(key.startswith("definition.stages[1]") for key in fields)
    assert LifecycleDefinition.objects.count() == 1


def test_an_admin_stores_and_lists_definitions(client):
    api = Api(client, role=Role.ADMIN)
    created = api.post(
        "/lifecycle/definitions",
        {"definition": preset_definition("journey"), "name": "Journey", "preset": "journey"},
    )
    assert created.status_code == 201
    assert (created.json()["version"], created.json()["is_active"]) == (2, True)
    listed = Api(client, role=Role.ANALYST).get("/lifecycle/definitions").json()
    assert [row["version"] for row in listed] == [2, 1]


def test_a_manager_recomputes(client):
    book = lifecycle_book()
    otto = Api(client, user=book.otto)
    response = otto.post("/lifecycle/recompute", {})
    assert response.status_code == 202
    queued = response.json()
    assert (queued["status"], queued["customers"], queued["as_of"]) == ("queued", 0, None)
    # a retried request gets the same run
    assert otto.post("/lifecycle/recompute", {}).json()["id"] == queued["id"]
    run_execute(RecomputeRun.objects.get(pk=queued["id"]).run_id)  # the worker's part
    body = Api(client, role=Role.ANALYST).get(f"/lifecycle/recompute/{queued['id']}").json()
    assert body["status"] == "done" and body["error"] == ""
    assert body["customers"] == 10 and body["moved"] == 0 and body["counts"]["at_risk"] == 5
    assert otto.get("/lifecycle/recompute/999999").status_code == 404


def test_a_recompute_whose_worker_died_is_answered_failed_and_a_new_one_starts(client):
    book = lifecycle_book()
    otto = Api(client, user=book.otto)
    first = otto.post("/lifecycle/recompute", {}).json()
    silent = timezone.now() - timedelta(minutes=10)  # its worker was killed long ago
    Run.objects.filter(recompute__pk=first["id"]).update(
        status="running", attempts=1, started_at=silent, heartbeat_at=silent
    )
    second = otto.post("/lifecycle/recompute", {})
    assert second.status_code == 202
    assert second.json()["id"] != first["id"] and second.json()["status"] == "queued"
    dead = otto.get(f"/lifecycle/recompute/{first['id']}").json()
    assert (dead["status"], dead["error"]) == (
        "failed",
        "The worker stopped while it ran; run it again.",
    )
    assert dead["finished_at"] is not None


def test_tasks_through_the_api(client):
    book = lifecycle_book()
    sam = Api(client, user=book.sam)
    rita = book.at_risk["sam"][0]
    due = (timezone.localdate() + timedelta(days=1)).isoformat()
    created = sam.post("/tasks", {"title": "Call Rita", "due": due, "customer_id": rita.pk})
    assert created.status_code == 201
    task = created.json()
    assert (task["owner_id"], task["status"], task["priority"]) == (book.sam.pk, "open", "normal")
    refused = sam.post(
        "/tasks", {"title": "Snoop", "due": due, "customer_id": book.at_risk["otto"][0].pk}
    )
    assert refused.status_code == 422 and "customer_id" in refused.json()["error"]["fields"]
    mine = sam.get("/tasks", view="mine").json()
    assert [row["id"] for row in mine["items"]] == [task["id"]] and mine["next_cursor"] is None
    comment = sam.post(f"/tasks/{task['id']}/comments", {"body": "Voicemail"})
    assert comment.status_code == 201
    done = sam.patch(f"/tasks/{task['id']}", {"status": "done"})
    assert done.status_code == 200 and done.json()["completed_at"] is not None
    detail = sam.get(f"/tasks/{task['id']}").json()
    assert detail["status"] == "done" and [c["body"] for c in detail["comments"]] == ["Voicemail"]
    assert sam.get("/tasks", view="mine").json()["items"] == []
    bad = sam.patch(f"/tasks/{task['id']}", {"status": "lost"})
    assert bad.status_code == 422


def test_the_follow_up_is_created_once(client):
    book = lifecycle_book()
    sam = Api(client, user=book.sam)
    rita = book.at_risk["sam"][0]
    first = sam.post(f"/customers/{rita.pk}/follow-up", {})
    again = sam.post(f"/customers/{rita.pk}/follow-up", {})
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["source"] == "at_risk" and first.json()["priority"] == "high"
    assert Task.objects.filter(customer=rita).count() == 1
    rows = sam.get("/lifecycle/at-risk").json()
    assert next(r for r in rows if r["customer_id"] == rita.pk)["has_open_task"] is True
