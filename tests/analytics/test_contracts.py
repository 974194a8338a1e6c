"""Contract businesses by hand: MRR movements, renewals, renewal cohorts and the sBG projection
(Fader & Hardie 2007) laid out as subscriptions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import betaln

from tenure.analytics.contracts import (
    INTERVAL_MONTHS,
    CensoredShiftedBetaGeometric,
    anniversary,
    monthly_recurring_revenue,
    mrr_movements,
    renewal_cohorts,
    renewals,
    survival_projection,
)
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.models import ShiftedBetaGeometric

from .conftest import cohort_counts

Q1 = {"period_start": date(2025, 1, 1), "period_end": date(2025, 3, 31)}


def test_mrr_brings_every_amount_to_a_month():
    mrr = monthly_recurring_revenue([30.0, 300.0, 1200.0], [1, 3, 12])
    np.testing.assert_array_equal(mrr, [30.0, 100.0, 100.0])
    assert INTERVAL_MONTHS == {"month": 1, "quarter": 3, "year": 12}


def test_three_subscriptions_by_hand():
    # 30/month + 300/quarter (100/month) + 1200/year (100/month) = 230 at the start of Q1;
    # the quarterly one cancels in February: 100 churned, 130 kept. A 50/month subscription
    # starts in February (new), and one starts and stops within Q1 (in neither).
    movements = mrr_movements(
        ["2024-01-01", "2024-01-01", "2024-06-15", "2025-02-01", "2025-01-05"],
        [None, "2025-02-10", None, None, "2025-03-01"],
        [30.0, 300.0, 1200.0, 50.0, 80.0],
        [1, 3, 12, 1, 1],
        **Q1,
    )
    assert (movements.start_mrr, movements.churned_mrr, movements.new_mrr) == (230.0, 100.0, 50.0)
    assert (movements.expansion_mrr, movements.contraction_mrr) == (0.0, 0.0)
    assert movements.end_mrr == 180.0
    assert movements.grr == 100 * 130 / 230
    assert movements.nrr == 100 * 130 / 230  # new MRR is not the start cohort's
    assert round(movements.nrr, 2) == 56.52
    counts = (movements.active_at_start, movements.churned, movements.new, movements.active_at_end)
    assert counts == (3, 1, 1, 3)
    assert (movements.started_and_cancelled, movements.started_and_cancelled_mrr) == (1, 80.0)
    assert movements.amount_changes_tracked is False
    assert any("amount changes are not stored" in note for note in movements.notes)
    assert any("quarterly amounts / 3, yearly / 12" in note for note in movements.notes)
    assert any("started and cancelled within" in note for note in movements.notes)


def test_boundaries_are_the_starts_of_days():
    movements = mrr_movements(
        # started on the first day: new; cancelled on the first day: churned; cancelled on the
        # last day: churned; cancelled the day after: still active at the end.
        ["2025-01-01", "2024-01-01", "2024-01-01", "2024-01-01"],
        [None, "2025-01-01", "2025-03-31", "2025-04-01"],
        [10.0, 20.0, 40.0, 80.0],
        [1, 1, 1, 1],
        **Q1,
    )
    assert (movements.start_mrr, movements.new_mrr, movements.churned_mrr) == (140.0, 10.0, 60.0)
    assert movements.end_mrr == 90.0


def test_no_mrr_at_the_start_leaves_grr_and_nrr_undefined():
    movements = mrr_movements(["2025-02-01"], [None], [50.0], [1], **Q1)
    assert movements.start_mrr == 0.0 and movements.new_mrr == 50.0
    assert movements.grr is None and movements.nrr is None
    assert any("undefined" in note for note in movements.notes)


def test_the_movements_add_up():
    rng = np.random.default_rng(5)
    n = 2000
    start = np.datetime64("2023-01-01") + rng.integers(0, 900, n).astype("timedelta64[D]")
    cancel = start + rng.integers(0, 700, n).astype("timedelta64[D]")
    cancel[rng.random(n) < 0.4] = np.datetime64("NaT")
    cents = rng.integers(100, 100_000, n).astype(float)
    months = rng.choice([1, 3, 12], n)
    m = mrr_movements(start, cancel, cents, months, **Q1)
    assert m.end_mrr == pytest.approx(m.start_mrr + m.new_mrr - m.churned_mrr, rel=1e-12)
    assert m.active_at_end == m.active_at_start + m.new - m.churned
    assert 0 <= m.grr <= 100


def test_bad_subscriptions_are_refused():
    with pytest.raises(InvalidInputError, match="before the start"):
        mrr_movements(["2025-01-10"], ["2025-01-09"], [1.0], [1], **Q1)
    with pytest.raises(InvalidInputError, match="interval_months"):
        mrr_movements(["2025-01-10"], [None], [1.0], [0], **Q1)
    with pytest.raises(InvalidInputError, match="amount"):
        mrr_movements(["2025-01-10"], [None], [-1.0], [1], **Q1)
    with pytest.raises(InvalidInputError, match="before it starts"):
        mrr_movements([], [], [], [], period_start="2025-02-01", period_end="2025-01-01")
    with pytest.raises(InvalidInputError, match="start"):
        mrr_movements([None], [None], [1.0], [1], **Q1)


def test_anniversaries_count_from_the_start_and_clip_to_the_month_end():
    start = np.array(["2024-01-31"] * 3 + ["2024-02-29"], dtype="datetime64[D]")
    got = anniversary(start, [1, 2, 13, 12])
    expected = ["2024-02-29", "2024-03-31", "2025-02-28", "2025-02-28"]
    np.testing.assert_array_equal(got, np.array(expected, dtype="datetime64[D]"))


def test_yearly_renewals_by_hand():
    # Due in H1 2025: 15 March (renewed), 1 May (cancelled on the renewal date: not renewed),
    # 1 February (renewed). Not due: one cancelled in 2024, one started in 2025.
    result = renewals(
        ["2024-03-15", "2024-05-01", "2024-02-01", "2023-04-01", "2025-01-10"],
        [None, "2025-05-01", None, "2024-01-01", None],
        [12, 12, 12, 12, 12],
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
    )
    assert (result.up_for_renewal, result.renewed, result.subscriptions) == (3, 2, 3)
    assert result.renewal_rate == 100 * 2 / 3


def test_a_monthly_subscription_is_due_every_month_it_reaches():
    # From 15 January, cancelled 20 April: renews 15 April, is due and lost on 15 May, and
    # is not due on 15 June any more.
    q2 = {"period_start": date(2025, 4, 1), "period_end": date(2025, 6, 30)}
    result = renewals(["2025-01-15"], ["2025-04-20"], [1], **q2)
    assert (result.up_for_renewal, result.renewed, result.renewal_rate) == (2, 1, 50.0)
    # Renewal dates after the last day observed are not due yet.
    early = renewals(["2025-01-15"], [None], [1], **q2, as_of=date(2025, 5, 1))
    assert (early.up_for_renewal, early.renewed) == (1, 1)


def test_nothing_due_leaves_the_renewal_rate_undefined():
    result = renewals(["2025-01-15"], [None], [12], **Q1)
    assert (result.up_for_renewal, result.renewal_rate) == (0, None)
    assert any("undefined" in note for note in result.notes)


def test_cohorts_are_observed_as_far_as_their_latest_starter():
    # The 2015 cohort: January and December starters; on 2017-06-30 the January ones have
    # two renewals behind them but the December one only one: period 1 is the last observed.
    table = renewal_cohorts(
        ["2015-01-10", "2015-01-20", "2015-12-01", "2016-03-01", "2016-03-01"],
        ["2016-01-10", None, None, "2017-03-01", None],
        [12] * 5,
        as_of=date(2017, 6, 30),
    )
    assert table["cohort"].tolist() == ["2015", "2015", "2016", "2016"]
    assert table["period"].tolist() == [0, 1, 0, 1]
    assert table["survivors"].tolist() == [3, 2, 2, 1]
    assert table["retained_pct"].tolist() == [100.0, 100 * 2 / 3, 100.0, 50.0]
    assert table["cohort_start"].iloc[2] == pd.Timestamp("2016-01-01")


def test_cohorts_take_one_billing_interval():
    table = renewal_cohorts(
        ["2025-01-05", "2025-01-20", "2025-02-01"],
        ["2025-02-05", None, None],
        [1, 1, 12],
        as_of=date(2025, 3, 31),
        interval=1,
    )
    assert table["cohort"].tolist() == ["2025-01", "2025-01", "2025-01"]
    assert table["survivors"].tolist() == [2, 1, 1]


def fh07_subscriptions(survivors: np.ndarray) -> tuple[list[str], list[str | None]]:
    """A cohort laid out as yearly subscriptions from 2015-01-01: those lost in year t cancel
    on the t-th anniversary; the last survivors never cancel."""
    starts: list[str] = []
    cancels: list[str | None] = []
    for t in range(1, survivors.size):
        lost = int(survivors[t - 1] - survivors[t])
        starts += ["2015-01-01"] * lost
        cancels += [f"{2015 + t}-01-01"] * lost
    starts += ["2015-01-01"] * int(survivors[-1])
    cancels += [None] * int(survivors[-1])
    return starts, cancels


PUBLISHED = {
    "regular_pct_alive": (0.704, 1.182, [22.0, 20.4, 19.1, 18.0, 17.0]),
    "high_end_pct_alive": (0.668, 3.806, [46.0, 43.6, 41.4, 39.5, 37.8]),
}


@pytest.mark.parametrize("cohort", sorted(PUBLISHED))
def test_fh07_cohorts_as_subscriptions_reproduce_the_paper(renewal_survival, cohort):
    alpha, beta, projected = PUBLISHED[cohort]
    survivors = cohort_counts(renewal_survival[cohort], years=12)
    starts, cancels = fh07_subscriptions(survivors)
    # Observed to mid-2022: years 0-7 as in the paper; the later cancellations are unknown yet.
    table = renewal_cohorts(starts, cancels, [12] * len(starts), as_of=date(2022, 6, 30))
    np.testing.assert_array_equal(table["survivors"], survivors[:8])
    result = survival_projection(table, periods_ahead=5)
    (fit,) = result.cohorts
    for found in (fit, result.pooled):
        assert found.fitted and found.observed_periods == 7 and found.customers == 1000
        assert (round(found.alpha, 3), round(found.beta, 3)) == (alpha, beta)
        assert found.alpha_se > 0 and found.beta_se > 0
        np.testing.assert_allclose(found.projected_pct, projected, atol=0.05 + 1e-9)
        assert len(found.survival_pct) == 13 and found.survival_pct[0] == 100.0
    assert result.pooled.alpha == pytest.approx(fit.alpha, rel=1e-8)


def test_too_few_renewals_or_no_churn_say_why():
    table = pd.DataFrame(
        {"cohort": ["2023"] * 3 + ["2024"] * 4, "period": [0, 1, 2, 0, 1, 2, 3],
         "survivors": [100, 60, 50, 10, 10, 10, 10]}
    )  # fmt: skip
    result = survival_projection(table)
    short, flat = result.cohorts
    assert not short.fitted and "2 renewal period(s) observed" in short.reason
    assert not flat.fitted and "nobody cancelled" in flat.reason
    assert short.survival_pct == () and short.projected_pct == ()
    assert result.pooled.fitted  # 2023's churn and 2024's survival together identify it
    with pytest.raises(InvalidInputError):
        survival_projection(table.iloc[0:0])
    with pytest.raises(InvalidInputError):
        survival_projection(table, periods_ahead=-1)


def test_censored_fit_with_one_censoring_point_is_the_plain_fit():
    lost, alive = np.array([369.0, 163, 86, 56, 37, 27, 21]), 241.0
    plain = ShiftedBetaGeometric().fit(lost, alive)
    censored = CensoredShiftedBetaGeometric().fit_censored(lost, [0, 0, 0, 0, 0, 0, alive])
    for name in ("alpha", "beta"):
        assert censored.params_[name] == pytest.approx(plain.params_[name], rel=1e-7)
        assert censored.standard_errors_[name] == pytest.approx(
            plain.standard_errors_[name], rel=1e-4
        )
    assert censored.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-12)


def test_pooled_cohorts_of_different_lengths_match_a_direct_maximisation():
    cohorts = {"2019": [1000, 631, 468, 382, 326, 289], "2021": [500, 340, 260, 215]}
    table = pd.DataFrame(
        [(k, t, s) for k, counts in cohorts.items() for t, s in enumerate(counts)],
        columns=["cohort", "period", "survivors"],
    )
    pooled = survival_projection(table, periods_ahead=3).pooled

    def negative_ll(log_params: np.ndarray) -> float:
        a, b = np.exp(log_params)
        total = 0.0
        for counts in cohorts.values():
            s = np.asarray(counts, dtype=float)
            t = np.arange(1, s.size)
            total += (-np.diff(s)) @ (betaln(a + 1, b + t - 1) - betaln(a, b))
            total += s[-1] * (betaln(a, b + s.size - 1) - betaln(a, b))
        return -total

    direct = minimize(negative_ll, [0.0, 0.0], method="Nelder-Mead",
                      options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000})  # fmt: skip
    assert (pooled.alpha, pooled.beta) == pytest.approx(tuple(np.exp(direct.x)), rel=1e-5)
    assert pooled.log_likelihood == pytest.approx(-direct.fun, rel=1e-10)
    assert pooled.observed_periods == 5 and pooled.customers == 1500
    # Observed pooled survival: period-by-period retention of the cohorts observed then.
    assert pooled.observed_pct[1] == pytest.approx(100 * (631 + 340) / 1500)
    assert pooled.observed_pct[4] == pytest.approx(
        100 * (971 / 1500) * (728 / 971) * (597 / 728) * (326 / 382)
    )
