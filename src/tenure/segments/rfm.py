"""The RFM facts segments read: each buyer's R, F and M quintile scores and named group
(``tenure.analytics.rfm``: Hughes' quintiles, the R x F grid of groups: champions, loyal,
at risk, hibernating, ...), scored against the whole base's cut-offs.

Quintiles rank a customer among everyone, so the base's cut-offs (four numbers per score) are
stored (``RfmCutoffs``) by the nightly refresh and one customer is scored against the latest
ones (the whole base's, computed now, before any is stored): their own figures count at once,
the base's drift each night. Recency is the last completed order's moment, frequency the
number of completed orders, monetary the mean order value (the customers' cached figures, one
query per chunk). A customer without an order has no group (missing).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from tenure.analytics.rfm import cutoff_scores, quantile_cutoffs, rfm_groups
from tenure.customers.models import Customer
from tenure.domain.facts import Fact, FactProvider
from tenure.facts import FactRequest, fetch_numbers, scatter
from tenure.facts.clock import EpochSeconds
from tenure.segments.models import RfmCutoffs

_FIGURES = ("last", "orders", "revenue")


def _figures(customers: Any) -> np.ndarray:
    return fetch_numbers(
        customers.filter(orders_count__gt=0)
        .order_by()
        .values_list("pk", EpochSeconds("last_order_at"), "orders_count", "revenue"),
        4,
    )


def rfm_cutoffs_compute(now: datetime) -> RfmCutoffs | None:
    """The base's cut-offs now (not stored); None without a buyer."""
    rows = _figures(Customer.objects.all())
    if not rows.shape[0]:
        return None
    return RfmCutoffs(
        computed_at=now,
        buyers=int(rows.shape[0]),
        recency=quantile_cutoffs(rows[:, 1]).tolist(),
        frequency=quantile_cutoffs(rows[:, 2]).tolist(),
        monetary=quantile_cutoffs(rows[:, 3] / rows[:, 2]).tolist(),
    )


def rfm_cutoffs_store(now: datetime) -> RfmCutoffs | None:
    """Compute and keep the base's cut-offs (the nightly refresh, before the segments)."""
    cutoffs = rfm_cutoffs_compute(now)
    if cutoffs is not None:
        cutoffs.save()
        RfmCutoffs.objects.exclude(pk=cutoffs.pk).delete()  # only the latest is read
    return cutoffs


def _rfm_facts(request: FactRequest) -> dict[str, Any]:
    ids = request.ids
    cutoffs = RfmCutoffs.objects.first() or rfm_cutoffs_compute(request.now)
    rows = _figures(Customer.objects.filter(request.chunk.where("pk")))
    keys = rows[:, 0].astype(np.int64)
    last = scatter(ids, keys, rows[:, 1], np.nan)
    orders = scatter(ids, keys, rows[:, 2], np.nan)
    mean = scatter(ids, keys, rows[:, 3], np.nan) / orders
    out: dict[str, Any] = {
        "rfm_r_score": np.full(ids.size, np.nan),
        "rfm_f_score": np.full(ids.size, np.nan),
        "rfm_m_score": np.full(ids.size, np.nan),
        "rfm_group": np.full(ids.size, None, dtype=object),
    }
    if cutoffs is None:
        return out
    out["rfm_r_score"] = cutoff_scores(last, cutoffs.recency)
    out["rfm_f_score"] = cutoff_scores(orders, cutoffs.frequency)
    out["rfm_m_score"] = cutoff_scores(mean, cutoffs.monetary)
    buyers = ~np.isnan(last)
    out["rfm_group"][buyers] = rfm_groups(
        out["rfm_r_score"][buyers].astype(np.int64), out["rfm_f_score"][buyers].astype(np.int64)
    )
    return out


PROVIDER = FactProvider(
    name="rfm",
    facts=(
        Fact("rfm_group", "category", "The customer's RFM group from their recency and "
             "frequency quintiles: champions, loyal, potential loyalist, new, promising, need "
             "attention, about to sleep, at risk, cannot lose them, hibernating, lost; missing "
             "without an order.", nullable=True),
        Fact("rfm_r_score", "score", "Recency quintile, 5 the most recent buyers; missing "
             "without an order.", nullable=True),
        Fact("rfm_f_score", "score", "Frequency quintile (completed orders), 5 the most "
             "frequent; missing without an order.", nullable=True),
        Fact("rfm_m_score", "score", "Monetary quintile (mean order value), 5 the highest; "
             "missing without an order.", nullable=True),
    ),
    compute=_rfm_facts,
)  # fmt: skip
"""Registered by ``SegmentsConfig.ready``."""
