"""Recovery: simulate from known parameters with a seeded generator, fit, and find them again.

Tolerance: every estimate within 4 of its own standard errors of the truth (a 1-in-15,000 miss
per parameter if the errors are right), and the standard errors themselves small enough that
this says something (below 20 % of the value).
"""

from __future__ import annotations

import numpy as np
import pytest

from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD
from tenure.analytics.simulate import simulate_bg_nbd, simulate_pareto_nbd, simulate_spend

N = 20_000


def assert_recovered(model, truth):
    for name, value in truth.items():
        estimate, error = model.params_[name], model.standard_errors_[name]
        assert error < 0.2 * value, (name, error)
        assert abs(estimate - value) < 4 * error, (name, estimate, value, error)


def ages(rng):
    # Customers acquired over a year, observed for 1-2 years: T in weeks.
    return rng.uniform(52, 104, size=N)


def test_bgnbd_recovers_its_parameters():
    rng = np.random.default_rng(20050401)
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    sim = simulate_bg_nbd(ages(rng), **truth, rng=rng)
    model = BetaGeo().fit(sim.frequency, sim.recency, sim.T)
    assert_recovered(model, truth)


def test_pareto_recovers_its_parameters():
    rng = np.random.default_rng(19870101)
    truth = {"r": 0.6, "alpha": 10.0, "s": 0.8, "beta": 12.0}
    sim = simulate_pareto_nbd(ages(rng), **truth, rng=rng)
    model = ParetoNBD().fit(sim.frequency, sim.recency, sim.T)
    assert_recovered(model, truth)


def test_gamma_gamma_recovers_its_parameters():
    rng = np.random.default_rng(2005)
    truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    frequency = rng.integers(1, 8, size=N)
    spends = simulate_spend(frequency, **truth, rng=rng)
    customer = np.repeat(np.arange(N), frequency)
    mean_spend = np.bincount(customer, weights=spends) / frequency
    assert_recovered(GammaGamma().fit(frequency, mean_spend), truth)


def test_probability_alive_is_calibrated_on_simulated_customers():
    # Among simulated customers, the share truly alive at T matches the mean predicted P(alive).
    rng = np.random.default_rng(11)
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    sim = simulate_bg_nbd(ages(rng), **truth, rng=rng)
    model = BetaGeo.from_params(**truth)
    predicted = model.predict_probability_alive(sim.frequency, sim.recency, sim.T)
    repeaters = sim.frequency > 0
    assert predicted[repeaters].mean() == pytest.approx(
        sim.alive_at_end[repeaters].mean(), abs=0.01
    )
