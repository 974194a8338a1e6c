"""The trash: what was deleted in the last 30 days (admins and managers: everything; others:
what they deleted), and Restore, which brings a record back with the same ids."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tenure.access import may, require
from tenure.bulk.selectors import trash_list
from tenure.bulk.services import trash_item_erase, trash_restore
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.history.trash import TRASH_DAYS
from tenure.web.views._render import signed_in_user
from tenure.web.views.pagination import page_number, paginate


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
    if isinstance(record, Customer):
        return redirect("web:customer", customer_id=record.pk)
    return redirect("web:account", account_id=record.pk)


@login_required
@require_POST
def trash_item_erase_page(request: HttpRequest, item_id: int) -> HttpResponse:
    """Delete an item for good now (admins): a deleted person's erasure does not wait."""
    label = trash_item_erase(by=signed_in_user(request), item_id=item_id)
    messages.success(request, f"{label} deleted for good.")
    return redirect("web:trash")
