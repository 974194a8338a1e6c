"""The Lifecycle pages (funnel and flow, one stage, at risk, churn audit, stage editing), the
Tasks pages and the customer page's Lifecycle card, for each role."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from tenure.domain.lifecycle import preset_definition
from tenure.jobs.runner import run_execute
from tenure.lifecycle.models import HealthScore, LifecycleDefinition, RecomputeRun
from tenure.lifecycle.services import lifecycle_recompute
from tenure.todos.models import Task, TaskComment, TaskSource, TaskStatus
from tenure.todos.services import task_create
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.web.conftest import htmx
from tests.web.lifecycle_book import _bought, lifecycle_book

pytestmark = pytest.mark.django_db


def _charts(response) -> dict:
    page = response.content.decode()
    block = page.split('<script id="lifecycle-data" type="application/json">')[1]
    return json.loads(block.split("</script>")[0])


def _stage_counts(response) -> dict[str, int]:
    return {row["key"]: row["customers"] for row in response.context["stages"]}


# --- the Lifecycle page ---------------------------------------------------------------------


def test_the_funnel_counts_the_whole_base_for_a_manager(client):
    book = lifecycle_book()
    client.force_login(book.otto)
    response = client.get(reverse("web:lifecycle"))
    assert response.status_code == 200
    counts = _stage_counts(response)
    assert (counts["reach"], counts["acquisition"], counts["at_risk"], counts["churned"]) == (
        1,
        3,
        5,
        1,
    )
    charts = _charts(response)
    assert charts["funnel"]["keys"][:3] == ["reach", "acquisition", "development"]
    assert charts["funnel"]["counts"][charts["funnel"]["keys"].index("at_risk")] == 5
    assert charts["buckets"]["labels"] and charts["flow"]["series"]
    page = response.content.decode()
    assert "Recompute now" in page
    assert reverse("web:lifecycle-stage", args=["at_risk"]) in page
    assert 'src="/static/web/lifecycle.js"' in page


def test_a_success_managers_funnel_counts_only_their_customers(client):
    book = lifecycle_book()
    client.force_login(book.sam)
    response = client.get(reverse("web:lifecycle"))
    counts = _stage_counts(response)
    # 5 at risk and 3 new buyers in the base: 2 and 1 are Sam's.
    assert (counts["reach"], counts["acquisition"], counts["at_risk"], counts["churned"]) == (
        0,
        1,
        2,
        0,
    )
    assert response.context["total"] == 3
    charts = _charts(response)
    assert sum(charts["funnel"]["counts"]) == 3
    assert sum(charts["buckets"]["new"]) <= 3
    assert "Recompute now" not in response.content.decode()


def test_conversion_and_time_in_stage_come_from_the_flow(client):
    book = lifecycle_book()
    client.force_login(book.otto)
    steps = {row["key"]: row for row in client.get(reverse("web:lifecycle")).context["steps"]}
    # Everyone who bought passed acquisition; the lead only reached "reach".
    assert steps["reach"]["reached"] == 10  # every customer starts somewhere on the path
    assert steps["acquisition"]["reached"] == 9  # the lead has not bought
    assert steps["acquisition"]["conversion"] == pytest.approx(90.0)
    assert steps["at_risk"]["side"] is True


def test_an_analyst_reads_the_page_and_may_not_recompute(client):
    lifecycle_book()
    client.force_login(make_user(role=Role.ANALYST))
    assert "Recompute now" not in client.get(reverse("web:lifecycle")).content.decode()
    assert client.post(reverse("web:lifecycle-recompute")).status_code == 403
    assert client.post(reverse("web:lifecycle-recompute")).status_code == 403
    assert RecomputeRun.objects.count() == 1  # the book's own


def test_a_manager_queues_a_recompute_for_the_worker(client, django_capture_on_commit_callbacks):
    book = lifecycle_book()
    client.force_login(book.otto)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web:lifecycle-recompute"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:lifecycle")
    page = response.content.decode()
    assert "Recompute queued" in page and "is queued" in page
    run = RecomputeRun.objects.get(status="queued")
    queued = [(q.task["func"], q.task["args"]) for q in OrmQ.objects.all()]
    assert queued == [("tenure.jobs.tasks.run", (run.run_id,))]
    # a second click while it waits queues nothing more
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("web:lifecycle-recompute"), follow=True)
    assert "A recompute is queued already" in again.content.decode()
    assert OrmQ.objects.count() == 1 and RecomputeRun.objects.count() == 2
    # the worker's job (run here; tests/jobs runs it through a real worker)
    assert run_execute(run.run_id)["status"] == "done"
    assert run_execute(run.run_id) == {"run": run.run_id, "claimed": False}
    run.refresh_from_db()
    assert (run.customers, run.status, run.as_of is not None) == (10, "done", True)
    page = client.get(reverse("web:lifecycle")).content.decode()
    assert "is queued" not in page and "Stages recomputed" in page


def test_a_success_manager_may_not_recompute_the_whole_base(client):
    book = lifecycle_book()
    client.force_login(book.sam)
    assert client.post(reverse("web:lifecycle-recompute")).status_code == 403


# --- one stage -----------------------------------------------------------------------------


def test_a_stage_lists_its_customers_within_the_users_book(client):
    book = lifecycle_book()
    client.force_login(book.sam)
    response = client.get(reverse("web:lifecycle-stage", args=["at_risk"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rita Risk" in page and "Rob Risk" in page
    assert book.at_risk["otto"][0].external_id not in page
    assert "their usual gap is 50 days" in page
    assert response.context["page"].total == 2


def test_an_unknown_stage_is_not_found(client):
    book = lifecycle_book()
    client.force_login(book.otto)
    assert client.get(reverse("web:lifecycle-stage", args=["nowhere"])).status_code == 404
    unstaged = client.get(reverse("web:lifecycle-stage", args=["unstaged"]))
    assert unstaged.status_code == 200 and unstaged.context["page"].total == 0


# --- at risk --------------------------------------------------------------------------------


def test_the_at_risk_list_ranks_by_value_at_stake(client):
    book = lifecycle_book()
    client.force_login(book.otto)
    response = client.get(reverse("web:lifecycle-at-risk"))
    rows = [item["row"] for item in response.context["rows"]]
    assert len(rows) == 5
    assert rows[0].customer_id == book.at_risk["sam"][0].pk  # $400 orders: the most at stake
    stakes = [row.value_at_stake for row in rows]
    assert stakes == sorted(stakes, reverse=True)
    page = response.content.decode()
    assert page.count("Create follow-up task") == 5
    assert "Sam Success" in page  # the owner
    wider = client.get(reverse("web:lifecycle-at-risk"), {"include": "churned"})
    assert len(wider.context["rows"]) == 6


def test_one_click_creates_one_follow_up_and_the_row_says_task_open(client):
    book = lifecycle_book()
    rita = book.at_risk["sam"][0]
    client.force_login(book.sam)
    url = reverse("web:lifecycle-follow-up", args=[rita.pk])
    response = client.post(url, **htmx(f"follow-up-{rita.pk}"))
    assert response.status_code == 200
    task = Task.objects.get(customer=rita)
    assert f'id="follow-up-{rita.pk}"' in response.content.decode()
    assert reverse("web:task", args=[task.pk]) in response.content.decode()
    assert "Task open" in response.content.decode()
    # a double click, or the plain form without JavaScript: still one task
    again = client.post(url)
    assert again.status_code == 302
    assert Task.objects.filter(customer=rita).count() == 1
    assert (task.owner, task.source, task.status) == (book.sam, TaskSource.AT_RISK, "open")
    page = client.get(reverse("web:lifecycle-at-risk")).content.decode()
    assert page.count("Task open") == 1 and page.count("Create follow-up task") == 1


def test_follow_ups_respect_the_roles(client):
    book = lifecycle_book()
    theirs = book.at_risk["otto"][0]
    client.force_login(book.sam)
    assert client.post(reverse("web:lifecycle-follow-up", args=[theirs.pk])).status_code == 404
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(reverse("web:lifecycle-at-risk")).content.decode()
    assert "Create follow-up task" not in page
    assert client.post(reverse("web:lifecycle-follow-up", args=[theirs.pk])).status_code == 403
    assert not Task.objects.exists()


# --- churn audit ----------------------------------------------------------------------------


def _audit_base():
    owner = make_user(role=Role.MANAGER)
    for _ in range(12):
        _bought(owner, [420, 380], "30.00", category="=HYPERLINK(1)")  # all churned
        _bought(owner, [30, 10], "30.00", category="plain")  # buying: retained
    lifecycle_recompute()
    return owner


def test_the_churn_audit_ranks_the_planted_effect_first(client):
    owner = _audit_base()
    client.force_login(owner)
    response = client.get(reverse("web:lifecycle-churn-audit"))
    assert response.status_code == 200
    assert (response.context["churned"], response.context["retained"]) == (12, 12)
    rows = response.context["rows"]
    assert rows[0]["attribute"] == "category" and rows[0]["significant"] is True
    # What defines churn is not tested: churned customers are the ones who stopped ordering.
    assert not {"orders_count", "revenue"} & {row["attribute"] for row in rows}
    assert rows[0]["effect_low"] > 0  # the interval of a clear effect stays clear of 0
    page = response.content.decode()
    assert "1 of the " in page and "attributes tested differ" in page
    assert "Left out because they define churn" in page
    charts = _charts(response)
    assert "Category" in charts["audit"]["labels"]


def test_the_churn_audit_csv_is_formula_safe(client):
    owner = _audit_base()
    client.force_login(owner)
    response = client.get(reverse("web:lifecycle-churn-audit-csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="churn-audit-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    category = next(row for row in rows if row["attribute"] == "category")
    assert category["category"] == "'=HYPERLINK(1)"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())


def test_a_success_managers_audit_counts_only_their_customers(client):
    _audit_base()
    book = lifecycle_book()
    client.force_login(book.sam)
    response = client.get(reverse("web:lifecycle-churn-audit"))
    assert (response.context["churned"], response.context["retained"]) == (0, 3)


# --- stage editing --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER])
def test_stage_editing_is_for_admins_only(client, role):
    client.force_login(make_user(role=role))
    assert client.get(reverse("web:lifecycle-definition")).status_code == 403
    body = {"definition": json.dumps(preset_definition("journey"))}
    assert client.post(reverse("web:lifecycle-definition"), body).status_code == 403
    assert "Stages &amp; rules" not in client.get(reverse("web:lifecycle")).content.decode()


def test_an_admin_sees_the_stages_and_rules_readably(client):
    client.force_login(make_user(role=Role.ADMIN))
    response = client.get(reverse("web:lifecycle-definition"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Development &amp; nurture" in page
    assert "days since last order ≥ 2 \u00d7 typical gap days" in page
    assert "Version 1" in page and "Active" in page
    journey = client.get(reverse("web:lifecycle-definition"), {"preset": "journey"})
    assert '"attraction"' in journey.context["form"].initial["definition"]


def test_an_invalid_definition_is_refused_with_its_path(client):
    client.force_login(make_user(role=Role.ADMIN))
    data = preset_definition("default")
    data["rules"][0]["when"] = {"fact": "orders_cnt", "op": ">=", "value": 1}
    response = client.post(reverse("web:lifecycle-definition"), {"definition": json.dumps(data)})
    assert response.status_code == 422
    paths = dict(response.context["problems"])
    assert "rules[0].when.fact" in paths
    assert "orders_count" in paths["rules[0].when.fact"]  # did you mean
    assert "<code>rules[0].when.fact</code>" in response.content.decode()
    assert LifecycleDefinition.objects.count() == 1
    broken = client.post(reverse("web:lifecycle-definition"), {"definition": "{not json"})
    assert broken.status_code == 200
    assert "Not valid JSON" in broken.content.decode()


def test_an_admin_saves_a_version_and_activates_an_older_one(client):
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    body = {
        "definition": json.dumps(preset_definition("journey")),
        "name": "Journey",
        "preset": "journey",
    }
    response = client.post(reverse("web:lifecycle-definition"), body)
    assert response.status_code == 302
    active = LifecycleDefinition.objects.get(is_active=True)
    assert (active.version, active.name, active.preset, active.created_by) == (
        2,
        "Journey",
        "journey",
        admin,
    )
    first = LifecycleDefinition.objects.get(version=1)
    url = reverse("web:lifecycle-definition-activate", args=[first.pk])
    assert client.post(url).status_code == 302
    assert LifecycleDefinition.objects.get(is_active=True).version == 1


# --- tasks ----------------------------------------------------------------------------------


def _tasks_of(book):
    due = timezone.localdate()
    mine = task_create(by=None, title="Call Rita", owner=book.sam, due=due + timedelta(days=3),
                       customer_id=book.at_risk["sam"][0].pk)  # fmt: skip
    late = task_create(by=None, title="Send Nina the guide", owner=book.sam,
                       due=due - timedelta(days=2))  # fmt: skip
    about_mine = task_create(by=None, title="Check Rob's invoice", owner=book.otto, due=due,
                             customer_id=book.at_risk["sam"][1].pk)  # fmt: skip
    theirs = task_create(by=None, title="Otto's own call", owner=book.otto,
                         due=due - timedelta(days=1),
                         customer_id=book.at_risk["otto"][0].pk)  # fmt: skip
    return mine, late, about_mine, theirs


def _titles(response) -> list[str]:
    return [task.title for task in response.context["tasks"]]


def test_my_overdue_and_all_tasks_of_a_success_manager(client):
    book = lifecycle_book()
    _tasks_of(book)
    client.force_login(book.sam)
    url = reverse("web:tasks")
    assert _titles(client.get(url)) == ["Send Nina the guide", "Call Rita"]
    assert _titles(client.get(url, {"view": "overdue"})) == ["Send Nina the guide"]
    everything = _titles(client.get(url, {"view": "all"}))
    assert sorted(everything) == ["Call Rita", "Check Rob's invoice", "Send Nina the guide"]
    client.force_login(book.otto)
    assert "Otto's own call" in _titles(client.get(url, {"view": "overdue"}))


def test_a_task_is_created_from_the_form(client):
    book = lifecycle_book()
    client.force_login(book.sam)
    rita = book.at_risk["sam"][0]
    form = client.get(reverse("web:tasks"), {"customer": rita.pk})
    assert form.context["form"].initial["customer"] == rita.pk
    due = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = {"title": "Ring Rita", "due": due, "priority": "high", "customer": rita.pk}
    response = client.post(reverse("web:tasks"), body)
    task = Task.objects.get(title="Ring Rita")
    assert response["Location"] == reverse("web:task", args=[task.pk])
    assert (task.owner, task.customer, task.priority, task.created_by) == (
        book.sam,
        rita,
        "high",
        book.sam,
    )


def test_a_task_about_someone_elses_customer_is_refused_on_the_field(client):
    book = lifecycle_book()
    client.force_login(book.sam)
    due = timezone.localdate().isoformat()
    body = {"title": "Snoop", "due": due, "priority": "normal",
            "customer": book.at_risk["otto"][0].pk}  # fmt: skip
    response = client.post(reverse("web:tasks"), body)
    assert response.status_code == 422
    assert response.context["form"].errors["customer"]
    assert not Task.objects.filter(title="Snoop").exists()


def test_an_analyst_sees_tasks_but_may_not_create_or_change_them(client):
    book = lifecycle_book()
    mine, *_ = _tasks_of(book)
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get(reverse("web:tasks"), {"view": "all"})
    assert "Call Rita" in page.content.decode() and "Create task" not in page.content.decode()
    body = {"title": "x", "due": timezone.localdate().isoformat(), "priority": "normal"}
    assert client.post(reverse("web:tasks"), body).status_code == 403
    assert client.get(reverse("web:task", args=[mine.pk])).status_code == 200
    status_url = reverse("web:task-status", args=[mine.pk])
    assert client.post(status_url, {"status": "done"}).status_code == 403
    comment_url = reverse("web:task-comment", args=[mine.pk])
    assert client.post(comment_url, {"body": "hi"}).status_code == 403


def test_a_task_page_completes_reopens_and_takes_comments(client):
    book = lifecycle_book()
    mine, _late, _about, theirs = _tasks_of(book)
    client.force_login(book.sam)
    assert client.get(reverse("web:task", args=[theirs.pk])).status_code == 404
    page = client.get(reverse("web:task", args=[mine.pk]))
    assert page.status_code == 200 and "Mark done" in page.content.decode()
    client.post(reverse("web:task-status", args=[mine.pk]), {"status": "done"})
    mine.refresh_from_db()
    assert mine.status == TaskStatus.DONE and mine.completed_at is not None
    client.post(reverse("web:task-status", args=[mine.pk]), {"status": "open"})
    mine.refresh_from_db()
    assert mine.status == TaskStatus.OPEN and mine.completed_at is None
    response = client.post(
        reverse("web:task-comment", args=[mine.pk]),
        {"body": "Left a <voicemail>"},
        **htmx("comments"),
    )
    assert response.status_code == 200
    assert "Left a &lt;voicemail&gt;" in response.content.decode()
    assert "Comment added." in response.content.decode()
    assert TaskComment.objects.get(task=mine).author == book.sam
    empty = client.post(reverse("web:task-comment", args=[mine.pk]), {"body": ""})
    assert empty.status_code == 422
    assert (
        client.post(reverse("web:task-status", args=[theirs.pk]), {"status": "done"}).status_code
        == 404
    )


# --- the customer page's card ---------------------------------------------------------------


def test_the_customer_page_shows_stage_health_and_history(client):
    book = lifecycle_book()
    rita = book.at_risk["sam"][0]
    client.force_login(book.sam)
    response = client.get(reverse("web:customer", args=[rita.pk]))
    card = response.content.decode().split('id="customer-lifecycle"')[1].split("</section>")[0]
    assert "At risk" in card
    assert "their usual gap is 50 days" in card
    assert "<code>" in card and "Recompute (nightly or on demand)" in card
    assert "Retention" in card and "Bought again: 2 orders" in card  # the earlier move
    assert "<code>slowing_down</code>" in card
    assert 'id="health-score"' in card and "Health" in card
    health = HealthScore.objects.get(customer=rita)
    assert health.explanation and health.explanation[:30] in card
    assert "New task about them" in card


def test_a_customer_never_placed_says_so(client):
    customer = make_customer(owner=make_user())
    client.force_login(make_user(role=Role.ADMIN))
    page = client.get(reverse("web:customer", args=[customer.pk])).content.decode()
    assert "Not placed in a stage yet" in page


def test_customers_per_stage_span_the_history_and_the_current_period_is_partial(client):
    book = lifecycle_book()
    client.force_login(book.otto)
    response = client.get(reverse("web:lifecycle"), {"period": "month"})
    flow = _charts(response)["flow"]
    # the book's oldest history (a customer who joined 421 days ago) starts the chart
    first_move = timezone.localtime(book.now - timedelta(days=421))
    assert flow["labels"][0] == f"{first_move:%b %Y}"
    # this month is not over: marked in the chart and in its table
    assert flow["partial"] is True
    assert flow["labels"][-1] == f"{timezone.localdate():%b %Y} (so far)"
    assert all("(so far)" not in label for label in flow["labels"][:-1])
    rows = response.context["flow_rows"]  # newest first
    assert len(rows) == len(flow["labels"]) >= 14
    assert rows[0]["partial"] and not any(row["partial"] for row in rows[1:])
    page = response.content.decode()
    assert 'id="flow-table"' in page and 'class="row-partial"' in page
    buckets = _charts(response)["buckets"]
    assert buckets["partial"][-1] is True and not any(buckets["partial"][:-1])
    assert buckets["labels"][-1].endswith("(so far)")
