"""Cursor pagination for API lists: ``{"items": [...], "next_cursor": "..." | null}``.

Lists are walked in primary-key order from an opaque cursor, so a page costs one index range
scan however deep it is and rows written meanwhile are neither skipped nor repeated. A list
sorted by its ``sort`` filter is walked the same way along its sort's columns (which end with
the id): the cursor holds the last row's values, and the next page starts after them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model, Q, QuerySet
from ninja import Schema
from ninja.errors import ValidationError

from tenure.access.filtering import SortColumn, order_terms
from tenure.domain.limits import integer_problem, value_problem

LIMIT_DEFAULT = 50
LIMIT_MAX = 200
T = TypeVar("T")
M = TypeVar("M", bound=Model)


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None


_NOT_OURS = [{"loc": ("query", "cursor"), "msg": "not a cursor this API gave out"}]


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def _text(cursor: str) -> tuple[str, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationError(_NOT_OURS) from error
    kind, _, value = text.partition(":")
    return kind, value


def _decode(cursor: str) -> int:
    kind, value = _text(cursor)
    if kind != "pk" or not value.isdigit() or int(value) > 2**63 - 1:
        raise ValidationError(_NOT_OURS)  # a forged cursor beyond 64 bits would reach the database
    return int(value)


def _field_of(model: type[Model], path: str) -> Field:
    """The model field a sort column names, following relations (``prediction__churn_risk``:
    a list sorted by what an app above concluded about its rows)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = cast(type[Model], model._meta.get_field(relation).related_model)
    return cast(Field, model._meta.get_field(name))


def _row_text(row: Model, path: str) -> str | None:
    *relations, name = path.split("__")
    holder: Model = row
    for relation in relations:
        try:
            found = getattr(holder, relation)
        except ObjectDoesNotExist:  # no related row (a customer no fit covers): NULL
            return None
        if found is None:
            return None
        holder = found
    field = _field_of(type(holder), name)
    return field.value_to_string(holder) if field.value_from_object(holder) is not None else None


def _encode_row(row: Model, columns: list[SortColumn]) -> str:
    values = [_row_text(row, column.field) for column in columns]
    text = "sort:" + json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_row(cursor: str, model: type[Model], columns: list[SortColumn]) -> list[Any]:
    """The values a sorted page ended with, each read by its model field and within the
    limits (a forged cursor must not reach the database with what it cannot take)."""
    kind, text = _text(cursor)
    try:
        raw = json.loads(text) if kind == "sort" else None
        if not isinstance(raw, list) or len(raw) != len(columns):
            raise ValueError(cursor)
        values = []
        for column, value in zip(columns, raw, strict=True):
            if value is not None and not isinstance(value, str):
                raise ValueError(cursor)
            found = _field_of(model, column.field).to_python(value)
            if value_problem(found) or (isinstance(found, int) and integer_problem(found)):
                raise ValueError(cursor)
            values.append(found)
        return values
    except (ValueError, DjangoValidationError) as error:
        raise ValidationError(_NOT_OURS) from error


def _after(columns: list[SortColumn], values: list[Any]) -> Q:
    """Rows that come after ``values`` in the order of ``columns``: beyond it on the first
    column that differs, equal on those before."""
    after, equal = Q(pk__in=[]), Q()
    for column, value in zip(columns, values, strict=True):
        name = column.field
        if value is None:  # NULL sorts last: nothing is beyond it, only NULL equals it
            beyond, same = Q(pk__in=[]), Q(**{f"{name}__isnull": True})
        else:
            beyond = Q(**{f"{name}__{'lt' if column.descending else 'gt'}": value})
            if column.nulls_last:
                beyond |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        after |= equal & beyond
        equal &= same
    return after


def paginate(
    queryset: QuerySet[M],
    *,
    cursor: str | None,
    limit: int,
    sort: list[SortColumn] | None = None,
) -> dict[str, Any]:
    """A page of ``queryset`` in id order, or in the order of ``sort`` (a list's sort filter)."""
    if not 1 <= limit <= LIMIT_MAX:
        raise ValidationError(
            [{"loc": ("query", "limit"), "msg": f"must be between 1 and {LIMIT_MAX}"}]
        )
    if sort:
        rows = queryset.order_by(*order_terms(sort))
        if cursor:
            rows = rows.filter(_after(sort, _decode_row(cursor, queryset.model, sort)))
    else:
        rows = queryset.order_by("pk")
        if cursor:
            rows = rows.filter(pk__gt=_decode(cursor))
    items = list(rows[: limit + 1])
    has_more = len(items) > limit
    items = items[:limit]
    if not has_more:
        return {"items": items, "next_cursor": None}
    last = items[-1]
    return {"items": items, "next_cursor": _encode_row(last, sort) if sort else _encode(last.pk)}
