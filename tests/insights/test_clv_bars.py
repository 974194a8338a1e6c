"""The drill-down's bar of each customer is the bar the Analytics page's histogram counts them
in: the same edges, the last bar closed, those above it apart (``insights.selectors``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.insights.selectors import (
    RECENCY_BUCKETS,
    clv_bar_of,
    clv_histogram_end,
    recency_bucket_of,
)

# Predicted CLV is money stored to the cent (a Decimal of two places, read as a float).
values = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10**9).map(lambda cents: cents / 100),
        st.sampled_from([0.0, 0.01, 50.0, 100.0, 1e6]),  # on an edge, often
    ),
    min_size=1,
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(values, st.integers(min_value=1, max_value=40))
def test_each_bar_holds_what_the_histogram_counts(raw, bins):
    array = np.asarray(raw, dtype=np.float64)
    top = clv_histogram_end(array)
    counts, _edges = np.histogram(array, bins=bins, range=(0.0, top))
    bar = clv_bar_of(array, top, bins)
    assert np.bincount(bar[bar < bins], minlength=bins).tolist() == counts.tolist()
    assert int((bar == bins).sum()) == int((array > top).sum())
    assert (bar >= 0).all()


def test_by_hand():
    # Ten values 0..90 by 10: the 99th percentile is 89.1, so four bars of 22.275 each.
    array = np.arange(0, 100, 10, dtype=np.float64)
    top = clv_histogram_end(array)
    assert top == 89.1
    assert clv_bar_of(array, top, 4).tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4]
    # All zero: the bars go from 0 to 1, everyone in the first.
    assert clv_histogram_end(np.zeros(3)) == 1.0


def test_recency_buckets_by_hand():
    silence = np.array([0, 29.5, 30, 59, 60, 364, 365, 729, 730, 5000], dtype=np.float64)
    assert recency_bucket_of(silence).tolist() == [0, 0, 1, 1, 2, 4, 5, 5, 6, 6]
    assert RECENCY_BUCKETS[4] == 180
