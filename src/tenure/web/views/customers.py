"""The customers list, the customer page, its timeline and the interaction form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tenure.access import may, require
from tenure.customers.filters import HEALTH_BANDS, CustomerFilterSet
from tenure.customers.models import Customer
from tenure.customers.selectors import (
    customer_detail,
    customer_filter_choices,
    customer_key_figures,
    customer_list,
    customer_timeline,
    customers_visible,
)
from tenure.demo.selectors import demo_offer
from tenure.domain.access import Action
from tenure.feedback.selectors import customer_latest_answers
from tenure.insights.selectors import customer_prediction
from tenure.interactions.services import interaction_log
from tenure.lifecycle.services import active_model
from tenure.segments.selectors import segment_list
from tenure.web.forms import InteractionForm
from tenure.web.views._render import recent_history, signed_in_user, wants_fragment
from tenure.web.views.filtering import filtered_page
from tenure.web.views.lifecycle import customer_lifecycle_card
from tenure.web.views.list_views import (
    SAVED_PARAM,
    columns_context,
    default_view_redirect,
    views_context,
)
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
    if not found.page.items and not customers_visible(user=user).exists():
        context["book_empty"] = True  # nothing to filter: offer ways in, not "clear filters"
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


def _customer_page(request: HttpRequest, customer: Customer, form: InteractionForm) -> HttpResponse:
    context: dict[str, Any] = {
        "customer": customer,
        "may_change": may(request.user, Action.CHANGE),
        "may_administer": may(request.user, Action.ADMINISTER),
        "figures": customer_key_figures(customer=customer),
        "answers": customer_latest_answers(customer=customer),
        "timeline": customer_timeline(customer=customer, before=request.GET.get("before")),
        "form": form,
        "history": recent_history(customer),
        "prediction": customer_prediction(user=signed_in_user(request), customer_id=customer.pk),
        "lifecycle": customer_lifecycle_card(user=signed_in_user(request), customer_id=customer.pk),
        "section": "customers",
    }
    return render(request, "web/customers/detail.html", context)


@login_required
@require_GET
def customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _customer_page(request, _customer_or_404(request, customer_id), InteractionForm.blank())


@login_required
@require_GET
@vary_on_headers("HX-Request")
def customer_timeline_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The next page of the timeline: a fragment for htmx's "Show older", else the page."""
    before = request.GET.get("before", "")
    if request.headers.get("HX-Request") != "true":
        url = reverse("web:customer", args=[customer_id])
        return redirect(f"{url}?{request.GET.urlencode()}#timeline" if before else url)
    customer = _customer_or_404(request, customer_id)
    return render(
        request,
        "web/customers/_timeline_entries.html",
        {"customer": customer, "timeline": customer_timeline(customer=customer, before=before)},
    )


@login_required
@require_POST
@vary_on_headers("HX-Request", "HX-Target")
def interaction_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    require(request.user, Action.CHANGE)  # an analyst reads, and is refused here (403)
    customer = _customer_or_404(request, customer_id)
    form = InteractionForm(request.POST)
    logged = False
    if form.is_valid():
        try:
            interaction_log(
                author=signed_in_user(request),
                customer=customer,
                kind=form.cleaned_data["kind"],
                occurred_at=form.cleaned_data["occurred_at"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
            )
            logged = True
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
    fragment = wants_fragment(request, "interaction-form")
    if logged and fragment:
        # A fresh form, and the timeline's first page swapped in beside it (out of band).
        context = {
            "customer": customer,
            "form": InteractionForm.blank(),
            "timeline": customer_timeline(customer=customer),
            "logged": True,
        }
        return render(request, "web/customers/_interaction_logged.html", context)
    if logged:
        messages.success(request, "Interaction logged.")
        return redirect(reverse("web:customer", args=[customer.pk]) + "#timeline")
    if fragment:
        context = {"customer": customer, "form": form}
        return render(request, "web/customers/_interaction_form.html", context)
    return _customer_page(request, customer, form)
