"""/api/v1/mail: the email ledger (every role, a success manager their book's messages),
templates (everyone reads; admins and managers write, preview on a real customer and send a
test), the suppression list (admins and managers), and broadcasts (everyone reads them and
the recipients of their book; admins and managers make, schedule, pause, resume, cancel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.customers.models import ConsentPurpose
from tenure.mail import broadcasts, selectors, services
from tenure.mail.models import (
    Broadcast,
    BroadcastStatus,
    MessageKind,
    MessageStatus,
    SuppressionReason,
    Template,
)
from tenure.mail.rendering import RenderError

router = Router(tags=["mail"])


class MessageOut(Schema):
    id: int
    key: str
    source: str
    step: str
    occurrence: str
    customer_id: int | None = Field(description="its customer (none: it went to a contact)")
    contact_id: int | None = Field(
        description="a contact of an account who is no customer (the results report)"
    )
    template_id: int | None
    kind: str
    topic: str
    priority: int
    status: str = Field(description=", ".join(MessageStatus.values))
    reason: str = Field(description="why it waits, or why it was not sent")
    due_at: datetime
    next_at: datetime
    valid_until: datetime | None
    claimed_at: datetime | None
    handed_at: datetime | None
    finished_at: datetime | None
    to_address: str
    message_id: str


class MessageDetailOut(MessageOut):
    raw: str = Field(description="the message as it was sent, headers included")


_SLUG = r"^[-a-z0-9_]+$"


class TemplateIn(Input):
    name: str = Field(min_length=1, max_length=120)
    slug: str = Field(
        "",
        max_length=100,
        pattern=r"^[-a-z0-9_]*$",
        description="how playbooks and broadcasts name it; from the name when empty",
    )
    kind: MessageKind = MessageKind.MARKETING
    topic: ConsentPurpose = ConsentPurpose.EMAIL_MARKETING
    subject: str = Field(min_length=1, max_length=300, description="Jinja2, sandboxed")
    text: str = Field(min_length=1, max_length=200_000, description="the plain-text part")
    html: str = Field("", max_length=200_000)


class TemplatePatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    slug: str | None = Field(None, min_length=1, max_length=100, pattern=_SLUG)
    kind: MessageKind | None = None
    topic: ConsentPurpose | None = None
    subject: str | None = Field(None, min_length=1, max_length=300)
    text: str | None = Field(None, min_length=1, max_length=200_000)
    html: str | None = Field(None, max_length=200_000)


class TemplateOut(Schema):
    id: int
    name: str
    slug: str
    builtin: bool
    kind: str
    topic: str
    subject: str
    text: str
    html: str
    updated_at: datetime


class TemplatePreviewIn(Input):
    customer_id: RecordId


class TemplatePreviewOut(Schema):
    subject: str
    text: str
    html: str


class SuppressionIn(Input):
    address: str = Field(min_length=3, max_length=320)
    detail: str = Field("", max_length=500)


class SuppressionOut(Schema):
    id: int
    address: str
    soft_bounces: int
    suppressed_at: datetime | None
    reason: str
    detail: str


@router.get(
    "/mail/messages",
    response={200: Page[MessageOut], **ERROR_RESPONSES},
    summary="The email ledger, newest first (a success manager: their book's)",
)
def message_list(
    request: HttpRequest,
    customer_id: RecordId | None = None,
    status: MessageStatus | None = None,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    messages = selectors.message_list(
        user=caller(request), customer_id=customer_id, status=status.value if status else None
    )
    return paginate(messages.order_by("id"), cursor=cursor, limit=limit)


@router.get(
    "/mail/messages/{message_id}",
    response={200: MessageDetailOut, **ERROR_RESPONSES},
    summary="One message, with what was sent",
)
def message_read(request: HttpRequest, message_id: RecordId) -> Any:
    return selectors.message_get(user=caller(request), message_id=message_id)


@router.get(
    "/mail/templates", response={200: Page[TemplateOut], **ERROR_RESPONSES}, summary="Templates"
)
def template_list(
    request: HttpRequest, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    return paginate(selectors.template_list(user=caller(request)), cursor=cursor, limit=limit)


def _template(template_id: int) -> Template:
    return get_object_or_404(Template, pk=template_id)


@router.get(
    "/mail/templates/{template_id}",
    response={200: TemplateOut, **ERROR_RESPONSES},
    summary="One template",
)
def template_read(request: HttpRequest, template_id: RecordId) -> Any:
    caller(request)
    return _template(template_id)


@router.post(
    "/mail/templates",
    response={201: TemplateOut, **ERROR_RESPONSES},
    summary="Make a template (admins and managers); it must parse",
)
def template_create(request: HttpRequest, payload: TemplateIn) -> Status:
    template = services.template_create(by=caller(request), **payload.model_dump(mode="json"))
    return Status(201, template)


@router.patch(
    "/mail/templates/{template_id}",
    response={200: TemplateOut, **ERROR_RESPONSES},
    summary="Change a template (admins and managers)",
)
def template_update(request: HttpRequest, template_id: RecordId, payload: TemplatePatch) -> Any:
    user = caller(request)
    _template(template_id)
    changes = payload.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    return services.template_update(by=user, template_id=template_id, changes=changes)


@router.delete(
    "/mail/templates/{template_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a template (admins and managers); its messages keep what they were",
)
def template_delete(request: HttpRequest, template_id: RecordId) -> Status:
    user = caller(request)
    _template(template_id)
    services.template_delete(by=user, template_id=template_id)
    return Status(204, None)


@router.post(
    "/mail/templates/{template_id}/preview",
    response={200: TemplatePreviewOut, **ERROR_RESPONSES},
    summary="The template rendered for a real customer (admins and managers)",
)
def template_preview(
    request: HttpRequest, template_id: RecordId, payload: TemplatePreviewIn
) -> Any:
    user = caller(request)
    template = _template(template_id)
    try:
        rendered = selectors.template_preview(
            user=user, template=template, customer_id=payload.customer_id
        )
    except RenderError as error:
        raise ValidationError({error.part: [error.reason]}) from None
    return TemplatePreviewOut(subject=rendered.subject, text=rendered.text, html=rendered.html)


@router.post(
    "/mail/templates/{template_id}/test",
    response={201: MessageOut, **ERROR_RESPONSES},
    summary="Queue the template to a customer now, as a test (admins and managers)",
)
def template_test_send(
    request: HttpRequest, template_id: RecordId, payload: TemplatePreviewIn
) -> Status:
    user = caller(request)
    template = _template(template_id)
    selectors.template_preview(user=user, template=template, customer_id=payload.customer_id)
    message = services.template_test_send(
        by=user, template_id=template.pk, customer_id=payload.customer_id, now=timezone.now()
    )
    return Status(201, message)


@router.get(
    "/mail/suppressions",
    response={200: Page[SuppressionOut], **ERROR_RESPONSES},
    summary="Addresses tenure sends nothing to, and soft bounces counted (admins and managers)",
)
def suppression_list(
    request: HttpRequest, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    return paginate(selectors.suppression_list(user=caller(request)), cursor=cursor, limit=limit)


@router.post(
    "/mail/suppressions",
    response={201: SuppressionOut, **ERROR_RESPONSES},
    summary="Suppress an address by hand (admins and managers)",
)
def suppression_create(request: HttpRequest, payload: SuppressionIn) -> Status:
    row = services.suppression_add(
        by=caller(request),
        address=payload.address,
        reason=SuppressionReason.MANUAL,
        detail=payload.detail,
        now=timezone.now(),
    )
    return Status(201, row)


@router.delete(
    "/mail/suppressions/{address}",
    response={204: None, **ERROR_RESPONSES},
    summary="Send to an address again (admins and managers)",
)
def suppression_delete(request: HttpRequest, address: str) -> Status:
    if not services.suppression_remove(by=caller(request), address=address):
        raise Http404("no such address")
    return Status(204, None)


# -- broadcasts: every role reads them (the recipients of its book); admins and managers write --


class BroadcastIn(Input):
    name: str = Field(min_length=1, max_length=120)
    template_id: RecordId = Field(description="a marketing template")
    segment_id: RecordId | None = Field(None, description="its members when it starts")
    priority: int = Field(0, ge=-1000, le=1000, description="higher goes first under the cap")
    valid_days: int = Field(3, ge=1, le=90, description="days after the scheduled time to send")


class BroadcastPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    template_id: RecordId | None = None
    segment_id: RecordId | None = None
    priority: int | None = Field(None, ge=-1000, le=1000)
    valid_days: int | None = Field(None, ge=1, le=90)


class ScheduleIn(Input):
    scheduled_at: datetime | None = Field(
        None, description="omitted or null: now (the worker starts it within a second)"
    )


class BroadcastCancelIn(Input):
    reason: str = Field("", max_length=300)


class CountsOut(Schema):
    audience: int
    sent: int = Field(description="handed to the server (unknown included)")
    skipped: int = Field(description="suppressed: no consent, unsubscribed, no address, bounced")
    failed: int
    expired: int
    pending: int = Field(description="queued, deferred, sending or held")
    unknown: int
    held: int
    skipped_reasons: dict[str, int]


class BroadcastOut(Schema):
    id: int
    name: str
    segment_id: int | None
    template_id: int
    priority: int
    scheduled_at: datetime | None
    valid_days: int
    status: str = Field(description=", ".join(BroadcastStatus.values))
    reason: str
    audience: int | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime


class BroadcastDetailOut(BroadcastOut):
    counts: CountsOut


def _detail(broadcast: Broadcast) -> BroadcastDetailOut:
    counts = selectors.broadcast_counts(broadcast)
    fields = {name: getattr(broadcast, name) for name in BroadcastOut.model_fields}
    return BroadcastDetailOut(
        **fields, counts=CountsOut(**counts.as_dict(), skipped_reasons=counts.skipped_reasons)
    )


@router.get(
    "/mail/broadcasts",
    response={200: Page[BroadcastOut], **ERROR_RESPONSES},
    summary="Broadcasts (the newsletter), oldest first",
)
def broadcast_list(
    request: HttpRequest,
    status: BroadcastStatus | None = None,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    found = selectors.broadcast_list(user=caller(request), status=status.value if status else None)
    return paginate(found, cursor=cursor, limit=limit)


@router.post(
    "/mail/broadcasts",
    response={201: BroadcastDetailOut, **ERROR_RESPONSES},
    summary="Make a draft broadcast (admins and managers)",
)
def broadcast_create(request: HttpRequest, payload: BroadcastIn) -> Status:
    broadcast = broadcasts.broadcast_create(by=caller(request), **payload.model_dump())
    return Status(201, _detail(broadcast))


@router.get(
    "/mail/broadcasts/{broadcast_id}",
    response={200: BroadcastDetailOut, **ERROR_RESPONSES},
    summary="One broadcast, with where its messages ended up",
)
def broadcast_read(request: HttpRequest, broadcast_id: RecordId) -> Any:
    return _detail(selectors.broadcast_get(user=caller(request), broadcast_id=broadcast_id))


@router.patch(
    "/mail/broadcasts/{broadcast_id}",
    response={200: BroadcastDetailOut, **ERROR_RESPONSES},
    summary="Change a broadcast that has not started (admins and managers)",
)
def broadcast_update(request: HttpRequest, broadcast_id: RecordId, payload: BroadcastPatch) -> Any:
    user = caller(request)
    selectors.broadcast_get(user=user, broadcast_id=broadcast_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    return _detail(broadcasts.broadcast_update(by=user, broadcast_id=broadcast_id, changes=changes))


@router.post(
    "/mail/broadcasts/{broadcast_id}/schedule",
    response={200: BroadcastDetailOut, **ERROR_RESPONSES},
    summary="Schedule it, or without a time for now: the worker starts it (admins, managers)",
)
def broadcast_schedule(request: HttpRequest, broadcast_id: RecordId, payload: ScheduleIn) -> Any:
    user = caller(request)
    selectors.broadcast_get(user=user, broadcast_id=broadcast_id)
    return _detail(
        broadcasts.broadcast_schedule(
            by=user, broadcast_id=broadcast_id, at=payload.scheduled_at, now=timezone.now()
        )
    )


def _action(request: HttpRequest, broadcast_id: int, action: Any, **extra: Any) -> Any:
    user = caller(request)
    selectors.broadcast_get(user=user, broadcast_id=broadcast_id)
    return _detail(action(by=user, broadcast_id=broadcast_id, now=timezone.now(), **extra))


@router.post(
    "/mail/broadcasts/{broadcast_id}/pause",
    response={200: BroadcastDetailOut, **ERROR_RESPONSES},
    summary="Hold its unsent messages (admins and managers); nothing sent is sent again",
)
def broadcast_pause(request: HttpRequest, broadcast_id: RecordId) -> Any:
    return _action(request, broadcast_id, broadcasts.broadcast_pause)


@router.post(
    "/mail/broadcasts/{broadcast_id}/resume",
    response={200: BroadcastDetailOut, **ERROR_RESPONSES},
    summary="Send its held messages again (admins and managers)",
)
def broadcast_resume(request: HttpRequest, broadcast_id: RecordId) -> Any:
    return _action(request, broadcast_id, broadcasts.broadcast_resume)


@router.post(
    "/mail/broadcasts/{broadcast_id}/cancel",
    response={200: BroadcastDetailOut, **ERROR_RESPONSES},
    summary="Stop it for good: its unsent messages expire with the reason (admins, managers)",
)
def broadcast_cancel(
    request: HttpRequest, broadcast_id: RecordId, payload: BroadcastCancelIn
) -> Any:
    return _action(request, broadcast_id, broadcasts.broadcast_cancel, reason=payload.reason)


@router.get(
    "/mail/broadcasts/{broadcast_id}/recipients",
    response={200: Page[MessageOut], **ERROR_RESPONSES},
    summary="Its per-recipient log (a success manager: their book's)",
)
def broadcast_recipients(
    request: HttpRequest,
    broadcast_id: RecordId,
    status: MessageStatus | None = None,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    user = caller(request)
    broadcast = selectors.broadcast_get(user=user, broadcast_id=broadcast_id)
    found = selectors.broadcast_recipients(
        user=user, broadcast=broadcast, status=status.value if status else None
    )
    return paginate(found, cursor=cursor, limit=limit)
