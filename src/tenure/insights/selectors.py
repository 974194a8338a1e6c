"""Reads for the Analytics page, the API and the CLI: retention, churn, cohorts and the stored
CLV predictions.

Every selector takes the ``user`` who asks and counts only the customers
``tenure.access.visible`` lets them see, so a success manager's figures are about their own
customers and no aggregate leaks anyone else. ``user=None`` is the operator at the command line,
who sees everything (as services' ``by=None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db.models import FloatField, QuerySet, Sum
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone

from tenure.access import get_visible_or_404
from tenure.analytics.activity import (
    ActivityRule,
    AliveModel,
    PurchaseLog,
    Snapshot,
    retention_counts,
    snapshot,
)
from tenure.analytics.cohorts import cohort_retention, period_metrics
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.metrics import churn_rate, retention_rate
from tenure.analytics.model_check import FrequencyCheck, bgnbd_frequency_check
from tenure.analytics.models import BetaGeo
from tenure.analytics.periods import PeriodKind, complete_periods
from tenure.analytics.periods import period_bounds as _period_bounds
from tenure.customers.models import Customer
from tenure.insights.fitting import MODEL_PARAMS
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.insights.reading import (
    completed_orders,
    day_number,
    day_start,
    fetch_columns,
    subscriptions,
    visible_customer_ids,
)
from tenure.users.models import User

RECENCY_BUCKETS = (0, 30, 60, 90, 180, 365, 730)
_COHORT_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q-DEC"}


@dataclass(frozen=True)
class RetentionFigures:
    """DOMAIN.md's figures for one period, with the rule that decided who was active.

    ``S`` active at the start, ``E`` at the end, ``N`` joined the active base during the period
    and still active at its end (``new`` first-time customers plus ``won_back`` lapsed ones;
    see ``tenure.analytics.activity.RetentionCounts``), ``lost`` active at the start but not at
    the end; E = S - lost + N. The rates are percentages (95.0), None when S = 0: with nobody
    to keep, a rate would divide by zero and any number shown would be invented.
    """

    start: date
    end: date
    S: int
    E: int
    N: int
    lost: int
    new: int
    won_back: int
    retention_rate: float | None
    churn_rate: float | None
    rule_description: str
    partial: bool = False
    """The period is not over: its end is today's, its figures so far (``retention_series``
    with ``so_far``)."""


def period_bounds(text: str) -> tuple[date, date]:
    """First and last day of "2025-Q1", "2025-03", "2025" or "2025-01-01..2025-03-31"
    (``InvalidInputError`` otherwise)."""
    return _period_bounds(text)


def latest_fit() -> ModelFit | None:
    """The latest successful fit: the one the stored predictions come from."""
    return ModelFit.objects.filter(status=FitStatus.DONE).order_by("-fitted_at", "-id").first()


def fits_recent(*, limit: int = 10) -> list[ModelFit]:
    """The latest fits of any status (queued, running, failed with its reason), newest first."""
    return list(
        ModelFit.objects.select_related("started_by").order_by("-created_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class FitParameter:
    """One fitted parameter, for a table: ``standard_error`` and ``log_likelihood`` (the model's,
    on its first parameter) may be None; ``error`` says why a model was not fitted; ``note``
    what a model at its boundary means (Gamma-Gamma when spend does not vary between
    customers: the row ``mean_spend`` is then its limit, used for everyone)."""

    model: str
    name: str
    estimate: float | None
    standard_error: float | None
    log_likelihood: float | None
    error: str = ""
    note: str = ""


def fit_parameters(fit: ModelFit) -> list[FitParameter]:
    """A fit's parameters with standard errors, models and names in the papers' order."""
    rows = []
    for model, names in MODEL_PARAMS.items():
        entry = fit.params.get(model)
        if entry is None:
            continue
        if "error" in entry:
            rows.append(FitParameter(model, "", None, None, None, entry["error"]))
            continue
        shown = [name for name in names if name in entry["params"]]
        for i, name in enumerate(shown):
            rows.append(
                FitParameter(
                    model,
                    name,
                    entry["params"][name],
                    entry["standard_errors"].get(name),
                    fit.log_likelihood.get(model) if i == 0 else None,
                )
            )
        if "boundary" in entry:
            rows.append(
                FitParameter(model, "mean_spend", entry["mean_spend"], None,
                             None if shown else fit.log_likelihood.get(model),
                             note=entry["boundary"])
            )  # fmt: skip
    return rows


def _alive_model(rule: ActivityRule) -> AliveModel | None:
    if rule.kind != "p_alive":
        return None
    fit = latest_fit()
    if fit is None or "BetaGeo" not in fit.params:
        raise InvalidInputError(
            "rule", "a P(alive) rule needs fitted models: run `tenure clv fit` first"
        )
    return BetaGeo.from_params(**fit.params["BetaGeo"]["params"]).conditional_probability_alive


def _purchase_log(
    user: User | None, last_day: date, within: QuerySet[Any, Any] | None = None
) -> PurchaseLog:
    """Completed orders and subscriptions of the customers ``user`` sees (``within``: of those
    among them), to ``last_day``."""
    return purchase_log_with_ids(user, last_day, within)[0]


def purchase_log_with_ids(
    user: User | None, last_day: date, within: QuerySet[Any, Any] | None = None
) -> tuple[PurchaseLog, npt.NDArray[np.int64]]:
    """``_purchase_log`` and the customer id of each of its positions (a drill-down's ids)."""
    customers = visible_customer_ids(user, within=within)
    before = day_start(last_day + timedelta(days=1))
    orders = completed_orders(customers=customers, before=before)
    contracts = subscriptions(customers=customers, before=before)
    ids, position = np.unique(
        np.concatenate([orders.customer_id, contracts.customer_id]), return_inverse=True
    )
    split = len(orders)
    log = PurchaseLog.of(
        int(ids.size),
        position[:split],
        orders.day,
        contract_customer=position[split:],
        contract_start=contracts.start,
        contract_end=contracts.end,
    )
    return log, ids.astype(np.int64)


def _figures(
    first: Snapshot,
    last: Snapshot,
    start: date,
    end: date,
    rule: ActivityRule,
    partial: bool = False,
) -> RetentionFigures:
    counts = retention_counts(first, last)
    keep = retention_rate(counts.start, counts.end, counts.acquired) if counts.start else None
    gone = churn_rate(counts.start, counts.lost) if counts.start else None
    return RetentionFigures(
        start=start,
        end=end,
        S=counts.start,
        E=counts.end,
        N=counts.acquired,
        lost=counts.lost,
        new=counts.new,
        won_back=counts.won_back,
        retention_rate=keep,
        churn_rate=gone,
        rule_description=rule.describe(median_gap_days=last.median_gap_days),
        partial=partial,
    )


def retention_figures(
    *,
    user: User | None,
    start: date,
    end: date,
    rule: ActivityRule | None = None,
    within: QuerySet[Any, Any] | None = None,
) -> RetentionFigures:
    """S, E, N, lost, retention and churn over the days ``start`` .. ``end`` (inclusive).

    Customers are judged at the start of ``start`` and at the end of ``end`` by ``rule``
    (default: 3 x their own typical gap); one query reads the visible customers' completed
    orders as two numbers each, and the rest is NumPy (100k customers and 1M orders: see
    ARCHITECTURE.md's insights room for the measured time).
    """
    if end < start:
        raise InvalidInputError("end", f"the period ends ({end}) before it starts ({start})")
    rule = rule or ActivityRule()
    alive = _alive_model(rule)
    log = _purchase_log(user, end, within)
    first = snapshot(log, day_number(start), rule, p_alive=alive)
    last = snapshot(log, day_number(end) + 1, rule, p_alive=alive)
    return _figures(first, last, start, end, rule)


def retention_series(
    *,
    user: User | None,
    period: PeriodKind = "month",
    count: int = 12,
    end: date | None = None,
    rule: ActivityRule | None = None,
    within: QuerySet[Any, Any] | None = None,
    so_far: bool = False,
) -> list[RetentionFigures]:
    """Retention of the last ``count`` whole months, quarters or years over by ``end`` (today
    by default), oldest first: one read of the orders, one snapshot per boundary. ``so_far``
    adds the period holding ``end`` when it is not over, judged at the end of ``end`` and
    marked ``partial`` (its lost are so far: its customers still have time to buy)."""
    rule = rule or ActivityRule()
    last_day = end or timezone.localdate()
    periods = complete_periods(period, count, last_day)
    running = so_far and periods[-1][1] < last_day
    alive = _alive_model(rule)
    log = _purchase_log(user, last_day if running else periods[-1][1], within)
    if running:
        periods = [*periods, (periods[-1][1] + timedelta(days=1), last_day)]
    boundaries = [day_number(first) for first, _ in periods] + [day_number(periods[-1][1]) + 1]
    shots = [snapshot(log, day, rule, p_alive=alive) for day in boundaries]
    return [
        _figures(shots[i], shots[i + 1], first, last, rule, running and i == len(periods) - 1)
        for i, (first, last) in enumerate(periods)
    ]


def cohort_table(
    *,
    user: User | None,
    period: Literal["week", "month", "quarter"] = "month",
    kind: Literal["on", "on_or_after"] = "on",
    count_periods: int = 12,
    end: date | None = None,
    retention_type: Literal["first_time", "recurring"] = "first_time",
    within: QuerySet[Any, Any] | None = None,
) -> pd.DataFrame:
    """Acquisition cohorts of the last ``count_periods`` periods to ``end`` (today) x periods
    since acquisition k = 0 .. ``count_periods`` - 1, long format as
    ``tenure.analytics.cohorts.cohort_retention`` returns it: ``cohort``, ``period``,
    ``customers``, ``active``, ``rate`` (percent), ``revenue``. Empty without purchases.
    ``retention_type``: "first_time" cohorts by first purchase; "recurring" counts a customer
    in every cohort in which they bought (as PostHog and Amplitude define them)."""
    if period not in _COHORT_FREQ:
        raise InvalidInputError("period", f"must be week, month or quarter, got {period!r}")
    if isinstance(count_periods, bool) or not isinstance(count_periods, int):
        raise InvalidInputError("count_periods", "must be a whole number")
    if not 1 <= count_periods <= 120:
        raise InvalidInputError("count_periods", "must be from 1 to 120")
    end = end or timezone.localdate()
    first = (pd.Period(end, freq=_COHORT_FREQ[period]) - (count_periods - 1)).start_time.date()
    orders = completed_orders(
        customers=visible_customer_ids(user, within=within),
        before=day_start(end + timedelta(days=1)),
        with_amount=True,
        first_order_since=day_start(first),
    )
    columns = ["cohort", "period", "customers", "active", "rate", "revenue"]
    if not len(orders):
        return pd.DataFrame({name: [] for name in columns})
    frame = pd.DataFrame(
        {
            "customer": orders.customer_id,
            "date": orders.day.astype("datetime64[D]"),
            "value": orders.amount,
        }
    )
    table = cohort_retention(
        frame,
        "customer",
        "date",
        "value",
        period=period,
        mode=kind,
        retention_type=retention_type,
        observation_end=end,
    )
    return table[table["period"] < count_periods].reset_index(drop=True)[columns]


def order_metrics(
    *,
    user: User | None,
    period: Literal["week", "month", "quarter"] = "month",
    count: int = 12,
    end: date | None = None,
    within: QuerySet[Any, Any] | None = None,
) -> pd.DataFrame:
    """Per period, the last ``count`` to ``end`` (today): buyers (new and returning), orders,
    revenue, average order value, purchase frequency and repeat purchase rate (DOMAIN.md's
    definitions, `tenure.analytics.cohorts.period_metrics`), over completed orders; revenue is
    net of refunds because refunded orders are not completed. Periods without orders are left
    out. ``revenue`` is in cents-exact floats of the business currency."""
    if period not in _COHORT_FREQ:
        raise InvalidInputError("period", f"must be week, month or quarter, got {period!r}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 120:
        raise InvalidInputError("count", "must be a whole number from 1 to 120")
    end = end or timezone.localdate()
    first = (pd.Period(end, freq=_COHORT_FREQ[period]) - (count - 1)).start_time.date()
    orders = completed_orders(
        customers=visible_customer_ids(user, within=within),
        before=day_start(end + timedelta(days=1)),
        with_amount=True,
    )
    columns = [
        "period",
        "customers",
        "new_customers",
        "returning_customers",
        "orders",
        "revenue",
        "average_order_value",
        "purchase_frequency",
        "repeat_purchase_rate",
    ]
    keep = orders.day >= day_number(first)
    if not keep.any():
        return pd.DataFrame({name: [] for name in columns})
    frame = pd.DataFrame(
        {
            "customer": orders.customer_id[keep],
            "date": orders.day[keep].astype("datetime64[D]"),
            "value": orders.amount[keep],
        }
    )
    table = period_metrics(frame, "customer", "date", "value", period=period, observation_end=end)
    return table[columns].reset_index(drop=True)


def _predictions(
    user: User | None, within: QuerySet[Any, Any] | None = None
) -> QuerySet[CustomerPrediction]:
    predictions = CustomerPrediction.objects.all()
    customers = visible_customer_ids(user, within=within)
    return predictions if customers is None else predictions.filter(customer_id__in=customers)


@dataclass(frozen=True)
class TopCustomer:
    customer_id: int
    external_id: str
    name: str
    predicted_clv_365: Decimal
    historic_clv: Decimal
    p_alive: float
    churn_risk: float
    expected_purchases_365: float
    expected_next_order_at: datetime | None


def clv_top(
    *, user: User | None, n: int = 20, within: QuerySet[Any, Any] | None = None
) -> list[TopCustomer]:
    """The ``n`` visible customers with the highest predicted 365-day CLV (an index walk)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
        raise InvalidInputError("n", "must be a whole number from 1 to 1000")
    rows = (
        _predictions(user, within)
        .select_related("customer")
        .order_by("-predicted_clv_365", "customer_id")[:n]
    )
    return [
        TopCustomer(
            customer_id=row.customer_id,
            external_id=row.customer.external_id,
            name=str(row.customer),
            predicted_clv_365=row.predicted_clv_365,
            historic_clv=row.historic_clv,
            p_alive=row.p_alive,
            churn_risk=row.churn_risk,
            expected_purchases_365=row.expected_purchases_365,
            expected_next_order_at=row.expected_next_order_at,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ClvDistribution:
    """Histogram of predicted 365-day CLV: ``bins`` equal bins from 0 to the 99th percentile
    (``edges`` has bins + 1 values, ``counts`` bins), ``above`` the customers past the last
    edge, so one very large customer does not squash every other bar into the first."""

    customers: int
    total: Decimal
    mean: float | None
    median: float | None
    edges: list[float]
    counts: list[int]
    above: int


def clv_histogram_end(values: npt.NDArray[np.float64]) -> float:
    """Where the CLV histogram's last bar ends: the 99th percentile (the largest value, or 1,
    when that is 0)."""
    return float(np.quantile(values, 0.99)) or float(values.max()) or 1.0


def clv_bar_of(values: npt.NDArray[np.float64], top: float, bins: int) -> npt.NDArray[np.int64]:
    """Each value's bar of the histogram ``np.histogram(values, bins, range=(0, top))`` draws
    (its edges, the last bar closed), ``bins`` for those above it, -1 below 0."""
    edges = np.linspace(0.0, top, bins + 1)
    bar = np.searchsorted(edges, values, side="right") - 1
    bar[values == top] = bins - 1
    bar[values > top] = bins
    bar[values < 0] = -1
    return bar.astype(np.int64)


def recency_bucket_of(
    silence: npt.NDArray[np.float64], buckets: tuple[int, ...] = RECENCY_BUCKETS
) -> npt.NDArray[np.int64]:
    """Each customer's bucket of ``p_alive_by_recency`` by days since their last purchase."""
    edges = np.asarray(buckets, dtype=np.float64)
    return (np.searchsorted(edges, silence, side="right") - 1).astype(np.int64)


def clv_distribution(
    *, user: User | None, bins: int = 20, within: QuerySet[Any, Any] | None = None
) -> ClvDistribution:
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 200:
        raise InvalidInputError("bins", "must be a whole number from 1 to 200")
    predictions = _predictions(user, within)
    values = fetch_columns(
        predictions.order_by().values_list(Cast("predicted_clv_365", FloatField())), 1
    )[:, 0]
    total = predictions.aggregate(total=Sum("predicted_clv_365"))["total"] or Decimal("0")
    total = Decimal(total).quantize(Decimal("0.01"))
    if values.size == 0:
        return ClvDistribution(0, total, None, None, [0.0] * (bins + 1), [0] * bins, 0)
    top = clv_histogram_end(values)
    counts, edges = np.histogram(values, bins=bins, range=(0.0, top))  # drops those above
    return ClvDistribution(
        customers=int(values.size),
        total=total,
        mean=float(values.mean()),
        median=float(np.median(values)),
        edges=[float(e) for e in edges],
        counts=[int(c) for c in counts],
        above=int((values > top).sum()),
    )


@dataclass(frozen=True)
class RecencyBucket:
    """Customers whose last purchase was ``low_days`` .. ``high_days`` - 1 days before the
    fit's observation end (``high_days`` None: and more), with their mean P(alive)."""

    low_days: int
    high_days: int | None
    customers: int
    mean_p_alive: float | None


def p_alive_by_recency(
    *,
    user: User | None,
    buckets: tuple[int, ...] = RECENCY_BUCKETS,
    within: QuerySet[Any, Any] | None = None,
) -> list[RecencyBucket]:
    """Mean P(alive) by days since the last purchase, for the "P(alive) vs recency" chart."""
    edges = np.asarray(buckets, dtype=np.float64)
    if edges.size == 0 or edges[0] != 0 or np.any(np.diff(edges) <= 0):
        raise InvalidInputError("buckets", "must start at 0 and increase")
    table = fetch_columns(
        _predictions(user, within).order_by().values_list("T", "recency", "p_alive"), 3
    )
    which = recency_bucket_of(table[:, 0] - table[:, 1], buckets)
    customers = np.bincount(which, minlength=edges.size)
    sums = np.bincount(which, weights=table[:, 2], minlength=edges.size)
    return [
        RecencyBucket(
            low_days=int(edges[i]),
            high_days=int(edges[i + 1]) if i + 1 < edges.size else None,
            customers=int(customers[i]),
            mean_p_alive=float(sums[i] / customers[i]) if customers[i] else None,
        )
        for i in range(edges.size)
    ]


def fit_check(
    *, user: User | None, top: int = 7, within: QuerySet[Any, Any] | None = None
) -> FrequencyCheck | None:
    """Expected (fitted BG/NBD) against actual customers by repeat purchases 0 .. 7+ over the
    visible customers; None before the first successful fit."""
    fit = latest_fit()
    if fit is None or "params" not in fit.params.get("BetaGeo", {}):
        return None
    table = fetch_columns(_predictions(user, within).order_by().values_list("frequency", "T"), 2)
    if table.shape[0] == 0:
        return FrequencyCheck(list(range(top + 1)), [0] * (top + 1), [0.0] * (top + 1), top)
    return bgnbd_frequency_check(
        table[:, 0], table[:, 1], top=top, **fit.params["BetaGeo"]["params"]
    )


def customer_prediction(*, user: User | None, customer_id: int) -> CustomerPrediction | None:
    """The stored prediction of a customer the user may see (None before a fit covers them);
    Http404 for a customer outside the user's scope, never revealing it exists."""
    if user is None:
        if not Customer.objects.filter(pk=customer_id).exists():
            raise Http404("no such record")
    else:
        get_visible_or_404(user, Customer, pk=customer_id)
    return CustomerPrediction.objects.select_related("fit").filter(customer_id=customer_id).first()
