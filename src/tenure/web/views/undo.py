"""Undo: the toast that offers it after an edit, a delete, a bulk change, an interaction logged
from the composer or a stage move by hand, and the button's request (any kind of change set:
``tenure.bulk.undo.changeset_undo`` reverses it as its kind says). The offer of a change made
by a full page (a record's Delete, a move page, the composer without script: they redirect)
waits in the session for the next page (``web/bulk/_toast_slot.html``). After anything but a
cell's edit the answer says ``tenure-list-changed``: the list, the board or the timeline shown
asks for itself again."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenure.access import require
from tenure.bulk.models import ChangeKind, ChangeSet
from tenure.bulk.undo import UndoRefused, changeset_undo
from tenure.customers.models import Account, Customer
from tenure.domain.access import Action
from tenure.web.views._render import signed_in_user
from tenure.web.views.bulk import ACCOUNT_CELLS, CELLS
from tenure.web.views.cells import cells_undone

OFFER = "tenure_undo_offer"
OFFER_SECONDS = 120


def undo_offer_later(request: HttpRequest, change_set: ChangeSet | None, *, on: str) -> None:
    """Show the Undo toast of ``change_set`` on the page ``on`` (where the action's redirect
    leads), if opened within ``OFFER_SECONDS``. Its id and words ride in the session: no other
    page reads or writes anything for it."""
    if change_set is not None:
        request.session[OFFER] = {
            "id": change_set.pk, "label": change_set.label, "on": on, "at": time.time()
        }  # fmt: skip


def undo_offer_pop(request: HttpRequest) -> Offer | None:
    """The change offered on this page, once."""
    found = getattr(request, "session", {}).get(OFFER)
    if not isinstance(found, dict) or found.get("on") != request.path:
        return None
    del request.session[OFFER]
    if time.time() - float(found.get("at", 0)) > OFFER_SECONDS:
        return None
    return Offer(pk=int(found.get("id", 0)), label=str(found.get("label", "")))


@dataclass(frozen=True)
class Offer:
    pk: int
    label: str


@login_required
@require_POST
def undo(request: HttpRequest, change_set_id: int) -> HttpResponse:
    """Undo a change set; the toast says what happened (200 either way: htmx swaps it)."""
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst changes nothing, undo included (403)
    try:
        change_set = changeset_undo(by=user, change_set_id=change_set_id, now=timezone.now())
    except UndoRefused as refused:
        context = {"message": f"Not undone: {refused}", "error": True}
        return render(request, "web/bulk/_toast.html", context)
    cells = []
    if change_set.kind == ChangeKind.EDIT:  # the cell shows its value again, in place
        names = {field: cell for cell, field in CELLS.items()}
        for row in change_set.rows.filter(model="customers.Customer", field__in=names):
            customer = Customer.objects.select_related("owner").filter(pk=row.object_id).first()
            if customer is not None:
                cells.append((customer, names[row.field]))
    account_cells = []
    if change_set.kind == ChangeKind.EDIT:  # the same for the accounts list's cells
        names = {field: cell for cell, field in ACCOUNT_CELLS.items()}
        for row in change_set.rows.filter(model="customers.Account", field__in=names):
            account = Account.objects.select_related("owner").filter(pk=row.object_id).first()
            if account is not None:
                account_cells.append((account, names[row.field]))
    record_cells = cells_undone(change_set) if change_set.kind == ChangeKind.EDIT else []
    response = render(
        request,
        "web/bulk/_undone.html",
        {"message": f"Undone: {change_set.label}.", "cells": cells,
         "account_cells": account_cells, "record_cells": record_cells,
         "today": timezone.localdate()},
    )  # fmt: skip
    if change_set.kind != ChangeKind.EDIT:
        response["HX-Trigger"] = "tenure-list-changed"  # bulk.js refreshes the list's rows
    return response
