"""The sBG model against Fader & Hardie (2007), "How to project customer retention"."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.models import ShiftedBetaGeometric, survivors_to_lost

from .conftest import cohort_counts

# FH07 table 1 / shared/data/sbg/README.md: fitted to years 1-7, projected survival in percent.
PUBLISHED = {
    "regular_pct_alive": (0.704, 1.182, [22.0, 20.4, 19.1, 18.0, 17.0]),
    "high_end_pct_alive": (0.668, 3.806, [46.0, 43.6, 41.4, 39.5, 37.8]),
}


@pytest.mark.parametrize("cohort", sorted(PUBLISHED))
def test_reproduces_fader_hardie_2007(renewal_survival, cohort):
    alpha, beta, projected = PUBLISHED[cohort]
    lost, still_active = survivors_to_lost(cohort_counts(renewal_survival[cohort], years=7))
    model = ShiftedBetaGeometric().fit(lost, still_active)
    assert round(model.params_["alpha"], 3) == alpha
    assert round(model.params_["beta"], 3) == beta
    survival = model.survival_function(np.arange(8, 13)) * 100
    np.testing.assert_allclose(survival, projected, atol=0.05 + 1e-9)
    assert model.n_customers_ == 1000


def test_projection_formulas_agree(renewal_survival):
    lost, still_active = survivors_to_lost(cohort_counts(renewal_survival["regular_pct_alive"]))
    model = ShiftedBetaGeometric().fit(lost, still_active)
    t = np.arange(1, 30)
    survival = model.survival_function(np.arange(0, 30))
    # r_t = S(t) / S(t - 1) and P(T = t) = S(t - 1) - S(t).
    np.testing.assert_allclose(model.retention_rate(t), survival[1:] / survival[:-1], rtol=1e-12)
    np.testing.assert_allclose(model.churn_probability(t), -np.diff(survival), rtol=1e-10)
    assert np.all(np.diff(model.retention_rate(t)) > 0)  # retention rises as the fickle leave
    # Data-generating log-likelihood, summed directly.
    by_hand = lost @ np.log(model.churn_probability(np.arange(1, 8))) + still_active * np.log(
        survival[7]
    )
    assert model.log_likelihood_ == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("renewals", [0, 1, 4])
def test_derl_equals_the_discounted_sum(renewal_survival, renewals):
    lost, still_active = survivors_to_lost(cohort_counts(renewal_survival["high_end_pct_alive"]))
    model = ShiftedBetaGeometric().fit(lost, still_active)
    d, n = 0.1, renewals + 1
    survival = model.survival_function(np.arange(0, 3000))
    # FH10: sum over future periods of P(still active | active before the n-th renewal).
    brute = sum(survival[n + k] / survival[n - 1] / (1 + d) ** k for k in range(2000))
    assert model.discounted_expected_residual_lifetime(d, renewals) == pytest.approx(
        brute, rel=1e-10
    )
    with pytest.raises(InvalidInputError):
        model.discounted_expected_residual_lifetime(0.0)


def test_survivors_to_lost():
    lost, active = survivors_to_lost([1000, 631, 468])
    np.testing.assert_array_equal(lost, [369, 163])
    assert active == 468
    with pytest.raises(InvalidInputError, match="increase"):
        survivors_to_lost([100, 90, 95])
    with pytest.raises(InvalidInputError, match="at least one later"):
        survivors_to_lost([100])
