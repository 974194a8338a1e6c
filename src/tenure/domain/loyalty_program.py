"""The loyalty program's figures (issue 17's program analytics), pure: the ratios of the
points ledger, the money value of outstanding points, the points due to expire by month and
the lifespan a group's churn implies.

Definitions (``shared/guide/DOMAIN.md`` has retention and historical CLV, computed by
``tenure.analytics.metrics``; these are the loyalty-specific ones):

- **points earned** are the earn entries' points net of their reversals (a refund takes back
  what its order earned: those points were never really given), adjustments left out;
- **redemption rate** = points redeemed (net of cancelled redemptions) / points earned, in
  percent; **breakage rate** = points expired / points earned, in percent. Over a period both
  are flows of that period: points redeemed in March may have been earned in January, so a
  month's rate may pass 100 %;
- **liability** = outstanding points (the sum of the positive balances) x the value of a point,
  rounded to the cent, halves up;
- **lifespan** from churn: a group that loses ``churn`` % of its active customers over a period
  of ``days`` lives on average ``days / churn`` (the mean of a geometric lifetime), capped (no
  one lost is no evidence of an endless life).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DAYS_PER_YEAR = 365.25
MAX_LIFESPAN_YEARS = 10.0


class ProgramFigureError(ValueError):
    """An input no figure can be computed from, naming the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def percent_of(part: int, whole: int) -> float | None:
    """``100 * part / whole``; None when ``whole`` is 0 or less (no points earned: no rate)."""
    if whole <= 0:
        return None
    return 100.0 * part / whole


@dataclass(frozen=True)
class LedgerFlows:
    """Points moved over a period (or the program's life), each a positive number: earned
    (gross earn entries), reversed (taken back from earns, write-offs included), redeemed,
    restored (cancelled redemptions given back), expired, adjusted (net, signed)."""

    earned: int = 0
    reversed: int = 0
    redeemed: int = 0
    restored: int = 0
    expired: int = 0
    adjusted: int = 0

    @property
    def earned_net(self) -> int:
        return self.earned - self.reversed

    @property
    def redeemed_net(self) -> int:
        return self.redeemed - self.restored

    @property
    def redemption_rate(self) -> float | None:
        return percent_of(self.redeemed_net, self.earned_net)

    @property
    def breakage_rate(self) -> float | None:
        return percent_of(self.expired, self.earned_net)


def points_money(points: int, point_value: Decimal) -> Decimal:
    """What ``points`` are worth at ``point_value`` each, to the cent (halves up)."""
    if not point_value.is_finite() or point_value < 0:
        raise ProgramFigureError("point_value", "a value of 0 or more")
    return (Decimal(points) * point_value).quantize(CENT, rounding=ROUND_HALF_UP)


def month_of(day: date) -> str:
    """ "2027-03" for a day in March 2027."""
    return f"{day.year:04d}-{day.month:02d}"


def expiry_schedule(
    *, due: int, months: Iterable[tuple[date, int]], never: int
) -> list[tuple[str, int]]:
    """Unspent points by when they expire, soonest first: ``"due"`` (past their expiry, the
    nightly run has not taken them yet), then each calendar month (from (a day of the month,
    points) pairs; a month given twice is added up), ``"never"`` last (lots without expiry).
    Empty buckets are left out."""
    by_month: dict[str, int] = {}
    for day, points in months:
        if points > 0:
            by_month[month_of(day)] = by_month.get(month_of(day), 0) + points
    rows = [("due", due)] if due > 0 else []
    rows += sorted(by_month.items())
    return rows + ([("never", never)] if never > 0 else [])


def lifespan_years(
    period_days: int, churn_percent: float | None, cap_years: float = MAX_LIFESPAN_YEARS
) -> float | None:
    """Expected lifespan in years of a group that lost ``churn_percent`` % of its active
    customers over ``period_days``: ``period / churn``, at most ``cap_years``. None when the
    churn is unknown (nobody active at the start)."""
    if period_days <= 0:
        raise ProgramFigureError("period_days", "a period of at least one day")
    if churn_percent is None:
        return None
    if churn_percent < 0 or churn_percent > 100:
        raise ProgramFigureError("churn_percent", "a percentage from 0 to 100")
    years = period_days / DAYS_PER_YEAR
    if churn_percent == 0:
        return cap_years
    return min(cap_years, years / (churn_percent / 100.0))


def per_year(count_per_customer: float, period_days: int) -> float:
    """A per-customer count over ``period_days`` scaled to a year (orders per year)."""
    if period_days <= 0:
        raise ProgramFigureError("period_days", "a period of at least one day")
    return count_per_customer * DAYS_PER_YEAR / period_days
