"""Contract figures from the database: MRR movements and renewals by hand, the role filter,
currencies, and Fader & Hardie's (2007) renewal cohort stored as 1,000 yearly subscriptions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.customers.models import Customer, Subscription
from tenure.insights.contracts import contract_figures, renewal_survival
from tenure.users.models import Role
from tests.factories import make_customer, make_user

from .builders import at

pytestmark = pytest.mark.django_db

Q1 = {"start": date(2025, 1, 1), "end": date(2025, 3, 31), "as_of": date(2025, 6, 30)}


def subscribe(
    customer: Customer | None = None,
    *,
    amount: str,
    interval: str,
    started: date,
    cancelled: date | None = None,
    currency: str = "USD",
) -> Subscription:
    return Subscription.objects.create(
        customer=customer or make_customer(),
        plan=f"{interval}ly",
        amount=Decimal(amount),
        currency=currency,
        interval=interval,
        started_at=at(started),
        cancelled_at=at(cancelled) if cancelled else None,
    )


def three_plans(owner=None) -> None:
    """30/month, 300/quarter (100/month) and 1200/year (100/month) since 2024: 230 MRR on
    1 January 2025. The quarterly one is cancelled on its renewal date, 1 January (churned,
    not renewed); a 50/month plan starts on 1 February. ``owner`` gets the quarterly and the
    yearly customers."""
    subscribe(amount="30.00", interval="month", started=date(2024, 1, 1))
    own = make_customer(owner=owner)
    subscribe(own, amount="300.00", interval="quarter", started=date(2024, 1, 1),
              cancelled=date(2025, 1, 1))  # fmt: skip
    subscribe(make_customer(owner=owner), amount="1200.00", interval="year",
              started=date(2024, 1, 1))  # fmt: skip
    subscribe(amount="50.00", interval="month", started=date(2025, 2, 1))


def test_three_plans_by_hand():
    three_plans()
    figures = contract_figures(user=None, **Q1)
    assert figures.currency == "USD" and figures.currency_note == ""
    assert figures.start_mrr == Decimal("230.00")
    assert figures.churned_mrr == Decimal("100.00")
    assert figures.new_mrr == Decimal("50.00")
    assert (figures.expansion_mrr, figures.contraction_mrr) == (Decimal("0.00"), Decimal("0.00"))
    assert figures.end_mrr == Decimal("180.00")
    assert all(
        isinstance(v, Decimal)
        for v in (figures.start_mrr, figures.new_mrr, figures.churned_mrr, figures.end_mrr)
    )
    assert figures.grr == figures.nrr == 100 * 130 / 230
    counts = (figures.subscriptions_at_start, figures.churned_subscriptions,
              figures.new_subscriptions, figures.subscriptions_at_end)  # fmt: skip
    assert counts == (3, 1, 1, 3)
    # Due in Q1: the old monthly plan on 1 Jan, 1 Feb, 1 Mar; the quarterly on 1 Jan (lost);
    # the yearly on 1 Jan; the new monthly on 1 Mar.
    assert (figures.up_for_renewal, figures.renewed) == (6, 5)
    assert figures.renewal_rate == 100 * 5 / 6
    assert any("amount changes are not stored" in note for note in figures.notes)
    assert (figures.start, figures.end) == (Q1["start"], Q1["end"])


def test_a_success_manager_counts_only_their_customers_subscriptions():
    mine = make_user(role=Role.SUCCESS_MANAGER)
    three_plans(owner=mine)
    own = contract_figures(user=mine, **Q1)
    # Their quarterly (100/month, lost) and yearly (100/month): 200 at the start, half kept.
    assert (own.start_mrr, own.churned_mrr, own.new_mrr) == (
        Decimal("200.00"), Decimal("100.00"), Decimal("0.00"),
    )  # fmt: skip
    assert own.nrr == 50.0 and own.grr == 50.0
    assert (own.up_for_renewal, own.renewed, own.renewal_rate) == (2, 1, 50.0)
    everyone = contract_figures(user=make_user(role=Role.ANALYST), **Q1)
    assert everyone.start_mrr == Decimal("230.00")
    stranger = contract_figures(user=make_user(role=Role.SUCCESS_MANAGER), **Q1)
    assert stranger.start_mrr == Decimal("0.00") and stranger.up_for_renewal == 0
    assert stranger.nrr is None and stranger.renewal_rate is None


def test_yearly_amounts_are_rounded_to_the_cent_once():
    subscribe(amount="1000.00", interval="year", started=date(2024, 5, 1))
    subscribe(amount="100.00", interval="year", started=date(2024, 5, 1))
    figures = contract_figures(user=None, **Q1)
    assert figures.start_mrr == Decimal("91.67")  # 1100 / 12 = 91.666..., not 83.33 + 8.33


def test_other_currencies_are_left_out_and_named(settings):
    settings.TENURE_CURRENCY = "USD"
    subscribe(amount="30.00", interval="month", started=date(2024, 1, 1))
    subscribe(amount="20.00", interval="month", started=date(2024, 1, 1), currency="EUR")
    subscribe(amount="10.00", interval="month", started=date(2024, 1, 1), currency="EUR")
    figures = contract_figures(user=None, **Q1)
    assert (figures.currency, figures.start_mrr) == ("USD", Decimal("30.00"))
    assert "2 in EUR" in figures.currency_note
    euros = contract_figures(user=None, currency="eur", **Q1)
    assert (euros.currency, euros.start_mrr) == ("EUR", Decimal("30.00"))
    settings.TENURE_CURRENCY = "GBP"  # not used: the most used currency is added up
    assert contract_figures(user=None, **Q1).currency == "EUR"


def test_renewals_after_as_of_are_not_due_yet():
    subscribe(amount="10.00", interval="month", started=date(2025, 1, 15))
    figures = contract_figures(
        user=None, start=date(2025, 4, 1), end=date(2025, 6, 30), as_of=date(2025, 5, 1)
    )
    assert (figures.up_for_renewal, figures.renewed) == (1, 1)
    assert any("runs past 2025-05-01" in note for note in figures.notes)


def test_days_follow_the_business_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    # 02:00 UTC on 1 January is still 31 December in New York: active at the start of Q1.
    Subscription.objects.create(
        customer=make_customer(), plan="m", amount=Decimal("10.00"), currency="USD",
        interval="month", started_at=datetime(2025, 1, 1, 2, tzinfo=UTC),
    )  # fmt: skip
    figures = contract_figures(user=None, **Q1)
    assert (figures.start_mrr, figures.new_mrr) == (Decimal("10.00"), Decimal("0.00"))


def test_bad_periods_are_refused():
    with pytest.raises(InvalidInputError, match="before it starts"):
        contract_figures(user=None, start=date(2025, 2, 1), end=date(2025, 1, 1))
    with pytest.raises(InvalidInputError, match="interval"):
        renewal_survival(user=None, interval="week")
    with pytest.raises(InvalidInputError, match="periods_ahead"):
        renewal_survival(user=None, periods_ahead=-1)


def test_the_figures_take_two_queries(django_assert_max_num_queries):
    three_plans(owner=make_user(role=Role.SUCCESS_MANAGER))
    user = make_user(role=Role.SUCCESS_MANAGER)
    with django_assert_max_num_queries(2):
        contract_figures(user=user, **Q1)
    with django_assert_max_num_queries(1):
        renewal_survival(user=user, as_of=date(2025, 6, 30))


# FH07's "Regular" cohort, survivors at the start of years 0-12 (shared/data/sbg/survival.csv).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 224, 208, 194, 183, 173]


def store_regular_cohort(owner=None) -> None:
    """1,000 customers, each with a yearly subscription from 2015-01-01: those lost in year t
    cancel on its t-th anniversary; the last 173 never cancel."""
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"FH07-{i:04d}", created_at=at(date(2015, 1, 1)), owner=owner)
        for i in range(REGULAR[0])
    )
    cancel_years = np.repeat(np.arange(1, len(REGULAR)), -np.diff(REGULAR))
    Subscription.objects.bulk_create(
        Subscription(
            customer=customer,
            plan="Regular",
            amount=Decimal("120.00"),
            currency="USD",
            interval="year",
            started_at=at(date(2015, 1, 1)),
            cancelled_at=at(date(2015 + int(cancel_years[i]), 1, 1))
            if i < cancel_years.size
            else None,
        )
        for i, customer in enumerate(customers)
    )


def test_the_fh07_cohort_as_subscriptions_reproduces_the_paper():
    store_regular_cohort()
    # Seen in mid-2022, years 0-7 are observed, as in the paper; later cancellations not yet.
    projection = renewal_survival(user=None, as_of=date(2022, 6, 30), periods_ahead=5)
    assert [row.survivors for row in projection.rows] == REGULAR[:8]
    assert {row.cohort for row in projection.rows} == {"2015"}
    assert projection.rows[1].retained_pct == pytest.approx(63.1)
    assert projection.rows[0].cohort_start == date(2015, 1, 1)
    for fit in (projection.pooled, *projection.cohorts):
        assert fit.fitted and fit.observed_periods == 7 and fit.customers == 1000
        assert (round(fit.alpha, 3), round(fit.beta, 3)) == (0.704, 1.182)
        assert fit.alpha_se > 0 and fit.beta_se > 0
        # shared/data/sbg/README.md: projected survival (%) for years 8-12.
        np.testing.assert_allclose(
            fit.projected_pct, [22.0, 20.4, 19.1, 18.0, 17.0], atol=0.05 + 1e-9
        )
        np.testing.assert_allclose(
            fit.survival_pct[:8], [100.0, 62.7, 47.4, 38.8, 33.2, 29.2, 26.2, 23.9], atol=0.05
        )
    assert projection.reason == ""


def test_the_survival_of_a_success_manager_is_their_own():
    mine = make_user(role=Role.SUCCESS_MANAGER)
    store_regular_cohort()
    subscribe(make_customer(owner=mine), amount="99.00", interval="year",
              started=date(2020, 3, 1))  # fmt: skip
    own = renewal_survival(user=mine, as_of=date(2022, 6, 30))
    assert [(row.cohort, row.period, row.survivors) for row in own.rows] == [
        ("2020", 0, 1), ("2020", 1, 1), ("2020", 2, 1),
    ]  # fmt: skip
    assert own.pooled is not None and not own.pooled.fitted
    assert "2 renewal period(s) observed" in own.reason
    nobody = renewal_survival(user=make_user(role=Role.SUCCESS_MANAGER), as_of=date(2022, 6, 30))
    assert nobody.rows == [] and nobody.pooled is None
    assert nobody.reason == "No yearly subscription started by 2022-06-30."
