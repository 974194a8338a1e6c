"""The loyalty program's analytics (issue 17): what the outstanding points cost (the
liability, and when its points expire), how much of what is earned is redeemed or expires,
and members against non-members: retention and historical CLV, computed by the tenure
analytics (``tenure.insights.selectors.retention_figures`` and ``tenure.analytics.metrics``)
over each group, not re-implemented. Every figure counts only the customers the user sees
(``visible``), so a success manager's figures are their book's. The arithmetic is
``tenure.domain.loyalty_program``.

The value of a point is the program's ``point_value``, set by an admin (``point_value_set``):
a liability needs a value the business states. The rewards catalog is no substitute: it sits
above this app, and its prices mix percent-off coupons, free shipping and goods handed over,
none of which is a fixed amount of money per point.

Members are the customers with a points balance (any movement of points made one) or an earn
entry; the others are non-members. A comparison, not an effect: members chose to join (or
bought enough to earn), so they differ from the others in more than the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tenure.access import require, visible
from tenure.analytics.metrics import average_order_value, historical_clv, purchase_frequency
from tenure.customers.models import Customer
from tenure.domain import loyalty_program as figures
from tenure.domain.access import Action
from tenure.insights.reading import completed_orders, day_number, day_start, visible_customer_ids
from tenure.insights.selectors import retention_figures
from tenure.loyalty.models import (
    EntryKind,
    LoyaltyBalance,
    LoyaltyProgram,
    LoyaltyTier,
    PointsEntry,
    PointsLot,
)
from tenure.loyalty.selectors import TierStanding, program, tier_standing, tiers
from tenure.users.models import User

MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class Liability:
    """Outstanding points (the sum of the positive balances), the customers holding them,
    their money value at ``point_value`` (None while no value is set), and the unspent points
    by when they expire (``figures.expiry_schedule``)."""

    outstanding: int
    holders: int
    point_value: Decimal | None
    value: Decimal | None
    schedule: list[tuple[str, int]]


def _customers(user: User | None) -> QuerySet[Customer]:
    return Customer.objects.all() if user is None else visible(user, Customer)


def liability(*, user: User | None, now: datetime) -> Liability:
    """The program's outstanding points and what they are worth, over the user's book."""
    seen = _customers(user).values("pk")
    held = LoyaltyBalance.objects.filter(customer_id__in=seen, balance__gt=0).aggregate(
        points=Sum("balance", default=0), holders=Count("pk")
    )
    lots = PointsLot.objects.filter(customer_id__in=seen, remaining__gt=0)
    due = lots.filter(expires_at__lt=now).aggregate(s=Sum("remaining", default=0))["s"]
    never = lots.filter(expires_at__isnull=True).aggregate(s=Sum("remaining", default=0))["s"]
    months = (
        lots.filter(expires_at__gte=now)
        .annotate(month=TruncMonth("expires_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("month")
        .annotate(points=Sum("remaining"))
        .values_list("month", "points")
    )
    schedule = figures.expiry_schedule(
        due=due, months=[(_day(month), points) for month, points in months], never=never
    )
    value_of_point = program().point_value
    money = None if value_of_point is None else figures.points_money(held["points"], value_of_point)
    return Liability(held["points"], held["holders"], value_of_point, money, schedule)


def _day(month: date | datetime) -> date:
    """TruncMonth gives a date on SQLite's and PostgreSQL's date columns, a local datetime on
    timestamps: the month's first day either way."""
    return timezone.localtime(month).date() if isinstance(month, datetime) else month


def flows(*, user: User | None, start: datetime | None = None, end: datetime | None = None
          ) -> figures.LedgerFlows:  # fmt: skip
    """The points moved in ``[start, end)`` (None: since the beginning, until now), over the
    user's book: earned, reversed (write-offs included), redeemed, restored, expired and the
    net adjustments."""
    entries = PointsEntry.objects.filter(customer_id__in=_customers(user).values("pk"))
    if start is not None:
        entries = entries.filter(created_at__gte=start)
    if end is not None:
        entries = entries.filter(created_at__lt=end)
    sums = entries.aggregate(
        **{kind: Sum("points", filter=Q(kind=kind), default=0) for kind in EntryKind.values},
        written_off=Sum("written_off", filter=Q(kind=EntryKind.REVERSE), default=0),
    )
    return figures.LedgerFlows(
        earned=sums[EntryKind.EARN],
        reversed=-sums[EntryKind.REVERSE] + sums["written_off"],
        redeemed=-sums[EntryKind.REDEEM],
        restored=sums[EntryKind.RESTORE],
        expired=-sums[EntryKind.EXPIRE],
        adjusted=sums[EntryKind.ADJUST],
    )


def members_ids() -> QuerySet[Customer, Any]:
    """The ids of the program's members: a balance row, or an earn entry."""
    earned = PointsEntry.objects.filter(customer_id=OuterRef("pk"), kind=EntryKind.EARN)
    balance = LoyaltyBalance.objects.filter(customer_id=OuterRef("pk"))
    return Customer.objects.filter(Exists(balance) | Exists(earned)).values("pk")


@dataclass(frozen=True)
class GroupFigures:
    """One group's retention over the period (S, E, N, rates in percent; None with nobody
    active at the start) and its historical CLV: orders per year per buyer x average order
    value x the lifespan its churn implies (capped at 10 years), over completed orders placed
    in the period."""

    name: str
    customers: int
    S: int
    E: int
    N: int
    retention_rate: float | None
    churn_rate: float | None
    buyers: int
    orders: int
    revenue: Decimal
    average_order_value: Decimal | None
    orders_per_year: float | None
    lifespan_years: float | None
    clv: Decimal | None


@dataclass(frozen=True)
class Comparison:
    start: date
    end: date
    members: GroupFigures
    others: GroupFigures
    rule_description: str


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(figures.CENT, rounding=ROUND_HALF_UP)


def _group(user: User | None, name: str, ids: QuerySet[Any], start: date, end: date
           ) -> tuple[GroupFigures, str]:  # fmt: skip
    kept = retention_figures(user=user, start=start, end=end, within=ids)
    customers = visible_customer_ids(user, within=ids)
    assert customers is not None
    orders = completed_orders(customers=customers, before=day_start(end + timedelta(days=1)),
                              with_amount=True)  # fmt: skip
    keep = orders.day >= day_number(start)
    count, cents = int(keep.sum()), int(orders.cents[keep].sum())
    buyers = int(np.unique(orders.customer_id[keep]).size)
    days = (end - start).days + 1
    aov = frequency = clv = None
    lifespan = figures.lifespan_years(days, kept.churn_rate)
    if count:
        aov = average_order_value(cents / 100.0, count)
        frequency = figures.per_year(purchase_frequency(count, buyers), days)
        if lifespan is not None:
            clv = _money(historical_clv(frequency, aov, lifespan))
    return GroupFigures(
        name=name, customers=customers.count(), S=kept.S, E=kept.E, N=kept.N,
        retention_rate=kept.retention_rate, churn_rate=kept.churn_rate, buyers=buyers,
        orders=count, revenue=Decimal(cents) / 100, orders_per_year=frequency,
        average_order_value=None if aov is None else _money(aov),
        lifespan_years=lifespan, clv=clv,
    ), kept.rule_description  # fmt: skip


def period_check(start: date, end: date) -> None:
    if end < start:
        raise ValidationError({"end": [f"the period ends ({end}) before it starts ({start})"]})
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError({"start": [f"a period of at most {MAX_PERIOD_DAYS} days"]})


def members_compare(*, user: User | None, start: date, end: date) -> Comparison:
    """Members against non-members over the days ``start`` .. ``end`` (inclusive)."""
    period_check(start, end)
    members = members_ids()
    others = Customer.objects.exclude(pk__in=members).values("pk")
    in_program, rule = _group(user, "members", members, start, end)
    outside, _ = _group(user, "non-members", others, start, end)
    return Comparison(start, end, in_program, outside, rule)


@dataclass(frozen=True)
class ProgramAnalytics:
    liability: Liability
    period: figures.LedgerFlows
    lifetime: figures.LedgerFlows
    comparison: Comparison


def program_analytics(
    *, user: User | None, start: date, end: date, now: datetime
) -> ProgramAnalytics:
    """The page's and the API's figures, the flows' period being ``start`` .. ``end`` in the
    business's days."""
    period_check(start, end)
    return ProgramAnalytics(
        liability=liability(user=user, now=now),
        period=flows(user=user, start=day_start(start), end=day_start(end + timedelta(days=1))),
        lifetime=flows(user=user),
        comparison=members_compare(user=user, start=start, end=end),
    )


def default_period(today: date) -> tuple[date, date]:
    """The last 365 days to ``today``."""
    return today - timedelta(days=364), today


@transaction.atomic
def point_value_set(*, by: User | None, value: Any) -> LoyaltyProgram:
    """The value of one point in the currency (admins; None or "" unsets it). Kept in the
    program's history (auditlog) like its other settings."""
    if by is not None:
        require(by, Action.ADMINISTER)
    if value is None or value == "":
        parsed = None
    else:
        try:
            parsed = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError({"point_value": ["an amount such as 0.01"]}) from None
        if not parsed.is_finite():
            raise ValidationError({"point_value": ["an amount such as 0.01"]})
    settings = LoyaltyProgram.objects.select_for_update().get(pk=program().pk)
    settings.point_value = parsed
    settings.full_clean()
    settings.save()
    return settings


# --- the customer's own page (the signed link) ---------------------------------------------


@dataclass(frozen=True)
class PointsPage:
    """What the customer's signed page shows of them, and nothing of anyone else: balance,
    points expiring within ``SOON_DAYS``, tier and its benefits, the next tier and how far
    (in points or spend, as the program qualifies), the latest entries and their challenges."""

    customer: Customer
    program: LoyaltyProgram
    balance: int
    expiring: list[PointsLot]
    tier: TierStanding
    next_tier: LoyaltyTier | None
    to_next: Decimal | None
    entries: list[PointsEntry]
    challenges: list[Any]


SOON_DAYS = 60


def points_page(*, customer_id: int, now: datetime, entries: int = 20) -> PointsPage | None:
    """The customer's page (None: no such customer). No access check: the caller verified the
    signed token that names this customer."""
    from tenure.loyalty.challenges import challenges_of

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None
    row = LoyaltyBalance.objects.filter(customer_id=customer_id).first()
    expiring = list(
        PointsLot.objects.filter(
            customer_id=customer_id, remaining__gt=0, expires_at__isnull=False,
            expires_at__lte=now + timedelta(days=SOON_DAYS),
        )
    )  # fmt: skip
    standing = tier_standing(customer_id, limit=5)
    rank = standing.tier.rank if standing.tier is not None else 0
    higher = [tier for tier in tiers() if tier.rank > rank]
    next_tier = higher[0] if higher else None
    to_next = None
    if next_tier is not None:
        to_next = max(Decimal(0), next_tier.threshold - standing.qualifying)
    return PointsPage(
        customer=customer, program=program(), balance=row.balance if row else 0,
        expiring=expiring, tier=standing, next_tier=next_tier, to_next=to_next,
        entries=list(PointsEntry.objects.filter(customer_id=customer_id)[:entries]),
        challenges=challenges_of(customer_id, now),
    )  # fmt: skip
