"""The cockpit header of the customer and account pages: stage, health with each factor's
weight and its change, the score against 30 days ago, predicted CLV, churn risk, the next
renewal, the owner.

Reads what the lifecycle's health stores (``HealthScore.components``: each factor's 0-100;
the day's ``HealthSnapshot`` with its factors whenever the score or a factor changed) and the
insights' latest predictions; this app sits above both, so it may read them directly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from tenure.customers.models import Account, Customer, Subscription
from tenure.domain.health import COMPONENTS
from tenure.insights.models import CustomerPrediction
from tenure.lifecycle.health import health_config_active
from tenure.lifecycle.models import AccountHealthSnapshot, CustomerStage, HealthSnapshot
from tenure.lifecycle.services import active_model
from tenure.users.models import User

TREND_DAYS = 30


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    score: float | None  # 0-100; None: no data for it
    weight: float  # the configured weight (the weights of the factors with data share 100 %)
    before: float | None = None  # its score TREND_DAYS ago (the last snapshot by then)

    @property
    def change(self) -> float | None:
        if self.score is None or self.before is None:
            return None
        return round(self.score - self.before, 1)


@dataclass(frozen=True)
class Cockpit:
    stages: list[tuple[str, int]]  # (stage name, customers): one for a customer
    health_score: float | None
    health_band: str
    factors: list[Factor]
    score_before: float | None  # the score TREND_DAYS ago (the last snapshot by then)
    predicted_clv: Decimal | None
    churn_risk: float | None
    next_renewal: Subscription | None
    owner: User | None

    @property
    def change(self) -> float | None:
        if self.health_score is None or self.score_before is None:
            return None
        return round(self.health_score - self.score_before, 1)


def stage_names() -> dict[str, str]:
    """The active definition's stage keys -> names (an admin may rename them)."""
    _definition, model = active_model()
    return {stage.key: stage.name for stage in model.stages}


def _factors(health: Any, then: Any) -> list[Factor]:
    if health is None or not health.components:
        return []
    params = health_config_active().params
    before = (then.components or {}) if then is not None else {}
    return [
        Factor(
            key,
            COMPONENTS[key].label,
            health.components.get(key),
            params[key]["weight"],
            before.get(key),
        )
        for key in COMPONENTS
        if key in params and params[key]["weight"] > 0
    ]


def _snapshot_before(snapshots: QuerySet[Any], today: date) -> Any:
    """The last snapshot TREND_DAYS or more ago: the score and factors as they stood then."""
    return snapshots.filter(day__lte=today - timedelta(days=TREND_DAYS)).order_by("-day").first()


def _next_renewal(customers: Any, today: date) -> Subscription | None:
    start = timezone.make_aware(datetime.combine(today, time.min))
    return (
        Subscription.objects.filter(
            customer_id__in=customers, cancelled_at__isnull=True, renews_at__gte=start
        )
        .select_related("customer")
        .order_by("renews_at", "id")
        .first()
    )


def _related(record: Model, name: str) -> Any:
    return getattr(record, name, None)  # a missing one-to-one raises; getattr's default is None


def customer_cockpit(*, customer: Customer, today: date | None = None) -> Cockpit:
    """The header of a customer the caller may see (the page has checked that)."""
    today = today or timezone.localdate()
    health = _related(customer, "health")
    stage = CustomerStage.objects.filter(customer=customer).first()
    prediction = CustomerPrediction.objects.filter(customer=customer).first()
    then = _snapshot_before(HealthSnapshot.objects.filter(customer=customer), today)
    names = stage_names()
    return Cockpit(
        stages=[(names.get(stage.stage, stage.stage), 1)] if stage else [],
        health_score=health.score if health else None,
        health_band=health.band if health else "",
        factors=_factors(health, then),
        score_before=then.score if then is not None else None,
        predicted_clv=prediction.predicted_clv_365 if prediction else None,
        churn_risk=prediction.churn_risk if prediction else None,
        next_renewal=_next_renewal([customer.pk], today),
        owner=customer.owner,
    )


def account_cockpit(
    *, account: Account, customers: QuerySet[Customer], today: date | None = None
) -> Cockpit:
    """The header of an account over ``customers`` (its customers the caller may see): the
    stages they stand in, the account's health, their predicted CLV summed and the churn
    risk weighted by it (the share of the predicted value at risk)."""
    today = today or timezone.localdate()
    ids = customers.order_by().values("pk")
    health = _related(account, "health")
    then = _snapshot_before(AccountHealthSnapshot.objects.filter(account=account), today)
    names = stage_names()
    counts = Counter(
        CustomerStage.objects.filter(customer_id__in=ids).values_list("stage", flat=True)
    )
    predictions = list(CustomerPrediction.objects.filter(customer_id__in=ids))
    clv = sum((p.predicted_clv_365 for p in predictions), Decimal(0))
    risk = None
    if predictions:
        weights = [float(p.predicted_clv_365) for p in predictions]
        risks = [p.churn_risk for p in predictions]
        total = sum(weights)
        risk = (
            sum(w * r for w, r in zip(weights, risks, strict=True)) / total
            if total > 0
            else sum(risks) / len(risks)
        )
    return Cockpit(
        stages=[(names.get(key, key), n) for key, n in counts.most_common()],
        health_score=health.score if health else None,
        health_band=health.band if health else "",
        factors=_factors(health, then),
        score_before=then.score if then is not None else None,
        predicted_clv=clv if predictions else None,
        churn_risk=risk,
        next_renewal=_next_renewal(ids, today),
        owner=account.owner,
    )
