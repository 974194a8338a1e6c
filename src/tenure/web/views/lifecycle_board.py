"""The board by lifecycle stage: a column per stage, a card per customer; a drag (or the card's
"Move" form, from the keyboard or without script) puts a customer in a stage by hand, with the
reason, through ``lifecycle.services.customer_stage_move`` (by ``bulk.reversible``'s
``stage_move_undoable``, so the move offers Undo: in the toast beside the board, or on the page
the move page leads back to)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from tenure.access import may, require
from tenure.bulk.reversible import stage_move_undoable
from tenure.customers.models import Customer
from tenure.customers.selectors import customer_detail
from tenure.domain.access import Action
from tenure.lifecycle.selectors import BOARD_CARDS, stage_board, stage_board_plan
from tenure.lifecycle.services import MOVE_REASON_MAX, active_model
from tenure.web.views._render import errors_onto_form, signed_in_user, wants_fragment
from tenure.web.views.figures_cache import figures_cached
from tenure.web.views.segment_scope import SegmentRefused, segment_refused, segment_scope
from tenure.web.views.undo import undo_offer_later


class StageMoveForm(forms.Form):
    stage = forms.ChoiceField(label="Move to")
    reason = forms.CharField(
        label="Why", max_length=MOVE_REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _definition, model = active_model()
        self.stages = {stage.key: stage.name for stage in model.stages}
        cast(forms.ChoiceField, self.fields["stage"]).choices = list(self.stages.items())


def _next(request: HttpRequest) -> str | None:
    """Where to go after the move page: a path of this site only."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if target.startswith("/") and allowed else None


def _board_context(request: HttpRequest) -> dict[str, Any]:
    user = signed_in_user(request)
    scope = segment_scope(request, user)
    # Which customers each column shows is kept while the data is unchanged (a move writes
    # events: a new version); the cards themselves are read on every request.
    plan = figures_cached(
        "board", user=user, scope=scope, settings=BOARD_CARDS,
        compute=lambda: stage_board_plan(user=user, within=scope.within),
    )  # fmt: skip
    return {
        "columns": stage_board(user=user, within=scope.within, plan=plan),
        "scope": scope,
        "may_move": may(user, Action.CHANGE),
        "form": StageMoveForm(),
        "tab": "board",
        "section": "lifecycle",
    }


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def lifecycle_board(request: HttpRequest) -> HttpResponse:
    try:
        context = _board_context(request)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    if wants_fragment(request, "board"):
        return render(request, "web/lifecycle/_board.html", context)
    return render(request, "web/lifecycle/board.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
def stage_move(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The move form of one customer (GET), and the move (POST): from the board's dialog
    (htmx: the board again, or the form with its errors) or as a page of its own."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst reads the board and moves no one (403)
    try:
        customer = customer_detail(user=user, customer_id=customer_id)
    except Customer.DoesNotExist as missing:
        raise Http404("No such customer.") from missing
    form = StageMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, change_set = stage_move_undoable(
                by=user, customer_id=customer.pk, stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"], now=timezone.now(),
            )  # fmt: skip
        except ValidationError as refused:
            errors_onto_form(form, refused)
        else:
            label = form.stages[form.cleaned_data["stage"]]
            moved = f"{customer} moved to {label} by hand."
            if request.headers.get("HX-Request") == "true":
                # The board again, and the Undo toast beside it (out of band).
                toast = {"message": moved, "change_set": change_set}
                context = _board_context(request) | toast
                return render(request, "web/lifecycle/_board_moved.html", context)
            messages.success(request, moved)
            target = _next(request) or reverse("web:lifecycle-board")
            undo_offer_later(request, change_set, on=urlsplit(target).path)
            return redirect(target)
    status = 422 if request.method == "POST" else 200
    context = {"customer": customer, "form": form, "section": "lifecycle"}
    if request.headers.get("HX-Request") == "true" and request.method == "POST":
        response = render(request, "web/lifecycle/_stage_move_form.html", context, status=200)
        response["HX-Retarget"] = "#stage-move-form"  # the errors, in the dialog
        response["HX-Reswap"] = "outerHTML"
        return response
    current = getattr(customer, "lifecycle_stage", None)
    if request.method == "GET" and current is not None:
        form.initial["stage"] = current.stage
    return render(request, "web/lifecycle/stage_move.html", context, status=status)
