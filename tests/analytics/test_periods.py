"""Periods as people write them, and the runs of whole periods a chart shows."""

from __future__ import annotations

from datetime import date

import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.periods import complete_periods, period_bounds, period_containing


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("2025-Q1", (date(2025, 1, 1), date(2025, 3, 31))),
        ("2024-q4", (date(2024, 10, 1), date(2024, 12, 31))),
        ("2024-03", (date(2024, 3, 1), date(2024, 3, 31))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2025-12", (date(2025, 12, 1), date(2025, 12, 31))),
        ("2025", (date(2025, 1, 1), date(2025, 12, 31))),
        (" 2025-01-01..2025-03-31 ", (date(2025, 1, 1), date(2025, 3, 31))),
        ("2025-01-05..2025-01-05", (date(2025, 1, 5), date(2025, 1, 5))),
    ],
)
def test_every_written_form_gives_its_first_and_last_day(text, bounds):
    assert period_bounds(text) == bounds


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is empty"),
        ("2025-Q5", "is not a period"),
        ("2025-13", "no month 13"),
        ("March 2025", "is not a period"),
        ("2025-03-31..2025-01-01", "before it starts"),
        ("2025-02-30..2025-03-01", "is not a date"),
        ("0000", "no year 0"),
    ],
)
def test_anything_else_is_refused_with_a_reason(text, says):
    with pytest.raises(InvalidInputError) as error:
        period_bounds(text)
    assert error.value.name == "period" and says in error.value.reason


def test_the_period_containing_a_day():
    day = date(2025, 8, 17)
    assert period_containing(day, "month") == (date(2025, 8, 1), date(2025, 8, 31))
    assert period_containing(day, "quarter") == (date(2025, 7, 1), date(2025, 9, 30))
    assert period_containing(day, "year") == (date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(InvalidInputError):
        period_containing(day, "week")  # type: ignore[arg-type]


def test_complete_periods_leave_out_the_one_still_running():
    runs = complete_periods("month", 3, date(2025, 3, 15))
    assert runs == [
        (date(2024, 12, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
    ]
    assert complete_periods("quarter", 1, date(2025, 3, 31)) == [
        (date(2025, 1, 1), date(2025, 3, 31))
    ]
    assert complete_periods("year", 2, date(2025, 6, 1))[0] == (
        date(2023, 1, 1),
        date(2023, 12, 31),
    )
    with pytest.raises(InvalidInputError):
        complete_periods("month", 0, date(2025, 1, 1))
