"""A list page narrowed by its FilterSet: the page of rows, the values asked for, and the
fields refused (shown by the filters, with no rows, never silently dropped)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from tenure.access.filtering import InvalidFilters, ListFilterSet
from tenure.web.views.pagination import PER_PAGE, ListPage, page_number, paginate


@dataclass(frozen=True)
class FilteredList:
    page: ListPage
    values: dict[str, str]  # what was asked, as text (the sort: the list's default when none)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def status(self) -> int:
        return 400 if self.errors else 200


def filtered_page(
    request: HttpRequest,
    filters: ListFilterSet,
    select: Callable[..., QuerySet[Any]],
    *,
    per_page: int = PER_PAGE,
) -> FilteredList:
    """``select(filters=filters)`` (the list's selector), one page of it."""
    values = filters.values()
    if "sort" in values:
        values["sort"] = values["sort"] or filters.default_sort
    try:
        rows = select(filters=filters)
    except InvalidFilters as refused:
        empty = ListPage([], 1, per_page, has_next=False, total=0, total_is_capped=False)
        return FilteredList(page=empty, values=values, errors=refused.fields)
    page = paginate(rows, number=page_number(request.GET.get("page")), per_page=per_page)
    return FilteredList(page=page, values=values)


def refused_words(refused: InvalidFilters) -> str:
    """The refused fields in a line of text (for an export, which has no page to show them)."""
    return "\n".join(f"{name}: {' '.join(found)}" for name, found in refused.fields.items())
