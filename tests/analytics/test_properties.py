"""Property tests (hypothesis): invariants that hold for every valid customer and parameter."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD

positive = st.floats(min_value=0.05, max_value=50.0)
FAST = settings(max_examples=60, deadline=None)


@st.composite
def customers(draw):
    T = draw(st.floats(min_value=0.0, max_value=5_000.0))
    x = draw(st.integers(min_value=0, max_value=5_000))
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=1.0)) * T
    return float(x), t_x, T


@st.composite
def customer_models(draw):
    r, alpha, c, d = (draw(positive) for _ in range(4))
    if draw(st.booleans()):
        return BetaGeo.from_params(r=r, alpha=alpha, a=c, b=d)
    return ParetoNBD.from_params(r=r, alpha=alpha, s=c, beta=d)


@FAST
@given(customer_models(), customers())
def test_probability_alive_is_a_probability(model, customer):
    alive = model.predict_probability_alive(*customer)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    churn = model.predict_churn_risk(*customer)
    assert np.allclose(alive + churn, 1.0)


@FAST
@given(customer_models(), customers(), st.lists(st.floats(0.0, 1_000.0), min_size=2, max_size=6))
def test_expected_purchases_grow_with_the_horizon(model, customer, horizons):
    horizons = np.sort(np.asarray(horizons))
    x, t_x, T = customer
    purchases = model.predict_purchases(horizons, x, t_x, T)
    assert np.all(np.isfinite(purchases)) and np.all(purchases >= 0)
    assert np.all(np.diff(purchases) >= -1e-12 * np.maximum(purchases[1:], 1.0))


@FAST
@given(
    customers(),
    st.floats(min_value=0.1, max_value=500.0),
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=5),
    st.floats(min_value=0.0, max_value=0.5),
)
def test_clv_grows_with_the_margin(customer, spend, margins, discount):
    purchases = BetaGeo.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4)
    spend_model = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)
    x, t_x, T = customer
    margins = sorted(margins)
    values = [
        spend_model.customer_lifetime_value(
            purchases,
            x,
            t_x,
            T,
            spend if x > 0 else 0.0,
            horizon=52.0,
            periods_per_year=52.18,
            discount_rate_annual=discount,
            margin=m,
        )
        for m in margins
    ]
    assert all(np.isfinite(v).all() and (v >= 0).all() for v in values)
    assert all(np.all(b >= a) for a, b in itertools.pairwise(values))


@FAST
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),  # repeat purchases
            st.sampled_from([5.0, 12.5, 40.0, 99.99]),  # few values: many rows repeat
            st.integers(0, 3),  # customers the row stands for
        ),
        min_size=1,
        max_size=40,
    )
)
def test_compressed_spend_keeps_every_customer_once(rows):
    from tenure.analytics.models.gamma_gamma import compress_spend

    x, m, w = (np.array(column, dtype=np.float64) for column in zip(*rows, strict=True))
    cx, cm, cw = compress_spend(x, m, w)
    assert cw.sum() == w.sum()  # every customer counted, once
    assert (cw > 0).all()  # rows of no customer dropped
    pairs = list(zip(cx.tolist(), cm.tolist(), strict=True))
    assert pairs == sorted(set(pairs))  # sorted by (x, m), each pair once
    for (xi, mi), wi in zip(pairs, cw.tolist(), strict=True):
        assert wi == w[(x == xi) & (m == mi)].sum()
