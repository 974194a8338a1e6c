"""The period a results report covers: a calendar month ("2025-07") or quarter ("2025-Q3"),
read by ``tenure.analytics.periods``, with the periods before and after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.periods import complete_periods, period_bounds, period_containing

ReportKind = Literal["month", "quarter"]
WORDS = 'a month like "2025-07" or a quarter like "2025-Q3"'


@dataclass(frozen=True)
class ReportPeriod:
    kind: ReportKind
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def words(self) -> str:
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"{self.start:%B %Y}"

    def before(self) -> ReportPeriod:
        start, end = period_containing(self.start - timedelta(days=1), self.kind)
        return ReportPeriod(self.kind, start, end)

    def after(self) -> ReportPeriod:
        start, end = period_containing(self.end + timedelta(days=1), self.kind)
        return ReportPeriod(self.kind, start, end)


def report_period(text: str | None, *, today: date) -> ReportPeriod:
    """The month or quarter ``text`` names; without one, the last complete quarter before
    ``today``. ``InvalidInputError`` on ``period`` for anything else (a year, a range)."""
    if text is None or not str(text).strip():
        start, end = complete_periods("quarter", 1, today)[-1]
        return ReportPeriod("quarter", start, end)
    start, end = period_bounds(str(text))
    kinds: tuple[ReportKind, ...] = ("month", "quarter")
    for kind in kinds:
        if period_containing(start, kind) == (start, end):
            return ReportPeriod(kind, start, end)
    raise InvalidInputError("period", f"{str(text).strip()[:40]!r} is not {WORDS}")
