"""RFM quintile scores and the group grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.analytics import rfm
from tenure.analytics.errors import InvalidInputError


def test_quintiles_by_rank():
    assert rfm.quantile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert rfm.quantile_scores(np.arange(10), higher_is_better=False).tolist() == [
        5,
        5,
        4,
        4,
        3,
        3,
        2,
        2,
        1,
        1,
    ]


def test_ties_share_a_score():
    # Six of ten customers never came back: they all score 1, nobody is split off arbitrarily.
    scores = rfm.quantile_scores([0, 0, 0, 0, 0, 0, 1, 2, 3, 9])
    assert scores.tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]


def test_every_cell_of_the_grid_has_a_group():
    assert set(rfm.GROUP_GRID) == {(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert rfm.rfm_groups([5, 5, 1, 1, 2, 3], [5, 1, 1, 5, 3, 3]).tolist() == [
        "champions",
        "new",
        "lost",
        "cannot lose them",
        "at risk",
        "need attention",
    ]
    with pytest.raises(InvalidInputError, match="1 to 5"):
        rfm.rfm_groups([6], [1])


def test_scores_from_a_summary():
    summary = pd.DataFrame(
        {
            "frequency": [10, 0, 3, 1, 7],
            "recency": [50.0, 0.0, 10.0, 2.0, 58.0],
            "T": [60.0, 5.0, 60.0, 60.0, 60.0],
            "monetary_value": [30.0, 0.0, 12.0, 50.0, 20.0],
        },
        index=pd.Index(list("abcde"), name="customer"),
    )
    scores = rfm.rfm_scores(summary)
    # Time since last purchase: a 10, b 5, c 50, d 58, e 2 -> e and b most recent.
    assert scores["r_score"].tolist() == [3, 4, 2, 1, 5]
    assert scores["f_score"].tolist() == [5, 1, 3, 2, 4]
    assert scores["m_score"].tolist() == [4, 1, 2, 5, 3]
    assert scores.loc["e", "rfm_score"] == "543"
    assert scores["group"].tolist() == [
        "loyal",
        "promising",
        "at risk",
        "hibernating",
        "champions",
    ]


def test_scores_without_money():
    summary = pd.DataFrame({"frequency": [1, 0], "recency": [3.0, 0.0], "T": [5.0, 5.0]})
    assert list(rfm.rfm_scores(summary).columns) == ["r_score", "f_score", "rfm_score", "group"]


@pytest.mark.parametrize("higher_is_better", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_cutoffs_score_every_value_as_the_ranks_do(seed, higher_is_better):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    values = rng.integers(0, 12, n).astype(float)  # many ties, as order counts have
    if seed % 2:
        values = rng.exponential(50, n)
    cutoffs = rfm.quantile_cutoffs(values, higher_is_better=higher_is_better)
    expected = rfm.quantile_scores(values, higher_is_better=higher_is_better)
    scored = rfm.cutoff_scores(values, cutoffs, higher_is_better=higher_is_better)
    assert scored.tolist() == expected.astype(float).tolist()
    # A newcomer is scored against the base without re-ranking it.
    assert np.isnan(rfm.cutoff_scores([np.nan], cutoffs))[0]
