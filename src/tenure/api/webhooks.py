"""/api/v1/webhooks: the endpoints that follow tenure's events, and their delivery logs.
Admins only. The secret that signs the requests is answered once, by the POST that makes the
endpoint (``tenure.webhooks.signing`` says how a receiver checks a request)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.webhooks import selectors, services
from tenure.webhooks.addresses import URL_MAX
from tenure.webhooks.models import Delivery, Endpoint

router = Router(tags=["webhooks"])


class EndpointIn(Input):
    url: str = Field(
        min_length=1, max_length=URL_MAX, description="http(s) URL the events are POSTed to"
    )
    description: str = Field("", max_length=200)
    kinds: list[str] = Field(
        default_factory=list, max_length=100, description="the kinds sent; none: every kind"
    )


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    kinds: list[str]
    active: bool
    created_at: datetime
    created_by: str | None = Field(None, description="the username of the admin who made it")

    @staticmethod
    def resolve_created_by(endpoint: Endpoint | dict[str, Any]) -> str | None:
        if isinstance(endpoint, dict):  # the answer of a POST, resolved already
            return endpoint.get("created_by")
        return endpoint.created_by.username if endpoint.created_by else None


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(
        description="signs every request (Tenure-Signature); shown this once: keep it"
    )


class DeliveryOut(Schema):
    id: int
    event_id: int
    event_key: str
    event_kind: str
    customer_id: int | None
    status: str = Field(description="pending, delivered or failed (gave up)")
    attempts: int
    next_try_at: datetime | None = Field(description="when it is tried next, if pending")
    last_status_code: int | None
    last_error: str = Field(description="why the last attempt failed, in words")
    response_ms: int | None
    delivered_at: datetime | None

    @staticmethod
    def resolve_event_key(delivery: Delivery) -> str:
        return delivery.event.key

    @staticmethod
    def resolve_event_kind(delivery: Delivery) -> str:
        return delivery.event.kind

    @staticmethod
    def resolve_next_try_at(delivery: Delivery) -> datetime | None:
        return delivery.next_try_at if delivery.status == "pending" else None


@router.get(
    "/webhooks",
    response={200: Page[EndpointOut], **ERROR_RESPONSES},
    summary="The webhook endpoints (admins)",
)
def webhook_list(
    request: HttpRequest, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    return paginate(selectors.endpoint_list(by=caller(request)), cursor=cursor, limit=limit)


@router.post(
    "/webhooks",
    response={201: EndpointCreatedOut, **ERROR_RESPONSES},
    summary="Make a webhook endpoint: the events recorded from now on are POSTed to it, signed",
)
def webhook_create(request: HttpRequest, payload: EndpointIn) -> Status:
    endpoint, secret = services.endpoint_create(
        by=caller(request), url=payload.url, description=payload.description, kinds=payload.kinds
    )
    out = EndpointOut.from_orm(endpoint).model_dump()
    return Status(201, {**out, "secret": secret})


@router.delete(
    "/webhooks/{endpoint_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a webhook endpoint and its delivery log",
)
def webhook_delete(request: HttpRequest, endpoint_id: RecordId) -> Status:
    services.endpoint_delete(by=caller(request), endpoint_id=endpoint_id)
    return Status(204, None)


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response={200: Page[DeliveryOut], **ERROR_RESPONSES},
    summary="An endpoint's deliveries: status, attempts, the last error",
)
def webhook_deliveries(
    request: HttpRequest,
    endpoint_id: RecordId,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    deliveries = selectors.delivery_list(by=caller(request), endpoint_id=endpoint_id)
    return paginate(deliveries, cursor=cursor, limit=limit)
