"""The facts the feedback app provides, as of a moment: ``latest_nps`` and ``latest_csat``
(each customer's latest answer of each kind answered by ``now``, not a later one; missing:
none yet) with, for the health ceilings, ``days_since_nps`` and ``days_since_csat`` (one
query, only the kinds asked for), and ``referrals_count`` (referrals the customer made by
``now``, whatever became of them; one query)."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import Case, Count, Value, When

from tenure.domain.facts import Fact, FactProvider
from tenure.domain.lifecycle.facts import FACTS
from tenure.facts import DAY, FactRequest, fetch_numbers, scatter
from tenure.facts.clock import EpochSeconds
from tenure.feedback.models import Referral, SurveyKind, SurveyResponse
from tenure.feedback.selectors import answers_latest

_KINDS = {
    SurveyKind.NPS: ("latest_nps", "days_since_nps"),
    SurveyKind.CSAT: ("latest_csat", "days_since_csat"),
}


def _feedback_facts(request: FactRequest) -> dict[str, Any]:
    ids, now, needed, chunk = request.ids, request.now, request.needed, request.chunk
    facts: dict[str, Any] = {}
    wanted = [kind for kind, names in _KINDS.items() if set(names) & needed]
    if wanted:
        answers = SurveyResponse.objects.filter(chunk.where("customer_id"), kind__in=wanted)
        is_nps = Case(When(kind=SurveyKind.NPS, then=Value(1)), default=Value(0))
        rows = fetch_numbers(
            answers_latest(answers, as_of=now).values_list(
                "customer_id", is_nps, "score", EpochSeconds("answered_at")
            ),
            4,
        )
        for kind in wanted:
            mine = rows[rows[:, 1] == (1.0 if kind == SurveyKind.NPS else 0.0)]
            keys = mine[:, 0].astype(np.int64)
            score, since = _KINDS[kind]
            facts[score] = scatter(ids, keys, mine[:, 2], np.nan)
            facts[since] = (now.timestamp() - scatter(ids, keys, mine[:, 3], np.nan)) / DAY
    if "referrals_count" in needed:
        rows = fetch_numbers(
            Referral.objects.filter(chunk.where("referrer_id"), referred_at__lte=now)
            .order_by()
            .values("referrer_id")
            .annotate(n=Count("id"))
            .values_list("referrer_id", "n"),
            2,
        )
        facts["referrals_count"] = scatter(ids, rows[:, 0].astype(np.int64), rows[:, 1], 0.0)
    return facts


PROVIDER = FactProvider(
    name="feedback",
    facts=(
        FACTS["latest_nps"],
        FACTS["referrals_count"],
        Fact("latest_csat", "score", "The customer's latest CSAT answer, 1 to 5; missing if "
             "they never answered.", nullable=True),
        Fact("days_since_nps", "days", "Days since the customer's latest NPS answer; missing "
             "without one.", nullable=True),
        Fact("days_since_csat", "days", "Days since the customer's latest CSAT answer; "
             "missing without one.", nullable=True),
    ),
    compute=_feedback_facts,
)  # fmt: skip
"""Registered by ``FeedbackConfig.ready``."""
