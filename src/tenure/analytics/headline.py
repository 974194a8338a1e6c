"""Figures for people who are not statisticians: each KPI with its change against the period
before, said in words (up / down, points or per cent), and the page's answer as one sentence.

Pure: the figures come in, words come out. A rate's change is in percentage *points* (89 % after
91 % is "down 2.0 points", never "down 2.2 %"); a count's or an amount's is relative (revenue
up 4.0 %). The words never rely on colour: "up" and "down" are said, and whether that is good
(churn down is) is a separate flag the page may colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Unit = Literal["percent", "count", "money", "score"]
Direction = Literal["up", "down", "flat"]

# Rates and scores move in points; counts and amounts in per cent of the value before.
_IN_POINTS = frozenset({"percent", "score"})


@dataclass(frozen=True)
class Kpi:
    """One figure of the strip: its ``value`` in the period, ``previous`` in the one before
    (either None when it cannot be computed: no customers at the start, no answers), the
    ``change`` (points for rates and scores, per cent for counts and amounts; None when it has
    no meaning: no previous value, or a relative change from 0) and its ``direction``."""

    key: str
    label: str
    unit: Unit
    value: float | None
    previous: float | None
    higher_is_better: bool = True

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        if self.unit in _IN_POINTS:
            return self.value - self.previous
        if self.previous == 0:
            return None  # a relative change from nothing is no number
        return 100.0 * (self.value - self.previous) / abs(self.previous)

    @property
    def change_unit(self) -> str:
        return "points" if self.unit in _IN_POINTS else "%"

    @property
    def direction(self) -> Direction | None:
        change = self.change
        if change is None:
            if self.value is not None and self.previous == 0 and self.value != 0:
                return "up" if self.value > 0 else "down"
            return None
        if round(change, 1) == 0:
            return "flat"
        return "up" if change > 0 else "down"

    @property
    def good(self) -> bool | None:
        """Whether the move is good news (churn down, retention up); None when flat or unknown."""
        if self.direction in (None, "flat"):
            return None
        return (self.direction == "up") == self.higher_is_better

    @property
    def change_words(self) -> str:
        """ "up 4.0 %", "down 2.0 points", "unchanged", "up from none", "" (nothing to say)."""
        direction, change = self.direction, self.change
        if direction is None:
            return ""
        if direction == "flat":
            return "unchanged"
        if change is None:
            return f"{direction} from none"
        if self.unit in _IN_POINTS:
            noun = "point" if round(abs(change), 1) == 1 else "points"
            return f"{direction} {abs(change):.1f} {noun}"
        return f"{direction} {abs(change):.1f} %"


def kpi(
    key: str,
    label: str,
    unit: Unit,
    value: float | Decimal | int | None,
    previous: float | Decimal | int | None,
    *,
    higher_is_better: bool = True,
) -> Kpi:
    """A ``Kpi`` with its values as floats (NaN and None alike: not computed)."""
    return Kpi(key, label, unit, _number(value), _number(previous), higher_is_better)


def _number(value: float | Decimal | int | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def figure_words(unit: Unit, value: float | None) -> str:
    """A value as the strip and the sentence write it: "89.0 %", "1,204", "$12,480", "+32"."""
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1f} %"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "score":
        return f"{value:+.0f}"
    return f"{value:,.2f}"


def headline_sentence(kpis: Sequence[Kpi], *, period: str, previous: str, money: str = "{}") -> str:
    """The page's answer in one sentence, from the strip's own figures.

    ``period`` names the period the figures are of ("2026 Q3"), ``previous`` the one before;
    ``money`` formats an amount ("${}"). Only the figures that exist are said: "Retention in
    2026 Q3 was 89.0 %, down 2.0 points from 2026 Q2; 31 customers became at risk; 12 churned;
    revenue per buyer up 4.0 %."
    """
    by_key = {k.key: k for k in kpis}
    parts: list[str] = []
    retention = by_key.get("retention")
    if retention is not None and retention.value is not None:
        first = f"Retention in {period} was {figure_words('percent', retention.value)}"
        if retention.change_words and retention.direction != "flat":
            first += f", {retention.change_words} from {previous}"
        elif retention.direction == "flat":
            first += f", the same as in {previous}"
        parts.append(first)
    for key, words in (("became_at_risk", "became at risk"), ("churned", "churned"),
                       ("won_back", "came back")):  # fmt: skip
        figure = by_key.get(key)
        if figure is not None and figure.value is not None:
            count = int(figure.value)
            said = f"{count:,} {'customer' if count == 1 else 'customers'} {words}"
            parts.append(said if parts else f"{said} in {period}")
    per_customer = by_key.get("revenue_per_customer")
    if per_customer is not None and per_customer.value is not None:
        amount = money.format(figure_words("money", per_customer.value))
        said = f"revenue per buyer {amount}"
        if per_customer.change_words:
            said += f", {per_customer.change_words}"
        parts.append(said)
    if not parts:
        return f"No figures for {period} yet: nobody bought in it or the period before."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
