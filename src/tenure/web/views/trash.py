"""The trash: what was deleted in the last 30 days (admins and managers: everything; others:
what they deleted), and Restore, which brings a record back with the same ids and opens the
page where it shows (``_SHOWN``: its own, or the page of the record it belongs to)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tenure.access import may, require
from tenure.bulk.selectors import trash_list
from tenure.bulk.undo import trash_item_erase, trash_restore
from tenure.customers.models import Account, Contact, Customer, Subscription
from tenure.domain.access import Action
from tenure.history.trash import TRASH_DAYS
from tenure.interactions.models import Interaction
from tenure.orders.models import Order
from tenure.web.views._render import signed_in_user
from tenure.web.views.pagination import page_number, paginate

_SHOWN: dict[type[Model], Callable[[Any], str]] = {
    Customer: lambda customer: reverse("web:customer", args=[customer.pk]),
    Account: lambda account: reverse("web:account", args=[account.pk]),
    Contact: lambda contact: reverse("web:account", args=[contact.account_id]) + "#contacts",
    Subscription: lambda subscription: reverse("web:customer", args=[subscription.customer_id]),
    Order: lambda order: reverse("web:order", args=[order.pk]),
    Interaction: lambda entry: (
        (
            reverse("web:customer", args=[entry.customer_id])
            if entry.customer_id
            else reverse("web:account", args=[entry.account_id])
        )
        + "#timeline"
    ),
}


@login_required
@require_GET
def trash(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = paginate(trash_list(by=user), number=page_number(request.GET.get("page")))
    context = {
        "page": page,
        "days": TRASH_DAYS,
        "may_restore": may(user, Action.CHANGE),
        "may_erase": may(user, Action.ADMINISTER),
        "section": "trash",
    }
    return render(request, "web/trash/list.html", context)


@login_required
@require_POST
def trash_item_restore(request: HttpRequest, item_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.CHANGE)  # an analyst restores nothing (403)
    try:
        record = trash_restore(by=user, item_id=item_id, now=timezone.now())
    except ValidationError as refused:
        words = "; ".join(f"{k}: {' '.join(v)}" for k, v in refused.message_dict.items())
        messages.error(request, f"Not restored: {words}")
        return redirect("web:trash")
    messages.success(request, f"{record} restored.")
    return redirect(_SHOWN[type(record)](record))


@login_required
@require_POST
def trash_item_erase_page(request: HttpRequest, item_id: int) -> HttpResponse:
    """Delete an item for good now (admins): a deleted person's erasure does not wait."""
    label = trash_item_erase(by=signed_in_user(request), item_id=item_id)
    messages.success(request, f"{label} deleted for good.")
    return redirect("web:trash")
