"""PURE: how "My day" ranks a success manager's customers.

The score is the value at risk, weighted by how soon the customer renews:

    score = churn risk x value x urgency,  urgency = 30 / (30 + days to the next renewal)

``churn risk`` (0-1) is the model's (``CustomerPrediction.churn_risk``), or, before a fit
covers the customer, what their health lacks of 100 (health 40 -> 0.6), or an even 0.5 when
nothing is known; ``value`` is the predicted CLV of the next year, or the revenue so far
without a prediction; a renewal today weighs 1, in 30 days 0.5, and no renewal at all counts
as a year away (30 / 395, about 0.08), so a customer who renews soon rises above a larger one
who does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

URGENCY_DAYS = 30
NO_RENEWAL_DAYS = 365
UNKNOWN_RISK = 0.5


@dataclass(frozen=True)
class WorklistScore:
    score: float
    risk: float
    risk_source: str  # "model", "health" or "unknown"
    value: Decimal
    urgency: float
    days_to_renewal: int | None


def worklist_score(
    *,
    churn_risk: float | None,
    health_score: float | None,
    value: Decimal,
    days_to_renewal: int | None,
) -> WorklistScore:
    if churn_risk is not None:
        risk, source = float(churn_risk), "model"
    elif health_score is not None:
        risk, source = (100.0 - float(health_score)) / 100.0, "health"
    else:
        risk, source = UNKNOWN_RISK, "unknown"
    risk = min(max(risk, 0.0), 1.0)
    days = NO_RENEWAL_DAYS if days_to_renewal is None else max(days_to_renewal, 0)
    urgency = URGENCY_DAYS / (URGENCY_DAYS + days)
    value = max(value, Decimal(0))
    score = risk * float(value) * urgency
    return WorklistScore(score, risk, source, value, urgency, days_to_renewal)
