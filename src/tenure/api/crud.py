"""One recipe for the five endpoints of a resource: list, create, read, update, delete.

(No ``from __future__ import annotations`` here: django-ninja reads the endpoint signatures,
which must hold the resource's real schema classes, not strings.)
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tenure.access import get_visible_or_404
from tenure.access.filtering import ListFilterSet
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import filter_values
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.history.selectors import history_entry_view, history_of


class HistoryEntryOut(Schema):
    id: int | None = Field(
        description="the entry's number; none for a record's creation by an import, recorded "
        "once for the whole batch"
    )
    action: str
    at: datetime
    actor: str | None
    changes: dict[str, Any]
    made_by_import: str | int | None = Field(
        None, description="the import that made the change: a web import's number or a file's name"
    )

    @staticmethod
    def resolve_made_by_import(entry: dict[str, Any]) -> str | int | None:
        return entry.get("import")


@dataclass(frozen=True)
class Resource:
    """How a record type is exposed. The list is narrowed by ``filterset`` over what the caller
    may see, its values given by ``filters``. ``create(by, data)``, ``update(by, pk, changes)`` and
    ``delete(by, pk)`` call the app's services, which apply the role policy."""

    path: str
    label: str
    model: type[Model]
    schema_in: type[Schema]
    schema_patch: type[Schema]
    schema_out: type[Schema]
    filters: type[Schema]  # the query schema: the FilterSet's filters, typed for OpenAPI
    filterset: type[ListFilterSet]
    create: Callable[[Any, dict[str, Any]], Model]
    update: Callable[[Any, int, dict[str, Any]], Model]
    delete: Callable[[Any, int], object]  # what it returns (a trash item) is not used


def _payload(model: type[Model], schema: Schema, *, partial: bool) -> dict[str, Any]:
    # Attributes, not model_dump(): dumping would apply the output serializers (money to text,
    # rounded) to input that the services must validate as given.
    names = schema.model_fields_set if partial else type(schema).model_fields
    data = {name: getattr(schema, name) for name in names}
    # A text column without NULL stores "" for "none"; the API accepts null for it too.
    for name, value in data.items():
        if value is None:
            field = model._meta.get_field(name)  # also finds "account_id" and the like
            if field.get_internal_type() in {"CharField", "TextField"} and not field.null:
                data[name] = ""
    return data


def _a(noun: str) -> str:
    """The noun with its indefinite article, by its first letter: "an account", "a customer"
    (the labels are plain English words; none starts with a silent h or a "you" sound)."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def add_crud(router: Router, r: Resource) -> None:
    detail = f"{r.path}/{{record_id}}"
    In, Patch, Out, Filters = r.schema_in, r.schema_patch, r.schema_out, r.filters

    page_schema = Page[Out]  # type: ignore[valid-type]

    @router.get(
        r.path,
        response={200: page_schema, **ERROR_RESPONSES},
        summary=f"List {r.label}s",
        operation_id=f"list_{r.label}s",
    )
    def list_records(
        request: HttpRequest,
        filters: Query[Filters],  # type: ignore[valid-type]
        cursor: str | None = None,
        limit: int = LIMIT_DEFAULT,
    ) -> dict[str, Any]:
        chosen = r.filterset.of(request.user, filter_values(filters))
        records = chosen.filtered()
        return paginate(records, cursor=cursor, limit=limit, sort=chosen.sort_columns())

    @router.post(
        r.path,
        response={201: Out, **ERROR_RESPONSES},
        summary=f"Create {_a(r.label)}",
        operation_id=f"create_{r.label}",
    )
    def create_record(request: HttpRequest, payload: In) -> Status:  # type: ignore[valid-type]
        return Status(201, r.create(request.user, _payload(r.model, payload, partial=False)))

    @router.get(
        detail,
        response={200: Out, **ERROR_RESPONSES},
        summary=f"One {r.label}",
        operation_id=f"get_{r.label}",
    )
    def get_record(request: HttpRequest, record_id: RecordId) -> Model:
        return get_visible_or_404(request.user, r.model, pk=record_id)

    @router.patch(
        detail,
        response={200: Out, **ERROR_RESPONSES},
        summary=f"Change {_a(r.label)}",
        operation_id=f"update_{r.label}",
    )
    def update_record(request: HttpRequest, record_id: RecordId, payload: Patch) -> Model:  # type: ignore[valid-type]
        return r.update(request.user, record_id, _payload(r.model, payload, partial=True))

    @router.delete(
        detail,
        response={204: None, **ERROR_RESPONSES},
        summary=f"Delete {_a(r.label)}",
        operation_id=f"delete_{r.label}",
    )
    def delete_record(request: HttpRequest, record_id: RecordId) -> Status:
        r.delete(request.user, record_id)
        return Status(204, None)

    @router.get(
        f"{detail}/history",
        response={200: list[HistoryEntryOut], **ERROR_RESPONSES},
        summary=f"Every change of {_a(r.label)}: who, when, fields before and after",
        operation_id=f"history_{r.label}",
    )
    def record_history(request: HttpRequest, record_id: RecordId) -> list[dict[str, Any]]:
        record = get_visible_or_404(request.user, r.model, pk=record_id)
        return [history_entry_view(entry) for entry in history_of(record=record, limit=500)]
