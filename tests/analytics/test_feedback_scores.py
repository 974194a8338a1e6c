"""NPS, CSAT and CES with their intervals: hand-worked values, edges, errors and properties.

z = 1.959963984540054 (the 97.5 % normal quantile), z^2 = 3.841458820694125. The literals
below were worked with 40-digit decimals from the closed forms written beside them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.feedback import (
    MIN_ANSWERS,
    ces_score,
    csat_score,
    nps_score,
    score_arrays,
    survey_score,
    survey_score_from_counts,
    wilson_interval,
    z_value,
)

Z = 1.959963984540054
TOL = 1e-9


def test_z_of_the_default_level():
    assert z_value(0.95) == pytest.approx(Z, abs=1e-15)
    assert z_value(0.90) == pytest.approx(1.6448536269514722, abs=1e-15)


def test_nps_of_two_promoters_two_passives_two_detractors():
    s = nps_score([10, 9, 8, 7, 6, 0])
    # Promoters 10, 9; passives 8, 7; detractors 6, 0: NPS = 100 * (2 - 2) / 6 = 0.
    assert (s.n, s.score) == (6, 0.0)
    assert s.counts == {"detractors": 2, "passives": 2, "promoters": 2}
    assert s.mean == pytest.approx(40 / 6, abs=1e-12)  # (10+9+8+7+6+0) / 6
    # var = (p_pro + p_det - (p_pro - p_det)^2) / n = (1/3 + 1/3 - 0) / 6 = 1/9: se = 1/3.
    assert s.standard_error == pytest.approx(100 / 3, abs=TOL)
    # Tango's bound solves n d^2 = z^2 V(d), V = 2q + d - d^2, q the detractors' share at the
    # likelihood's maximum under NPS = d: 2n q^2 + (2n d - 2a) q - a d (1 - d) = 0 when
    # promoters = detractors = a. From the first, q = d (k d - 1) / 2 with k = 1 + n / z^2;
    # put into the second and divided by d / 2:  n k^2 d^3 - (n + 2a (k - 1)) d = 0, so
    # d = z sqrt(z^2 + 2a) / (n + z^2) = 1.95996 * sqrt(7.84146) / 9.84146 = 0.557683.
    half = 100 * Z * math.sqrt(Z * Z + 4) / (6 + Z * Z)
    assert half == pytest.approx(55.768253577234576, abs=TOL)
    assert s.low == pytest.approx(-55.768253577234576, abs=TOL)
    assert s.high == pytest.approx(55.768253577234576, abs=TOL)
    assert s.few_answers  # 6 < 30


def test_all_promoters_is_not_a_zero_width_interval():
    s = nps_score([10, 9, 10])
    assert (s.score, s.n, s.standard_error) == (100.0, 3, 0.0)  # Wald's interval: (100, 100)
    # No passives: q = (1 - d) / 2, V = 1 - d^2; n (1 - d)^2 = z^2 (1 - d^2) gives
    # d = (n - z^2) / (n + z^2) = (3 - 3.841459) / 6.841459 = -0.122994.
    assert s.low == pytest.approx(-12.299406351009093, abs=TOL)
    assert s.high == 100.0
    assert s.high - s.low > 100


def test_all_promoters_at_ninety_percent():
    # z = 1.6448536; (3 - z^2) / (3 + z^2) = 0.3944 / 5.7056 = 0.0516089.
    s = nps_score([9, 9, 9], confidence=0.90)
    assert s.low == pytest.approx(5.160885168497447, abs=TOL)
    assert s.confidence == 0.90


def test_one_detractor():
    s = nps_score([0])
    # The mirror of one promoter: (-1, -(1 - z^2) / (1 + z^2)) = (-100, 58.690137).
    assert (s.score, s.low) == (-100.0, -100.0)
    assert s.high == pytest.approx(58.69013712455251, abs=TOL)


def test_all_passives():
    s = nps_score([7, 8, 7, 8])
    # For d > 0, B = 2n d and C = 0, so q = 0, V = d (1 - d): n d^2 = z^2 d (1 - d) gives
    # d = z^2 / (n + z^2) = 3.841459 / 7.841459 = 0.489891; symmetric below.
    assert s.score == 0.0 and s.standard_error == 0.0
    assert s.low == pytest.approx(-48.98908364545973, abs=TOL)
    assert s.high == pytest.approx(48.98908364545973, abs=TOL)


def test_nps_without_passives_is_wilson_of_the_promoters_share():
    s = nps_score([10, 10, 10, 0])
    # 3 promoters of 4: Wilson's (k + z^2/2) / (n + z^2) -+ z sqrt(n) / (n + z^2) *
    # sqrt(p (1 - p) + z^2 / 4n) = 0.5988358 -+ 0.3554124, mapped by 2p - 1 to points.
    assert s.score == 50.0
    assert s.low == pytest.approx(-39.87163148351962, abs=TOL)
    assert s.high == pytest.approx(90.88254783805989, abs=TOL)
    # se = sqrt((3/4 + 1/4 - (1/2)^2) / 4) = sqrt(0.1875) = 0.4330127.
    assert s.standard_error == pytest.approx(43.30127018922193, abs=TOL)


def test_csat_counts_the_four_and_five_answers():
    s = csat_score([5, 4, 3, 2, 1])
    assert (s.score, s.n) == (40.0, 5)  # 2 of 5 satisfied
    assert s.counts == {"dissatisfied": 2, "neutral": 1, "satisfied": 2}
    # Wilson, k = 2, n = 5: centre (2 + 1.920729) / 8.841459 = 0.443448,
    # half 1.95996 * 2.236068 / 8.841459 * sqrt(0.24 + 0.192073) = 0.325827.
    assert s.low == pytest.approx(11.762077423264791, abs=TOL)
    assert s.high == pytest.approx(76.9275718723987, abs=TOL)
    # se = sqrt(0.4 * 0.6 / 5) = 0.219089.
    assert s.standard_error == pytest.approx(21.908902300206645, abs=TOL)


def test_all_satisfied_keeps_a_lower_bound_below_100():
    s = csat_score([5, 5, 4])
    # p = 1: centre - half = n / (n + z^2) = 3 / 6.841459.
    assert s.score == 100.0
    assert s.low == pytest.approx(43.85029682449545, abs=TOL)
    assert s.high == 100.0


def test_ces_headline_is_the_share_of_easy_answers_with_the_mean_beside_it():
    s = ces_score([7, 6, 5, 4, 1, 2, 7])
    # Easy (5-7): 7, 6, 5, 7 = 4 of 7; neutral 4; difficult 1, 2. Mean 32 / 7.
    assert s.score == pytest.approx(400 / 7, abs=1e-12)
    assert s.counts == {"difficult": 2, "neutral": 1, "easy": 4}
    assert s.mean == pytest.approx(32 / 7, abs=1e-12)
    # Wilson, k = 4, n = 7: centre (4 + 1.920729) / 10.841459 = 0.546119, half 0.295661.
    assert s.low == pytest.approx(25.04583645276572, abs=TOL)
    assert s.high == pytest.approx(84.17801447485303, abs=TOL)


@pytest.mark.parametrize("score", [nps_score, csat_score, ces_score])
def test_no_answers_is_a_result_not_a_crash_nor_a_zero(score):
    s = score([])
    assert s.no_answers and s.n == 0
    assert s.score is None and s.low is None and s.high is None
    assert s.standard_error is None and s.mean is None
    assert s.few_answers
    assert sum(s.counts.values()) == 0


def test_few_answers_by_count_and_by_width():
    # 29 promoters: n < 30.
    assert nps_score([10] * (MIN_ANSWERS - 1)).few_answers
    # 100 promoters: (100 - z^2) / (100 + z^2) = 0.926 -> 7.4 points wide: enough.
    hundred = nps_score([10] * 100)
    assert not hundred.few_answers and hundred.high - hundred.low < 8
    # 15 of 30 satisfied: Wilson's half-width 0.1685 -> 33.7 points > 25: still few.
    half = csat_score([5] * 15 + [1] * 15)
    assert half.n == MIN_ANSWERS and half.high - half.low > 25 and half.few_answers
    # 200 of 400: about 9.8 points wide.
    assert not csat_score([5] * 200 + [1] * 200).few_answers


def test_from_counts_agrees_with_the_answers():
    direct = nps_score([10, 9, 8, 7, 6, 0], confidence=0.9)
    counted = survey_score_from_counts("nps", 2, 2, 2, confidence=0.9, mean=40 / 6)
    assert counted == direct


@pytest.mark.parametrize(
    ("kind", "answers", "position", "shown"),
    [
        ("nps", [10, 11], 1, "11.0"),
        ("nps", [3, -1, 4], 1, "-1.0"),
        ("nps", [9.5], 0, "9.5"),
        ("csat", [5, 4, 0], 2, "0.0"),
        ("csat", [6], 0, "6.0"),
        ("ces", [7, 8], 1, "8.0"),
        ("ces", [1, float("nan")], 1, "nan"),
    ],
)
def test_a_bad_answer_names_the_field_and_the_position(kind, answers, position, shown):
    with pytest.raises(InvalidInputError) as caught:
        survey_score(kind, answers)
    assert caught.value.name == "scores"
    assert caught.value.example == position
    assert f"position {position} has {shown}" in caught.value.reason
    assert kind in caught.value.reason


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, "0.95", True])
def test_confidence_must_be_a_level(level):
    with pytest.raises(InvalidInputError) as caught:
        nps_score([10], confidence=level)
    assert caught.value.name == "confidence"


def test_unknown_kind():
    with pytest.raises(InvalidInputError) as caught:
        survey_score("ces5", [1])
    assert caught.value.name == "kind"


def test_negative_count():
    with pytest.raises(InvalidInputError) as caught:
        survey_score_from_counts("nps", 1, -1, 0)
    assert caught.value.name == "neutral"


counts = st.integers(min_value=0, max_value=300)
levels = st.floats(min_value=0.5, max_value=0.999)
PROPERTIES = settings(max_examples=300, deadline=None)


@PROPERTIES
@given(st.sampled_from(["nps", "csat", "ces"]), counts, counts, counts, levels)
def test_the_score_lies_in_its_interval_and_on_its_scale(kind, neg, neu, pos, level):
    s = survey_score_from_counts(kind, neg, neu, pos, confidence=level)
    if s.n == 0:
        assert s.score is None and s.low is None
        return
    floor = -100.0 if kind == "nps" else 0.0
    assert s.score is not None and s.low is not None and s.high is not None
    assert floor <= s.low <= s.score <= s.high <= 100.0
    assert s.high > s.low  # never a zero-width interval


@PROPERTIES
@given(counts, counts, levels)
def test_nps_without_passives_matches_wilson(promoters, detractors, level):
    n = promoters + detractors
    if n == 0:
        return
    nps = score_arrays("nps", [detractors], [0], [promoters], confidence=level)
    low, high = wilson_interval([promoters], [n], z_value(level))
    assert nps.low[0] == pytest.approx(100 * (2 * low[0] - 1), abs=1e-9)
    assert nps.high[0] == pytest.approx(100 * (2 * high[0] - 1), abs=1e-9)


@PROPERTIES
@given(counts, counts, counts)
def test_a_higher_level_widens_the_interval(neg, neu, pos):
    if neg + neu + pos == 0:
        return
    narrow = score_arrays("nps", [neg], [neu], [pos], confidence=0.8)
    wide = score_arrays("nps", [neg], [neu], [pos], confidence=0.99)
    assert wide.low[0] <= narrow.low[0] + 1e-9 and wide.high[0] >= narrow.high[0] - 1e-9
    assert np.isfinite(wide.low[0]) and np.isfinite(wide.high[0])
