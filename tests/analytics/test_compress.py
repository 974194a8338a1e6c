"""compress_rfm: identical (x, t_x, T) rows become one weighted row, and fits don't change."""

from __future__ import annotations

import numpy as np
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.models import BetaGeo
from tenure.analytics.summary import compress_rfm


def test_rows_collapse_with_weights():
    x = [0, 0, 0, 2, 2, 2, 1]
    t_x = [0, 0, 0, 5.0, 5.0, 6.0, 3.0]
    T = [10, 10, 12, 10, 10, 10, 10.0]
    packed = compress_rfm(x, t_x, T)
    rows = sorted(zip(packed.frequency, packed.recency, packed.T, packed.weight))
    assert rows == [(0, 0, 10, 2), (0, 0, 12, 1), (1, 3, 10, 1), (2, 5, 10, 2), (2, 6, 10, 1)]
    assert packed.n_customers == 7 and len(packed) == 5


def test_weights_add_up_and_zero_weights_disappear():
    packed = compress_rfm([1, 1, 0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0], weights=[2, 3, 0])
    assert list(packed.weight) == [5.0]
    with pytest.raises(InvalidInputError, match="weights"):
        compress_rfm([1], [2.0], [5.0], weights=[-1])


def test_fitting_compressed_rows_equals_fitting_every_customer(cdnow_summary):
    s = cdnow_summary
    packed = compress_rfm(s["frequency"], s["recency"], s["T"])
    assert len(packed) < len(s) / 2
    whole = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
    weighted = BetaGeo().fit(packed.frequency, packed.recency, packed.T, weights=packed.weight)
    for name in whole.params_:
        assert weighted.params_[name] == pytest.approx(whole.params_[name], rel=1e-8)
    assert weighted.log_likelihood_ == pytest.approx(whole.log_likelihood_, rel=1e-12)
    assert np.isclose(whole.n_customers_, 2357)
