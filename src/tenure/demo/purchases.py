"""The demo's purchases: a buy-till-you-die process per customer group, with the truth kept.

Times are in days from the start of the observation window. Each customer's first order is at
their acquisition; repeat orders follow BG/NBD (``simulate_bg_nbd``) and order amounts follow
Gamma-Gamma (``simulate_spend``), both from ``tenure.analytics.simulate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tenure.analytics.simulate import simulate_bg_nbd, simulate_spend
from tenure.demo import vocabulary as words
from tenure.demo.records import Clock, OrderLineRecord, OrderRecord

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class BuyingProcess:
    """Parameters of the demo's purchase process (rates per day, amounts in currency units).

    Purchase rate ``lambda ~ Gamma(r, rate=alpha)``: mean r / alpha = 0.046 a day, about 17
    orders a year (a coffee roaster's customers reorder beans every few weeks); referred
    customers have ``alpha / referral_rate_factor``. Dropout after each repeat purchase
    ``p ~ Beta(a, b)``: mean 0.06; customers acquired through paid social or buying for a
    low-budget account have ``Beta(a, risky_b)``, mean 0.21. Spend per order
    ``Gamma(spend_p, rate=nu)``, ``nu ~ Gamma(spend_q, rate=spend_gamma[category])``: mean order
    about 44 (Home), 120 (Office) and 300 (Enterprise).
    """

    r: float = 1.1
    alpha: float = 24.0
    referral_rate_factor: float = 1.6
    a: float = 1.2
    b: float = 18.0
    risky_b: float = 4.5
    spend_p: float = 6.0
    spend_q: float = 4.0
    spend_gamma: tuple[tuple[str, float], ...] = (
        ("Home", 22.0),
        ("Office", 60.0),
        ("Enterprise", 150.0),
    )
    minimum_amount: float = 3.0  # no order below this; a floor on the Gamma-Gamma draws
    refunded_share: float = 0.02  # of repeat orders
    cancelled_share: float = 0.015  # of repeat orders
    complaint_before_silence: float = 0.45  # of dropouts: a complaint after their final order
    refund_after_complaint: float = 0.35  # of those complaints: the final order is refunded


@dataclass(frozen=True)
class PurchaseHistory:
    """Every order of every customer (sorted by time) and each customer's hidden truth."""

    purchase_rate: FloatArray  # per day
    dropout_probability: FloatArray
    dropout_day: FloatArray  # NaN: alive at the end
    complaint_day: FloatArray  # NaN: no complaint planted after the final order
    order_customer: IntArray
    order_day: FloatArray
    order_cents: IntArray
    order_status: tuple[str, ...]


def _simulate_groups(
    rng: np.random.Generator,
    process: BuyingProcess,
    *,
    age: FloatArray,
    referred: BoolArray,
    risky: BoolArray,
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray, FloatArray]:
    """One BG/NBD draw per (rate, dropout) group; repeat times are from each first order."""
    n = age.size
    rate, p, dropout = np.zeros(n), np.zeros(n), np.full(n, np.nan)
    customers, times = [], []
    for fast in (False, True):
        for high_dropout in (False, True):
            members = np.flatnonzero((referred == fast) & (risky == high_dropout))
            if members.size == 0:
                continue
            alpha = process.alpha / (process.referral_rate_factor if fast else 1.0)
            b = process.risky_b if high_dropout else process.b
            sim = simulate_bg_nbd(age[members], r=process.r, alpha=alpha, a=process.a, b=b, rng=rng)
            rate[members] = sim.purchase_rate
            p[members] = sim.dropout_probability
            dropout[members] = sim.dropout_time
            customers.append(members[sim.customer])
            times.append(sim.time)
    return rate, p, dropout, np.concatenate(customers), np.concatenate(times)


def _spend_cents(
    rng: np.random.Generator,
    process: BuyingProcess,
    *,
    customer: IntArray,
    category: npt.NDArray[np.str_],
) -> IntArray:
    """Amounts of orders given in (customer, time) order, in cents, drawn per category."""
    cents = np.zeros(customer.size, dtype=np.int64)
    counts = np.bincount(customer, minlength=category.size)
    for name, gamma in process.spend_gamma:
        members = np.flatnonzero(category == name)
        spend = simulate_spend(
            counts[members], p=process.spend_p, q=process.spend_q, gamma=gamma, rng=rng
        )
        spend = np.maximum(spend, process.minimum_amount)
        # orders sorted by customer: a member's orders are one contiguous run, in member order
        cents[np.isin(customer, members)] = np.round(spend * 100).astype(np.int64)
    return cents


def simulate_purchases(
    rng: np.random.Generator,
    process: BuyingProcess,
    *,
    acquired_day: FloatArray,
    horizon_days: float,
    referred: BoolArray,
    risky: BoolArray,
    category: npt.NDArray[np.str_],
) -> PurchaseHistory:
    """Orders of customers acquired at ``acquired_day``, observed until ``horizon_days``."""
    age = horizon_days - acquired_day
    rate, p, dropout, repeat_customer, repeat_time = _simulate_groups(
        rng, process, age=age, referred=referred, risky=risky
    )
    n = acquired_day.size
    customer = np.concatenate([np.arange(n), repeat_customer])
    since_first = np.concatenate([np.zeros(n), repeat_time])
    by_customer = np.lexsort((since_first, customer))
    customer, since_first = customer[by_customer], since_first[by_customer]
    cents = _spend_cents(rng, process, customer=customer, category=category)
    day = acquired_day[customer] + since_first
    dropout_day = acquired_day + dropout
    status = _statuses(rng, process, since_first=since_first)
    complaint_day = _planted_complaints(rng, process, dropout_day=dropout_day, horizon=horizon_days)
    final = np.flatnonzero((day == dropout_day[customer]) & ~np.isnan(complaint_day[customer]))
    refund = final[rng.random(final.size) < process.refund_after_complaint]
    status[refund] = "refunded"
    by_time = np.lexsort((customer, day))
    return PurchaseHistory(
        purchase_rate=rate,
        dropout_probability=p,
        dropout_day=dropout_day,
        complaint_day=complaint_day,
        order_customer=customer[by_time],
        order_day=day[by_time],
        order_cents=cents[by_time],
        order_status=tuple(str(s) for s in status[by_time]),
    )


def _statuses(
    rng: np.random.Generator,
    process: BuyingProcess,
    *,
    since_first: FloatArray,
) -> npt.NDArray[np.object_]:
    """Completed, except a few refunded or cancelled repeat orders (never a first order)."""
    status = np.full(since_first.size, "completed", dtype=object)
    draw = rng.random(since_first.size)
    repeat = since_first > 0
    status[repeat & (draw < process.refunded_share)] = "refunded"
    cancelled = (draw >= process.refunded_share) & (
        draw < process.refunded_share + process.cancelled_share
    )
    status[repeat & cancelled] = "cancelled"
    return status


def _planted_complaints(
    rng: np.random.Generator, process: BuyingProcess, *, dropout_day: FloatArray, horizon: float
) -> FloatArray:
    """Days of the complaint that follows a dropout's final order, NaN for everyone else."""
    complaint = dropout_day + rng.uniform(0.5, 21.0, size=dropout_day.size)
    chosen = rng.random(dropout_day.size) < process.complaint_before_silence
    keep = chosen & ~np.isnan(dropout_day) & (complaint < horizon)
    return np.where(keep, complaint, np.nan)


LINE_SHARE = 0.35  # of orders that carry order lines
LINE_COUNT_WEIGHTS = (0.5, 0.35, 0.15)  # one, two or three lines


def order_records(
    history: PurchaseHistory, *, clock: Clock, currency: str
) -> tuple[OrderRecord, ...]:
    """Orders numbered in the order they were placed."""
    return tuple(
        OrderRecord(
            external_id=f"DEMO-O{i + 1:06d}",
            customer=int(customer),
            placed_at=clock.at(float(day)),
            amount=Decimal(int(cents)).scaleb(-2),
            currency=currency,
            status=status,
        )
        for i, (customer, day, cents, status) in enumerate(
            zip(
                history.order_customer,
                history.order_day,
                history.order_cents,
                history.order_status,
                strict=True,
            )
        )
    )


def order_line_records(
    rng: np.random.Generator, orders: tuple[OrderRecord, ...]
) -> tuple[OrderLineRecord, ...]:
    """Lines for some orders, adding up to the order's amount to the cent.

    The amount is split at random between one to three products; each line but the last buys
    as many units as its share affords at about list price, and the last line (one unit) takes
    what is left, so that the lines always sum to the order total.
    """
    lines = []
    with_lines = np.flatnonzero(rng.random(len(orders)) < LINE_SHARE)
    weights = np.array(LINE_COUNT_WEIGHTS)
    for index in with_lines:
        total = int(orders[index].amount * 100)
        count = min(int(rng.choice(len(weights), p=weights)) + 1, total)
        products = rng.choice(len(words.PRODUCTS), size=count, replace=False)
        shares = rng.dirichlet(np.ones(count))
        left = total
        for position, product in enumerate(products):
            sku, description, list_price = words.PRODUCTS[int(product)]
            if position == count - 1:
                quantity, unit = 1, left
            else:
                part = max(1, int(shares[position] * (total - count)))
                quantity = int(np.clip(round(part / (list_price * 100)), 1, 6))
                unit = part // quantity
            left -= quantity * unit
            lines.append(
                OrderLineRecord(
                    order=int(index),
                    sku=sku,
                    description=description,
                    quantity=quantity,
                    unit_price=Decimal(unit).scaleb(-2),
                )
            )
    return tuple(lines)
