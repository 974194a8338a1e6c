"""The models' formulas against independent evaluations: analytic gradients against finite
differences, the stable rewritings against the textbook expressions (scipy's hyp2f1 and
quadrature), and finiteness where the textbook expressions overflow."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import betaln, gammaln, hyp2f1

from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD
from tenure.analytics.summary import compress_rfm

RNG_ROWS = np.random.default_rng(7)
X = np.array([0, 0, 1, 1, 2, 5, 14, 40])
T = np.array([3.0, 38.9, 12.0, 38.9, 30.0, 60.0, 70.0, 52.0])
TX = np.where(X > 0, T * np.array([0, 0, 0.2, 0.99, 0.5, 0.8, 0.95, 0.3]), 0.0)


def numerical_gradient(f, theta, h=1e-6):
    return np.array(
        [(f(theta + h * e)[0] - f(theta - h * e)[0]) / (2 * h) for e in np.eye(len(theta))]
    )


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (BetaGeo, (0.24, 4.4, 0.79, 2.4)),
        (BetaGeo, (2.0, 30.0, 1.5, 0.6)),
        (ParetoNBD, (0.55, 10.6, 0.61, 11.7)),  # beta > alpha
        (ParetoNBD, (0.55, 30.0, 1.6, 4.0)),  # alpha > beta
        (ParetoNBD, (3.0, 5.0, 0.3, 5.0)),  # alpha == beta: z = 0
    ],
)
def test_loglik_gradient_matches_finite_differences(model, params):
    data = compress_rfm(X, TX, T)
    objective = model()._objective(data)
    theta = np.log(params)
    _, grad = objective(theta)
    np.testing.assert_allclose(grad, numerical_gradient(objective, theta), rtol=1e-6, atol=1e-9)


def pareto_loglik_by_quadrature(r, alpha, s, beta, x, t_x, T):
    """FH05 eq. (19) from its integral form: alive at T, or dropped out in (t_x, T]."""
    alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
    dead = (
        s
        * quad(
            lambda tau: (alpha + tau) ** -(r + x) * (beta + tau) ** -(s + 1),
            t_x,
            T,
            epsabs=0,
            epsrel=1e-13,
        )[0]
    )
    const = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return const + np.log(alive + dead)


@pytest.mark.parametrize("params", [(0.55, 10.6, 0.61, 11.7), (0.55, 30.0, 1.6, 4.0)])
def test_pareto_loglik_matches_quadrature(params):
    model = ParetoNBD.from_params(**dict(zip(("r", "alpha", "s", "beta"), params)))
    expected = sum(pareto_loglik_by_quadrature(*params, *row) for row in zip(X, TX, T))
    assert model.score(X, TX, T) * len(X) == pytest.approx(expected, rel=1e-12)


def bgnbd_loglik_textbook(r, alpha, a, b, x, t_x, T):
    """FHL05 eq. (6) as printed."""
    beta_ratio = np.exp(gammaln(b + x) + gammaln(a + b) - gammaln(b) - gammaln(a + b + x))
    head = np.exp(gammaln(r + x) - gammaln(r)) * alpha**r
    first = beta_ratio * head / (alpha + T) ** (r + x)
    second = (x > 0) * beta_ratio * a / (b + x - 1 + (x == 0)) * head / (alpha + t_x) ** (r + x)
    return np.log(first + second)


def test_bgnbd_loglik_matches_the_printed_equation():
    params = (0.24, 4.4, 0.79, 2.4)
    model = BetaGeo.from_params(**dict(zip(("r", "alpha", "a", "b"), params)))
    expected = bgnbd_loglik_textbook(*params, X, TX, T).sum()
    assert model.score(X, TX, T) * len(X) == pytest.approx(expected, rel=1e-12)


def bgnbd_expected_textbook(t, r, alpha, a, b, x, t_x, T):
    """FHL05 eq. (10) as printed, with scipy's hyp2f1."""
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    denominator = 1 + (x > 0) * a / (b + x - 1 + (x == 0)) * ((alpha + T) / (alpha + t_x)) ** (
        r + x
    )
    return (a + b + x - 1) / (a - 1) * bracket / denominator


def bgnbd_expected_by_quadrature(t, r, alpha, a, b, x, t_x, T, alive):
    """P(alive) x E[purchases | alive], integrating over the dropout probability p.

    An alive customer with rate lambda and dropout p buys (1 - exp(-lambda p t)) / p times in
    expectation; given the data, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x).
    """

    def given_p(p):
        if p == 0:  # the limit: lambda's posterior mean times t
            return (r + x) * t / (alpha + T)
        return -np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p

    integral = quad(given_p, 0, 1, weight="alg", wvar=(a - 1, b + x - 1), epsabs=0, epsrel=1e-12)
    return alive * integral[0] / np.exp(betaln(a, b + x))


@pytest.mark.parametrize(
    "params", [(0.24, 4.4, 0.79, 2.4), (2.0, 30.0, 1.5, 0.6), (0.7, 8.0, 1.0 + 1e-7, 3.0)]
)
@pytest.mark.parametrize("horizon", [0.5, 10.0, 39.0, 200.0])
def test_bgnbd_expected_purchases_match_two_other_evaluations(params, horizon):
    model = BetaGeo.from_params(**dict(zip(("r", "alpha", "a", "b"), params)))
    got = model.predict_purchases(horizon, X, TX, T)
    alive = model.predict_probability_alive(X, TX, T)
    by_quadrature = [
        bgnbd_expected_by_quadrature(horizon, *params, *row) for row in zip(X, TX, T, alive)
    ]
    np.testing.assert_allclose(got, by_quadrature, rtol=1e-9)
    if abs(params[2] - 1) > 1e-3:  # the printed form cancels catastrophically near a = 1
        expected = bgnbd_expected_textbook(horizon, *params, X, TX, T)
        np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_bgnbd_expected_purchases_exactly_at_a_equal_one():
    near = BetaGeo.from_params(r=0.7, alpha=8.0, a=1.0 + 1e-9, b=3.0)
    exact = BetaGeo.from_params(r=0.7, alpha=8.0, a=1.0, b=3.0)
    np.testing.assert_allclose(
        exact.predict_purchases(20.0, X, TX, T), near.predict_purchases(20.0, X, TX, T), rtol=1e-7
    )


HUGE_X = np.array([0.0, 1e3, 1e5, 1e6, 50.0])
HUGE_T = np.array([1e7, 1e7, 1e7, 1e6, 1e-3])
HUGE_TX = np.array([0.0, 1e2, 9e6, 1e6, 1e-3])


@pytest.mark.parametrize(
    "model",
    [
        BetaGeo.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4),
        ParetoNBD.from_params(r=0.55, alpha=10.6, s=0.61, beta=11.7),
        ParetoNBD.from_params(r=0.55, alpha=30.0, s=1.6, beta=4.0),
    ],
)
def test_predictions_stay_finite_for_huge_frequencies_and_ages(model):
    alive = model.predict_probability_alive(HUGE_X, HUGE_TX, HUGE_T)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    for horizon in (1.0, 52.0, 1e4):
        purchases = model.predict_purchases(horizon, HUGE_X, HUGE_TX, HUGE_T)
        assert np.all(np.isfinite(purchases)) and np.all(purchases >= 0)
    wait = model.predict_time_to_next_purchase(HUGE_X, HUGE_TX, HUGE_T)
    assert np.all(np.isfinite(wait)) and np.all(wait >= 0)
    assert np.isfinite(model.score(HUGE_X, HUGE_TX, HUGE_T))
    # Long silence after many purchases: certainly gone.
    assert alive[1] < 1e-100


def test_time_to_next_purchase_is_the_lomax_median():
    model = BetaGeo.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4)
    wait = model.predict_time_to_next_purchase(2, 30.43, 38.86)
    # P(W > w) = ((alpha + T) / (alpha + T + w))^(r + x) = 1/2 at the median.
    assert ((4.4 + 38.86) / (4.4 + 38.86 + wait)) ** (0.24 + 2) == pytest.approx(0.5, rel=1e-12)


def test_gamma_gamma_loglik_gradient():
    # Spend that varies between customers (nu ~ Gamma(4, 15)), so the optimum is inside the
    # parameter space, not at the homogeneous boundary.
    rng = np.random.default_rng(3)
    x = rng.integers(1, 10, 200).astype(float)
    nu = rng.gamma(4.0, 1 / 15.0, x.size)
    m = np.array([rng.gamma(6.0, 1 / v, int(k)).mean() for v, k in zip(nu, x, strict=True)])
    fitted = GammaGamma().fit(x, m)
    assert not fitted.homogeneous_
    # At the optimum the analytic gradient vanishes; finite differences of the log-likelihood
    # around it confirm the optimum (a wrong gradient would stop elsewhere).
    p = fitted.params_

    def loglik(p_, q, g):
        px = p_ * x
        return np.sum(
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(g)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(g + x * m)
        )

    assert fitted.log_likelihood_ == pytest.approx(loglik(p["p"], p["q"], p["gamma"]), rel=1e-12)
    for k in ("p", "q", "gamma"):
        for factor in (0.999, 1.001):
            moved = dict(p, **{k: p[k] * factor})
            assert loglik(moved["p"], moved["q"], moved["gamma"]) < fitted.log_likelihood_
