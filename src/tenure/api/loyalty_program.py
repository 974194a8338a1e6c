"""/api/v1/loyalty/program/...: the program's analytics (every role, over its book) and the
value of a point (admins). The figures of the Program analytics page, from
``tenure.loyalty.program``; money as decimal strings, rates as percentages (null where
nothing was earned, or nobody was active at the start)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tenure.access import require
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import AnalyticsInput, Input
from tenure.api.types import Money
from tenure.domain.access import Action
from tenure.domain.loyalty_program import LedgerFlows
from tenure.loyalty import program as figures

router = Router(tags=["loyalty"])


class ProgramAnalyticsQuery(AnalyticsInput):
    start: date | None = Field(None, description="the period's first day (default: 364 days ago)")
    end: date | None = Field(None, description="the period's last day (default: today)")


class ProgramExpiryOut(Schema):
    when: str = Field(..., description='"2027-03", "due" (past expiry, not yet taken) or "never"')
    points: int


class ProgramLiabilityOut(Schema):
    outstanding_points: int = Field(..., description="the sum of the positive balances")
    holders: int
    point_value: str | None = Field(..., description="what one point is worth; null: not set")
    value: Money | None = Field(..., description="outstanding points x point value")
    expiry: list[ProgramExpiryOut]


class ProgramFlowsOut(Schema):
    earned: int = Field(..., description="earned, net of reversals")
    redeemed: int = Field(..., description="redeemed, net of cancelled redemptions")
    expired: int
    adjusted: int
    redemption_rate: float | None = Field(..., description="redeemed / earned x 100")
    breakage_rate: float | None = Field(..., description="expired / earned x 100")


class ProgramGroupOut(Schema):
    customers: int
    S: int
    E: int
    N: int
    retention_rate: float | None = Field(..., description="((E - N) / S) x 100")
    churn_rate: float | None
    buyers: int
    orders: int
    revenue: Money
    average_order_value: Money | None
    orders_per_year: float | None
    lifespan_years: float | None = Field(..., description="the period over its churn, <= 10")
    historical_clv: Money | None


class ProgramAnalyticsOut(Schema):
    start: date
    end: date
    liability: ProgramLiabilityOut
    period: ProgramFlowsOut
    lifetime: ProgramFlowsOut
    members: ProgramGroupOut
    non_members: ProgramGroupOut
    rule: str = Field(..., description="the activity rule of the retention figures")
    note: str


class ProgramPointValueIn(Input):
    point_value: Decimal | None = Field(
        ..., ge=0, le=1_000_000, max_digits=12, decimal_places=6,
        description="what one point is worth in the currency; null unsets it",
    )  # fmt: skip


class ProgramPointValueOut(Schema):
    point_value: str | None


NOTE = (
    "A comparison, not an effect: members chose to join or bought enough to earn, so they "
    "differ from non-members in more than the program."
)


def _flows(flows: LedgerFlows) -> ProgramFlowsOut:
    return ProgramFlowsOut(
        earned=flows.earned_net, redeemed=flows.redeemed_net, expired=flows.expired,
        adjusted=flows.adjusted, redemption_rate=flows.redemption_rate,
        breakage_rate=flows.breakage_rate,
    )  # fmt: skip


def _group(group: figures.GroupFigures) -> ProgramGroupOut:
    return ProgramGroupOut(
        customers=group.customers, S=group.S, E=group.E, N=group.N,
        retention_rate=group.retention_rate, churn_rate=group.churn_rate, buyers=group.buyers,
        orders=group.orders, revenue=group.revenue, average_order_value=group.average_order_value,
        orders_per_year=group.orders_per_year, lifespan_years=group.lifespan_years,
        historical_clv=group.clv,
    )  # fmt: skip


def _value_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


@router.get(
    "/loyalty/program/analytics",
    response={200: ProgramAnalyticsOut, **ERROR_RESPONSES},
    summary="The program's liability, redemption and breakage, members against non-members",
    operation_id="get_loyalty_program_analytics",
)
def program_analytics(
    request: HttpRequest, query: Query[ProgramAnalyticsQuery]
) -> ProgramAnalyticsOut:
    user = caller(request)
    require(user, Action.VIEW)
    now = timezone.now()
    start, end = figures.default_period(timezone.localdate(now))
    start, end = query.start or start, query.end or end
    found = figures.program_analytics(user=user, start=start, end=end, now=now)
    liability = found.liability
    return ProgramAnalyticsOut(
        start=start, end=end,
        liability=ProgramLiabilityOut(
            outstanding_points=liability.outstanding, holders=liability.holders,
            point_value=_value_text(liability.point_value), value=liability.value,
            expiry=[ProgramExpiryOut(when=when, points=n) for when, n in liability.schedule],
        ),
        period=_flows(found.period), lifetime=_flows(found.lifetime),
        members=_group(found.comparison.members), non_members=_group(found.comparison.others),
        rule=found.comparison.rule_description, note=NOTE,
    )  # fmt: skip


@router.put(
    "/loyalty/program/point-value",
    response={200: ProgramPointValueOut, **ERROR_RESPONSES},
    summary="Set the value of a point, for the liability (admins)",
    operation_id="put_loyalty_program_point_value",
)
def put_point_value(request: HttpRequest, payload: ProgramPointValueIn) -> ProgramPointValueOut:
    settings = figures.point_value_set(by=caller(request), value=payload.point_value)
    return ProgramPointValueOut(point_value=_value_text(settings.point_value))
