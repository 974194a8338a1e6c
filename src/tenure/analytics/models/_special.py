"""Numba helpers: log-space arithmetic and the Gauss hypergeometric series the models need.

Everything here is evaluated so that no intermediate overflows: the series are rewritten (Euler's
transformation, Abramowitz & Stegun 15.3.3) into forms whose terms are positive and bounded, and
their prefactors are kept as logarithms by the callers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numba
from numba import njit

# A parallel region pays only when its serial work is well above the thread wake-up and the
# barrier: measured here, a 1.7 ms Gamma-Gamma pass took 7.8 ms on two threads when another
# process held a core (a descheduled worker stalls the whole region). Below this much serial
# work a kernel runs on one thread.
PARALLEL_MIN_WORK_NS = 10_000_000

# Enough for |z| up to ~0.9995 to converge to double precision; beyond that a geometric
# estimate of the remaining tail is added (only ever reached far from any sensible optimum).
MAX_TERMS = 100_000


@contextmanager
def kernel_threads(rows: int, ns_per_row: float) -> Iterator[None]:
    """Run the Numba kernels inside on one thread unless ``rows`` x ``ns_per_row`` (their
    serial cost, measured on this machine) is at least 10 ms."""
    if rows * ns_per_row >= PARALLEL_MIN_WORK_NS:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


@njit(cache=True)
def digamma(x: float) -> float:
    """psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic (Stirling) series.

    Truncation error below 1e-16 at x = 10 (A&S 6.3.18); SciPy's ufunc would cost a Python
    round trip per call inside the likelihood kernels.
    """
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (
        -1.0 / 12
        + f
        * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 + f * 691.0 / 32760))))
    )
    return shift + math.log(x) - 0.5 / x + series


@njit(cache=True)
def log1mexp(x: float) -> float:
    """log(1 - exp(x)) for x <= 0, accurate at both ends (Maechler 2012)."""
    if x > -0.6931471805599453:
        return math.log(-math.expm1(x))
    return math.log1p(-math.exp(x))


@njit(cache=True)
def softplus(x: float) -> tuple[float, float]:
    """Return ``log(1 + e^x)`` and its derivative ``1 / (1 + e^-x)``, without overflow."""
    if x > 0:
        e = math.exp(-x)
        return x + math.log1p(e), 1.0 / (1.0 + e)
    e = math.exp(x)
    return math.log1p(e), e / (1.0 + e)


@njit(cache=True)
def log_hyp2f1_one(m: float, c: float, z: float) -> tuple[float, float, float, float]:
    """log 2F1(1, m; c; z) for 0 <= z < 1 and 0 < m < c, with its partial derivatives.

    Terms ``(m)_n / (c)_n z^n`` are positive and each is below ``z`` times the one before, so
    the sum lies in [1, 1/(1-z)] and never overflows. Returns ``(log F, d log F/dm,
    d log F/dc, d log F/dz)``; the derivatives accumulate ``d log term_n`` along the series.
    """
    term = 1.0
    total = 1.0
    sum_m = 0.0  # sum_n term_n * d log term_n / dm
    sum_c = 0.0
    sum_z = 0.0  # sum_n d term_n / dz, kept without dividing by z
    dlog_m = 0.0
    dlog_c = 0.0
    n = 0
    while n < MAX_TERMS:
        ratio = (m + n) / (c + n)
        sum_z += (n + 1) * term * ratio
        dlog_m += 1.0 / (m + n)
        dlog_c -= 1.0 / (c + n)
        term *= ratio * z
        total += term
        sum_m += term * dlog_m
        sum_c += term * dlog_c
        n += 1
        # Later ratios are below z, so the tail is below term * z / (1 - z).
        if term * z <= 1e-17 * total * (1.0 - z):
            break
    else:
        # Not converged: add the geometric tail with the last ratio (an under-estimate).
        tail = term * ratio * z / (1.0 - ratio * z)
        total += tail
        sum_m += tail * dlog_m
        sum_c += tail * dlog_c
    return math.log(total), sum_m / total, sum_c / total, sum_z / total


@njit(cache=True)
def hyp2f1_bgnbd_remainder(p_: float, a: float, q: float, z: float) -> float:
    """``R = sum_{n>=1} (p_)_n (a)_{n-1} / ((q)_n n!) z^n`` for 0 <= z < 1.

    With it, ``2F1(p_, a - 1; q; z) = 1 + (a - 1) R`` (factoring ``(a - 1)_n = (a - 1)(a)_{n-1}``),
    which keeps BG/NBD's expectation finite and exact as a passes through 1.
    """
    if z == 0.0:
        return 0.0
    term = p_ * z / q
    total = term
    n = 1
    while n < MAX_TERMS:
        ratio = (p_ + n) * (a + n - 1) * z / ((q + n) * (n + 1))
        term *= ratio
        total += term
        n += 1
        if abs(term) <= 1e-17 * abs(total) * max(1.0 - abs(ratio), 1e-300):
            break
        if term == 0.0:
            break
    return total
