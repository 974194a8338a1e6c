"""The success plan's pages: the plan, its goals and milestones, a review; each a form saved
through ``tenure.success.services`` under the account's roles (a success manager their
book's, an analyst reads on the account page and changes nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from tenure.customers.models import Account
from tenure.success import services
from tenure.success.models import Goal, Milestone, SuccessPlan
from tenure.users.models import User
from tenure.web.success_forms import GoalForm, MilestoneForm, PlanForm, ReviewForm
from tenure.web.views._records import GET_POST, changeable, changer, form_page, form_save, sent


def _account_page(account_id: int) -> str:
    return reverse("web:account", args=[account_id]) + "#success-plan"


def _crumbs(account: Account) -> list[tuple[str, str]]:
    return [("Accounts", reverse("web:accounts")), (str(account), _account_page(account.pk))]


def _goal(user: User, goal_id: int) -> tuple[Goal, Account]:
    """The goal of an account the user may change (404 otherwise)."""
    goals: QuerySet[Goal] = Goal.objects.select_related("plan")
    goal = goals.filter(pk=goal_id).first()
    account_id = goal.plan.account_id if goal is not None else 0
    account = changeable(user, Account.objects.all(), account_id)
    assert goal is not None  # an account was found: the goal exists
    return goal, account


@login_required
@GET_POST
def plan_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    user = changer(request)
    account = changeable(user, Account.objects.all(), account_id)
    plan = SuccessPlan.objects.filter(account=account).first()
    initial = (
        {"title": plan.title, "status": plan.status, "next_review": plan.next_review,
         "reminder_days": plan.reminder_days}
        if plan is not None
        else {"title": f"{account.name}: success plan", "reminder_days": 7}
    )  # fmt: skip
    form = PlanForm(sent(request), initial=initial)

    def write() -> SuccessPlan:
        changes = (
            {n: form.cleaned_data[n] for n in form.changed_data} if plan else form.cleaned_data
        )
        return services.plan_save(
            by=user, account_id=account.pk, changes=changes, now=timezone.now()
        )

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Success plan saved.")
        return redirect(_account_page(account.pk))
    return form_page(
        request, form, title=f"Success plan of {account}", crumbs=_crumbs(account),
        cancel=_account_page(account.pk), submit="Save plan", section="accounts",
    )  # fmt: skip


@login_required
@GET_POST
def plan_review(request: HttpRequest, account_id: int) -> HttpResponse:
    user = changer(request)
    account = changeable(user, Account.objects.all(), account_id)
    form = ReviewForm(sent(request))

    def write() -> SuccessPlan:
        return services.plan_reviewed(
            by=user, account_id=account.pk, next_review=form.cleaned_data["next_review"],
            now=timezone.now(),
        )  # fmt: skip

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Review recorded.")
        return redirect(_account_page(account.pk))
    return form_page(
        request, form, title=f"Record a review with {account}", crumbs=_crumbs(account),
        cancel=_account_page(account.pk), submit="Record review", section="accounts",
        intro="The review took place today; set the next one (its reminder task follows).",
    )  # fmt: skip


@login_required
@GET_POST
def goal_new(request: HttpRequest, account_id: int) -> HttpResponse:
    user = changer(request)
    account = changeable(user, Account.objects.all(), account_id)
    form = GoalForm(sent(request), initial={"owner": account.owner_id or user.pk})

    def write() -> Goal:
        return services.goal_create(
            by=user, account_id=account.pk, data=form.values(), now=timezone.now()
        )

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Goal added.")
        return redirect(_account_page(account.pk))
    return form_page(
        request, form, title=f"New goal for {account}", crumbs=_crumbs(account),
        cancel=_account_page(account.pk), submit="Add goal", section="accounts",
    )  # fmt: skip


@login_required
@GET_POST
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = changer(request)
    goal, account = _goal(user, goal_id)
    initial = {"title": goal.title, "target_date": goal.target_date, "owner": goal.owner_id,
               "status": goal.status}  # fmt: skip
    form = GoalForm(sent(request), initial=initial)

    def write() -> Goal:
        changed = {**form.values()}
        changes = {n: v for n, v in changed.items() if n.removesuffix("_id") in form.changed_data}
        return services.goal_update(by=user, goal_id=goal.pk, changes=changes, now=timezone.now())

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Goal saved.")
        return redirect(_account_page(account.pk))
    return form_page(
        request, form, title=f"Edit goal “{goal.title}”", crumbs=_crumbs(account),
        cancel=_account_page(account.pk), submit="Save goal", section="accounts",
    )  # fmt: skip


@login_required
@GET_POST
def milestone_new(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = changer(request)
    goal, account = _goal(user, goal_id)
    form = MilestoneForm(sent(request))

    def write() -> Milestone:
        return services.milestone_create(
            by=user, goal_id=goal.pk, data=form.cleaned_data, now=timezone.now()
        )

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Milestone added.")
        return redirect(_account_page(account.pk))
    return form_page(
        request, form, title=f"New milestone of “{goal.title}”", crumbs=_crumbs(account),
        cancel=_account_page(account.pk), submit="Add milestone", section="accounts",
    )  # fmt: skip


@login_required
@GET_POST
def milestone_edit(request: HttpRequest, milestone_id: int) -> HttpResponse:
    user = changer(request)
    found = Milestone.objects.filter(pk=milestone_id).first()
    _, account = _goal(user, found.goal_id if found is not None else 0)
    assert found is not None
    initial = {"title": found.title, "due": found.due, "done": found.done_at is not None}
    form = MilestoneForm(sent(request), initial=initial)

    def write() -> Milestone:
        changes = {n: form.cleaned_data[n] for n in form.changed_data}
        return services.milestone_update(
            by=user, milestone_id=found.pk, changes=changes, now=timezone.now()
        )

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Milestone saved.")
        return redirect(_account_page(account.pk))
    return form_page(
        request, form, title=f"Edit milestone “{found.title}”", crumbs=_crumbs(account),
        cancel=_account_page(account.pk), submit="Save milestone", section="accounts",
    )  # fmt: skip
