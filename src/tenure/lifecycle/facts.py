"""The per-customer facts the lifecycle rules and the health score read, from the database.

``facts_frame`` asks the facts registry (``tenure.facts``) for the facts a caller needs, for
the given customers or all of them, chunk by chunk: only the providers of those facts run,
each set-wise (one aggregate query per source table and chunk, never a query per customer).
Every fact uses the same clock ``now``; days are fractional days before ``now``, except the
typical gap, which counts local purchase days (as ``tenure.analytics.activity``).

Where a fact comes from: each app registers a provider in its ``AppConfig.ready()``; the
provider's module says what its facts mean:

- ``tenure.orders.facts``: orders (counts, days since, the typical gap, 90-day windows);
- ``tenure.customers.facts``: subscriptions; the customer's channel and category and their
  account's industry and size and budget bands (timeless categories); imported attributes
  (``attribute.<name>``, timeless);
- ``tenure.interactions.facts``: open complaints, conversations, meetings, contacts engaged;
- ``tenure.feedback.facts``: the latest NPS and CSAT answers, referrals;
- ``tenure.insights.facts``: the latest model fit's P(alive), expected purchases, churn risk;
- this module (``PROVIDERS``, registered by ``LifecycleConfig.ready``): the stored stage
  (``days_in_stage``, ``in_at_risk_stage``), ``is_lead`` (no completed order and no
  subscription started: it requires the orders' and subscriptions' facts);
- ``tenure.mail.facts``: emails sent and engaged with in the last 90 days.

The median gap is a figure of the whole base, so an update of a few customers cannot compute
it from those few: the bulk recompute stores it with its ``RecomputeRun`` and the incremental
updates reuse the latest stored one (computing it over the whole base when none is stored),
which makes the two agree. It is lent to the orders' provider as ``median_gap_days`` in the
request's context, and read only when a customer with a single purchase day needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db.models import Case, Value, When

from tenure.customers.models import Customer
from tenure.domain.facts import REGISTRY, Fact, FactProvider
from tenure.domain.lifecycle.facts import FACTS
from tenure.facts import (
    CHUNK,
    DAY,
    LIST_CHUNK,
    Chunk,
    FactRequest,
    IntArray,
    chunks,
    facts_compute,
    fetch_numbers,
    lookup,
    scatter,
)
from tenure.facts.clock import EpochSeconds
from tenure.orders.facts import (
    OrderFigures,
    median_gap,
    median_of_gaps,
    order_figures,
)

__all__ = [
    "CEILING_ONLY_FACTS", "CHUNK", "DAY", "HEALTH_FACTS", "LIST_CHUNK", "PROVIDERS", "Chunk",
    "IntArray", "OrderFigures", "all_customer_ids", "chunks", "facts_frame", "fetch_numbers",
    "median_gap", "median_gap_of_base", "median_of_gaps", "order_figures", "stored_median_gap",
]  # fmt: skip

HEALTH_FACTS = (
    "orders_last_90d", "orders_prior_90d", "spend_last_90d", "spend_prior_90d", "latest_csat",
    "emails_engaged_90d", "emails_sent_90d", "contacts_engaged_90d", "days_to_renewal",
)  # fmt: skip
"""Facts of the health components (``tenure.domain.health``) beyond the lifecycle ones (the
email figures are the mail app's, ``tenure.mail.facts``)."""

CEILING_ONLY_FACTS = ("days_since_csat", "days_since_nps", "churn_risk", "in_at_risk_stage")
"""Facts only the health ceilings read (``tenure.domain.health_ceilings``): how long ago the
latest CSAT and NPS answers were given, the latest fit's churn risk, whether the customer stands
in the at-risk stage."""


def all_customer_ids() -> IntArray:
    return fetch_numbers(Customer.objects.order_by("pk").values_list("pk"), 1)[:, 0].astype(
        np.int64
    )


def median_gap_of_base(now: datetime) -> float | None:
    """The median gap over the whole base, read chunk by chunk (the bulk recompute's way)."""
    return median_gap([order_figures(chunk, now) for chunk in chunks(all_customer_ids())])


def stored_median_gap(now: datetime) -> float | None:
    from tenure.lifecycle.models import RecomputeRun

    done = RecomputeRun.objects.filter(scope="all", status="done")
    run = done.order_by("-created_at", "-id").first()
    return run.median_gap_days if run is not None else median_gap_of_base(now)


def existing_ids(chunk: Chunk) -> IntArray:
    """The ids of the chunk's customers that exist, sorted."""
    found = fetch_numbers(
        Customer.objects.filter(chunk.where("pk")).order_by("pk").values_list("pk"), 1
    )[:, 0].astype(np.int64)
    return found[np.isin(found, chunk.ids)] if chunk.dense else found


def facts_frame(
    *,
    customer_ids: npt.ArrayLike | None = None,
    now: datetime,
    needed: set[str] | frozenset[str],
    median_gap_days: float | None = None,
    orders: OrderFigures | None = None,
    chunk: Chunk | None = None,
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The ``needed`` facts of the customers (None: all), indexed by customer id (sorted).

    Ids of customers that do not exist are left out. ``median_gap_days`` is the single-day
    customers' typical gap (None: the latest stored one, or the whole base's now). ``orders``
    and ``chunk`` let the recompute pass figures it read already. ``kinds``: how each
    ``attribute.<name>`` asked for is read (``"number"``; a category by default). Raises
    ``ValueError`` naming the facts no provider computes.
    """
    REGISTRY.plan(needed)  # unknown facts are refused before anything is read
    known: list[float | None] = []

    def median() -> float | None:
        if median_gap_days is not None:
            return median_gap_days
        if not known:
            known.append(stored_median_gap(now))
        return known[0]

    context: dict[str, Any] = {"median_gap_days": median, "orders": orders}
    if chunk is None:
        ids = all_customer_ids() if customer_ids is None else customer_ids
        parts = [
            _chunk_facts(part, now, needed, {**context, "orders": None}, kinds)
            for part in chunks(ids)
        ]
        if not parts:
            return pd.DataFrame({name: pd.Series(dtype=float) for name in sorted(needed)})
        return pd.concat(parts)
    return _chunk_facts(chunk, now, needed, context, kinds)


def _chunk_facts(
    chunk: Chunk,
    now: datetime,
    needed: set[str] | frozenset[str],
    context: dict[str, Any],
    kinds: Mapping[str, str] | None,
) -> pd.DataFrame:
    ids = existing_ids(chunk)
    facts = facts_compute(
        chunk=chunk, ids=ids, now=now, needed=needed, kinds=kinds, context=context
    )
    index = pd.Index(ids, name="customer")
    return pd.DataFrame({name: _column(facts[name], index) for name in sorted(needed)}, index=index)


def _column(values: Any, index: pd.Index) -> Any:
    """A category (object) column stays object, None for missing (pandas would infer its
    string dtype, NaN for missing); numbers and flags as they are."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, index=index, dtype=object)
    return values


# --- the lifecycle app's own facts ------------------------------------------------------------


def _stage_facts(request: FactRequest) -> dict[str, Any]:
    from tenure.lifecycle.models import CustomerStage
    from tenure.lifecycle.services import active_model  # services read these facts

    at_risk_keys = active_model()[1].keys_with_role("at_risk")
    at_risk = Case(When(stage__in=at_risk_keys, then=Value(1)), default=Value(0))
    rows = fetch_numbers(
        CustomerStage.objects.filter(request.chunk.where("customer_id"))
        .order_by()
        .values_list("customer_id", EpochSeconds("entered_at"), at_risk),
        3,
    )
    ids, keys = request.ids, rows[:, 0].astype(np.int64)
    return {
        "days_in_stage": (request.now.timestamp() - scatter(ids, keys, rows[:, 1], np.nan)) / DAY,
        "in_at_risk_stage": scatter(ids, keys, rows[:, 2], 0.0),
    }


def _lead_facts(request: FactRequest) -> dict[str, Any]:
    facts = request.facts
    return {"is_lead": (facts["orders_count"] == 0) & (facts["subscriptions_started"] == 0)}


def _standing_facts(request: FactRequest) -> dict[str, Any]:
    """The stored stage and health: what segments read (one query per table and chunk)."""
    from tenure.lifecycle.models import CustomerStage, HealthScore

    ids, out = request.ids, {}
    if "stage" in request.needed:
        stages = np.full(ids.size, None, dtype=object)
        rows = list(
            CustomerStage.objects.filter(request.chunk.where("customer_id"))
            .order_by()
            .values_list("customer_id", "stage")
        )
        if rows:
            pos, found = lookup(ids, np.array([r[0] for r in rows], dtype=np.int64))
            stages[pos[found]] = np.array([r[1] for r in rows], dtype=object)[found]
        out["stage"] = stages
    if request.needed & {"health_score", "health_band"}:
        health: list[tuple[int, float | None, str]] = list(
            HealthScore.objects.filter(request.chunk.where("customer_id"))
            .order_by()
            .values_list("customer_id", "score", "band")
        )
        keys = np.array([r[0] for r in health], dtype=np.int64)
        out["health_score"] = scatter(
            ids, keys, np.array([np.nan if r[1] is None else r[1] for r in health]), np.nan
        )
        bands = np.full(ids.size, None, dtype=object)
        if health:
            pos, found = lookup(ids, keys)
            bands[pos[found]] = np.array([r[2] or None for r in health], dtype=object)[found]
        out["health_band"] = bands
    return out


PROVIDERS = (
    FactProvider(
        name="stage",
        facts=(
            FACTS["days_in_stage"],
            Fact("in_at_risk_stage", "number", "1 when the customer stands in a stage whose "
                 "role is at_risk, else 0."),
        ),
        compute=_stage_facts,
    ),
    FactProvider(
        name="lead",
        facts=(FACTS["is_lead"],),
        compute=_lead_facts,
        requires=("orders_count", "subscriptions_started"),
    ),
    FactProvider(
        name="standing",
        facts=(
            Fact("stage", "category", "The customer's lifecycle stage (its key); missing "
                 "before their first evaluation.", nullable=True),
            Fact("health_score", "score", "The customer's health score, 0 to 100; missing "
                 "without data or before the first scoring.", nullable=True),
            Fact("health_band", "category", "The customer's health band: green, yellow or "
                 "red; missing before the first scoring.", nullable=True),
        ),
        compute=_standing_facts,
    ),
)  # fmt: skip
"""Registered by ``LifecycleConfig.ready``."""
