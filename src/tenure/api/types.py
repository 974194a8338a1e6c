"""Field types shared by the API's schemas."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")


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
