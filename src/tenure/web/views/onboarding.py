"""The onboarding pages: ``/onboarding/`` (the onboardings in progress, narrowed by
``OnboardingFilterSet`` as the API's list), the checklists (``/onboarding/templates/``: every
role reads them, admins and managers change them and their steps through
``tenure.success.checklists``), and starting a checklist by hand from an account's page
(``onboarding_start``: once per account and checklist, under the account's roles)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenure.access import require_all, sees_all
from tenure.customers.models import Account
from tenure.customers.selectors import owner_choices
from tenure.domain.access import Action
from tenure.success import checklists, selectors
from tenure.success.filters import STATUSES, OnboardingFilterSet
from tenure.success.models import AppliesTo, ChecklistStep, ChecklistTemplate, Onboarding
from tenure.success.onboarding import onboarding_start
from tenure.users.models import User
from tenure.web.onboarding_forms import (
    ChecklistStepForm,
    ChecklistTemplateForm,
    OnboardingStartForm,
)
from tenure.web.views._records import GET_POST, changeable, changer, form_page, form_save, sent
from tenure.web.views._render import signed_in_user
from tenure.web.views.filtering import filtered_page

KEEP_RUNNING = (
    "Changes to the steps apply to onboardings started from now on: a running onboarding keeps "
    "the tasks it was given when it started (their titles, owners and due dates)."
)


def _oldest_first(*, filters: OnboardingFilterSet) -> QuerySet[Onboarding]:
    """The list's rows for ``filtered_page``: the oldest start first."""
    return filters.filtered().order_by("started_at", "pk")


@login_required
@require_GET
def onboardings(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    query = request.GET.copy()
    query.setdefault("status", "in_progress")
    found = filtered_page(request, OnboardingFilterSet.of(user, query), _oldest_first)
    context = {
        "views": selectors.onboarding_views(found.page.items, timezone.localdate()),
        "page": found.page,
        "filters": found.values,
        "filter_errors": found.errors,
        "statuses": STATUSES,
        "owners": owner_choices(user=user),
        "templates": selectors.checklist_templates(),
        "section": "onboarding",
    }
    return render(request, "web/onboarding/list.html", context, status=found.status)


def _templates_page(
    request: HttpRequest, user: User, form: ChecklistTemplateForm, status: int = 200
) -> HttpResponse:
    found = selectors.checklist_templates()
    counts = selectors.onboarding_counts(t.pk for t in found)
    context = {
        "rows": [(template, counts.get(template.pk, 0)) for template in found],
        "form": form,
        "may_change": sees_all(user, Action.CHANGE),
        "section": "onboarding",
    }
    return render(request, "web/onboarding/templates.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def templates(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ChecklistTemplateForm(sent(request))
    if request.method == "POST":
        require_all(user, Action.CHANGE, why=checklists.TEMPLATES_WHY)

        def write() -> ChecklistTemplate:
            return checklists.checklist_template_create(by=user, data=form.cleaned_data)

        made = form_save(form, write)
        if made is not None:
            messages.success(request, f"Checklist “{made.name}” made: now add its steps.")
            return redirect("web:onboarding-template", template_id=made.pk)
        return _templates_page(request, user, form, status=422)
    return _templates_page(request, user, form)


@login_required
@require_http_methods(["GET", "POST"])
def template(request: HttpRequest, template_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = selectors.checklist_template_get(template_id)
    initial = {"name": found.name, "applies_to": found.applies_to, "active": found.active}
    form = ChecklistTemplateForm(sent(request), initial=initial)
    if request.method == "POST":
        require_all(user, Action.CHANGE, why=checklists.TEMPLATES_WHY)

        def write() -> ChecklistTemplate:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            return checklists.checklist_template_update(
                by=user, template_id=found.pk, changes=changes
            )

        if form_save(form, write) is not None:
            messages.success(request, "Checklist saved.")
            return redirect("web:onboarding-template", template_id=found.pk)
    steps = sorted(found.steps.all(), key=lambda s: (s.position, s.pk))
    context = {
        "template": found,
        "steps": list(enumerate(steps, start=1)),
        "used": selectors.onboarding_counts([found.pk]).get(found.pk, 0),
        "form": form,
        "may_change": sees_all(user, Action.CHANGE),
        "keep_running": KEEP_RUNNING,
        "section": "onboarding",
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "web/onboarding/template.html", context, status=status)


def _template_page(template_id: int) -> str:
    return reverse("web:onboarding-template", args=[template_id]) + "#steps"


def _crumbs(found: ChecklistTemplate) -> list[tuple[str, str]]:
    return [
        ("Checklists", reverse("web:onboarding-templates")),
        (found.name, reverse("web:onboarding-template", args=[found.pk])),
    ]


def _template_changer(request: HttpRequest) -> User:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=checklists.TEMPLATES_WHY)
    return user


@login_required
@GET_POST
def step_new(request: HttpRequest, template_id: int) -> HttpResponse:
    user = _template_changer(request)
    found = selectors.checklist_template_get(template_id)
    form = ChecklistStepForm(sent(request))

    def write() -> ChecklistStep:
        return checklists.checklist_step_add(by=user, template_id=found.pk, data=form.values())

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Step added.")
        return redirect(_template_page(found.pk))
    return form_page(
        request, form, title=f"New step of “{found.name}”", crumbs=_crumbs(found),
        cancel=_template_page(found.pk), submit="Add step", section="onboarding",
        intro=KEEP_RUNNING,
    )  # fmt: skip


def _step(step_id: int) -> tuple[ChecklistStep, int]:
    """The step and its place (1 = first); 404 when there is none."""
    step = ChecklistStep.objects.select_related("template").filter(pk=step_id).first()
    if step is None:
        raise Http404("no such step")
    order = list(step.template.steps.order_by("position", "pk").values_list("pk", flat=True))
    return step, order.index(step.pk) + 1


@login_required
@GET_POST
def step_edit(request: HttpRequest, step_id: int) -> HttpResponse:
    user = _template_changer(request)
    step, place = _step(step_id)
    initial = {
        "title": step.title, "days_after_start": step.days_after_start,
        "owner_kind": step.owner_kind, "member": step.member_id, "role": step.role,
        "first_value": step.first_value, "position": place,
    }  # fmt: skip
    form = ChecklistStepForm(sent(request), initial=initial)

    def write() -> ChecklistStep:
        changes = form.values(changed_only=True)
        return checklists.checklist_step_update(by=user, step_id=step.pk, changes=changes)

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Step saved.")
        return redirect(_template_page(step.template_id))
    return form_page(
        request, form, title=f"Edit step “{step.title}”", crumbs=_crumbs(step.template),
        cancel=_template_page(step.template_id), submit="Save step", section="onboarding",
        intro=KEEP_RUNNING,
    )  # fmt: skip


@login_required
@require_POST
def step_move(request: HttpRequest, step_id: int) -> HttpResponse:
    user = _template_changer(request)
    step, place = _step(step_id)
    to = place - 1 if request.POST.get("direction") == "up" else place + 1
    try:
        checklists.checklist_step_update(by=user, step_id=step.pk, changes={"position": to})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_template_page(step.template_id))


@login_required
@require_POST
def step_remove(request: HttpRequest, step_id: int) -> HttpResponse:
    user = _template_changer(request)
    step, _ = _step(step_id)
    checklists.checklist_step_remove(by=user, step_id=step.pk)
    messages.success(request, f"Step “{step.title}” removed: running onboardings keep its task.")
    return redirect(_template_page(step.template_id))


@login_required
@require_POST
def start(request: HttpRequest, account_id: int) -> HttpResponse:
    """Start a checklist for the account by hand (once: a second start says it had)."""
    user = changer(request)
    account = changeable(user, Account.objects.all(), account_id)
    choices = [
        (t.pk, t.name)
        for t in selectors.checklist_templates(applies_to=AppliesTo.ACCOUNT, active=True)
    ]
    form = OnboardingStartForm(request.POST, choices=choices)
    back = reverse("web:account", args=[account.pk])
    if not form.is_valid():
        messages.error(request, "Choose one of the active checklists for accounts.")
        return redirect(back)
    try:
        started, new = onboarding_start(
            by=user, template_id=form.cleaned_data["template"], account_id=account.pk,
            now=timezone.now(),
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, "Not started: " + " ".join(error.messages))
        return redirect(back)
    name = started.template.name
    if new:
        messages.success(request, f"“{name}” started: its steps are tasks now.")
    else:
        messages.info(request, f"“{name}” had started on {started.started_at:%Y-%m-%d}.")
    return redirect(f"{back}#onboarding-{started.pk}")
