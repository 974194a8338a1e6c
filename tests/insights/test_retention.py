"""Retention and churn from the database: DOMAIN.md's example as records, the role filter, the
business's calendar, subscriptions, and the series of periods."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tenure.analytics.activity import ActivityRule
from tenure.analytics.errors import InvalidInputError
from tenure.customers.models import Subscription
from tenure.insights.selectors import (
    cohort_table,
    period_bounds,
    retention_figures,
    retention_series,
)
from tenure.orders.models import OrderStatus
from tenure.users.models import Role
from tests.factories import make_customer, make_order, make_user

from .builders import at, buyer

pytestmark = pytest.mark.django_db

Q2 = (date(2025, 4, 1), date(2025, 6, 30))
SIXTY_DAYS = ActivityRule(kind="fixed_days", days=60)


def domain_example(owner=None, owned: int = 0) -> None:
    """S = 20 active on 1 April, 19 buy again in June, 5 new in June; plus two who count
    nowhere (lost long before; new in April but silent since). The first ``owned`` of the 20
    belong to ``owner``."""
    for i in range(20):
        days = [date(2025, 3, 10), date(2025, 3, 20)] + ([] if i == 0 else [date(2025, 6, 20)])
        buyer(*days, owner=owner if i < owned else None)
    for _ in range(5):
        buyer(date(2025, 6, 10))
    buyer(date(2024, 1, 5))
    buyer(date(2025, 4, 2))


def test_the_domain_example_as_records_gives_95_percent():
    domain_example()
    figures = retention_figures(
        user=make_user(role=Role.MANAGER), start=Q2[0], end=Q2[1], rule=SIXTY_DAYS
    )
    assert (figures.S, figures.E, figures.N, figures.lost) == (20, 24, 5, 1)
    assert figures.retention_rate == 95.0
    assert figures.churn_rate == 5.0
    assert figures.rule_description.startswith("Lost after no order for 60 days.")
    assert (figures.start, figures.end) == Q2


def test_refunded_and_cancelled_orders_are_no_sign_of_life():
    lapsed = buyer(date(2025, 3, 1))
    make_order(customer=lapsed, placed_at=at(date(2025, 6, 1)), status=OrderStatus.REFUNDED)
    make_order(customer=lapsed, placed_at=at(date(2025, 6, 2)), status=OrderStatus.CANCELLED)
    figures = retention_figures(user=None, start=Q2[0], end=Q2[1], rule=SIXTY_DAYS)
    assert (figures.S, figures.E, figures.lost) == (1, 0, 1)
    assert figures.retention_rate == 0.0 and figures.churn_rate == 100.0


def test_a_success_manager_counts_only_their_own_customers():
    mine = make_user(role=Role.SUCCESS_MANAGER)
    domain_example(owner=mine, owned=3)  # their three include the one who is lost
    own = retention_figures(user=mine, start=Q2[0], end=Q2[1], rule=SIXTY_DAYS)
    assert (own.S, own.E, own.N, own.lost) == (3, 2, 0, 1)
    assert own.retention_rate == pytest.approx(200 / 3)
    everyone = retention_figures(
        user=make_user(role=Role.ANALYST), start=Q2[0], end=Q2[1], rule=SIXTY_DAYS
    )
    assert (everyone.S, everyone.lost) == (20, 1)
    stranger = make_user(role=Role.SUCCESS_MANAGER)
    nobody = retention_figures(user=stranger, start=Q2[0], end=Q2[1], rule=SIXTY_DAYS)
    assert (nobody.S, nobody.E, nobody.N) == (0, 0, 0)


def test_no_customer_at_the_start_leaves_the_rates_undefined_not_zero():
    buyer(date(2025, 5, 15))
    figures = retention_figures(user=None, start=Q2[0], end=Q2[1], rule=SIXTY_DAYS)
    assert (figures.S, figures.E, figures.N) == (0, 1, 1)
    assert figures.retention_rate is None and figures.churn_rate is None


def test_days_follow_the_business_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    # 22:30 UTC on 30 June is already 1 July in Paris: a Q3 customer, not a Q2 one.
    late = make_customer()
    make_order(customer=late, placed_at=datetime(2025, 6, 30, 22, 30, tzinfo=UTC))
    # 21:30 UTC on 30 June is 23:30 in Paris: still Q2.
    early = make_customer()
    make_order(customer=early, placed_at=datetime(2025, 6, 30, 21, 30, tzinfo=UTC))
    figures = retention_figures(user=None, start=Q2[0], end=Q2[1], rule=SIXTY_DAYS)
    assert (figures.E, figures.N) == (1, 1)


def test_subscribers_count_until_their_cancellation():
    staying, leaving = make_customer(), make_customer()
    for customer, cancelled in ((staying, None), (leaving, datetime(2025, 5, 1, tzinfo=UTC))):
        Subscription.objects.create(
            customer=customer,
            plan="Beans monthly",
            amount=Decimal("20.00"),
            currency="USD",
            interval="month",
            started_at=datetime(2024, 1, 1, tzinfo=UTC),
            cancelled_at=cancelled,
        )
    figures = retention_figures(user=None, start=Q2[0], end=Q2[1], rule=SIXTY_DAYS)
    assert (figures.S, figures.E, figures.lost) == (2, 1, 1)
    assert "until it is cancelled" in figures.rule_description


def test_the_default_rule_is_the_customers_own_rhythm():
    weekly = buyer(*[date(2025, 3, d) for d in (3, 10, 17, 24, 31)])
    monthly = buyer(date(2025, 1, 5), date(2025, 2, 5), date(2025, 3, 5))
    make_order(customer=monthly, placed_at=at(date(2025, 6, 1)))
    figures = retention_figures(user=None, start=Q2[0], end=Q2[1])
    # weekly: gap 7 days, silent 91 days by 1 July -> lost; monthly: gap 49 days, 30 silent.
    assert (figures.S, figures.E, figures.lost) == (2, 1, 1)
    assert weekly.pk != monthly.pk
    assert "3 \N{MULTIPLICATION SIGN} the customer's own typical gap" in figures.rule_description


def test_a_p_alive_rule_needs_a_fit():
    buyer(date(2025, 3, 1))
    with pytest.raises(InvalidInputError, match="tenure clv fit"):
        retention_figures(user=None, start=Q2[0], end=Q2[1], rule=ActivityRule(kind="p_alive"))


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(InvalidInputError):
        retention_figures(user=None, start=Q2[1], end=Q2[0])


def test_period_bounds_read_what_people_write():
    assert period_bounds("2025-Q2") == Q2
    with pytest.raises(InvalidInputError):
        period_bounds("Q2 2025")


def test_a_series_is_one_figure_per_whole_period_consistent_with_single_periods():
    domain_example()
    series = retention_series(
        user=None, period="quarter", count=3, end=date(2025, 8, 15), rule=SIXTY_DAYS
    )
    assert [(f.start, f.end) for f in series] == [
        (date(2024, 10, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 3, 31)),
        Q2,
    ]
    assert series[-1] == retention_figures(user=None, start=Q2[0], end=Q2[1], rule=SIXTY_DAYS)
    q1 = series[1]
    assert (q1.S, q1.N, q1.E) == (0, 20, 20)  # everyone of the example started in March


def test_the_cohort_table_counts_the_visible_customers_by_first_month():
    mine = make_user(role=Role.SUCCESS_MANAGER)
    buyer(date(2025, 1, 10), date(2025, 2, 10), owner=mine)
    buyer(date(2025, 1, 20), amount="30.00", owner=mine)
    buyer(date(2025, 2, 5), date(2025, 3, 5))  # someone else's
    table = cohort_table(user=mine, period="month", count_periods=3, end=date(2025, 3, 31))
    january = table[table["cohort"] == "2025-01-01"].set_index("period")
    assert january["customers"].tolist() == [2, 2, 2]
    assert january["active"].tolist() == [2, 1, 0]
    assert january.loc[0, "revenue"] == pytest.approx(80.0)
    assert set(table["cohort"].astype(str)) == {"2025-01-01"}
    everyone = cohort_table(user=None, count_periods=3, end=date(2025, 3, 31))
    assert set(everyone["cohort"].astype(str)) == {"2025-01-01", "2025-02-01"}
    empty = cohort_table(user=make_user(role=Role.SUCCESS_MANAGER), end=date(2025, 3, 31))
    assert empty.empty
