"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): a published fit, an independent likelihood by
quadrature, closed forms through SciPy's 2F1, hand-worked P(alive), and recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import hyp2f1

from tenure.analytics.models import ModifiedBetaGeo

# BTYDplus (Platzer), the R reference implementation, on the CDNOW calibration summary (as
# quoted by lifetimes' test suite): r, alpha, a, b.
BTYDPLUS_CDNOW = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}


@pytest.fixture(scope="module")
def fitted(cdnow_summary):
    s = cdnow_summary
    return ModifiedBetaGeo().fit(s["frequency"], s["recency"], s["T"])


def test_cdnow_fit_matches_btydplus(fitted):
    for name, value in BTYDPLUS_CDNOW.items():
        assert fitted.params_[name] == pytest.approx(value, abs=6e-4), name
    assert all(se > 0 for se in fitted.standard_errors_.values())


def test_likelihood_equals_the_model_integrated_by_quadrature():
    # The individual likelihood of the model's assumptions, integrated numerically over
    # lambda ~ Gamma(r, alpha) and p ~ Beta(a, b): an implementation that shares no algebra.
    r, alpha, a, b = 0.6, 7.0, 1.3, 2.5
    model = ModifiedBetaGeo.from_params(r=r, alpha=alpha, a=a, b=b)
    gamma_norm = alpha**r / math.gamma(r)
    beta_norm = math.gamma(a + b) / (math.gamma(a) * math.gamma(b))

    def likelihood(x: int, t_x: float, T: float) -> float:
        def integrand(lam: float, p: float) -> float:
            alive = (1 - p) ** (x + 1) * math.exp(-lam * T)
            gone = p * (1 - p) ** x * math.exp(-lam * t_x)
            density = gamma_norm * lam ** (r - 1) * math.exp(-alpha * lam)
            return (alive + gone) * lam**x * density * beta_norm * p ** (a - 1) * (1 - p) ** (b - 1)

        return integrate.dblquad(integrand, 0, 1, 0, np.inf, epsabs=1e-13, epsrel=1e-10)[0]

    for x, t_x, T in [(0, 0.0, 30.0), (2, 30.43, 38.86), (5, 20.0, 35.0)]:
        expected = np.log(likelihood(x, t_x, T))
        assert model.score([x], [t_x], [T]) == pytest.approx(expected, abs=1e-7)


def test_expectations_equal_the_closed_forms_through_scipy():
    r, alpha, a, b = 0.525, 6.183, 0.891, 1.614
    model = ModifiedBetaGeo.from_params(r=r, alpha=alpha, a=a, b=b)
    t = np.array([1.0, 3.0, 32.0, 78.0])
    closed = (
        b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))
    )
    assert model.expected_number_of_purchases_up_to_time(t) == pytest.approx(closed, rel=1e-10)
    x, t_x, T, h = 2, 30.43, 38.86, 39.0
    numerator = (
        (a + b + x)
        / (a - 1)
        * (
            1
            - hyp2f1(r + x, b + x + 1, a + b + x, h / (alpha + T + h))
            * ((alpha + T) / (alpha + T + h)) ** (r + x)
        )
    )
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    got = model.conditional_expected_number_of_purchases_up_to_time(h, x, t_x, T)
    assert got == pytest.approx(numerator * alive, rel=1e-10)
    if_alive = model.expected_purchases_if_alive(h, x, t_x, T)
    assert if_alive == pytest.approx(numerator, rel=1e-10)


def test_one_time_buyers_lose_p_alive_as_they_stay_silent():
    model = ModifiedBetaGeo.from_params(r=1.0, alpha=10.0, a=1.0, b=3.0)
    # By hand: 1 / (1 + a/(b+x) * ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + 1/3 * 40/10) = 3/7
    assert model.conditional_probability_alive(0, 0, 30.0) == pytest.approx(3 / 7, rel=1e-12)
    silence = np.array([1.0, 30.0, 300.0, 900.0])
    alive = model.conditional_probability_alive(np.zeros(4), np.zeros(4), silence)
    assert np.all(np.diff(alive) < 0) and alive[-1] < 0.05 and alive[0] < 1


def _simulate(n: int, r: float, alpha: float, a: float, b: float, rng: np.random.Generator):
    """MBG/NBD process: drop out at 0 and after each purchase with probability p."""
    T = rng.uniform(20, 60, n)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    alive = rng.uniform(size=n) >= p  # the dropout right after the first purchase
    now = np.zeros(n)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / lam[idx])
        bought = now[idx] < T[idx]
        got = idx[bought]
        x[got] += 1
        t_x[got] = now[got]
        alive[idx[~bought]] = False
        alive[got] = rng.uniform(size=got.size) >= p[got]
    return x, t_x, T


def test_recovers_the_parameters_it_simulated():
    truth = {"r": 0.8, "alpha": 5.0, "a": 1.2, "b": 3.0}
    x, t_x, T = _simulate(30_000, **truth, rng=np.random.default_rng(11))
    model = ModifiedBetaGeo().fit(x, t_x, T)
    for name, value in truth.items():
        assert model.params_[name] == pytest.approx(value, rel=0.12), name
        # and the truth lies within three standard errors
        assert abs(model.params_[name] - value) < 3 * model.standard_errors_[name], name
