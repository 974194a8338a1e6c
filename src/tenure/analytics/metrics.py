"""The figures a business steers by: retention, churn, historical CLV, order and survey metrics.

Formulas and worked examples are in ``shared/guide/DOMAIN.md``. Rates are returned as percentages
in full float precision (``retention_rate(20, 24, 5) == 95.0``); rounding to two decimals is for
display. Counts must be whole and non-negative; every undefined case (no customers at the start,
no orders, no answers) raises :class:`~tenure.analytics.errors.InvalidInputError` instead of
returning NaN.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tenure.analytics._validation import check_amount, check_count
from tenure.analytics.errors import InvalidInputError


def _percent(part: float, whole: float) -> float:
    # 100 * part / whole, in this order, is exact for whole-number inputs up to 2**53 / 100:
    # 100 * 19 / 20 is 95.0 exactly, where (19 / 20) * 100 is 94.99999999999999.
    return 100.0 * part / whole


def retention_rate(start: int, end: int, acquired: int) -> float:
    """Customer retention rate over a period, in percent: ``((E - N) / S) * 100``.

    Parameters
    ----------
    start : int
        S, customers at the start of the period (must be > 0).
    end : int
        E, customers at the end of the period.
    acquired : int
        N, customers acquired during the period.

    Examples
    --------
    >>> retention_rate(start=20, end=24, acquired=5)
    95.0
    >>> round(retention_rate(start=44, end=43, acquired=12), 2)
    70.45
    """
    s = check_count(start, "start", positive=True)
    e = check_count(end, "end")
    n = check_count(acquired, "acquired")
    retained = e - n
    if retained < 0:
        raise InvalidInputError(
            "end", f"E={e:g} is below the N={n:g} customers acquired: more were lost than S={s:g}"
        )
    if retained > s:
        raise InvalidInputError(
            "end", f"E - N = {retained:g} customers retained is more than the S={s:g} at the start"
        )
    return _percent(retained, s)


def churn_rate(start: int, lost: int) -> float:
    """Churn rate over a period, in percent: ``lost / S * 100`` (S=100, 15 lost: 15.0)."""
    s = check_count(start, "start", positive=True)
    gone = check_count(lost, "lost")
    if gone > s:
        raise InvalidInputError("lost", f"{gone:g} lost is more than the S={s:g} at the start")
    return _percent(gone, s)


def historical_clv(
    purchase_frequency: float, average_order_value: float, lifespan_years: float
) -> float:
    """Historical customer lifetime value: orders per year x average order value x years.

    $50 orders four times a year for five years: ``historical_clv(4, 50, 5) == 1000.0``.
    """
    return (
        check_amount(purchase_frequency, "purchase_frequency")
        * check_amount(average_order_value, "average_order_value")
        * check_amount(lifespan_years, "lifespan_years")
    )


def average_order_value(revenue: float, orders: int) -> float:
    """Revenue / orders over a period (raises for a period with no orders)."""
    return check_amount(revenue, "revenue") / check_count(orders, "orders", positive=True)


def purchase_frequency(orders: int, customers: int) -> float:
    """Orders / customers over a period (orders per customer, not a percentage)."""
    return check_count(orders, "orders") / check_count(customers, "customers", positive=True)


def repeat_purchase_rate(repeat_customers: int, customers: int) -> float:
    """Customers with two or more orders / customers with at least one, in percent."""
    repeat = check_count(repeat_customers, "repeat_customers")
    buyers = check_count(customers, "customers", positive=True)
    if repeat > buyers:
        raise InvalidInputError("repeat_customers", "is more than the customers who bought")
    return _percent(repeat, buyers)


def _scores(answers: Iterable[int], name: str, low: int, high: int) -> np.ndarray:
    values = np.asarray(list(answers), dtype=np.float64)
    if values.size == 0:
        raise InvalidInputError(name, "is empty: the score is undefined without answers")
    if (~np.isfinite(values)).any() or (values != np.floor(values)).any():
        raise InvalidInputError(name, f"answers must be whole numbers from {low} to {high}")
    if (values < low).any() or (values > high).any():
        raise InvalidInputError(name, f"answers must be whole numbers from {low} to {high}")
    return values


def net_promoter_score(scores: Iterable[int]) -> float:
    """NPS: % promoters (9-10) minus % detractors (0-6) over all answers, from -100 to 100."""
    values = _scores(scores, "scores", 0, 10)
    return _percent(float((values >= 9).sum() - (values <= 6).sum()), float(values.size))


def customer_satisfaction_score(scores: Iterable[int]) -> float:
    """CSAT: % of answers that are 4 or 5 on a 1-5 scale."""
    values = _scores(scores, "scores", 1, 5)
    return _percent(float((values >= 4).sum()), float(values.size))


def renewal_rate(up_for_renewal: int, renewed: int) -> float:
    """Contracts renewed / contracts that came up for renewal in the period, in percent."""
    due = check_count(up_for_renewal, "up_for_renewal", positive=True)
    done = check_count(renewed, "renewed")
    if done > due:
        raise InvalidInputError("renewed", "is more than the contracts up for renewal")
    return _percent(done, due)


def _mrr_parts(start_mrr: float, churned_mrr: float, contraction_mrr: float) -> tuple[float, float]:
    start = check_amount(start_mrr, "start_mrr")
    if start == 0:
        raise InvalidInputError("start_mrr", "is 0: revenue retention is undefined")
    lost = check_amount(churned_mrr, "churned_mrr") + check_amount(
        contraction_mrr, "contraction_mrr"
    )
    if lost > start:
        raise InvalidInputError(
            "churned_mrr", "churned + contraction MRR is more than the MRR at the start"
        )
    return start, lost


def gross_revenue_retention(start_mrr: float, churned_mrr: float, contraction_mrr: float) -> float:
    """GRR in percent: ``(start MRR - churned - contraction) / start MRR * 100`` (at most 100)."""
    start, lost = _mrr_parts(start_mrr, churned_mrr, contraction_mrr)
    return _percent(start - lost, start)


def net_revenue_retention(
    start_mrr: float, churned_mrr: float, contraction_mrr: float, expansion_mrr: float
) -> float:
    """NRR in percent: ``(start MRR - churned - contraction + expansion) / start MRR * 100``.

    MRR from customers acquired during the period is excluded by definition: pass only the
    start cohort's churn, contraction and expansion.
    """
    start, lost = _mrr_parts(start_mrr, churned_mrr, contraction_mrr)
    return _percent(start - lost + check_amount(expansion_mrr, "expansion_mrr"), start)
