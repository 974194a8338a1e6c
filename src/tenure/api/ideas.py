"""/api/v1/ideas: the ideas board. Everyone reads it; a success manager creates ideas, edits
their own and records requests for their book's customers; admins and managers set a status,
merge and delete (``tenure.ideas.services``). Each idea carries what it weighs over the
caller's customers (``customers``, ``revenue``, ``clv``); the list pages in id order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tenure.access import get_visible_or_404
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput, filter_values
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import Money, RecordId
from tenure.ideas import services
from tenure.ideas.filters import IdeaFilterSet
from tenure.ideas.models import Idea, IdeaRequest, IdeaStatus, RequestSource
from tenure.ideas.selectors import idea_requests, ideas_weighed

router = Router(tags=["ideas"])


class IdeaIn(Input):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)


class IdeaPatch(Input):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)


class IdeaOut(Schema):
    id: int
    title: str
    description: str
    status: str
    created_by_id: int | None
    created_at: datetime
    merged_into_id: int | None
    shipped_at: datetime | None
    customers: int = Field(description="customers who asked (of those the caller sees)")
    revenue: Money = Field(description="their revenue (the customers' cached figure)")
    clv: Money = Field(description="their predicted CLV over 365 days, where predicted")


class IdeaFilters(QueryInput):
    status: list[IdeaStatus] | None = None
    q: str | None = Field(None, max_length=200, description="words of the title")
    merged: bool | None = Field(None, description="true: only merged ideas; false: only open")


class StatusIn(Input):
    status: IdeaStatus


class IdeaMergeIn(Input):
    into_id: RecordId = Field(description="the idea that takes over the requests")


class RequestIn(Input):
    customer_id: RecordId
    contact_id: RecordId | None = None
    note: str = Field("", max_length=2000, description="what they said")
    source: RequestSource | None = Field(
        None, description="default: from the link given, else manual"
    )
    interaction_id: RecordId | None = None
    survey_response_id: RecordId | None = None


class RequestOut(Schema):
    id: int
    idea_id: int
    customer_id: int
    contact_id: int | None
    note: str
    source: str
    interaction_id: int | None
    survey_response_id: int | None
    created_at: datetime


def _weighed(request: HttpRequest, idea_id: int) -> Idea:
    return get_visible_or_404(
        request.user, ideas_weighed(request.user, Idea.objects.all()), pk=idea_id
    )


@router.get(
    "/ideas",
    response={200: Page[IdeaOut], **ERROR_RESPONSES},
    summary="List ideas",
    operation_id="list_ideas",
)
def list_ideas(
    request: HttpRequest,
    filters: Query[IdeaFilters],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    chosen = IdeaFilterSet.of(request.user, filter_values(filters))
    return paginate(chosen.filtered(), cursor=cursor, limit=limit)


@router.post(
    "/ideas",
    response={201: IdeaOut, **ERROR_RESPONSES},
    summary="Create an idea",
    operation_id="create_idea",
)
def create_idea(request: HttpRequest, payload: IdeaIn) -> Status:
    idea = services.idea_create(by=caller(request), data=payload.model_dump(), now=timezone.now())
    return Status(201, _weighed(request, idea.pk))


@router.get(
    "/ideas/{record_id}",
    response={200: IdeaOut, **ERROR_RESPONSES},
    summary="One idea",
    operation_id="get_idea",
)
def get_idea(request: HttpRequest, record_id: RecordId) -> Idea:
    return _weighed(request, record_id)


@router.patch(
    "/ideas/{record_id}",
    response={200: IdeaOut, **ERROR_RESPONSES},
    summary="Change an idea's title or description",
    operation_id="update_idea",
)
def update_idea(request: HttpRequest, record_id: RecordId, payload: IdeaPatch) -> Idea:
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    services.idea_update(by=caller(request), idea_id=record_id, changes=changes)
    return _weighed(request, record_id)


@router.delete(
    "/ideas/{record_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete an idea (admins and managers)",
    operation_id="delete_idea",
)
def delete_idea(request: HttpRequest, record_id: RecordId) -> Status:
    services.idea_delete(by=caller(request), idea_id=record_id)
    return Status(204, None)


@router.post(
    "/ideas/{record_id}/status",
    response={200: IdeaOut, **ERROR_RESPONSES},
    summary="Set an idea's status (done: its requesters are told, once each)",
    operation_id="set_idea_status",
)
def set_idea_status(request: HttpRequest, record_id: RecordId, payload: StatusIn) -> Idea:
    services.idea_status_set(
        by=caller(request), idea_id=record_id, status=payload.status, now=timezone.now()
    )
    return _weighed(request, record_id)


@router.post(
    "/ideas/{record_id}/merge",
    response={200: IdeaOut, **ERROR_RESPONSES},
    summary="Merge an idea into another (its requests move there, one per customer)",
    operation_id="merge_idea",
)
def merge_idea(request: HttpRequest, record_id: RecordId, payload: IdeaMergeIn) -> Idea:
    target = services.idea_merge(
        by=caller(request), idea_id=record_id, into_id=payload.into_id, now=timezone.now()
    )
    return _weighed(request, target.pk)


@router.get(
    "/ideas/{record_id}/requests",
    response={200: Page[RequestOut], **ERROR_RESPONSES},
    summary="The customers who asked for an idea (of those the caller sees)",
    operation_id="list_idea_requests",
)
def list_idea_requests(
    request: HttpRequest, record_id: RecordId, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    idea = get_visible_or_404(request.user, Idea, pk=record_id)
    return paginate(idea_requests(user=caller(request), idea=idea), cursor=cursor, limit=limit)


@router.post(
    "/ideas/{record_id}/requests",
    response={200: RequestOut, 201: RequestOut, **ERROR_RESPONSES},
    summary="Record that a customer asked for an idea (once per customer: 200 if asked before)",
    operation_id="create_idea_request",
)
def create_idea_request(request: HttpRequest, record_id: RecordId, payload: RequestIn) -> Status:
    get_visible_or_404(request.user, Idea, pk=record_id)
    data = payload.model_dump(exclude={"customer_id"}, exclude_none=True)
    found, new = services.idea_request_add(
        by=caller(request), idea_id=record_id, customer_id=payload.customer_id, data=data,
        now=timezone.now(),
    )  # fmt: skip
    return Status(201 if new else 200, found)


@router.delete(
    "/ideas/{record_id}/requests/{request_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Remove a customer's request",
    operation_id="delete_idea_request",
)
def delete_idea_request(request: HttpRequest, record_id: RecordId, request_id: RecordId) -> Status:
    idea = get_visible_or_404(request.user, Idea, pk=record_id)
    found = get_visible_or_404(request.user, IdeaRequest.objects.filter(idea=idea), pk=request_id)
    services.idea_request_remove(by=caller(request), request_id=found.pk)
    return Status(204, None)
