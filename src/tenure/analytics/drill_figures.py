"""The customers behind three more figures: the same definitions as the figures, as masks.

``tenure.analytics.drill`` answers the retention, cohort and bucket points; this module the
figures of the models and of the churn audit, each by the rule its figure uses, so a list of
the customers chosen is as long as the point's count (``tests/analytics/test_drill_figures.py``
checks them against ``bgnbd_frequency_check``, ``renewal_cohorts`` and ``churn_audit``):

- a bar of the model check: the customers with x repeat purchases (the last bar: ``top`` or
  more), as ``bgnbd_frequency_check`` counts its "actual" bars;
- a point of the observed renewal survival: the subscriptions that renewed at least t times, in
  the cohorts observed through t (those the pooled curve's point t is the product over);
- a bar of the churn audit: the churned customers in the category the finding names (pooled
  as the audit pools rare categories), or, for a number, the churned customers with a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics.audit import _is_numeric
from tenure.analytics.contracts import (
    _COHORT_FREQ,
    _FOREVER,
    CohortBy,
    Contracts,
    _day,
    _renewals_survived,
    _renewals_through,
)
from tenure.analytics.errors import InvalidInputError

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
MISSING = "(missing)"
OTHER = "other"


def frequency_bar_of(frequency: npt.ArrayLike, top: int) -> IntArray:
    """Each customer's bar of the model check: repeat purchases, ``top`` for ``top`` or more
    (``tenure.analytics.model_check.bgnbd_frequency_check``' actual counts)."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InvalidInputError("top", "must be a whole number >= 1")
    return np.minimum(np.asarray(frequency, dtype=np.float64), top).astype(np.int64)


def renewal_survivors(
    start: Any,
    cancel: Any,
    interval_months: Any,
    *,
    as_of: Any,
    renewals: int,
    interval: int = 12,
    cohort_by: CohortBy | None = None,
) -> BoolArray:
    """Which subscriptions point ``renewals`` of the pooled observed survival counts: billed
    every ``interval`` months, started by ``as_of``, renewed at least ``renewals`` times, in a
    start cohort observed through that many renewals (``renewal_cohorts``' survivors at
    period t, summed over the cohorts that have a period t)."""
    if isinstance(renewals, bool) or not isinstance(renewals, int) or renewals < 0:
        raise InvalidInputError("renewals", "must be a whole number >= 0")
    day = _day(as_of, "as_of")
    if cohort_by is None:
        cohort_by = {1: "month", 3: "quarter", 12: "year"}.get(interval)  # type: ignore[assignment]
    if cohort_by not in _COHORT_FREQ:
        raise InvalidInputError("cohort_by", "must be month, quarter or year")
    every = Contracts.of(start, cancel, interval_months)
    keep = (every.months == interval) & (every.start <= day)
    chosen = np.zeros(every.start.size, dtype=bool)
    if not keep.any():
        return chosen
    c = Contracts(every.start[keep], every.cancel[keep], every.amount[keep], every.months[keep])
    periods = pd.PeriodIndex(c.start, freq=_COHORT_FREQ[cohort_by])
    keys, which = np.unique(periods.asi8, return_inverse=True)
    observed = np.full(keys.size, _FOREVER)
    np.minimum.at(observed, which, _renewals_through(c, day))
    observed = np.maximum(observed, 0)
    survived = np.minimum(_renewals_survived(c, day), observed[which])
    chosen[keep] = (survived >= renewals) & (observed[which] >= renewals)
    return chosen


def audit_categories(
    column: pd.Series, *, max_categories: int = 10, min_category_size: int = 10
) -> pd.Series:
    """Each customer's category as the churn audit compares it: yes/no for a flag, "(missing)"
    for no value, and the rare ones and those beyond the ``max_categories`` most common pooled
    as "other" (``tenure.analytics.audit``'s chi-square table, its defaults)."""
    values = _labels(column)
    sizes = values.value_counts()
    keep = sizes[sizes >= min_category_size].index[:max_categories]
    return values.where(values.isin(keep), OTHER)


def _labels(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        column = column.map({True: "yes", False: "no"})
    if isinstance(column.dtype, pd.StringDtype):  # the audit's labels, without the round trip
        return column.fillna(MISSING)  # through objects (4x faster at 100,000 customers)
    return column.astype(object).where(column.notna(), MISSING).astype(str)


def audit_bar_members(
    column: pd.Series, churned: npt.ArrayLike, *, category: str | None = None
) -> BoolArray:
    """The churned customers one bar of the churn audit stands for: of a category attribute,
    those in ``category`` (the finding's, as the audit pools them; a value pooled away here is
    taken as it is); of a number, those with a value (the churned group its test ranked)."""
    lost = np.asarray(churned, dtype=bool)
    if lost.shape != (len(column),):
        raise InvalidInputError("churned", "needs one value per customer")
    if pd.api.types.is_datetime64_any_dtype(column):
        raise InvalidInputError("attribute", "dates are not compared, so they have no bar")
    if _is_numeric(column):
        known = ~np.isnan(column.to_numpy(dtype=np.float64, na_value=np.nan))
        return lost & known
    if category is None or category == "":
        raise InvalidInputError("category", "is needed for an attribute of categories")
    inside = (audit_categories(column) == category).to_numpy(dtype=bool)
    if not inside.any():
        # Pooled away in this book, not in the one whose chart linked it (a success manager
        # opening a manager's link): the customers of that value.
        inside = (_labels(column) == category).to_numpy(dtype=bool)
    if inside.any():
        return lost & inside
    raise InvalidInputError("category", f"is not a category of the audit: {category[:60]!r}")


def audit_bar_counts(
    frame: pd.DataFrame, result: pd.DataFrame, churned_col: str = "churned"
) -> dict[str, int]:
    """How many customers each tested attribute's bar opens (``audit_bar_members``), by the
    attribute's name: the audit's ``result`` beside the ``frame`` it was computed from."""
    churned = frame[churned_col].to_numpy(dtype=bool)
    counts: dict[str, int] = {}
    for row in result.itertuples(index=False):
        if pd.isna(row.p_value):
            continue
        category = None if pd.isna(row.category) else str(row.category)
        counts[str(row.attribute)] = int(
            audit_bar_members(frame[row.attribute], churned, category=category).sum()
        )
    return counts


def audit_bar_words(labels: Mapping[str, str], attribute: str, category: str | None) -> str:
    """The customers of a churn audit bar in words, for a title."""
    label = labels.get(attribute) or attribute.replace("_", " ").capitalize()
    if category is None or category == "":
        return f"Churned customers with a value for “{label}”"
    return f"Churned customers whose “{label}” is “{category}”"
