"""The facts the orders app provides: what each customer bought, as of a moment.

Completed orders placed up to ``now``, one aggregate query per chunk of customers:
``orders_count``, ``first_order_days_ago``, ``days_since_last_order``, ``typical_gap_days``
(first to last purchase day over the gaps between purchase days; with a single purchase day,
the median gap of the base's repeat buyers, lent by the caller as ``median_gap_days`` in the
request's context, a callable asked only when that fact is needed) and, for the health score,
the 90-day windows ``orders_last_90d``, ``orders_prior_90d``, ``spend_last_90d``,
``spend_prior_90d`` (read only when one of them is asked for). Days are fractional days
before ``now``; the typical gap counts local purchase days (as ``tenure.analytics.activity``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import TruncDate

from tenure.domain.facts import Fact, FactProvider
from tenure.domain.lifecycle.facts import FACTS
from tenure.facts import DAY, Chunk, FactRequest, IntArray, fetch_numbers, scatter
from tenure.facts.clock import EpochSeconds, local_days
from tenure.orders.models import Order, OrderStatus

WINDOWS = ("orders_last_90d", "orders_prior_90d", "spend_last_90d", "spend_prior_90d")


@dataclass(frozen=True)
class OrderFigures:
    """Completed orders per customer up to ``now``: count, first and last epoch seconds,
    first and last local purchase day, number of purchase days; 90-day windows for health."""

    customer_id: IntArray
    table: npt.NDArray[np.float64]
    windows: bool = False

    def gaps(self) -> npt.NDArray[np.float64]:
        """The mean gap between purchase days of each customer (NaN with one day)."""
        first_day, last_day, days = self.table[:, 3], self.table[:, 4], self.table[:, 5]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(days >= 2, (last_day - first_day) / (days - 1), np.nan)


def order_figures(chunk: Chunk, now: datetime, *, windows: bool = False) -> OrderFigures:
    orders = Order.objects.filter(
        chunk.where("customer_id"), status=OrderStatus.COMPLETED, placed_at__lte=now
    )
    values: dict[str, Any] = {
        "n": Count("id"),
        "first": Min(EpochSeconds("placed_at")),
        "last": Max(EpochSeconds("placed_at")),
        "days": Count(TruncDate("placed_at"), distinct=True),
    }
    if windows:
        recent, prior = now - timedelta(days=90), now - timedelta(days=180)
        last90, prior90 = Q(placed_at__gt=recent), Q(placed_at__gt=prior, placed_at__lte=recent)
        values |= {
            "o90": Count("id", filter=last90),
            "op90": Count("id", filter=prior90),
            "s90": Sum(F("amount") * 100, filter=last90),
            "sp90": Sum(F("amount") * 100, filter=prior90),
        }
    query = orders.order_by().values("customer_id").annotate(**values)
    raw = fetch_numbers(query.values_list("customer_id", *values), len(values) + 1)
    table = np.full((raw.shape[0], 10), np.nan)
    table[:, 0:3] = raw[:, 1:4]  # n, first, last
    if raw.shape[0]:
        table[:, 3] = local_days(raw[:, 2])
        table[:, 4] = local_days(raw[:, 3])
    table[:, 5] = raw[:, 4]
    if windows:
        table[:, 6:8] = raw[:, 5:7]
        table[:, 8:10] = np.nan_to_num(raw[:, 7:9]) / 100.0
    return OrderFigures(raw[:, 0].astype(np.int64), table, windows)


def median_of_gaps(parts: Sequence[npt.NDArray[np.float64]]) -> float | None:
    """The median of the gaps of every part (non-positive and missing ones left out)."""
    gaps = np.concatenate(parts) if parts else np.empty(0)
    gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
    return float(np.median(gaps)) if gaps.size else None


def median_gap(figures: Sequence[OrderFigures]) -> float | None:
    """The median of the repeat buyers' mean gaps (None: nobody bought on two days)."""
    return median_of_gaps([f.gaps() for f in figures])


def _order_facts(request: FactRequest) -> dict[str, Any]:
    ids, now, stamp = request.ids, request.now, request.now.timestamp()
    windows = bool(request.needed & set(WINDOWS))
    orders: OrderFigures | None = request.context.get("orders")
    if orders is None or (windows and not orders.windows):
        orders = order_figures(request.chunk, now, windows=windows)
    t, keys = orders.table, orders.customer_id
    count = scatter(ids, keys, t[:, 0], 0.0)
    facts: dict[str, Any] = {
        "orders_count": count,
        "first_order_days_ago": (stamp - scatter(ids, keys, t[:, 1], np.nan)) / DAY,
        "days_since_last_order": (stamp - scatter(ids, keys, t[:, 2], np.nan)) / DAY,
    }
    if "typical_gap_days" in request.needed:
        gap = scatter(ids, keys, orders.gaps(), np.nan)
        single = (count > 0) & np.isnan(gap)
        if single.any():
            median = request.context["median_gap_days"]()
            gap[single] = np.nan if median is None else median
        facts["typical_gap_days"] = gap
    for column, name in enumerate(WINDOWS, start=6):
        facts[name] = scatter(ids, keys, t[:, column], 0.0)
    return facts


PROVIDER = FactProvider(
    name="orders",
    facts=(
        *(FACTS[name] for name in ("orders_count", "first_order_days_ago",
                                   "days_since_last_order", "typical_gap_days")),
        Fact("orders_last_90d", "count", "Completed orders in the last 90 days."),
        Fact("orders_prior_90d", "count", "Completed orders in the 90 days before those."),
        Fact("spend_last_90d", "number", "Spent on completed orders in the last 90 days."),
        Fact("spend_prior_90d", "number", "Spent on completed orders in the 90 days before."),
    ),
    compute=_order_facts,
)  # fmt: skip
"""Registered by ``OrdersConfig.ready``."""
