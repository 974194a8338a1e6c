"""The ideas board's pages: the list (filter by status, search by title, sort by how many
customers asked and what they are worth) with a form for a new idea; an idea's page with its
requesters, a form to add a customer's request, the status and the merge; a customer's
request added from their page. Everyone reads; the writes are ``tenure.ideas.services``'
(which check the roles: an analyst changes nothing, a success manager adds ideas and the
requests of their own customers, admins and managers set a status and merge)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenure.access import get_visible_or_404, may, sees_all, visible
from tenure.access.filtering import InvalidFilters
from tenure.customers.models import Contact, Customer
from tenure.domain.access import Action
from tenure.ideas import services
from tenure.ideas.filters import IdeaFilterSet
from tenure.ideas.models import Idea, IdeaRequest, IdeaStatus
from tenure.ideas.selectors import idea_merge_targets, idea_requests, ideas_weighed
from tenure.web.forms import LimitedForm
from tenure.web.views._records import GET_POST, changeable, changer, form_page, form_save, sent
from tenure.web.views._render import signed_in_user

SHOWN = 200


class IdeaForm(LimitedForm):
    title = forms.CharField(max_length=200, strip=True)
    description = forms.CharField(required=False, max_length=5000, widget=forms.Textarea)
    rows = [("title",), ("description",)]


class RequestForm(LimitedForm):
    customer = forms.IntegerField(label="Customer id", min_value=1)
    note = forms.CharField(
        label="What they said", required=False, max_length=2000, widget=forms.Textarea
    )
    rows = [("customer",), ("note",)]


class CustomerRequestForm(LimitedForm):
    idea = forms.TypedChoiceField(label="Idea", coerce=int)
    contact = forms.TypedChoiceField(
        label="Who said it", coerce=int, required=False, empty_value=None
    )
    note = forms.CharField(
        label="What they said", required=False, max_length=2000, widget=forms.Textarea
    )
    rows = [("idea",), ("contact",), ("note",)]

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ideas = Idea.objects.filter(merged_into__isnull=True).exclude(
            status__in=[IdeaStatus.DECLINED]
        ).order_by("title")[:500]  # fmt: skip
        self.fields["idea"].choices = [(i.pk, i.title) for i in ideas]  # type: ignore[attr-defined]
        contacts = (
            Contact.objects.filter(account_id=customer.account_id) if customer.account_id else []
        )
        self.fields["contact"].choices = [("", "—")] + [(c.pk, str(c)) for c in contacts]  # type: ignore[attr-defined]


def _status_changer(user: Any) -> bool:
    return sees_all(user, Action.CHANGE)


@login_required
@require_http_methods(["GET", "POST"])
def ideas(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = IdeaForm(sent(request))
    if request.method == "POST":
        made = form_save(
            form, lambda: services.idea_create(by=changer(request), data=form.cleaned_data,
                                               now=timezone.now())
        )  # fmt: skip
        if made is not None:
            messages.success(request, f"Idea “{made.title}” added.")
            return redirect("web:idea", idea_id=made.pk)
    chosen = IdeaFilterSet.of(user, request.GET)
    errors: dict[str, list[str]] = {}
    try:
        rows = list(chosen.for_page()[:SHOWN])
    except InvalidFilters as refused:
        errors, rows = refused.fields, []
    context = {
        "rows": rows,
        "values": chosen.values(),
        "statuses": IdeaStatus.choices,
        "chosen_statuses": request.GET.getlist("status"),
        "sort": request.GET.get("sort") or IdeaFilterSet.default_sort,
        "errors": errors,
        "form": form,
        "may_add": may(user, Action.CHANGE),
        "own_book": not sees_all(user),
        "section": "ideas",
    }
    status = 422 if errors or (form.is_bound and form.errors) else 200
    return render(request, "web/ideas/list.html", context, status=status)


def _idea_page(request: HttpRequest, idea_id: int, *, request_form: Any = None,
               status: int = 200) -> HttpResponse:  # fmt: skip
    user = signed_in_user(request)
    idea = get_visible_or_404(user, ideas_weighed(user, Idea.objects.all()), pk=idea_id)
    context = {
        "idea": idea,
        "requests": list(idea_requests(user=user, idea=idea)[:SHOWN]),
        "statuses": IdeaStatus.choices,
        "targets": idea_merge_targets(idea=idea) if _status_changer(user) else [],
        "may_add": may(user, Action.CHANGE) and idea.merged_into_id is None,
        "may_steer": _status_changer(user),
        "request_form": request_form or RequestForm(),
        "own_book": not sees_all(user),
        "merged": list(Idea.objects.filter(merged_into=idea).order_by("title")),
        "section": "ideas",
    }
    return render(request, "web/ideas/detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def idea(request: HttpRequest, idea_id: int) -> HttpResponse:
    return _idea_page(request, idea_id)


@login_required
@require_POST
def idea_request_add(request: HttpRequest, idea_id: int) -> HttpResponse:
    user = changer(request)
    found = get_visible_or_404(user, Idea, pk=idea_id)
    form = RequestForm(request.POST)

    def write() -> tuple[IdeaRequest, bool]:
        customer_id = form.cleaned_data["customer"]
        if not visible(user, Customer, Action.CHANGE).filter(pk=customer_id).exists():
            raise ValidationError({"customer": [f"no customer of yours with id {customer_id}"]})
        return services.idea_request_add(
            by=user, idea_id=found.pk, customer_id=customer_id,
            data={"note": form.cleaned_data["note"]}, now=timezone.now(),
        )  # fmt: skip

    done = form_save(form, write)
    if done is None:
        return _idea_page(request, found.pk, request_form=form, status=422)
    messages.success(request, "Request added." if done[1] else "That customer had asked already.")
    return redirect("web:idea", idea_id=found.pk)


@login_required
@GET_POST
def customer_idea_request(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = changer(request)
    customer = changeable(user, Customer.objects.all(), customer_id)
    form = CustomerRequestForm(sent(request), customer=customer)
    page = reverse("web:customer", args=[customer.pk])

    def write() -> tuple[IdeaRequest, bool]:
        data = {"note": form.cleaned_data["note"], "contact_id": form.cleaned_data["contact"]}
        return services.idea_request_add(
            by=user, idea_id=form.cleaned_data["idea"], customer_id=customer.pk, data=data,
            now=timezone.now(),
        )  # fmt: skip

    if request.method == "POST" and form_save(form, write) is not None:
        messages.success(request, "Request recorded on the ideas board.")
        return redirect(page + "#customer-ideas")
    return form_page(
        request, form, title=f"What {customer} asked for", cancel=page, submit="Add request",
        crumbs=[("Customers", reverse("web:customers")), (str(customer), page)],
        section="customers", intro="One request per customer and idea: asking again adds none.",
    )  # fmt: skip


@login_required
@require_POST
def idea_request_remove(request: HttpRequest, request_id: int) -> HttpResponse:
    user = changer(request)
    found = get_visible_or_404(user, visible(user, IdeaRequest, Action.CHANGE), pk=request_id)
    services.idea_request_remove(by=user, request_id=found.pk)
    messages.success(request, "Request removed.")
    return redirect("web:idea", idea_id=found.idea_id)


def _steer(request: HttpRequest, idea_id: int, act: Any, done: str) -> HttpResponse:
    user = changer(request)
    found = get_visible_or_404(user, Idea, pk=idea_id)
    try:
        target = act(user, found)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("web:idea", idea_id=found.pk)
    messages.success(request, done)
    return redirect("web:idea", idea_id=target.pk)


@login_required
@require_POST
def idea_status(request: HttpRequest, idea_id: int) -> HttpResponse:
    status = request.POST.get("status", "")
    return _steer(
        request, idea_id,
        lambda user, idea: services.idea_status_set(by=user, idea_id=idea.pk, status=status,
                                                    now=timezone.now()),
        "Status saved." + (" Those who asked are told by email." if status == "done" else ""),
    )  # fmt: skip


@login_required
@require_POST
def idea_merge(request: HttpRequest, idea_id: int) -> HttpResponse:
    into = request.POST.get("into", "")

    def merge(user: Any, idea: Idea) -> Idea:
        if not into.isdigit() or len(into) > 18:
            raise ValidationError({"into": ["choose the idea to merge into"]})
        return services.idea_merge(by=user, idea_id=idea.pk, into_id=int(into), now=timezone.now())

    return _steer(request, idea_id, merge, "Merged: its requests moved here.")
