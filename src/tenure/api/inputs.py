"""The base of every API input schema (bodies and query filters): values tenure cannot store
and read back are refused with a 422 naming the field (``tenure.domain.limits``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from django.utils import timezone
from ninja import Schema
from pydantic import ValidationError as PydanticValidationError
from pydantic import ValidationInfo, ValidatorFunctionWrapHandler, field_validator

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.periods import period_bounds
from tenure.api.errors import pydantic_message
from tenure.domain.limits import analytics_day_problem, attributes_problem, value_problem


class Input(Schema):
    """Subclass this, not ``Schema``, for a body the API reads from a caller (``QueryInput``
    for query parameters)."""

    # A body's date-time needs an offset (a naive one reached the services, which compare it
    # with aware ones); a filter's without one is wall time in the business's zone.
    naive_is_local: ClassVar[bool] = False

    @field_validator("*", mode="after")
    @classmethod
    def _within_limits(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, datetime) and timezone.is_naive(value):
            if not cls.naive_is_local:
                raise ValueError("the time needs a time zone (an offset such as +01:00, or Z)")
            value = value.replace(tzinfo=timezone.get_default_timezone())
        problem = value_problem(value)
        if problem is None and info.field_name == "custom_attributes" and value is not None:
            problem = attributes_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class QueryInput(Input):
    """Query parameters: the limits of ``Input``; a date-time without an offset is wall time
    in the business's zone (``?placed_after=2025-01-01`` is its midnight)."""

    naive_is_local: ClassVar[bool] = True


class AnalyticsInput(QueryInput):
    """An analytics query: its days, and a period written as text ("2025-Q1"), within the span
    the analytics' day clock handles."""

    @field_validator("*", mode="after")
    @classmethod
    def _within_analytics_span(cls, value: Any, info: ValidationInfo) -> Any:
        days: tuple[date, ...] = ()
        if isinstance(value, date) and not isinstance(value, datetime):
            days = (value,)
        elif info.field_name == "period" and cls.model_fields["period"].annotation is str:
            try:
                days = period_bounds(value)
            except InvalidInputError as error:
                raise ValueError(error.reason) from None
        for day in days:
            if problem := analytics_day_problem(day):
                raise ValueError(problem)
        return value


def one_of(choices: list[str]) -> dict[str, Any]:
    """The OpenAPI words for a text parameter whose values are ``choices`` (checked by the
    list's FilterSet)."""
    return {"enum": list(choices)}


def filter_values(query: Schema) -> dict[str, Any]:
    """A list's query schema as the data of its FilterSet: the values given, typed and checked
    (the FilterSet checks them again, by the same limits, and applies them)."""
    return {name: value for name, value in query if value is not None and value != ""}


@dataclass(frozen=True)
class InvalidItem:
    """A batch item that failed validation: its errors by field."""

    fields: dict[str, list[str]]


def item_or_its_errors(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A batch's item is validated on its own (``Annotated[ItemIn, WrapValidator(this)]``): an
    invalid one (a wrong type, a bad date, text the database cannot store) becomes that item's
    error result, an ``InvalidItem``, not a 422 for the batch. The OpenAPI document still shows
    the item's schema."""
    try:
        return handler(value)
    except PydanticValidationError as error:
        fields: dict[str, list[str]] = {}
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"]) or "__all__"
            fields.setdefault(name, []).append(pydantic_message(dict(problem)))
        return InvalidItem(fields=fields)
