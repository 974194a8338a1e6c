"""Cursor pagination for API lists: ``{"items": [...], "next_cursor": "..." | null}``.

Lists are walked in primary-key order from an opaque cursor, so a page costs one index range
scan however deep it is and rows written meanwhile are neither skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema
from ninja.errors import ValidationError

LIMIT_DEFAULT = 50
LIMIT_MAX = 200
T = TypeVar("T")
M = TypeVar("M", bound=Model)


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None


def _encode(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "pk" or not value.isdigit() or int(value) > 2**63 - 1:
            raise ValueError(cursor)  # a forged cursor beyond 64 bits would reach the database
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationError(
            [{"loc": ("query", "cursor"), "msg": "not a cursor this API gave out"}]
        ) from error


def paginate(queryset: QuerySet[M], *, cursor: str | None, limit: int) -> dict[str, Any]:
    if not 1 <= limit <= LIMIT_MAX:
        raise ValidationError(
            [{"loc": ("query", "limit"), "msg": f"must be between 1 and {LIMIT_MAX}"}]
        )
    rows = queryset.order_by("pk")
    if cursor:
        rows = rows.filter(pk__gt=_decode(cursor))
    items = list(rows[: limit + 1])
    has_more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": _encode(items[-1].pk) if has_more else None}
