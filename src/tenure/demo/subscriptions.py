"""The contract side of the demo business: coffee clubs and office plans.

Renewals follow the shifted-beta-geometric story (Fader & Hardie 2007): each subscriber has their
own probability of cancelling at each renewal, drawn from a beta distribution. A customer who
drops out of buying (the BG/NBD truth) also cancels their subscription within two months.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from tenure.demo import vocabulary as words
from tenure.demo.purchases import DAYS_PER_YEAR, PurchaseHistory
from tenure.demo.records import Clock, CustomerRecord, SubscriptionRecord

SUBSCRIBER_SHARE = {False: 0.15, True: 0.35}  # consumers, customers of an account
YEARLY_SHARE = 0.3
PERIOD_DAYS = {"month": DAYS_PER_YEAR / 12, "year": DAYS_PER_YEAR}
# Beta(gamma, delta) of the probability of cancelling at a renewal, per billing interval
CANCEL_BETA = {"month": (1.0, 11.0), "year": (1.0, 3.0)}


def subscription_records(
    rng: np.random.Generator,
    clock: Clock,
    *,
    customers: tuple[CustomerRecord, ...],
    acquired_day: np.ndarray,
    history: PurchaseHistory,
    currency: str,
) -> tuple[SubscriptionRecord, ...]:
    """Subscriptions of a subset of customers, started within three months of their first order."""
    subscriptions: list[SubscriptionRecord] = []
    for i, customer in enumerate(customers):
        business = customer.account is not None
        if rng.random() >= SUBSCRIBER_SHARE[business]:
            continue
        dropout = float(history.dropout_day[i])
        last_day = clock.horizon_days if np.isnan(dropout) else min(dropout, clock.horizon_days)
        started = float(acquired_day[i]) + float(rng.uniform(0, 90))
        if started >= last_day:
            continue
        plans = [plan for plan in words.PLANS if plan[3] == business]
        plan, monthly, yearly, _ = plans[int(rng.integers(len(plans)))]
        interval = "year" if rng.random() < YEARLY_SHARE else "month"
        period = PERIOD_DAYS[interval]
        renewals = int(rng.geometric(rng.beta(*CANCEL_BETA[interval])))
        cancelled = started + renewals * period - float(rng.uniform(0, 5))
        if not np.isnan(dropout):
            cancelled = min(cancelled, dropout + float(rng.uniform(5, 60)))
        cancelled = max(cancelled, started + 1)
        reasons = words.BUSINESS_CANCELLATION_REASONS if business else words.CANCELLATION_REASONS
        active = cancelled >= clock.horizon_days
        next_renewal = started + math.ceil((clock.horizon_days - started) / period) * period
        subscriptions.append(
            SubscriptionRecord(
                external_id=f"DEMO-S{len(subscriptions) + 1:05d}",
                customer=i,
                plan=plan,
                amount=Decimal(f"{yearly if interval == 'year' else monthly:.2f}"),
                currency=currency,
                interval=interval,
                started_at=clock.at(started),
                renews_at=clock.at(next_renewal) if active else None,
                cancelled_at=None if active else clock.at(cancelled),
                cancellation_reason="" if active else reasons[int(rng.integers(len(reasons)))],
            )
        )
    return tuple(subscriptions)
