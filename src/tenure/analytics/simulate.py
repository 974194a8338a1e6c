"""Simulate customer bases from the buy-till-you-die models, with the truth kept.

Used by the demo business, by recovery tests (simulate from known parameters, fit, compare) and
by the benchmarks. Times are in arbitrary units (days in the demo, weeks for CDNOW-like data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SimulatedPurchases:
    """Repeat purchases of a simulated population, as a flat transaction log plus the truth.

    ``customer`` and ``time`` hold one row per repeat purchase (the first purchase, at time 0 of
    each customer, is not in them). ``dropout_time`` is NaN for customers alive at their ``T``.
    ``dropout_probability`` is BG/NBD's p per purchase (NaN for Pareto/NBD) and
    ``dropout_rate`` Pareto/NBD's mu (None for BG/NBD).
    """

    customer: IntArray
    time: FloatArray
    T: FloatArray
    purchase_rate: FloatArray
    dropout_probability: FloatArray
    dropout_time: FloatArray
    dropout_rate: FloatArray | None = None

    @property
    def alive_at_end(self) -> npt.NDArray[np.bool_]:
        return np.isnan(self.dropout_time)

    @property
    def frequency(self) -> IntArray:
        return np.bincount(self.customer, minlength=len(self.T)).astype(np.int64)

    @property
    def recency(self) -> FloatArray:
        """Time of each customer's last repeat purchase (0 without one): t_x."""
        out = np.zeros(len(self.T))
        if self.customer.size:
            # Rows are sorted by customer then time: the last row of each customer is t_x.
            last = np.append(self.customer[1:] != self.customer[:-1], True)
            out[self.customer[last]] = self.time[last]
        return out


def simulate_bg_nbd(
    T: npt.ArrayLike,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    rng: np.random.Generator,
) -> SimulatedPurchases:
    """Draw repeat purchases from the BG/NBD process (Fader, Hardie & Lee 2005, section 3).

    Each customer buys at a Poisson rate ``lambda ~ Gamma(r, rate=alpha)`` while alive and, after
    each repeat purchase, drops out with probability ``p ~ Beta(a, b)``; ``T`` is each customer's
    observed age (time from the first purchase to the end of observation).

    Vectorised over customers: one pass per purchase index, over those still buying, so the work
    is proportional to the number of purchases drawn.
    """
    ages = np.asarray(T, dtype=np.float64)
    if ages.ndim != 1 or np.any(~np.isfinite(ages)) or np.any(ages < 0):
        raise ValueError("T must be a one-dimensional array of finite ages >= 0")
    n = len(ages)
    rate = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    p = rng.beta(a, b, size=n)
    dropout_time = np.full(n, np.nan)
    now = np.zeros(n)
    active = np.arange(n)
    customers: list[IntArray] = []
    times: list[FloatArray] = []
    while active.size:
        now[active] += rng.exponential(size=active.size) / np.maximum(rate[active], 1e-300)
        within = now[active] <= ages[active]
        active = active[within]
        customers.append(active.copy())
        times.append(now[active].copy())
        dies = rng.random(active.size) < p[active]
        dropout_time[active[dies]] = now[active[dies]]
        active = active[~dies]
    customer = np.concatenate(customers) if customers else np.zeros(0, np.int64)
    time = np.concatenate(times) if times else np.zeros(0)
    order = np.lexsort((time, customer))
    return SimulatedPurchases(
        customer=customer[order].astype(np.int64),
        time=time[order],
        T=ages,
        purchase_rate=rate,
        dropout_probability=p,
        dropout_time=dropout_time,
    )


def simulate_pareto_nbd(
    T: npt.ArrayLike,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    rng: np.random.Generator,
) -> SimulatedPurchases:
    """Draw repeat purchases from the Pareto/NBD process (Schmittlein, Morrison & Colombo 1987).

    Each customer buys at a Poisson rate ``lambda ~ Gamma(r, rate=alpha)`` until an
    exponential lifetime with rate ``mu ~ Gamma(s, rate=beta)`` ends. Given the time observed
    alive, ``min(lifetime, T)``, the number of purchases is Poisson and their times are uniform
    on it, so the draw is vectorised with no loop.
    """
    ages = np.asarray(T, dtype=np.float64)
    if ages.ndim != 1 or np.any(~np.isfinite(ages)) or np.any(ages < 0):
        raise ValueError("T must be a one-dimensional array of finite ages >= 0")
    n = len(ages)
    rate = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    mu = rng.gamma(shape=s, scale=1.0 / beta, size=n)
    lifetime = rng.exponential(size=n) / np.maximum(mu, 1e-300)
    observed = np.minimum(lifetime, ages)
    counts = rng.poisson(rate * observed)
    customer = np.repeat(np.arange(n, dtype=np.int64), counts)
    time = rng.random(customer.size) * observed[customer]
    order = np.lexsort((time, customer))
    return SimulatedPurchases(
        customer=customer[order],
        time=time[order],
        T=ages,
        purchase_rate=rate,
        dropout_probability=np.full(n, np.nan),
        dropout_time=np.where(lifetime <= ages, lifetime, np.nan),
        dropout_rate=mu,
    )


def simulate_spend(
    frequency: npt.ArrayLike,
    *,
    p: float,
    q: float,
    gamma: float,
    rng: np.random.Generator,
) -> FloatArray:
    """Draw one spend per purchase from the Gamma-Gamma model (Fader, Hardie & Lee 2005b).

    Each customer has ``nu ~ Gamma(q, rate=gamma)``; each of their transactions is
    ``Gamma(p, rate=nu)``. ``frequency`` is the number of purchases per customer; the result is
    flat, customer after customer, in the same order.
    """
    counts = np.asarray(frequency, dtype=np.int64)
    nu = rng.gamma(shape=q, scale=1.0 / gamma, size=counts.size)
    per_purchase_nu = np.repeat(nu, counts)
    return rng.gamma(shape=p, scale=1.0 / per_purchase_nu)
