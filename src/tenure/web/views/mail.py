"""Email pages: the outbox and every message (a success manager: their book's), one message
as it was sent, headers included; templates with a preview on a real customer and a test send
(admins and managers). Reads through ``tenure.mail.selectors``, writes through its services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenure.access import require_all
from tenure.domain.access import Action
from tenure.mail import selectors, services
from tenure.mail.models import TOPICS as MAIL_TOPICS
from tenure.mail.models import MessageKind, MessageStatus, Template
from tenure.mail.rendering import RenderError
from tenure.web.views._render import signed_in_user

SHOWN = 100


@login_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status", MessageStatus.SENT)
    if status and status not in MessageStatus.values:
        status = MessageStatus.SENT
    found = list(selectors.message_list(user=user, status=status or None)[: SHOWN + 1])
    context = {
        "messages_shown": found[:SHOWN],
        "more": len(found) > SHOWN,
        "status": status,
        "statuses": MessageStatus.choices,
        "section": "mail",
    }
    return render(request, "web/mail/outbox.html", context)


@login_required
@require_GET
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_get(user=signed_in_user(request), message_id=message_id)
    head, _, body = message.raw.replace("\r\n", "\n").partition("\n\n")
    return render(
        request,
        "web/mail/message.html",
        {"message": message, "head": head, "body": body, "section": "mail"},
    )


def _template_fields(request: HttpRequest) -> dict[str, Any]:
    return {
        name: request.POST.get(name, "")
        for name in ("name", "slug", "kind", "topic", "subject", "text", "html")
    }


@login_required
@require_http_methods(["GET", "POST"])
def templates(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=services.TEMPLATES_WHY)
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {"kind": MessageKind.MARKETING, "topic": "email_marketing"}
    if request.method == "POST":
        fields = _template_fields(request)
        try:
            template = services.template_create(by=user, **fields)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, f"Template “{template.name}” saved.")
            return redirect("web:mail-template", template_id=template.pk)
    context = {
        "templates": selectors.template_list(user=user),
        "fields": fields,
        "errors": errors,
        "kinds": MessageKind.choices,
        "topics": MAIL_TOPICS,
        "section": "mail",
    }
    return render(request, "web/mail/templates.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=services.TEMPLATES_WHY)
    template = get_object_or_404(Template, pk=template_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            template = services.template_update(
                by=user, template_id=template.pk, changes=_template_fields(request)
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, "Template saved.")
            return redirect("web:mail-template", template_id=template.pk)
    preview = None
    preview_error = ""
    customer_id = request.GET.get("customer", "")
    if customer_id.isdigit() and len(customer_id) < 12:
        try:
            preview = selectors.template_preview(
                user=user, template=template, customer_id=int(customer_id)
            )
        except RenderError as error:
            preview_error = str(error)
        except Http404:
            preview_error = f"no customer with id {customer_id}"
    context = {
        "template": template,
        "fields": {name: getattr(template, name) for name in services.TEMPLATE_FIELDS},
        "errors": errors,
        "kinds": MessageKind.choices,
        "topics": MAIL_TOPICS,
        "preview": preview,
        "preview_error": preview_error,
        "customer_id": customer_id,
        "section": "mail",
    }
    return render(request, "web/mail/template.html", context)


@login_required
@require_POST
def template_test(request: HttpRequest, template_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require_all(user, Action.CHANGE, why=services.TEMPLATES_WHY)
    template = get_object_or_404(Template, pk=template_id)
    customer_id = request.POST.get("customer", "")
    if not (customer_id.isdigit() and len(customer_id) < 12):
        messages.error(request, "Give the id of a customer to send the test to.")
        return redirect("web:mail-template", template_id=template.pk)
    selectors.template_preview(user=user, template=template, customer_id=int(customer_id))
    message = services.template_test_send(
        by=user, template_id=template.pk, customer_id=int(customer_id), now=timezone.now()
    )
    messages.success(request, "Test queued: it goes out with the next send.")
    return redirect("web:mail-message", message_id=message.pk)
