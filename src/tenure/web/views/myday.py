""" "My day": a success manager's worklist (their customers ranked by value at risk and how soon
they renew, their open tasks), with snooze and done; and the notifications page with the bell's
count. Reads through ``tenure.notifications.selectors``, writes through its services."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from tenure.access import may
from tenure.domain.access import Action
from tenure.domain.worklist import NO_RENEWAL_DAYS, URGENCY_DAYS
from tenure.notifications.selectors import my_day, notification_list
from tenure.notifications.services import (
    notification_mark_read,
    worklist_account_done,
    worklist_account_snooze,
    worklist_done,
    worklist_snooze,
)
from tenure.success.selectors import overdue_onboardings
from tenure.web.forms import SnoozeForm
from tenure.web.views._render import signed_in_user


@login_required
@require_GET
def my_day_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    today = timezone.localdate()
    context = {
        "day": my_day(user=user, today=today),
        "overdue_onboardings": overdue_onboardings(user=user, today=today),
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "next_week": today + timedelta(days=7),
        "may_change": may(user, Action.CHANGE),
        "urgency_days": URGENCY_DAYS,
        "no_renewal_days": NO_RENEWAL_DAYS,
        "section": "my-day",
    }
    return render(request, "web/myday/page.html", context)


@login_required
@require_POST
def my_day_snooze(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Put a customer aside until a date (403 for an analyst, 404 outside one's book)."""
    user = signed_in_user(request)
    form = SnoozeForm(request.POST)
    today = timezone.localdate()
    if not form.is_valid():
        messages.error(request, f"Until: {form.errors['until'][0]}")
        return redirect("web:my-day")
    try:
        snooze = worklist_snooze(
            user=user, customer_id=customer_id, until=form.cleaned_data["until"], today=today
        )
    except ValidationError as error:
        messages.error(request, f"Until: {error.message_dict['until'][0]}")
        return redirect("web:my-day")
    messages.success(
        request, f"{snooze.customer} is set aside until {snooze.until:%b} {snooze.until.day}."
    )
    return redirect("web:my-day")


@login_required
@require_POST
def my_day_done(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = signed_in_user(request)
    done = worklist_done(user=user, customer_id=customer_id, today=timezone.localdate())
    messages.success(request, f"Done with {done.customer} for today.")
    return redirect("web:my-day")


@login_required
@require_POST
def my_day_account_snooze(request: HttpRequest, account_id: int) -> HttpResponse:
    """Put an account aside until a date (403 for an analyst, 404 outside one's book)."""
    user = signed_in_user(request)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Until: {form.errors['until'][0]}")
        return redirect("web:my-day")
    try:
        snooze = worklist_account_snooze(
            user=user,
            account_id=account_id,
            until=form.cleaned_data["until"],
            today=timezone.localdate(),
        )
    except ValidationError as error:
        messages.error(request, f"Until: {error.message_dict['until'][0]}")
        return redirect("web:my-day")
    messages.success(
        request, f"{snooze.account} is set aside until {snooze.until:%b} {snooze.until.day}."
    )
    return redirect("web:my-day")


@login_required
@require_POST
def my_day_account_done(request: HttpRequest, account_id: int) -> HttpResponse:
    user = signed_in_user(request)
    done = worklist_account_done(user=user, account_id=account_id, today=timezone.localdate())
    messages.success(request, f"Done with {done.account} for today.")
    return redirect("web:my-day")


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    unread_only = request.GET.get("show") == "unread"
    context = {
        "notifications": notification_list(user=user, unread_only=unread_only)[:200],
        "unread_only": unread_only,
        "section": "notifications",
    }
    return render(request, "web/myday/notifications.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read (``id``) or all; back where the person came from."""
    user = signed_in_user(request)
    raw = request.POST.get("id", "")
    notification_mark_read(user=user, notification_id=int(raw) if raw.isdigit() else None)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("web:notifications")
