"""Field types shared by the API's schemas."""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainSerializer, WithJsonSchema

from tenure.domain.limits import analytics_day_problem

CENT = Decimal("0.01")

# Ids are 64-bit integers in the database: a larger number named in a body or a filter would
# reach the driver, which cannot send it (a 500), so the schema refuses it (a 422).
ID_MAX = 2**63 - 1
RecordId = Annotated[int, Field(ge=1, le=ID_MAX)]


def _money_text(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN))


# Money leaves the API as a decimal string with two places ("19.90"), never a float.
Money = Annotated[
    Decimal,
    PlainSerializer(_money_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "decimal", "pattern": r"^-?\d+\.\d{2}$"}),
]


def finite_or_none(value: Any) -> float | None:
    """A number for JSON, or None where there is none: NaN and infinity are not JSON, and a
    made-up 0 would read as a real figure."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _analytics_day(value: date) -> date:
    if problem := analytics_day_problem(value):
        raise ValueError(problem)
    return value


# A day an analytics query runs to, as a plain parameter (schemas use ``AnalyticsInput``).
AnalyticsDay = Annotated[date, AfterValidator(_analytics_day)]
