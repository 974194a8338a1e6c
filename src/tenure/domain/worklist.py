"""PURE: how "My day" ranks a success manager's customers.

The score is the value at risk, weighted by how soon the customer renews:

    score = churn risk x value x urgency,  urgency = 30 / (30 + days to the next renewal)

``churn risk`` (0-1) is the model's (``CustomerPrediction.churn_risk``), or, before a fit
covers the customer, what their health lacks of 100 (health 40 -> 0.6), or an even 0.5 when
nothing is known; ``value`` is the predicted CLV of the next year, or the revenue so far
without a prediction; a renewal today weighs 1, in 30 days 0.5, and no renewal at all counts
as a year away (30 / 395, about 0.08), so a customer who renews soon rises above a larger one
who does not.

An account is ranked by the same score over its customers: its risk is theirs weighted by each
one's value (so a large customer's risk counts for more; an even mean when none has value), its
value their summed value, its renewal the soonest coming one among them.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _risk(churn_risk: float | None, health_score: float | None) -> tuple[float, str]:
    if churn_risk is not None:
        risk, source = float(churn_risk), "model"
    elif health_score is not None:
        risk, source = (100.0 - float(health_score)) / 100.0, "health"
    else:
        risk, source = UNKNOWN_RISK, "unknown"
    return min(max(risk, 0.0), 1.0), source


def _scored(risk: float, source: str, value: Decimal, days_to_renewal: int | None) -> WorklistScore:
    days = NO_RENEWAL_DAYS if days_to_renewal is None else max(days_to_renewal, 0)
    urgency = URGENCY_DAYS / (URGENCY_DAYS + days)
    value = max(value, Decimal(0))
    score = risk * float(value) * urgency
    return WorklistScore(score, risk, source, value, urgency, days_to_renewal)


def worklist_score(
    *,
    churn_risk: float | None,
    health_score: float | None,
    value: Decimal,
    days_to_renewal: int | None,
) -> WorklistScore:
    risk, source = _risk(churn_risk, health_score)
    return _scored(risk, source, value, days_to_renewal)


@dataclass(frozen=True)
class Member:
    """One customer of an account, as ``worklist_score`` takes it."""

    churn_risk: float | None
    health_score: float | None
    value: Decimal
    days_to_renewal: int | None


def account_worklist_score(members: Sequence[Member]) -> WorklistScore:
    """The account's score from its customers' figures (see the module's words). The source is
    "model" when every customer's risk is the model's, "unknown" when none is known (or the
    account has no customers), else "health" (at least partly from health)."""
    risks = [_risk(m.churn_risk, m.health_score) for m in members]
    values = [max(m.value, Decimal(0)) for m in members]
    total = sum(values, Decimal(0))
    if not members:
        risk = UNKNOWN_RISK
    elif total > 0:
        risk = sum(r * float(v) for (r, _s), v in zip(risks, values, strict=True)) / float(total)
    else:
        risk = sum(r for r, _s in risks) / len(risks)
    sources = {s for _r, s in risks}
    if sources == {"model"}:
        source = "model"
    elif not sources or sources == {"unknown"}:
        source = "unknown"
    else:
        source = "health"
    coming = [m.days_to_renewal for m in members if m.days_to_renewal is not None]
    return _scored(risk, source, total, min(coming) if coming else None)
