"""One filter definition per list: the base of every list's FilterSet (django-filter, as NetBox
does), shared by the web page, the API and the CSV exports, so they cannot drift.

A FilterSet narrows what the user may see: ``ListFilterSet.of(user, data)`` starts from
``visible(user, Model)``, so scope is never a filter an edge could forget. Its form refuses what
tenure cannot store or look up (``tenure.domain.limits``: text with NUL, a moment outside the
calendar, an id beyond 64 bits) as that field's error; ``filtered()`` raises ``InvalidFilters``
with the fields named, which the API answers with 422 and a page shows by its filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce

from tenure.access.form_limits import limits_onto_form
from tenure.access.scopes import visible
from tenure.domain.limits import INTEGER_MAX


class InvalidFilters(ValueError):
    """Filter values a list cannot apply, by field: ``{"owner_id": ["..."]}``."""

    def __init__(self, fields: Mapping[str, list[str]]) -> None:
        self.fields = dict(fields)
        words = "; ".join(f"{name}: {' '.join(found)}" for name, found in self.fields.items())
        super().__init__(f"invalid filters: {words}")


class LimitedFilterForm(forms.Form):
    """The form of every FilterSet: a value tenure cannot store and read back is the field's
    error, as in the API's inputs and the pages' forms."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        limits_onto_form(self, cleaned)
        return cleaned


class IdFilter(django_filters.Filter):
    """A record's id: a whole number from 1 to 2^63-1 (a larger one cannot reach the database)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", INTEGER_MAX)
        super().__init__(*args, **kwargs)


class TextFilter(django_filters.CharFilter):
    """An exact text value, no longer than the column it is compared with."""

    def __init__(self, *args: Any, max_length: int, **kwargs: Any) -> None:
        super().__init__(*args, max_length=max_length, strip=True, **kwargs)


@dataclass(frozen=True)
class SortColumn:
    field: str
    descending: bool
    # Customers without an order sort last either way: SQLite and PostgreSQL disagree on where
    # NULL goes unless told.
    nulls_last: bool = False


def sort_choices(sorts: Mapping[str, tuple[str, ...]]) -> list[str]:
    """``name`` and ``-name`` (descending) for each sort of a list."""
    return [*sorts, *(f"-{key}" for key in sorts)]


class SortFilter(django_filters.ChoiceFilter):
    """The list's order, a key of ``sorts`` (``-`` first for descending); applied last by
    ``ListFilterSet``, after every narrowing filter."""

    def __init__(
        self, *, sorts: Mapping[str, tuple[str, ...]], nullable: frozenset[str] = frozenset()
    ) -> None:
        self.sorts, self.nullable = dict(sorts), nullable
        super().__init__(choices=[(key, key) for key in sort_choices(sorts)])

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return qs  # ``ListFilterSet.filter_queryset`` orders once the rows are chosen

    def columns(self, value: str) -> list[SortColumn]:
        descending = value.startswith("-")
        fields = self.sorts[value.lstrip("-")]
        return [SortColumn(f, descending, nulls_last=f in self.nullable) for f in fields]


def order_terms(columns: list[SortColumn], *, by_index: bool = True) -> list[OrderBy]:
    """ORDER BY terms. With ``by_index=False`` each column is wrapped as ``COALESCE(x, x)``
    (the same value, but no index matches it) so that the database sorts a small set of rows
    rather than walking the sort's index in search of them."""
    terms = []
    for column in columns:
        term = F(column.field) if by_index else Coalesce(F(column.field), F(column.field))
        nulls_last = True if column.nulls_last else None
        terms.append(
            term.desc(nulls_last=nulls_last)
            if column.descending
            else term.asc(nulls_last=nulls_last)
        )
    return terms


class ListFilterSet(django_filters.FilterSet):
    """The base of every list's FilterSet. Subclasses declare each filter once and name the
    model in ``Meta``; a sortable list declares a ``sort = SortFilter(...)``."""

    default_sort: ClassVar[str] = ""  # the pages' order when none is asked for
    user: Any = None  # who asks: set by ``of``

    def __init__(self, data: Mapping[str, Any] | None, queryset: QuerySet[Any], **kwargs: Any):
        super().__init__(data if data is not None else {}, queryset, **kwargs)

    @classmethod
    def of(cls, user: Any, data: Mapping[str, Any] | None) -> Self:
        """The FilterSet over what ``user`` may see, bound to ``data`` (a query string, or the
        API's query schema as a dict)."""
        filters = cls(data, visible(user, cls._meta.model))
        filters.user = user
        return filters

    class Meta:
        form = LimitedFilterForm

    def field_errors(self) -> dict[str, list[str]]:
        return {name: list(found) for name, found in self.errors.items()}

    def filtered(self) -> QuerySet[Any]:
        """The narrowed, sorted rows; ``InvalidFilters`` when a value is refused."""
        if not self.is_valid():
            raise InvalidFilters(self.field_errors())
        return self.qs

    def sort_columns(self) -> list[SortColumn] | None:
        """The order asked for (after ``is_valid``), or None."""
        sort = self.filters.get("sort")
        value = self.form.cleaned_data.get("sort") if self.is_valid() else None
        return sort.columns(value) if isinstance(sort, SortFilter) and value else None

    def in_default_order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` in the list's default order when no sort was asked for."""
        sort = self.filters.get("sort")
        if self.sort_columns() is None and isinstance(sort, SortFilter) and self.default_sort:
            return self.order(queryset, sort.columns(self.default_sort))
        return queryset

    def order(self, queryset: QuerySet[Any], columns: list[SortColumn]) -> QuerySet[Any]:
        return queryset.order_by(*order_terms(columns))

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        queryset = super().filter_queryset(queryset)
        columns = self.sort_columns()
        return self.order(queryset, columns) if columns else queryset

    def values(self) -> dict[str, str]:
        """What was asked, as text, for a page to show again beside its errors."""
        return {name: str(self.data.get(name) or "") for name in self.filters}
