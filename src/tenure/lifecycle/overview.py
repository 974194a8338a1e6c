"""Reads: the answer first. The KPI strip of the Analytics and Lifecycle pages (each figure with
its change against the period before) and the sentence that says it, from the same figures.

Retention, churn and active customers are the page's own ``RetentionFigures`` (passed in, never
computed twice); revenue, orders and buyers are two aggregates over the completed orders of the
two periods; NPS over the answers given in them; at risk, churned and won back count the
effective stage moves into the stages of those roles in each period. Everything under
``visible(user)`` and ``within`` (a segment's members now), like every figure of the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from tenure.analytics.headline import Kpi, headline_sentence, kpi
from tenure.feedback.models import SurveyKind, SurveyResponse
from tenure.insights.reading import day_start
from tenure.insights.selectors import RetentionFigures
from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.selectors import Within, _of
from tenure.lifecycle.services import active_model
from tenure.orders.models import Order, OrderStatus
from tenure.users.models import User

Bounds = tuple[date, date]
"""A period's first and last day, both inclusive."""


@dataclass(frozen=True)
class PeriodTotals:
    """What one period holds besides retention: completed orders (revenue, orders, buyers),
    the NPS of the answers given in it (None without any), and the customers who moved into
    the at-risk, lost and won-back stages."""

    revenue: Decimal
    orders: int
    buyers: int
    nps: float | None
    nps_answers: int
    became_at_risk: int
    churned: int
    won_back: int


@dataclass(frozen=True)
class Overview:
    """The strip (``kpis``, in the order shown), the sentence, and the periods they compare."""

    period: str
    previous: str
    kpis: list[Kpi]
    sentence: str
    current_totals: PeriodTotals
    previous_totals: PeriodTotals
    at_risk_now: int


def period_totals(*, user: User | None, bounds: Bounds, within: Within = None) -> PeriodTotals:
    """Revenue, orders and buyers, NPS and the stage moves of the days ``bounds``."""
    start, end = day_start(bounds[0]), day_start(bounds[1] + timedelta(days=1))
    orders = _of(user, Order, within).filter(
        status=OrderStatus.COMPLETED, placed_at__gte=start, placed_at__lt=end
    )
    figures = orders.order_by().aggregate(
        revenue=Sum("amount"), orders=Count("pk"), buyers=Count("customer_id", distinct=True)
    )
    answers = (
        _of(user, SurveyResponse, within)
        .filter(kind=SurveyKind.NPS, answered_at__gte=start, answered_at__lt=end)
        .order_by()
        .aggregate(n=Count("pk"), promoters=Count("pk", filter=Q(score__gte=9)),
                   detractors=Count("pk", filter=Q(score__lte=6)))
    )  # fmt: skip
    n = answers["n"]
    nps = 100.0 * (answers["promoters"] - answers["detractors"]) / n if n else None
    _definition, model = active_model()
    moves = (
        _of(user, StageTransition, within)
        .filter(superseded_at__isnull=True, effective_at__gte=start, effective_at__lt=end)
        .order_by()
    )

    def moved_into(*roles: str) -> int:
        keys = model.keys_with_role(*roles)
        if not keys:
            return 0
        return moves.filter(to_stage__in=keys).values("customer_id").distinct().count()

    return PeriodTotals(
        revenue=Decimal(figures["revenue"] or 0).quantize(Decimal("0.01")),
        orders=figures["orders"],
        buyers=figures["buyers"],
        nps=nps,
        nps_answers=n,
        became_at_risk=moved_into("at_risk"),
        churned=moved_into("lost"),
        won_back=moved_into("won_back"),
    )


def at_risk_now(*, user: User | None, within: Within = None) -> int:
    """The visible customers in a stage whose role is at risk now."""
    _definition, model = active_model()
    stages = model.keys_with_role("at_risk")
    return _of(user, CustomerStage, within).filter(stage__in=stages).count()


def _ratio(amount: Decimal, count: int) -> float | None:
    return float(amount) / count if count else None


def overview(
    *,
    user: User | None,
    bounds: Bounds,
    previous_bounds: Bounds,
    period: str,
    previous: str,
    retention: tuple[RetentionFigures, RetentionFigures] | None = None,
    within: Within = None,
    money: str = "{}",
) -> Overview:
    """The strip and its sentence for the period ``bounds`` against ``previous_bounds``
    (named ``period`` and ``previous`` in the words). ``retention``: the page's figures of the
    previous and the current period, when the page shows retention; its strip then starts with
    retention, churn and active customers."""
    now = period_totals(user=user, bounds=bounds, within=within)
    before = period_totals(user=user, bounds=previous_bounds, within=within)
    strip: list[Kpi] = []
    if retention is not None:
        old, new = retention
        strip += [
            kpi("retention", "Retention", "percent", new.retention_rate, old.retention_rate),
            kpi("churn", "Churn", "percent", new.churn_rate, old.churn_rate,
                higher_is_better=False),
            kpi("active", "Active customers", "count", new.E, old.E),
        ]  # fmt: skip
    strip += [
        kpi("revenue", "Revenue", "money", now.revenue, before.revenue),
        kpi("average_order_value", "Average order", "money",
            _ratio(now.revenue, now.orders), _ratio(before.revenue, before.orders)),
        kpi("revenue_per_customer", "Revenue per buyer", "money",
            _ratio(now.revenue, now.buyers), _ratio(before.revenue, before.buyers)),
    ]  # fmt: skip
    if now.nps_answers or before.nps_answers:
        strip.append(kpi("nps", "NPS", "score", now.nps, before.nps))
    strip += [
        kpi("became_at_risk", "Became at risk", "count", now.became_at_risk,
            before.became_at_risk, higher_is_better=False),
        kpi("churned", "Churned", "count", now.churned, before.churned, higher_is_better=False),
    ]  # fmt: skip
    if active_model()[1].keys_with_role("won_back"):
        strip.append(kpi("won_back", "Won back", "count", now.won_back, before.won_back))
    return Overview(
        period=period,
        previous=previous,
        kpis=strip,
        sentence=headline_sentence(strip, period=period, previous=previous, money=money),
        current_totals=now,
        previous_totals=before,
        at_risk_now=at_risk_now(user=user, within=within),
    )


def kpi_by_key(found: Overview) -> dict[str, Any]:
    """The strip by key, for templates and tests."""
    return {figure.key: figure for figure in found.kpis}
