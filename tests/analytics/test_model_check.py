"""BG/NBD's distribution of repeat purchases (eq. 8 of Fader, Hardie & Lee 2005) and the
expected-against-actual check built on it."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.model_check import bgnbd_frequency_check, bgnbd_frequency_probability
from tenure.analytics.simulate import simulate_bg_nbd

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_hand_worked_probabilities():
    # r=2, alpha=1, t=1: p = 1/2. P(0) = p^r = 0.25. With a=b=1, P(1) = B(1,2)/B(1,1) NB(1)
    # + B(2,1)/B(1,1) P(NB >= 1) = 0.5 * (2 * 0.25 * 0.5) + 0.5 * 0.75 = 0.5.
    got = bgnbd_frequency_probability([0, 1], 1.0, r=2, alpha=1, a=1, b=1)
    assert got == pytest.approx([0.25, 0.5], rel=1e-12)


def test_probabilities_sum_to_one_and_start_at_no_purchase():
    total = bgnbd_frequency_probability(np.arange(400), 38.86, **CDNOW).sum()
    assert total == pytest.approx(1.0, abs=1e-9)
    assert bgnbd_frequency_probability(0, 0.0, **CDNOW) == pytest.approx(1.0)


def test_expected_counts_match_a_simulated_population():
    rng = np.random.default_rng(7)
    ages = rng.uniform(20, 40, 100_000)
    drawn = simulate_bg_nbd(ages, rng=rng, **CDNOW)
    check = bgnbd_frequency_check(drawn.frequency, ages, **CDNOW)
    assert check.frequency == [0, 1, 2, 3, 4, 5, 6, 7]
    assert sum(check.actual) == 100_000
    assert sum(check.expected) == pytest.approx(100_000)
    # within 4 binomial standard deviations of each count
    for actual, expected in zip(check.actual, check.expected, strict=True):
        assert abs(actual - expected) < 4 * np.sqrt(expected) + 1


def test_bad_input_is_refused():
    with pytest.raises(InvalidInputError):
        bgnbd_frequency_probability(1.5, 1.0, **CDNOW)
    with pytest.raises(InvalidInputError):
        bgnbd_frequency_probability(1, 1.0, r=0, alpha=1, a=1, b=1)
    with pytest.raises(InvalidInputError):
        bgnbd_frequency_check([1, 2], [3.0], **CDNOW)
