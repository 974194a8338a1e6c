"""Field validators shared by the models and the import."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value and value not in _time_zones():
        raise ValidationError(f"{value!r} is not an IANA time zone name (e.g. Europe/Paris)")


def validate_currency(value: str) -> None:
    if not _CURRENCY.match(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 code (three capital letters)")
