"""/api/v1/views: saved list views (a list's filters, sort and columns under a name), as JSON.

Everyone who reads the lists keeps private views; sharing needs a role that changes records,
a role's default view a role that changes every record (403 otherwise). A query the list's
FilterSet refuses is 422 on ``querystring``, naming each refused filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.domain.access import Role
from tenure.workspace import selectors, services
from tenure.workspace.models import QUERYSTRING_MAX, ListName, SavedView

router = Router(tags=["views"])

QUERY_HELP = "the list's query, e.g. stage=at_risk&health=red&sort=-clv&cols=name,health,clv"
ROLE_HELP = "opened when this role opens the list without a query (admins and managers set it)"


class SavedViewIn(Input):
    list: ListName
    name: str = Field(min_length=1, max_length=services.NAME_MAX)
    querystring: str = Field("", max_length=QUERYSTRING_MAX, description=QUERY_HELP)
    shared: bool = Field(False, description="the whole team sees it")
    default_for_role: Role | None = Field(None, description=ROLE_HELP)


class SavedViewPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=services.NAME_MAX)
    querystring: str | None = Field(None, max_length=QUERYSTRING_MAX, description=QUERY_HELP)
    shared: bool | None = None
    default_for_role: Role | None = Field(None, description=ROLE_HELP + "; null clears it")


class SavedViewOut(Schema):
    id: int
    list: str
    name: str
    querystring: str
    shared: bool
    default_for_role: str
    owner_id: int
    created_at: datetime
    updated_at: datetime


@router.get(
    "/views",
    response={200: Page[SavedViewOut], **ERROR_RESPONSES},
    summary="The saved list views you see: yours and the shared ones",
)
def saved_view_list(
    request: HttpRequest,
    list: ListName | None = None,
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    views = selectors.saved_view_list(user=caller(request), list_name=list)
    return paginate(views, cursor=cursor, limit=limit)


@router.post(
    "/views",
    response={201: SavedViewOut, **ERROR_RESPONSES},
    summary="Save a list view; 422 names each filter its list refuses",
)
def saved_view_create(request: HttpRequest, payload: SavedViewIn) -> Status:
    data = payload.model_dump()
    view = services.saved_view_create(
        by=caller(request),
        list_name=data["list"],
        name=data["name"],
        querystring=data["querystring"],
        shared=data["shared"],
        default_for_role=data["default_for_role"] or "",
    )
    return Status(201, view)


@router.get(
    "/views/{view_id}", response={200: SavedViewOut, **ERROR_RESPONSES}, summary="One saved view"
)
def saved_view_get(request: HttpRequest, view_id: RecordId) -> SavedView:
    return selectors.saved_view_detail(user=caller(request), view_id=view_id)


@router.patch(
    "/views/{view_id}",
    response={200: SavedViewOut, **ERROR_RESPONSES},
    summary="Rename, re-query, share, or make a role's default (its owner, or a role over all)",
)
def saved_view_update(request: HttpRequest, view_id: RecordId, payload: SavedViewPatch) -> Any:
    changes = payload.model_dump(exclude_unset=True)
    nulls = [name for name, value in changes.items() if value is None]
    if "default_for_role" in nulls:  # null clears the role's default
        changes["default_for_role"] = ""
        nulls.remove("default_for_role")
    if nulls:
        raise ValidationError({name: ["may not be null"] for name in nulls})
    return services.saved_view_update(by=caller(request), view_id=view_id, changes=changes)


@router.delete(
    "/views/{view_id}", response={204: None, **ERROR_RESPONSES}, summary="Delete a saved view"
)
def saved_view_delete(request: HttpRequest, view_id: RecordId) -> Status:
    services.saved_view_delete(by=caller(request), view_id=view_id)
    return Status(204, None)
