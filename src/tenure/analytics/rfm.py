"""RFM scores (quintiles) and named customer groups.

Scores follow the usual marketing convention (Hughes 1994, *Strategic Database Marketing*):
each of recency, frequency and monetary value is cut into quintiles, 5 the best. Recency here
is *time since the last purchase* (``T - recency`` of :func:`~tenure.analytics.summary.rfm_summary`,
whose recency is first-to-last purchase), so a recent buyer scores R = 5.

Groups come from the R x F grid widely used in RFM practice (the ten-group map popularised
by Putler and many CRM tools), with "lost" split off the lowest cell as in Putler's eleven:

=====  =====================================================================
R \\ F  1              2              3              4              5
=====  =====================================================================
5      new            potential      potential      champions      champions
4      promising      potential      potential      loyal          loyal
3      about to sleep about to sleep need attention loyal          loyal
2      hibernating    hibernating    at risk        at risk        cannot lose
1      lost           hibernating    at risk        at risk        cannot lose
=====  =====================================================================

("potential" is *potential loyalist*, "cannot lose" is *cannot lose them*.) M does not move a
customer between groups; it is reported for ranking within one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics._validation import as_float_array, check_rfm
from tenure.analytics.errors import InvalidInputError

CHAMPIONS = "champions"
LOYAL = "loyal"
POTENTIAL_LOYALIST = "potential loyalist"
NEW = "new"
PROMISING = "promising"
NEED_ATTENTION = "need attention"
ABOUT_TO_SLEEP = "about to sleep"
AT_RISK = "at risk"
CANNOT_LOSE_THEM = "cannot lose them"
HIBERNATING = "hibernating"
LOST = "lost"


def _grid_row(r: int, names: list[str]) -> dict[tuple[int, int], str]:
    return {(r, f): name for f, name in enumerate(names, start=1)}


# GROUP_GRID[(r, f)] for r, f in 1..5: the table in the module docstring.
GROUP_GRID: Mapping[tuple[int, int], str] = {
    **_grid_row(5, [NEW, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, CHAMPIONS, CHAMPIONS]),
    **_grid_row(4, [PROMISING, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, LOYAL, LOYAL]),
    **_grid_row(3, [ABOUT_TO_SLEEP, ABOUT_TO_SLEEP, NEED_ATTENTION, LOYAL, LOYAL]),
    **_grid_row(2, [HIBERNATING, HIBERNATING, AT_RISK, AT_RISK, CANNOT_LOSE_THEM]),
    **_grid_row(1, [LOST, HIBERNATING, AT_RISK, AT_RISK, CANNOT_LOSE_THEM]),
}


def quantile_scores(
    values: npt.ArrayLike, *, bins: int = 5, higher_is_better: bool = True
) -> npt.NDArray[np.int64]:
    """Score each value 1..``bins`` by its rank: the top fifth (for 5 bins) scores 5.

    Ties share a score (the one of their lowest rank), so identical customers are never split
    between scores; with many ties (e.g. most customers have frequency 0) some scores stay
    empty rather than cutting equal customers apart.
    """
    array = as_float_array(values, "values", minimum=None)
    if array.ndim != 1 or array.size == 0:
        raise InvalidInputError("values", "must be a non-empty one-dimensional array")
    if bins < 2:
        raise InvalidInputError("bins", "must be at least 2")
    signed = array if higher_is_better else -array
    ranks = pd.Series(signed).rank(method="min").to_numpy()  # 1 = smallest; ties share
    return (1 + np.floor((ranks - 1) * bins / array.size)).astype(np.int64)


def quantile_cutoffs(
    values: npt.ArrayLike, *, bins: int = 5, higher_is_better: bool = True
) -> npt.NDArray[np.float64]:
    """The ``bins - 1`` cut-offs that score any value as :func:`quantile_scores` scores it
    among ``values``: a value scores ``1 +`` the number of cut-offs it exceeds (for
    ``higher_is_better=False``, the number it is below), see :func:`cutoff_scores`.

    A value's score is ``1 + floor(c * bins / n)`` where ``c`` counts the values strictly
    worse; it is at least ``k`` exactly when ``c >= ceil((k - 1) n / bins) = q``, that is when
    the ``q``-th worst value (sorted, 1-based) is strictly worse than it. So scoring a customer
    against the whole base needs these few numbers, not the base.
    """
    array = as_float_array(values, "values", minimum=None)
    if array.ndim != 1 or array.size == 0:
        raise InvalidInputError("values", "must be a non-empty one-dimensional array")
    signed = np.sort(array if higher_is_better else -array)
    n = signed.size
    positions = [-(-(k - 1) * n // bins) - 1 for k in range(2, bins + 1)]  # ceil, 0-based
    return signed[positions] if higher_is_better else -signed[positions]


def cutoff_scores(
    values: npt.ArrayLike, cutoffs: npt.ArrayLike, *, higher_is_better: bool = True
) -> npt.NDArray[np.float64]:
    """Scores 1..len(cutoffs)+1 of ``values`` by :func:`quantile_cutoffs`; NaN stays NaN."""
    array = np.asarray(values, dtype=np.float64)
    cuts = np.asarray(cutoffs, dtype=np.float64)
    if higher_is_better:
        passed = (array[:, None] > cuts[None, :]).sum(axis=1)
    else:
        passed = (array[:, None] < cuts[None, :]).sum(axis=1)
    scores = 1.0 + passed
    scores[np.isnan(array)] = np.nan
    return scores


def rfm_scores(
    summary: pd.DataFrame,
    *,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
    monetary_col: str | None = "monetary_value",
    bins: int = 5,
) -> pd.DataFrame:
    """R, F and M quintile scores and the named group for each customer of an RFM summary.

    Parameters
    ----------
    summary : pandas.DataFrame
        As returned by :func:`~tenure.analytics.summary.rfm_summary` (one row per customer).
    monetary_col : str or None
        Column of mean spend; ``None`` (or a summary without values) omits the M score.
    bins : int
        Number of score levels; the group grid needs 5.

    Returns
    -------
    pandas.DataFrame
        Same index; columns ``r_score``, ``f_score``, (``m_score``), ``rfm_score`` (e.g.
        ``"545"``) and ``group``.
    """
    x, t_x, age = check_rfm(summary[frequency_col], summary[recency_col], summary[T_col])
    since_last = age - t_x
    scores = pd.DataFrame(index=summary.index)
    scores["r_score"] = quantile_scores(since_last, bins=bins, higher_is_better=False)
    scores["f_score"] = quantile_scores(x, bins=bins)
    label = scores["r_score"].astype(str) + scores["f_score"].astype(str)
    if monetary_col is not None and monetary_col in summary.columns:
        scores["m_score"] = quantile_scores(summary[monetary_col].to_numpy(), bins=bins)
        label = label + scores["m_score"].astype(str)
    scores["rfm_score"] = label
    if bins == 5:
        scores["group"] = rfm_groups(scores["r_score"], scores["f_score"])
    return scores


def rfm_groups(
    r_score: npt.ArrayLike,
    f_score: npt.ArrayLike,
    grid: Mapping[tuple[int, int], str] = GROUP_GRID,
) -> npt.NDArray[np.object_]:
    """Name each customer's group from their R and F scores (1..5) through ``grid``."""
    r = np.asarray(r_score, dtype=np.int64)
    f = np.asarray(f_score, dtype=np.int64)
    if r.shape != f.shape:
        raise InvalidInputError("r_score, f_score", "must have the same length")
    if ((r < 1) | (r > 5) | (f < 1) | (f > 5)).any():
        raise InvalidInputError("r_score, f_score", "scores must be whole numbers from 1 to 5")
    table = np.empty((6, 6), dtype=object)
    for (rs, fs), name in grid.items():
        table[rs, fs] = name
    return table[r, f]
