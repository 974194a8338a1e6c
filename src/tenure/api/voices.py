"""/api/v1/voices (comments, reviews, feedback-form entries, with their source),
/api/v1/voices/batch (up to 100 at once, upserted on source name and external id) and
/api/v1/feedback/search (free text over survey comments and voices)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import WrapValidator

from tenure.api.auth import caller
from tenure.api.crud import Resource, add_crud
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, InvalidItem, QueryInput, item_or_its_errors
from tenure.api.types import RecordId
from tenure.voices import services
from tenure.voices.filters import VoiceFilterSet
from tenure.voices.importing import voices_ingest
from tenure.voices.models import SourceKind, Voice
from tenure.voices.search import KINDS, PAGE_MAX, QUERY_MAX, free_text_search

router = Router(tags=["voices"])
BATCH_MAX = 100  # one savepoint per entry: a batch answers within seconds; files go by the CLI


class VoiceIn(Input):
    source_kind: SourceKind
    source_name: str = Field(min_length=1, max_length=100, description="e.g. Trustpilot")
    external_id: str = Field(
        "", max_length=200, description="the source's id: sent again, the voice is updated"
    )
    url: str = Field("", max_length=500, description="http:// or https:// only")
    author: str = Field("", max_length=200, description="a name or a handle")
    author_email: str = Field(
        "", max_length=254, description="matched to a customer with this email, if any"
    )
    customer_id: RecordId | None = None
    account_id: RecordId | None = Field(None, description="default: the customer's account")
    rating: int | None = Field(None, ge=0, le=100, description="with rating_scale: 4 of 5")
    rating_scale: int | None = Field(None, ge=1, le=100, description="the highest rating")
    text: str = Field(min_length=1)
    language: str = Field("", max_length=10)
    published_at: datetime


class VoicePatch(Input):
    customer_id: RecordId | None = Field(
        None, description="match to this customer (null: unmatched; admins and managers)"
    )
    account_id: RecordId | None = None
    language: str | None = Field(None, max_length=10)


class VoiceOut(Schema):
    id: int
    source_kind: str
    source_name: str
    external_id: str
    url: str
    author: str
    customer_id: int | None
    account_id: int | None
    form_id: int | None
    rating: int | None
    rating_scale: int | None
    text: str
    language: str
    published_at: datetime
    created_at: datetime


class VoiceFilters(QueryInput):
    source_kind: SourceKind | None = None
    source_name: str | None = Field(None, max_length=100)
    customer_id: RecordId | None = None
    account_id: RecordId | None = None
    rating_min: int | None = Field(None, ge=0, le=100)
    rating_max: int | None = Field(None, ge=0, le=100)
    rated: bool | None = Field(None, description="with a rating (true) or without (false)")
    matched: bool | None = Field(None, description="matched to a customer, or not")
    published_after: datetime | None = Field(None, description="published at or after")
    published_before: datetime | None = Field(None, description="published before")


BatchItem = Annotated[VoiceIn, WrapValidator(item_or_its_errors)]


class VoiceBatchIn(Input):
    voices: list[BatchItem] = Field(max_length=BATCH_MAX)


class VoiceBatchResult(Schema):
    index: int
    status: str = Field(description="created, updated, unchanged or error")
    id: int | None
    errors: dict[str, list[str]]


class VoiceBatchOut(Schema):
    results: list[VoiceBatchResult]


@router.post(
    "/voices/batch",
    response={200: VoiceBatchOut, **ERROR_RESPONSES},
    summary="Record up to 100 comments or reviews, upserted by source name and external_id",
    operation_id="voices_batch",
    description=(
        "Each voice is stored on its own: an invalid one is reported with its errors by field "
        "(`index` is its place in the request), the others are stored. A voice whose source "
        "name and external_id are stored already is updated (or `unchanged`). A success "
        "manager records voices of their book's customers only. Send an Idempotency-Key: a "
        "retry replays the answer."
    ),
)
def voices_batch(request: HttpRequest, payload: VoiceBatchIn) -> dict[str, Any]:
    results: dict[int, dict[str, Any]] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(payload.voices):
        if isinstance(item, InvalidItem):
            results[index] = {"index": index, "status": "error", "id": None, "errors": item.fields}
        else:
            valid.append((index, {name: getattr(item, name) for name in type(item).model_fields}))
    stored = voices_ingest(by=caller(request), items=[data for _, data in valid])
    for (index, _), result in zip(valid, stored, strict=True):
        results[index] = {**result, "index": index}
    return {"results": [results[index] for index in sorted(results)]}


add_crud(
    router,
    Resource(
        path="/voices",
        label="voice",
        model=Voice,
        schema_in=VoiceIn,
        schema_patch=VoicePatch,
        schema_out=VoiceOut,
        filters=VoiceFilters,
        filterset=VoiceFilterSet,
        create=lambda by, data: services.voice_record(by=by, data=data).voice,
        update=lambda by, pk, changes: services.voice_update(by=by, voice_id=pk, changes=changes),
        delete=lambda by, pk: services.voice_delete(by=by, voice_id=pk),
    ),
)


# --- search --------------------------------------------------------------------------------------


class SearchFilters(QueryInput):
    q: str = Field(min_length=1, max_length=QUERY_MAX, description="words to find")
    kind: Literal["answer", "voice"] | None = Field(None, description="one kind only")
    page: int = Field(1, ge=1, le=PAGE_MAX)


class SearchHitOut(Schema):
    kind: str
    id: int
    customer_id: int | None
    at: datetime
    rank: float
    excerpt: str = Field(description="HTML: the text escaped, the matched words in <mark>")


class SearchOut(Schema):
    items: list[SearchHitOut]
    page: int
    has_next: bool


@router.get(
    "/feedback/search",
    response={200: SearchOut, **ERROR_RESPONSES},
    summary="Find words in survey comments and voices",
    operation_id="feedback_search",
    description=(
        'PostgreSQL: web-search syntax ("a phrase", -word, or), English stemming, best '
        "rank first; SQLite: every word must appear. Newest first among equals. A success "
        f"manager searches their book. kind: {', '.join(KINDS)}."
    ),
)
def feedback_search(request: HttpRequest, filters: Query[SearchFilters]) -> dict[str, Any]:
    found = free_text_search(
        user=caller(request), query=filters.q,
        kinds=[filters.kind] if filters.kind else None, page=filters.page,
    )  # fmt: skip
    items = [
        {"kind": hit.kind, "id": hit.record.pk, "customer_id": hit.record.customer_id,
         "at": hit.at, "rank": hit.rank, "excerpt": str(hit.excerpt)}
        for hit in found.hits
    ]  # fmt: skip
    return {"items": items, "page": found.number, "has_next": found.has_next}
