"""Gamma-Gamma at its boundary (spend that does not vary between customers), and fits that do
not depend on the order of the rows."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.analytics.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD
from tenure.analytics.models.spend_limit import BOUNDARY_CRITICAL_VALUE, homogeneous_spend_fit


def _homogeneous(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every transaction Gamma(4, mean $30), whoever buys: no heterogeneity of spend."""
    x = rng.poisson(2.0, n).astype(float)
    m = np.array([rng.gamma(4.0, 30.0 / 4.0, int(k)).mean() if k else 0.0 for k in x])
    return x, m


def test_homogeneous_spend_in_ten_row_orders_gives_one_answer_with_the_boundary_reported():
    rng = np.random.default_rng(20)
    x, m = _homogeneous(20_000, rng)
    answers = set()
    for _ in range(10):
        order = rng.permutation(x.size)
        model = GammaGamma().fit(x[order], m[order])
        answers.add((model.homogeneous_, model.mean_spend_, *model.params_.values(),
                     model.log_likelihood_, model.boundary_note()))  # fmt: skip
    assert len(answers) == 1
    (homogeneous, mean, *_rest, note) = answers.pop()
    repeat = x > 0
    assert homogeneous
    assert mean == pytest.approx((x * m).sum() / x[repeat].sum(), rel=1e-12)
    assert note == (
        "spend does not vary between customers: everyone's expected order value is the "
        f"average, ${mean:,.2f}"
    )
    model = GammaGamma().fit(x, m)
    assert model.predict_spend([1, 7, 0], [5.0, 500.0, 0.0]).tolist() == [mean] * 3


def test_the_limit_by_hand():
    # x = (1, 1, 2), mean spends (10, 20, 30): the limit's mean is sum(x m) / sum(x)
    # = (10 + 20 + 60) / 4 = 22.5, whatever the shape p.
    limit = homogeneous_spend_fit(np.array([1.0, 1.0, 2.0]), np.array([10.0, 20.0, 30.0]))
    assert limit.mean_spend == 22.5
    assert limit.nu == pytest.approx(limit.p / 22.5)
    # Identical mean spends: the mean is still there, the spread of a transaction is not.
    same = homogeneous_spend_fit(np.array([1.0, 3.0]), np.array([10.0, 10.0]))
    assert same.mean_spend == 10.0 and np.isnan(same.p)


def test_heterogeneous_spend_is_fitted_inside_the_space(cdnow_spend):
    model = GammaGamma().fit(cdnow_spend["x"], cdnow_spend["zbar"])
    assert not model.homogeneous_ and model.boundary_note() == ""
    assert model.likelihood_ratio_ > BOUNDARY_CRITICAL_VALUE
    assert model.params_["q"] == pytest.approx(3.74, abs=0.01)


@pytest.mark.parametrize("estimator", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_purchase_models_do_not_depend_on_row_order(estimator, cdnow_summary):
    s = cdnow_summary
    rng = np.random.default_rng(5)
    x, t_x, T = (np.tile(s[c].to_numpy(), 50) for c in ("frequency", "recency", "T"))
    # 117,850 customers whose ages differ by a little, so that over 100k rows stay distinct
    # after compression and the fit's warm start (a sample of the customers) is used too.
    T = T + rng.integers(0, 1000, T.size) / 1000.0
    answers = set()
    for _ in range(3):
        order = rng.permutation(x.size)
        model = estimator().fit(x[order], t_x[order], T[order])
        answers.add((*model.params_.values(), model.log_likelihood_))
    assert len(answers) == 1
