"""Records for the insights tests: hand-placed orders, and a simulated buying population."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from tenure.analytics.simulate import simulate_bg_nbd
from tenure.customers.models import Customer
from tenure.orders.models import Order
from tenure.orders.services import customer_stats_refresh
from tests.factories import make_customer, make_order

_batch = itertools.count(1)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def buyer(*days: date, amount: str = "50.00", **fields: Any) -> Customer:
    """A customer with one completed order on each of ``days`` (created on the first)."""
    customer = make_customer(created_at=at(days[0]), **fields)
    for day in days:
        make_order(customer=customer, placed_at=at(day), amount=Decimal(amount))
    return customer


def simulated_buyers(
    *, customers: int = 300, end: date = date(2025, 12, 31), seed: int = 1, **fields: Any
) -> list[Customer]:
    """A BG/NBD population (ages 30..700 days at ``end``) with Gamma spend, stored in bulk."""
    rng = np.random.default_rng(seed)
    ages = np.floor(rng.uniform(30, 700, customers))
    drawn = simulate_bg_nbd(ages, r=0.8, alpha=30.0, a=1.0, b=6.0, rng=rng)
    close = at(end, 0)
    batch = next(_batch)
    rows = [
        Customer(
            external_id=f"SIM{seed}-{batch}-{i:04d}",
            first_name="Sim",
            last_name=f"Buyer {i}",
            created_at=close - timedelta(days=float(age)),
            **fields,
        )
        for i, age in enumerate(ages)
    ]
    stored = Customer.objects.bulk_create(rows)
    spend = rng.gamma(6.0, 1.0 / rng.gamma(4.0, 1.0 / 150.0, customers))
    orders = []
    for i, customer in enumerate(stored):
        first = customer.created_at
        times = [0.0, *drawn.time[drawn.customer == i].tolist()]
        for k, offset in enumerate(times):
            amount = Decimal(f"{max(spend[i] * rng.gamma(6.0, 1 / 6.0), 3.0):.2f}")
            orders.append(
                Order(
                    external_id=f"SIMO{seed}-{batch}-{i:04d}-{k}",
                    customer=customer,
                    placed_at=first + timedelta(days=offset),
                    amount=amount,
                    currency="USD",
                )
            )
    Order.objects.bulk_create(orders, batch_size=2000)
    customer_stats_refresh(customer_ids=[c.pk for c in stored])
    return stored
