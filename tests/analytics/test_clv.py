"""Discounted CLV from a purchase model and the Gamma-Gamma spend model."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD

PURCHASES = BetaGeo.from_params(
    r=0.242592928279822, alpha=4.413532265271825, a=0.7928859664406758, b=2.4257523826258134
)
SPEND = GammaGamma.from_params(p=6.248802496075072, q=3.744588460923138, gamma=15.44774806492988)


def test_matches_lifetimes_customer_lifetime_value(cdnow_spend):
    # lifetimes 0.11.3: customer_lifetime_value(bgf, x, t_x, T, zbar, time=12,
    # discount_rate=0.01, freq="W") on the first six CDNOW customers: 12 monthly steps of 4.345
    # weeks, 1 % a month. The same sum here: a year of 12 * 4.345 weeks at 1.01**12 - 1.
    head = cdnow_spend.head(6)
    value = SPEND.customer_lifetime_value(
        PURCHASES,
        head["x"],
        head["t_x"],
        head["T"],
        head["zbar"],
        horizon=12 * 4.345,
        periods_per_year=12 * 4.345,
        discount_rate_annual=1.01**12 - 1,
    )
    lifetimes = (
        [36.27849576362572, 4.637466328569656] + [8.344093121809827] * 3 + [283.5235925903879]
    )
    np.testing.assert_allclose(value, lifetimes, rtol=1e-12)


@pytest.mark.parametrize(
    "purchases", [PURCHASES, ParetoNBD.from_params(r=0.55, alpha=10.6, s=0.61, beta=11.7)]
)
def test_undiscounted_clv_is_spend_times_purchases(purchases):
    x, t_x, T, m = (
        np.array([0, 2, 7]),
        np.array([0.0, 30.4, 35.0]),
        np.array([38.9] * 3),
        np.array([0.0, 22.4, 40.0]),
    )
    value = SPEND.customer_lifetime_value(
        purchases, x, t_x, T, m, horizon=52.0, periods_per_year=52.18, margin=0.3
    )
    expected = 0.3 * SPEND.predict_spend(x, m) * purchases.predict_purchases(52.0, x, t_x, T)
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_discounting_lowers_clv_and_a_longer_horizon_raises_it():
    args = (PURCHASES, 3, 30.0, 38.9, 25.0)
    base = SPEND.customer_lifetime_value(*args, horizon=52.0, periods_per_year=52.18)
    discounted = SPEND.customer_lifetime_value(
        *args, horizon=52.0, periods_per_year=52.18, discount_rate_annual=0.1
    )
    longer = SPEND.customer_lifetime_value(*args, horizon=104.0, periods_per_year=52.18)
    assert 0 < discounted < base < longer


def test_expected_spend_shrinks_towards_the_population_mean():
    population = 6.248802496075072 * 15.44774806492988 / (3.744588460923138 - 1)
    assert SPEND.predict_spend(0, 0.0) == pytest.approx(population)
    few, many = SPEND.predict_spend([1, 100], [100.0, 100.0])
    assert population < few < many < 100.0
