"""Fitting the customer-base models on the database's orders, and storing every customer's
predictions. Started by ``tenure clv fit`` (at once), by a page or the API (queued for the
worker, ``clv_fit_enqueue``) and nightly (the ``insights.fit`` run kind, ``tenure.insights.tasks``).

What the models see: *completed* orders up to the end of the observation day, in the business's
time zone, one purchase per customer and day (``rfm_summary``, daily periods). A refunded order
is no purchase and adds nothing to the historic CLV (the money went back), which is therefore
net of refunds; cancelled orders never counted. Customers without a completed order get no
prediction: the models start at the first purchase.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tenure.access import AccessDenied, may
from tenure.analytics.backtest import RANKINGS, backtest_rankings
from tenure.analytics.errors import AnalyticsError, InvalidInputError
from tenure.analytics.summary import rfm_summary
from tenure.customers.models import Customer
from tenure.domain.access import Action, Scope, scope_of
from tenure.insights.fitting import Predictions, models_fit, predictions_compute
from tenure.insights.models import FIT_RUN, CustomerPrediction, FitStatus, ModelFit
from tenure.insights.reading import completed_orders, day_number, day_start
from tenure.jobs.models import Run
from tenure.jobs.services import run_start
from tenure.users.models import User

logger = logging.getLogger(__name__)


class FitImpossible(Exception):
    """A fit the data cannot support (no orders, values that are not finite): a recorded
    outcome with its reason, not a programming error."""


def may_fit(user: Any) -> bool:
    """Refits replace everyone's predictions: roles that change every record (admin, manager)."""
    return may(user, Action.CHANGE) and scope_of(str(user.role), Action.CHANGE) is Scope.ALL


def fit_require(by: User | None) -> None:
    """Raise ``AccessDenied`` unless ``by`` may refit the models (admins and managers)."""
    if by is not None and not may_fit(by):
        raise AccessDenied("only admins and managers may refit the customer-base models")


def _check_settings(horizon_days: int, discount_rate_annual: float, margin: float) -> None:
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int):
        raise InvalidInputError("horizon_days", "must be a whole number of days")
    if not 1 <= horizon_days <= 3650:
        raise InvalidInputError("horizon_days", "must be from 1 to 3650 days")
    for name, value in (("discount_rate_annual", discount_rate_annual), ("margin", margin)):
        if not (math.isfinite(value) and value >= 0):
            raise InvalidInputError(name, f"must be a finite number >= 0, got {value!r}")


def _new_fit(
    status: FitStatus,
    by: User | None,
    observation_end: date | None,
    horizon_days: int,
    discount_rate_annual: float,
    margin: float,
    run: Run | None = None,
) -> ModelFit:
    fit_require(by)
    _check_settings(horizon_days, discount_rate_annual, margin)
    return ModelFit.objects.create(
        run=run,
        status=status,
        started_at=timezone.now() if status == FitStatus.RUNNING else None,
        started_by=by,
        observation_end=observation_end,
        horizon_days=horizon_days,
        discount_rate_annual=discount_rate_annual,
        margin=margin,
    )


def clv_fit(
    *,
    by: User | None = None,
    observation_end: date | None = None,
    horizon_days: int = 365,
    discount_rate_annual: float = 0.10,
    margin: float = 1.0,
    run: Run | None = None,
) -> ModelFit:
    """Fit BG/NBD, Gamma-Gamma and Pareto/NBD now and store every customer's predictions.

    ``observation_end`` defaults to today in the business's time zone; ``margin`` 1.0 makes the
    CLV revenue (pass the profit margin for profit). Returns the fit, ``done`` or ``failed`` with
    its ``error``: a fit the data cannot support is a recorded outcome, not an exception.
    ``by=None`` is the operator at the command line; a user must be an admin or a manager
    (``AccessDenied`` otherwise). ``run``: the worker's run doing it (the nightly chain's step).
    """
    fit = _new_fit(
        FitStatus.RUNNING, by, observation_end, horizon_days, discount_rate_annual, margin, run
    )
    return clv_fit_run(fit=fit)


def clv_fit_enqueue(
    *,
    by: User | None = None,
    observation_end: date | None = None,
    horizon_days: int = 365,
    discount_rate_annual: float = 0.10,
    margin: float = 1.0,
) -> ModelFit:
    """Queue a fit for the worker (as imports are queued); returns the ``queued`` fit to follow."""
    with transaction.atomic():
        fit = _new_fit(
            FitStatus.QUEUED, by, observation_end, horizon_days, discount_rate_annual, margin
        )
        fit.run, _ = run_start(kind=FIT_RUN, by=by, args={"fit": fit.pk})
        fit.save(update_fields=["run"])
    return fit


def clv_fit_run(*, fit: ModelFit) -> ModelFit:
    """Run a fit that is ``running`` (created or claimed by the caller) to its end."""
    began = time.perf_counter()
    fit.observation_end = fit.observation_end or timezone.localdate()
    try:
        _fit_and_store(fit, began)
    except (AnalyticsError, FitImpossible) as failure:
        error = str(failure)
    except Exception:  # a fit must end, and say why, whatever happened
        logger.exception("model fit %s failed", fit.pk)
        error = "the fit stopped on an unexpected error (the details are in the log)"
    else:
        fit.refresh_from_db()
        return fit
    fit.status, fit.error = FitStatus.FAILED, error
    fit.fitted_at = timezone.now()
    fit.duration_seconds = time.perf_counter() - began
    fit.save()
    return fit


def _fit_and_store(fit: ModelFit, began: float) -> None:
    end = fit.observation_end
    assert end is not None
    before = day_start(end + timedelta(days=1))
    orders = completed_orders(customers=None, before=before, with_amount=True)
    if not len(orders):
        raise FitImpossible(f"there are no completed orders on or before {end}: nothing to fit")
    frame = pd.DataFrame(
        {
            "customer": orders.customer_id,
            "day": orders.day.astype("datetime64[D]"),
            "amount": orders.amount,
        }
    )
    summary = rfm_summary(
        frame, "customer", "day", "amount", observation_end=end, freq="D", engine="numba"
    )
    # Which churn ranking to trust, tested on this history (tenure.analytics.backtest).
    backtest = backtest_rankings(orders.customer_id, orders.day, observation_end=day_number(end))
    models = models_fit(summary, backtest, currency=_currency_symbol())
    predicted = predictions_compute(
        models,
        summary,
        backtest,
        horizon_days=fit.horizon_days,
        discount_rate_annual=fit.discount_rate_annual,
        margin=fit.margin,
    )
    stored_backtest = backtest.as_dict()
    if predicted.ranking_used != backtest.chosen:
        stored_backtest["note"] = (
            f"{RANKINGS[backtest.chosen].label} ranked best on the backtest, but its model could "
            "not be fitted on the whole history: customers are ranked by "
            f"{RANKINGS[predicted.ranking_used].label} instead"
        )
        stored_backtest["chosen"] = predicted.ranking_used
    for name, values in vars(predicted).items():
        if name in ("next_order_days", "ranking_used"):
            continue
        if not np.all(np.isfinite(values)):
            raise FitImpossible(f"the models gave a value that is not finite for {name}")
    # Paid per customer, in whole cents: float sums of integers are exact below 2**53.
    buyers, position = np.unique(orders.customer_id, return_inverse=True)
    paid = np.bincount(position, weights=orders.cents)
    historic = dict(zip(buyers.tolist(), paid.astype(np.int64).tolist(), strict=True))
    rows = _prediction_rows(fit, summary, predicted, historic, end)
    with transaction.atomic():
        _serialise_fits()
        existing = set(Customer.objects.values_list("pk", flat=True))
        # A customer deleted while the models were fitted has nothing to attach a row to.
        rows = [row for row in rows if row[0] in existing]
        _predictions_replace(rows)
        ModelFit.objects.filter(pk=fit.pk).update(
            status=FitStatus.DONE,
            error="",
            observation_end=end,
            models_fitted=models.names,
            purchase_model=models.purchase_model,
            backtest=stored_backtest,
            params=models.params,
            log_likelihood=models.log_likelihood,
            customers=len(rows),
            orders=len(orders),
            fitted_at=timezone.now(),
            duration_seconds=time.perf_counter() - began,
        )


def _currency_symbol() -> str:
    code = settings.TENURE_CURRENCY
    return {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}.get(code, f"{code} ")


def _serialise_fits() -> None:
    """One fit writes at a time, while readers keep reading the previous predictions.

    SQLite's ``BEGIN IMMEDIATE`` serialises writers already. On PostgreSQL this lock mode
    conflicts with itself and with row writes but not with plain SELECTs.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(CustomerPrediction._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def _predictions_replace(rows: list[tuple[Any, ...]]) -> None:
    """Swap every stored prediction for ``rows`` (values of ``PREDICTION_FIELDS``), in the
    caller's transaction: one DELETE, then COPY (PostgreSQL) or one prepared INSERT run for each
    row (SQLite). No model objects: ``bulk_create`` compiles every value, 7 s for 100k rows on
    SQLite here where this takes 2 s.
    """
    quote = connection.ops.quote_name
    table = quote(CustomerPrediction._meta.db_table)
    columns = {field.name: field.column for field in CustomerPrediction._meta.concrete_fields}
    names = ", ".join(quote(str(columns[name])) for name in PREDICTION_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 -- the model's own table name
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value  # the last field is the only datetime
        placeholders = ", ".join(["%s"] * len(PREDICTION_FIELDS))
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 -- model names
            [(*row[:-1], adapt(row[-1])) for row in rows],
        )


def _money(values: Any) -> list[Decimal]:
    return [Decimal(f"{v:.2f}") for v in np.maximum(np.asarray(values, dtype=float), 0.0)]


PREDICTION_FIELDS = (
    "customer",
    "fit",
    "frequency",
    "recency",
    "T",
    "p_alive",
    "churn_risk",
    "expected_purchases_365",
    "expected_average_spend",
    "predicted_clv_365",
    "value_if_stays_365",
    "historic_clv",
    "expected_next_order_at",
)


def _prediction_rows(
    fit: ModelFit,
    summary: pd.DataFrame,
    predicted: Predictions,
    historic: dict[int, int],
    end: date,
) -> list[tuple[Any, ...]]:
    """The values of ``PREDICTION_FIELDS`` per customer (no model objects: 100k rows)."""
    # The summary's times count whole days to the observation day; "after it" is its end.
    origin = day_start(end + timedelta(days=1))
    ids = summary.index.to_numpy(dtype=np.int64).tolist()
    frequency = summary["frequency"].to_numpy(dtype=np.int64).tolist()
    recency = summary["recency"].to_numpy(dtype=np.float64).tolist()
    age = summary["T"].to_numpy(dtype=np.float64).tolist()
    p_alive = np.asarray(predicted.p_alive, dtype=np.float64).tolist()
    risk = np.asarray(predicted.churn_risk, dtype=np.float64).tolist()
    stays = _money(predicted.value_if_stays)
    purchases = np.asarray(predicted.expected_purchases, dtype=np.float64).tolist()
    next_days = np.asarray(predicted.next_order_days, dtype=np.float64).tolist()
    spend = _money(predicted.expected_average_spend)
    clv = _money(predicted.predicted_clv)
    return [
        (
            customer_id,
            fit.pk,
            frequency[i],
            recency[i],
            age[i],
            p_alive[i],
            risk[i],
            purchases[i],
            spend[i],
            clv[i],
            stays[i],
            Decimal(historic.get(customer_id, 0)).scaleb(-2),
            None if math.isnan(next_days[i]) else origin + timedelta(days=next_days[i]),
        )
        for i, customer_id in enumerate(ids)
    ]
