"""The facts the interactions app provides, as of a moment (one aggregate query per chunk):
``open_complaints`` (complaints and tickets not resolved by ``now``), ``interactions_count``
(calls, meetings, emails, notes), ``meetings_count`` (calls and meetings) and, for the health
score, ``contacts_engaged_90d`` (distinct contacts named on the customer's interactions in the
last 90 days; missing when none was named) and ``team_engaged_90d`` (the team on the other
side of the same relationship: the customer's owner and every member who logged one of their
interactions in the last 90 days, one person once; missing for a customer outside an account,
whose relationship is not a company's)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.db.models import Count, Q

from tenure.customers.models import Customer
from tenure.domain.facts import Fact, FactProvider
from tenure.domain.lifecycle.facts import FACTS
from tenure.facts import FactRequest, fetch_numbers, lookup, scatter
from tenure.interactions.models import CASE_KINDS, CaseStatus, Interaction, InteractionKind

CONVERSATION = (InteractionKind.CALL, InteractionKind.MEETING, InteractionKind.EMAIL,
                InteractionKind.NOTE)  # fmt: skip
MEETINGS = (InteractionKind.CALL, InteractionKind.MEETING)


def _interaction_facts(request: FactRequest) -> dict[str, Any]:
    now, ids = request.now, request.ids
    open_case = Q(kind__in=CASE_KINDS) & (~Q(status=CaseStatus.RESOLVED) | Q(resolved_at__gt=now))
    query = (
        Interaction.objects.filter(request.chunk.where("customer_id"), occurred_at__lte=now)
        .order_by()
        .values("customer_id")
        .annotate(
            complaints=Count("id", filter=open_case),
            talks=Count("id", filter=Q(kind__in=CONVERSATION)),
            meetings=Count("id", filter=Q(kind__in=MEETINGS)),
            contacts=Count(
                "contact_id", filter=Q(occurred_at__gt=now - timedelta(days=90)), distinct=True
            ),
        )
        .values_list("customer_id", "complaints", "talks", "meetings", "contacts")
    )
    rows = fetch_numbers(query, 5)
    keys = rows[:, 0].astype(np.int64)
    contacts = scatter(ids, keys, rows[:, 4], 0.0)
    return {
        "open_complaints": scatter(ids, keys, rows[:, 1], 0.0),
        "interactions_count": scatter(ids, keys, rows[:, 2], 0.0),
        "meetings_count": scatter(ids, keys, rows[:, 3], 0.0),
        # Contacts engaged with this customer in 90 days; NaN (no data) when none were named.
        "contacts_engaged_90d": np.where(contacts > 0, contacts, np.nan),
        **({"team_engaged_90d": _team(request)} if "team_engaged_90d" in request.needed else {}),
    }


def _team(request: FactRequest) -> Any:
    """Per customer of an account: their owner and the authors of their interactions in the
    last 90 days, counted once each (two queries per chunk, counted in NumPy)."""
    now, ids = request.now, request.ids
    people = fetch_numbers(
        Customer.objects.filter(request.chunk.where("pk"))
        .order_by()
        .values_list("pk", "account_id", "owner_id"),
        3,
    )
    pos, found = lookup(ids, people[:, 0].astype(np.int64))
    in_account = np.zeros(ids.size, dtype=bool)
    owner = np.zeros(ids.size, dtype=np.float64)  # 0: none (ids start at 1)
    in_account[pos[found]] = ~np.isnan(people[found, 1])
    owner[pos[found]] = np.nan_to_num(people[found, 2])
    pairs = fetch_numbers(
        Interaction.objects.filter(
            request.chunk.where("customer_id"),
            occurred_at__gt=now - timedelta(days=90),
            occurred_at__lte=now,
            author__isnull=False,
        )
        .order_by()
        .values_list("customer_id", "author_id")
        .distinct(),
        2,
    )
    at, known = lookup(ids, pairs[:, 0].astype(np.int64))
    others = known & (pairs[:, 1] != owner[at])  # the owner is counted below, once
    team = np.bincount(at[others], minlength=ids.size).astype(np.float64) + (owner > 0)
    return np.where(in_account, team, np.nan)


PROVIDER = FactProvider(
    name="interactions",
    facts=(
        *(FACTS[name] for name in ("open_complaints", "interactions_count", "meetings_count")),
        Fact("contacts_engaged_90d", "number",
             "Distinct contacts named on the customer's interactions in the last 90 days; "
             "missing when none was named.", nullable=True),
        Fact("team_engaged_90d", "number",
             "Team members looking after a customer of an account: the owner and whoever "
             "logged one of their interactions in the last 90 days; missing outside an "
             "account.", nullable=True),
    ),
    compute=_interaction_facts,
)  # fmt: skip
"""Registered by ``InteractionsConfig.ready``."""
