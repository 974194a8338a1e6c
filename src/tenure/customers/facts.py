"""The facts the customers app provides: subscriptions, the customer's categories and their
imported attributes.

- ``subscriptions`` (subscriptions started up to ``now``, one aggregate query per chunk):
  ``has_active_subscription`` (not cancelled by ``now``), ``subscription_cancelled`` (cancelled
  one, none active), ``days_since_cancellation``, ``subscriptions_started`` (what ``is_lead``
  reads) and, for the health score, ``days_to_renewal``;
- ``profile``, timeless categories (one query, joining the account only when one of its facts
  is asked for): the customer's ``channel`` and ``category``, their account's
  ``account_industry``, ``account_size_band`` and ``account_budget_band``; text trimmed, blank
  is missing;
- ``attributes``, timeless: ``attribute.<name>`` of ``Customer.custom_attributes`` (one query,
  a column per attribute asked for, read out of the JSON by the database): as a category its
  text trimmed (a number as written, ``true``/``false``), as a number the value if it reads
  as one (``12``, ``"1,200"``, ``"3.5"``; as ``tenure.analytics.attributes`` does), missing
  otherwise.

- ``consents``: ``consent_<purpose>``, yes when the customer has granted that purpose now.

Timeless facts have no history: a replay reads their value as it is now at every moment.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Max, Min, Q
from django.db.models.fields.json import KeyTextTransform

from tenure.customers.models import Consent, ConsentPurpose, Customer, Subscription
from tenure.domain.facts import Fact, FactProvider, attribute_key
from tenure.domain.lifecycle.facts import FACTS
from tenure.facts import DAY, FactRequest, fetch_numbers, lookup, scatter
from tenure.facts.clock import EpochSeconds


def _subscription_facts(request: FactRequest) -> dict[str, Any]:
    now, ids = request.now, request.ids
    active = Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=now)
    query = (
        Subscription.objects.filter(request.chunk.where("customer_id"), started_at__lte=now)
        .order_by()
        .values("customer_id")
        .annotate(
            n=Count("id"),
            active=Count("id", filter=active),
            cancelled=Max(EpochSeconds("cancelled_at"), filter=Q(cancelled_at__lte=now)),
            renews=Min(EpochSeconds("renews_at"), filter=active),
        )
        .values_list("customer_id", "n", "active", "cancelled", "renews")
    )
    rows = fetch_numbers(query, 5)
    keys = rows[:, 0].astype(np.int64)
    on = scatter(ids, keys, rows[:, 2], 0.0) > 0
    cancelled_at = scatter(ids, keys, rows[:, 3], np.nan)
    stamp = now.timestamp()
    return {
        "subscriptions_started": scatter(ids, keys, rows[:, 1], 0.0),
        "has_active_subscription": on,
        "subscription_cancelled": ~on & ~np.isnan(cancelled_at),
        "days_since_cancellation": (stamp - cancelled_at) / DAY,
        "days_to_renewal": (scatter(ids, keys, rows[:, 4], np.nan) - stamp) / DAY,
    }


SUBSCRIPTIONS = FactProvider(
    name="subscriptions",
    facts=(
        *(FACTS[name] for name in ("has_active_subscription", "subscription_cancelled",
                                   "days_since_cancellation")),
        Fact("subscriptions_started", "count", "Subscriptions the customer has started, ever."),
        Fact(
            "days_to_renewal", "days",
            "Days until the customer's nearest renewal of an active subscription; missing "
            "without one.", nullable=True,
        ),
    ),
    compute=_subscription_facts,
)  # fmt: skip

_PROFILE = {
    "channel": "channel",
    "category": "category",
    "account_industry": "account__industry",
    "account_size_band": "account__size_band",
    "account_budget_band": "account__budget_band",
}


FACT_FIELDS = frozenset({"channel", "category", "account", "account_id", "custom_attributes"})
"""Customer fields the timeless facts read: a change of one is announced to the lifecycle."""
ACCOUNT_FACT_FIELDS = frozenset({"industry", "size_band", "budget_band"})
"""Account fields its customers' ``account_*`` facts read."""


def texts(values: Any) -> np.ndarray:
    """Text values trimmed, blank or None as None (an object column)."""
    series = pd.Series(values, dtype=object)
    known = series.notna().to_numpy()
    out = np.full(series.size, None, dtype=object)
    stripped = np.array(series[known].map(str).str.strip().to_numpy(dtype=object), dtype=object)
    stripped[stripped == ""] = None
    out[known] = stripped
    return out


def _columns(request: FactRequest, columns: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One query over the chunk's customers: each column's values on the request's ids."""
    rows = list(
        Customer.objects.filter(request.chunk.where("pk"))
        .order_by("pk")
        .values_list("pk", *columns)
    )
    ids = request.ids
    keys = np.array([row[0] for row in rows], dtype=np.int64)
    pos, found = lookup(ids, keys)
    out = []
    for i in range(len(columns)):
        column = np.full(ids.size, None, dtype=object)
        column[pos[found]] = np.array([row[i + 1] for row in rows], dtype=object)[found]
        out.append(column)
    return keys, out


def _profile_facts(request: FactRequest) -> dict[str, Any]:
    names = sorted(request.needed)
    _, columns = _columns(request, [_PROFILE[name] for name in names])
    return {name: texts(column) for name, column in zip(names, columns, strict=True)}


PROFILE = FactProvider(
    name="profile",
    facts=(
        Fact("channel", "category", "The customer's acquisition channel (as recorded: web, "
             "store, partner, ...); missing when blank.", nullable=True),
        Fact("category", "category", "The customer's category (as recorded: retail, b2b, ...); "
             "missing when blank.", nullable=True),
        Fact("account_industry", "category", "The industry of the customer's account; missing "
             "without an account or when blank.", nullable=True),
        Fact("account_size_band", "category", "The size band of the customer's account "
             "(1-10, 11-50, 51-200, 201-1000, 1000+ employees); missing without one.",
             nullable=True),
        Fact("account_budget_band", "category", "The budget band of the customer's account "
             "(low, medium, high, strategic); missing without one.", nullable=True),
    ),
    compute=_profile_facts,
    timeless=True,
)  # fmt: skip


def attribute_numbers(values: np.ndarray) -> np.ndarray:
    """Attribute values as numbers: what reads as a finite number (thousands commas allowed),
    NaN otherwise (text, yes/no, missing)."""
    series = pd.Series(values, dtype=object)
    plain = series.map(lambda v: None if v is None or isinstance(v, bool) else str(v))
    numbers = pd.to_numeric(plain.str.strip().str.replace(",", ""), errors="coerce")
    out = np.array(numbers.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


def _attribute_facts(request: FactRequest) -> dict[str, Any]:
    names = sorted(request.needed)
    _, columns = _columns(
        request, [KeyTextTransform(attribute_key(name), "custom_attributes") for name in names]
    )
    out: dict[str, Any] = {}
    for name, column in zip(names, columns, strict=True):
        if request.kind_of(name) == "number":
            out[name] = attribute_numbers(column)
        else:
            out[name] = texts(column)
    return out


ATTRIBUTES = FactProvider(
    name="attributes", facts=(), compute=_attribute_facts, timeless=True, attributes=True
)


def _consent_facts(request: FactRequest) -> dict[str, Any]:
    purposes = {f"consent_{purpose}": purpose for purpose in ConsentPurpose.values}
    asked = [purposes[name] for name in sorted(request.needed)]
    rows = list(
        Consent.objects.filter(request.chunk.where("customer_id"), purpose__in=asked, granted=True)
        .order_by()
        .values_list("customer_id", "purpose")
    )
    out = {}
    for name in request.needed:
        keys = np.array([c for c, p in rows if p == purposes[name]], dtype=np.int64)
        out[name] = scatter(request.ids, keys, np.ones(keys.size), 0.0) > 0
    return out


CONSENTS = FactProvider(
    name="consents",
    facts=tuple(
        Fact(f"consent_{purpose}", "flag", f"The customer has granted consent: {label}.")
        for purpose, label in ConsentPurpose.choices
    ),
    compute=_consent_facts,
)
"""One yes/no fact per consent purpose (granted now); segments read them."""

PROVIDERS = (SUBSCRIPTIONS, PROFILE, ATTRIBUTES, CONSENTS)
"""Registered by ``CustomersConfig.ready``."""
