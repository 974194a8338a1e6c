"""The customers list, the customer page, its timeline and the interaction form."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tenure.access import may, require
from tenure.bulk.models import ChangeSet
from tenure.bulk.reversible import interaction_compose_undoable
from tenure.customers.filters import HEALTH_BANDS, CustomerFilterSet
from tenure.customers.models import Account, Customer
from tenure.customers.selectors import (
    customer_detail,
    customer_filter_choices,
    customer_key_figures,
    customer_list,
    customer_timeline,
    timeline_kinds_parse,
)
from tenure.customers.timeline import TIMELINE_KINDS
from tenure.demo.selectors import demo_offer
from tenure.domain.access import Action
from tenure.feedback.selectors import customer_latest_answers
from tenure.insights.selectors import customer_prediction
from tenure.lifecycle.services import active_model
from tenure.notifications.cockpit import customer_cockpit, stage_names
from tenure.notifications.selectors import (
    customer_open_tasks,
    open_complaints,
    team_member_label,
    team_members,
)
from tenure.notifications.services import Composed, FollowUp
from tenure.segments.selectors import segment_list
from tenure.web.forms import InteractionForm
from tenure.web.views._render import recent_history, signed_in_user, wants_fragment
from tenure.web.views.empty_state import empty_state
from tenure.web.views.filtering import filtered_page
from tenure.web.views.lifecycle import customer_lifecycle_card
from tenure.web.views.list_views import (
    SAVED_PARAM,
    columns_context,
    default_view_redirect,
    views_context,
)
from tenure.web.views.undo import undo_offer_later
from tenure.workspace.columns import COLUMNS_PARAM


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def customers(request: HttpRequest) -> HttpResponse:
    if (default := default_view_redirect(request, "customers")) is not None:
        return default
    user = signed_in_user(request)
    found = filtered_page(request, CustomerFilterSet.of(user, request.GET), customer_list)
    export_query = request.GET.copy()
    for key in ("page", COLUMNS_PARAM, SAVED_PARAM):  # an export is every row, all its columns
        export_query.pop(key, None)
    _definition, stages = active_model()
    names = {stage.key: stage.name for stage in stages.stages}
    for row in found.page.items:  # a stage of an older definition shows its key
        stage = getattr(row, "lifecycle_stage", None)
        row.stage_name = names.get(stage.stage, stage.stage) if stage is not None else ""
    columns = columns_context(request, "customers")
    context = {
        "filters": found.values,
        "filter_errors": {**found.errors, **columns["columns_error"]},
        "page": found.page,
        "export_query": export_query.urlencode(),
        "section": "customers",
        **columns,
        **views_context(request, "customers"),
    }
    if not found.page.items:  # nothing at all yet: ways in, not "clear the filters"
        context["empty_state"] = empty_state(user=user, list_name="customers")
        if context["empty_state"] is not None:
            context["demo"] = demo_offer(user=user)
    status = 200 if wants_fragment(request, "results") else found.status  # htmx swaps 2xx only
    if wants_fragment(request, "results"):
        context["fragment"] = True
        return render(request, "web/customers/_results.html", context, status=status)
    context["choices"] = customer_filter_choices(user=user)
    context["segments"] = list(segment_list(user=user).values_list("pk", "name"))
    context["stage_choices"] = [
        (stage.key, stage.name, stage.key in request.GET.getlist("stage"))
        for stage in stages.stages
    ]
    context["health_bands"] = HEALTH_BANDS
    context["stages_chosen"] = sum(chosen for _key, _name, chosen in context["stage_choices"])
    return render(request, "web/customers/list.html", context, status=status)


def _customer_or_404(request: HttpRequest, customer_id: int) -> Customer:
    try:
        return customer_detail(user=signed_in_user(request), customer_id=customer_id)
    except Customer.DoesNotExist as missing:
        raise Http404("No such customer.") from missing


def timeline_context(kinds: frozenset[str], page: str, fragment: str) -> dict[str, Any]:
    """The timeline's type filters (which are on, and the query that keeps them on the next
    page's link) and its URLs: the page's, and the entries' for htmx."""
    every = kinds == frozenset(TIMELINE_KINDS)
    return {
        "timeline_page": page,
        "timeline_fragment": fragment,
        "timeline_kinds": [(key, label, key in kinds) for key, label in TIMELINE_KINDS.items()],
        "kind_query": "" if every else urlencode([("kind", k) for k in sorted(kinds)]),
        "stage_names": stage_names(),
    }


def _customer_timeline_urls(customer: Customer, kinds: frozenset[str]) -> dict[str, Any]:
    return timeline_context(
        kinds,
        reverse("web:customer", args=[customer.pk]),
        reverse("web:customer-timeline", args=[customer.pk]),
    )


def _customer_page(request: HttpRequest, customer: Customer, form: InteractionForm) -> HttpResponse:
    kinds = timeline_kinds_parse(request.GET.getlist("kind"))
    context: dict[str, Any] = {
        "customer": customer,
        "may_change": may(request.user, Action.CHANGE),
        "may_administer": may(request.user, Action.ADMINISTER),
        "figures": customer_key_figures(customer=customer),
        "answers": customer_latest_answers(customer=customer),
        "timeline": customer_timeline(
            customer=customer, before=request.GET.get("before"), kinds=kinds
        ),
        **_customer_timeline_urls(customer, kinds),
        "cockpit": customer_cockpit(customer=customer),
        "open_tasks": customer_open_tasks(user=signed_in_user(request), customer=customer),
        "today": timezone.localdate(),
        "form": form,
        "team": team_choices(),
        "composer_url": reverse("web:interaction-create", args=[customer.pk]),
        "history": recent_history(customer),
        "prediction": customer_prediction(user=signed_in_user(request), customer_id=customer.pk),
        "lifecycle": customer_lifecycle_card(user=signed_in_user(request), customer_id=customer.pk),
        "section": "customers",
    }
    return render(request, "web/customers/detail.html", context)


@login_required
@require_GET
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    found = _customer_or_404(request, customer_id)
    return _customer_page(
        request, found, InteractionForm.blank(complaints=open_complaints(customer=found))
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def customer_timeline_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The timeline's entries for htmx (the type filters, "Show older"), else the page."""
    if request.headers.get("HX-Request") != "true":
        url = reverse("web:customer", args=[customer_id])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}#timeline" if query else url)
    customer = _customer_or_404(request, customer_id)
    kinds = timeline_kinds_parse(request.GET.getlist("kind"))
    timeline = customer_timeline(customer=customer, before=request.GET.get("before"), kinds=kinds)
    context = {
        "customer": customer,
        "timeline": timeline,
        **_customer_timeline_urls(customer, kinds),
    }
    return render(request, "web/customers/_timeline_entries.html", context)


@login_required
@require_POST
@vary_on_headers("HX-Request", "HX-Target")
def interaction_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The composer's post: the interaction, its @mentions and its follow-up task, one service
    call (``interaction_compose``) in one transaction."""
    require(request.user, Action.CHANGE)  # an analyst reads, and is refused here (403)
    customer = _customer_or_404(request, customer_id)
    form = InteractionForm(request.POST, complaints=open_complaints(customer=customer))
    composed = compose(request, form, customer=customer)
    fragment = wants_fragment(request, "interaction-form")
    if composed is not None and fragment:
        # A fresh form, the timeline's first page swapped in beside it and the Undo toast
        # (both out of band).
        context = {
            "customer": customer,
            "form": InteractionForm.blank(complaints=open_complaints(customer=customer)),
            "team": team_choices(),
            "composer_url": reverse("web:interaction-create", args=[customer.pk]),
            "timeline": customer_timeline(customer=customer),
            **_customer_timeline_urls(customer, frozenset(TIMELINE_KINDS)),
            **logged_context(composed),
        }
        return render(request, "web/customers/_interaction_logged.html", context)
    if composed is not None:
        page = reverse("web:customer", args=[customer.pk])
        messages.success(request, logged_words(composed[0]))
        undo_offer_later(request, composed[1], on=page)
        return redirect(page + "#timeline")
    if fragment:
        context = {
            "customer": customer,
            "form": form,
            "team": team_choices(),
            "composer_url": reverse("web:interaction-create", args=[customer.pk]),
        }
        return render(request, "web/customers/_interaction_form.html", context)
    return _customer_page(request, customer, form)


def compose(
    request: HttpRequest,
    form: InteractionForm,
    *,
    customer: Customer | None = None,
    account: Account | None = None,
) -> tuple[Composed, ChangeSet | None] | None:
    """The composer's one service call (with the change set its Undo reverses), its refusals
    put on the form's fields."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    owner = data.get("follow_up_user")
    try:
        return interaction_compose_undoable(
            author=signed_in_user(request),
            now=timezone.now(),
            customer=customer,
            account=account,
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            subject=data["subject"],
            body=data["body"],
            status=data["status"],
            complaint_id=data["complaint"],
            follow_up=FollowUp(owner, data["follow_up_due"], data["follow_up_title"])
            if owner
            else None,
        )
    except ValidationError as error:
        for field, field_errors in error.message_dict.items():
            field = {"owner": "follow_up_owner", "due": "follow_up_due"}.get(field, field)
            form.add_error(field if field in form.fields else None, field_errors)
        return None


def team_choices() -> list[tuple[str, str]]:
    """(label, username) of everyone one may mention or give a follow-up to."""
    return [(team_member_label(user), user.username) for user in team_members()]


def logged_context(composed: tuple[Composed, ChangeSet | None]) -> dict[str, Any]:
    """The composer's answer after a log: its words, and the toast offering Undo."""
    done, change_set = composed
    toast = f"{change_set.label}." if change_set is not None else logged_words(done)
    return {"logged": True, "composed": done, "change_set": change_set, "message": toast}


def logged_words(composed: Composed) -> str:
    words = ["Interaction logged."]
    if composed.mentioned:
        words.append(f"Notified {', '.join(str(u) for u in composed.mentioned)}.")
    if composed.task is not None:
        due = composed.task.due
        words.append(f"Follow-up task for {composed.task.owner}, due {due:%b} {due.day}.")
    return " ".join(words)
