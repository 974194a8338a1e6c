"""The loyalty facts, from the ledger as of ``now`` (one query per chunk): ``loyalty_tier``
(the tier's name, missing below every tier), ``loyalty_balance``
(the sum of the customer's entries; negative after a reversal of spent points) and
``loyalty_points_earned`` (earned from orders and the shop, net of reversals). Timeless to the
lifecycle's replay (a replay reads today's value): segments and rules may read them."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import Q, Sum

from tenure.domain.facts import Fact, FactProvider
from tenure.facts import FactRequest, fetch_numbers, scatter
from tenure.facts.chunks import lookup
from tenure.loyalty.models import CustomerTier, EntryKind, PointsEntry


def _loyalty_facts(request: FactRequest) -> dict[str, Any]:
    ids, chunk = request.ids, request.chunk
    rows = fetch_numbers(
        PointsEntry.objects.filter(chunk.where("customer_id"), created_at__lte=request.now)
        .order_by()
        .values("customer_id")
        .annotate(
            balance=Sum("points"),
            earned=Sum("points", filter=Q(kind__in=[EntryKind.EARN, EntryKind.REVERSE])),
            off=Sum("written_off", filter=Q(kind=EntryKind.REVERSE)),
        )
        .values_list("customer_id", "balance", "earned", "off"),
        4,
    )
    keys = rows[:, 0].astype(np.int64)
    earned = np.nan_to_num(rows[:, 2]) - np.nan_to_num(rows[:, 3])
    return {
        "loyalty_balance": scatter(ids, keys, rows[:, 1], 0.0),
        "loyalty_points_earned": scatter(ids, keys, earned, 0.0),
    }


PROVIDER = FactProvider(
    name="loyalty",
    facts=(
        Fact("loyalty_balance", "number", "The customer's loyalty points balance (below zero "
             "when a refund took back points already spent)."),
        Fact("loyalty_points_earned", "count", "Loyalty points the customer earned, ever, net "
             "of the points refunds reversed."),
    ),
    compute=_loyalty_facts,
    timeless=True,
)  # fmt: skip
"""Registered by ``LoyaltyConfig.ready``."""


def _tier_facts(request: FactRequest) -> dict[str, Any]:
    ids = request.ids
    rows = list(
        CustomerTier.objects.filter(request.chunk.where("customer_id"), tier__isnull=False)
        .order_by("customer_id")
        .values_list("customer_id", "tier__name")
    )
    out = np.full(ids.size, None, dtype=object)
    if rows:
        keys = np.array([row[0] for row in rows], dtype=np.int64)
        pos, found = lookup(ids, keys)
        out[pos[found]] = np.array([row[1] for row in rows], dtype=object)[found]
    return {"loyalty_tier": out}


TIER_PROVIDER = FactProvider(
    name="loyalty_tiers",
    facts=(
        Fact("loyalty_tier", "category", "The customer's loyalty tier (its name); missing "
             "below every tier.", nullable=True),
    ),
    compute=_tier_facts,
    timeless=True,
)  # fmt: skip
"""The tier held today: a replay of the past reads today's (timeless, like the balance)."""
