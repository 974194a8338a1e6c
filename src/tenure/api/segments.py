"""/api/v1/segments: saved dynamic filters over customers, as JSON.

A definition is ``{"when": <condition>}`` in the lifecycle rule grammar over the facts
``/segments/facts`` lists; a refused one is 422 with each problem keyed by its path in the
body (``definition.when.all[1].value``). ``/segments/preview`` counts an unsaved definition
over the customers the caller sees; ``/segments/{id}/members`` pages the members the caller
sees, ``/members.csv`` exports them as the customers export does (formulas neutralised).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Router, Schema, Status

from tenure.access import get_visible_or_404
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.exports import CSV_RESPONSE, _attachment
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.domain.facts import KIND_WORDS
from tenure.segments import selectors, services
from tenure.segments.evaluation import segment_facts
from tenure.segments.models import Segment, SegmentKind
from tenure.transfer.services import customers_export_csv

router = Router(tags=["segments"])

DEFINITION_HELP = (
    '{"when": <condition>} in the lifecycle rule grammar over the facts of /segments/facts, '
    'e.g. {"when": {"all": [{"fact": "health_band", "op": "is", "value": "red"}, '
    '{"fact": "predicted_clv_365", "op": ">=", "value": 500}]}}'
)


class SegmentIn(Input):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    kind: SegmentKind = Field(
        SegmentKind.DYNAMIC,
        description="dynamic: who meets the definition; static: members added and removed "
        "by hand, through /members, or by a playbook's steps (no definition)",
    )
    definition: dict[str, Any] | None = Field(None, description=DEFINITION_HELP)
    shared: bool = Field(True, description="the whole team sees it")


class SegmentPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    definition: dict[str, Any] | None = Field(None, description=DEFINITION_HELP)
    shared: bool | None = None


class SegmentOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    kind: str
    definition: dict[str, Any]
    owner_id: int | None
    shared: bool
    members_count: int = Field(description="members at the latest refresh, everyone counted")
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class FactOut(Schema):
    name: str
    kind: str
    kind_words: str
    description: str
    nullable: bool


class SegmentPreviewIn(Input):
    definition: dict[str, Any] = Field(description=DEFINITION_HELP)
    sample: int = Field(10, ge=0, le=100, description="how many members to show")


class MemberOut(Schema):
    id: int
    external_id: str | None
    first_name: str
    last_name: str
    email: str


class SegmentPreviewOut(Schema):
    count: int = Field(description="customers you see who meet the definition now")
    evaluated: int = Field(description="customers you see")
    sample: list[MemberOut]


def _by_path(error: ValidationError) -> ValidationError:
    """``when.fact: unknown fact`` keyed as ``definition.when.fact`` (other fields as they are)."""
    fields: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        for message in messages:
            path, sep, rest = message.partition(": ")
            if name == "definition" and sep and path and " " not in path:
                fields.setdefault(f"definition.{path}", []).append(rest)
            else:
                fields.setdefault(name, []).append(message)
    return ValidationError(fields)


@router.get(
    "/segments",
    response={200: Page[SegmentOut], **ERROR_RESPONSES},
    summary="The segments you see (yours and the shared ones)",
)
def segment_list(
    request: HttpRequest, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    return paginate(selectors.segment_list(user=caller(request)), cursor=cursor, limit=limit)


@router.get(
    "/segments/facts",
    response={200: list[FactOut], **ERROR_RESPONSES},
    summary='The facts a definition may read (and "attribute.<name>" for imported attributes)',
)
def segment_fact_list(request: HttpRequest) -> list[dict[str, Any]]:
    caller(request)
    return [
        {"name": f.name, "kind": f.kind, "kind_words": KIND_WORDS[f.kind],
         "description": f.description, "nullable": f.nullable}
        for f in segment_facts().values()
    ]  # fmt: skip


@router.post(
    "/segments/preview",
    response={200: SegmentPreviewOut, **ERROR_RESPONSES},
    summary="How many customers an unsaved definition holds now, and a sample; nothing stored",
)
def segment_preview(request: HttpRequest, payload: SegmentPreviewIn) -> Any:
    try:
        return selectors.segment_preview(
            user=caller(request), definition=payload.definition, sample=payload.sample
        )
    except ValidationError as error:
        raise _by_path(error) from error


@router.post(
    "/segments",
    response={201: SegmentOut, **ERROR_RESPONSES},
    summary="Save a segment and fill it; 422 names each problem of the definition by its path",
)
def segment_create(request: HttpRequest, payload: SegmentIn) -> Status:
    try:
        segment = services.segment_create(by=caller(request), **payload.model_dump())
    except ValidationError as error:
        raise _by_path(error) from error
    return Status(201, segment)


@router.get(
    "/segments/{segment_id}",
    response={200: SegmentOut, **ERROR_RESPONSES},
    summary="One segment",
)
def segment_get(request: HttpRequest, segment_id: RecordId) -> Segment:
    return get_visible_or_404(caller(request), Segment, pk=segment_id)


@router.patch(
    "/segments/{segment_id}",
    response={200: SegmentOut, **ERROR_RESPONSES},
    summary="Change a segment (its owner, or a role over all); a new definition refills it",
)
def segment_update(request: HttpRequest, segment_id: RecordId, payload: SegmentPatch) -> Segment:
    changes = payload.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        nulls = [name for name, value in changes.items() if value is None]
        raise ValidationError({name: ["may not be null"] for name in nulls})
    try:
        return services.segment_update(by=caller(request), segment_id=segment_id, changes=changes)
    except ValidationError as error:
        raise _by_path(error) from error


@router.delete(
    "/segments/{segment_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a segment; its members leave it (segment.left) first",
)
def segment_delete(request: HttpRequest, segment_id: RecordId) -> Status:
    services.segment_delete(by=caller(request), segment_id=segment_id)
    return Status(204, None)


@router.post(
    "/segments/{segment_id}/refresh",
    response={200: SegmentOut, **ERROR_RESPONSES},
    summary="Evaluate the segment for everyone now (its owner, or a role over all)",
)
def segment_refresh(request: HttpRequest, segment_id: RecordId) -> Segment:
    by = caller(request)
    services.segment_refresh(by=by, segment_id=segment_id)
    return get_visible_or_404(by, Segment, pk=segment_id)


@router.get(
    "/segments/{segment_id}/members",
    response={200: Page[MemberOut], **ERROR_RESPONSES},
    summary="The segment's members now, among the customers you see",
)
def segment_members(
    request: HttpRequest,
    segment_id: RecordId,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    by = caller(request)
    segment = get_visible_or_404(by, Segment, pk=segment_id)
    return paginate(selectors.segment_members(user=by, segment=segment), cursor=cursor, limit=limit)


class MembersIn(Input):
    customer_ids: list[RecordId] = Field(min_length=1, max_length=10_000)


class MembersChangedOut(Schema):
    entered: int
    left: int
    members: int | None


@router.post(
    "/segments/{segment_id}/members",
    response={200: MembersChangedOut, **ERROR_RESPONSES},
    summary="Put customers in a static segment (those in it already stay as they are)",
)
def segment_members_add(request: HttpRequest, segment_id: RecordId, payload: MembersIn) -> Any:
    return services.segment_members_add(
        by=caller(request), segment_id=segment_id, customer_ids=payload.customer_ids
    )


@router.post(
    "/segments/{segment_id}/members/remove",
    response={200: MembersChangedOut, **ERROR_RESPONSES},
    summary="Take customers out of a static segment",
)
def segment_members_remove(request: HttpRequest, segment_id: RecordId, payload: MembersIn) -> Any:
    return services.segment_members_remove(
        by=caller(request), segment_id=segment_id, customer_ids=payload.customer_ids
    )


@router.get(
    "/segments/{segment_id}/members.csv",
    response={**ERROR_RESPONSES},
    summary="The segment's members you see as the customers export's CSV",
    openapi_extra=CSV_RESPONSE,
)
def segment_members_csv(request: HttpRequest, segment_id: RecordId) -> StreamingHttpResponse:
    by = caller(request)
    segment = get_visible_or_404(by, Segment, pk=segment_id)
    members = selectors.segment_members(user=by, segment=segment).order_by("pk")
    export = customers_export_csv(by=by, customers=members, insights=False)
    return _attachment(export, f"segment-{segment.slug}")
