"""The facts the interactions app provides, as of a moment (one aggregate query per chunk):
``open_complaints`` (complaints and tickets not resolved by ``now``), ``interactions_count``
(calls, meetings, emails, notes), ``meetings_count`` (calls and meetings) and, for the health
score, ``contacts_engaged_90d`` (distinct contacts named on the customer's interactions in the
last 90 days; missing when none was named)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.db.models import Count, Q

from tenure.domain.facts import Fact, FactProvider
from tenure.domain.lifecycle.facts import FACTS
from tenure.facts import FactRequest, fetch_numbers, scatter
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
    }


PROVIDER = FactProvider(
    name="interactions",
    facts=(
        *(FACTS[name] for name in ("open_complaints", "interactions_count", "meetings_count")),
        Fact("contacts_engaged_90d", "number",
             "Distinct contacts named on the customer's interactions in the last 90 days; "
             "missing when none was named.", nullable=True),
    ),
    compute=_interaction_facts,
)  # fmt: skip
"""Registered by ``InteractionsConfig.ready``."""
