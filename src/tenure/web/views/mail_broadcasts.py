"""Broadcast pages: the list with a form to make one (admins and managers), one broadcast with
where its messages ended up and its per-recipient log (a success manager: their book's), and
its actions: schedule or send now, pause, resume, cancel. Reads through
``tenure.mail.selectors``, writes through ``tenure.mail.broadcasts``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenure.access import require_all
from tenure.domain.access import Action
from tenure.domain.errors import Conflict
from tenure.mail import broadcasts, selectors
from tenure.mail.models import BroadcastStatus, MessageKind, MessageStatus, Template
from tenure.segments.selectors import segment_list
from tenure.web.views._render import signed_in_user

SHOWN = 100
FORM_FIELDS = ("name", "segment_id", "template_id", "valid_days", "priority")


def _moment(text: str) -> datetime | None:
    """A ``datetime-local`` field's value, in the server's time zone."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError({"scheduled_at": ["a date and time"]}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def _number(text: str, name: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.lstrip("-").isdigit() and len(text) < 12):
        raise ValidationError({name: ["a whole number"]})
    return int(text)


def _create(request: HttpRequest, user: Any) -> Any:
    fields: dict[str, Any] = {"name": request.POST.get("name", "").strip()}
    for name in ("segment_id", "template_id", "valid_days", "priority"):
        value = _number(request.POST.get(name, ""), name)
        if value is not None:
            fields[name] = value
    at = _moment(request.POST.get("scheduled_at", ""))
    broadcast = broadcasts.broadcast_create(by=user, **fields)
    if at is not None:
        broadcast = broadcasts.broadcast_schedule(
            by=user, broadcast_id=broadcast.pk, at=at, now=timezone.now()
        )
    return broadcast


@login_required
@require_http_methods(["GET", "POST"])
def broadcast_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {"valid_days": 3, "priority": 0}
    if request.method == "POST":
        require_all(user, Action.CHANGE, why=broadcasts.BROADCASTS_WHY)
        fields = {name: request.POST.get(name, "") for name in (*FORM_FIELDS, "scheduled_at")}
        try:
            broadcast = _create(request, user)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, f"Broadcast “{broadcast.name}” saved.")
            return redirect("web:mail-broadcast", broadcast_id=broadcast.pk)
    status = request.GET.get("status", "")
    if status not in BroadcastStatus.values:
        status = ""
    context = {
        "broadcasts": selectors.broadcast_list(user=user, status=status or None)[:SHOWN],
        "status": status,
        "statuses": BroadcastStatus.choices,
        "segments": segment_list(user=user),
        "templates": Template.objects.filter(kind=MessageKind.MARKETING).order_by("name"),
        "fields": fields,
        "errors": errors,
        "section": "mail",
    }
    return render(request, "web/mail/broadcasts.html", context)


@login_required
@require_GET
def broadcast_detail(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    user = signed_in_user(request)
    broadcast = selectors.broadcast_get(user=user, broadcast_id=broadcast_id)
    status = request.GET.get("status", "")
    if status not in MessageStatus.values:
        status = ""
    found = list(
        selectors.broadcast_recipients(user=user, broadcast=broadcast, status=status or None)[
            : SHOWN + 1
        ]
    )
    context = {
        "broadcast": broadcast,
        "counts": selectors.broadcast_counts(broadcast),
        "recipients": found[:SHOWN],
        "more": len(found) > SHOWN,
        "status": status,
        "statuses": MessageStatus.choices,
        "section": "mail",
    }
    return render(request, "web/mail/broadcast.html", context)


def _act(
    request: HttpRequest, broadcast_id: int, action: Callable[..., Any], done: str, **extra: Any
) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=broadcasts.BROADCASTS_WHY)
    selectors.broadcast_get(user=user, broadcast_id=broadcast_id)
    try:
        action(by=user, broadcast_id=broadcast_id, **extra)
    except Conflict as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(" ".join(v) for v in error.message_dict.values()))
    else:
        messages.success(request, done)
    return redirect("web:mail-broadcast", broadcast_id=broadcast_id)


@login_required
@require_POST
def broadcast_schedule(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    try:
        at = _moment(request.POST.get("scheduled_at", ""))
    except ValidationError:
        messages.error(request, "Give a date and time, or send it now.")
        return redirect("web:mail-broadcast", broadcast_id=broadcast_id)
    done = "Scheduled." if at else "Starting: the worker queues its audience within a second."
    return _act(
        request,
        broadcast_id,
        broadcasts.broadcast_schedule,
        done,
        at=at,
        now=timezone.now(),
    )


@login_required
@require_POST
def broadcast_pause(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    done = "Paused: its unsent messages are held."
    return _act(request, broadcast_id, broadcasts.broadcast_pause, done, now=timezone.now())


@login_required
@require_POST
def broadcast_resume(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    done = "Resumed: its held messages go out again."
    return _act(request, broadcast_id, broadcasts.broadcast_resume, done, now=timezone.now())


@login_required
@require_POST
def broadcast_cancel(request: HttpRequest, broadcast_id: int) -> HttpResponse:
    return _act(
        request,
        broadcast_id,
        broadcasts.broadcast_cancel,
        "Cancelled: its unsent messages expired.",
        reason=request.POST.get("reason", "")[:300],
        now=timezone.now(),
    )
