"""Pages of long lists without counting the whole table on every request.

A page is fetched with one row more than it shows (that row says whether there is a next
page); the total is counted only up to ``count_limit`` rows, so a list of 100,000 customers
says "10,000+" instead of scanning all of them for an exact figure nobody reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

PER_PAGE = 25
COUNT_LIMIT = 10_000
PAGE_MAX = 10_000


@dataclass(frozen=True)
class ListPage:
    items: list[Any]
    number: int
    per_page: int
    has_next: bool
    total: int
    total_is_capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.items)

    @property
    def pages(self) -> int | None:
        """The number of pages, when the total is exact."""
        if self.total_is_capped:
            return None
        return max(1, -(-self.total // self.per_page))


def page_number(raw: str | None) -> int:
    try:
        return min(max(1, int(raw or 1)), PAGE_MAX)
    except ValueError:
        return 1


def paginate(
    queryset: QuerySet[Any],
    *,
    number: int,
    per_page: int = PER_PAGE,
    count_limit: int | None = None,
) -> ListPage:
    count_limit = count_limit or COUNT_LIMIT
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    has_next = len(rows) > per_page
    items = rows[:per_page]
    if not has_next and (items or number == 1):
        total = start + len(items)  # the last page tells the total for free
    else:
        total = queryset.order_by().values("pk")[: count_limit + 1].count()
    return ListPage(
        items=items,
        number=number,
        per_page=per_page,
        has_next=has_next,
        total=min(total, count_limit),
        total_is_capped=total > count_limit,
    )
