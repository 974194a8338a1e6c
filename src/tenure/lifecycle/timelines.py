"""Customers' histories from the database, as the replay reads them (``History``).

One query per kind of event and chunk of customers, each returning (customer, moment in
milliseconds, ...) sorted by customer and moment, turned into NumPy columns through the raw
cursor (``fetch_numbers``): no Python object per event. Only the kinds of event the active
definition's facts read are loaded (``kinds_needed``).

Moments are whole milliseconds since the epoch, computed by the database (``EpochMillis``) so
that an event's moment is the same number however often it is read.

Timeless facts (the customer's channel, an account's industry, imported attributes: the facts
registry's providers marked ``timeless``) have no history: they are read once, as they are at
``now``, through the registry, and every moment of the replay reads that value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from django.db.models import Case, Count, F, Func, IntegerField, Q, Sum, Value, When
from django.db.models.fields import BigIntegerField

from tenure.customers.models import Customer, Subscription
from tenure.domain.lifecycle.facts import FACTS
from tenure.domain.lifecycle.timeline import BEFORE, FloatArray, History, IntArray, Series
from tenure.facts import facts_compute
from tenure.feedback.models import Referral, SurveyKind, SurveyResponse
from tenure.insights.models import CustomerPrediction
from tenure.insights.reading import day_start, local_days
from tenure.insights.selectors import latest_fit
from tenure.interactions.models import CASE_KINDS, CaseStatus, Interaction, InteractionKind
from tenure.lifecycle.facts import Chunk, fetch_numbers
from tenure.lifecycle.models import ManualMove
from tenure.orders.models import Order, OrderStatus

_CONVERSATION = (InteractionKind.CALL, InteractionKind.MEETING, InteractionKind.EMAIL,
                 InteractionKind.NOTE)  # fmt: skip
_MEETINGS = (InteractionKind.CALL, InteractionKind.MEETING)


class EpochMillis(Func):
    """Whole milliseconds since 1970-01-01 UTC of a datetime column (floored), on SQLite and
    PostgreSQL; NULL stays NULL."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() keeps SQLite's own millisecond clock; ROUND undoes the float's error.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400000.0) "
            "AS INTEGER)",
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s) * 1000)::bigint",
        )


def millis(moment: datetime) -> int:
    """A datetime as whole milliseconds since the epoch (floored, as ``EpochMillis``)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds) // 1000


def moment(ms: int | float) -> datetime:
    """Milliseconds since the epoch as an aware UTC datetime."""
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def _series(ids: IntArray, rows: np.ndarray, value: int | None = None) -> Series:
    """Rows (customer id, ms[, value ...]) sorted by customer and moment -> a ``Series`` on
    the positions of ``ids`` (rows of customers not in ``ids`` dropped)."""
    if rows.shape[0] == 0:
        return Series.empty()
    customer = rows[:, 0].astype(np.int64)
    position = np.searchsorted(ids, customer)
    inside = (position < ids.size) & (ids[np.minimum(position, ids.size - 1)] == customer)
    rows, position = rows[inside], position[inside]
    values = None if value is None else rows[:, value].astype(np.float64)
    return Series(position.astype(np.int64), rows[:, 1].astype(np.int64), values)


def _sorted(series: Series) -> Series:
    order = np.lexsort((series.time, series.position))
    values = None if series.value is None else series.value[order]
    return Series(series.position[order], series.time[order], values)


def order_series(chunk: Chunk, ids: IntArray, now: datetime) -> Series:
    """Completed orders placed by ``now``, with their local purchase day as the value."""
    rows = fetch_numbers(
        Order.objects.filter(
            chunk.where("customer_id"), status=OrderStatus.COMPLETED, placed_at__lte=now
        )
        .order_by("customer_id", "placed_at", "id")
        .values_list("customer_id", EpochMillis("placed_at")),
        2,
    )
    series = _series(ids, rows)
    days = local_days(np.floor_divide(series.time, 1000)).astype(np.float64)
    return Series(series.position, series.time, days)


def orders_unchanged(chunk: Chunk, ids: IntArray, now: datetime, orders: Series) -> bool:
    """Whether ``order_series`` would read ``orders`` again: the count, the customers' sum and
    the moments' sum of the chunk's completed orders are the series'. A whole-base run reads
    every order before its first chunk; an order placed, moved, refunded or re-dated since
    changes one of them, and the chunk reads its orders again."""
    found = Order.objects.filter(
        chunk.where("customer_id"), status=OrderStatus.COMPLETED, placed_at__lte=now
    ).aggregate(n=Count("id"), customers=Sum("customer_id"), moments=Sum(EpochMillis("placed_at")))
    customers = int(ids[orders.position].sum()) if orders.time.size else 0
    return (found["n"], int(found["customers"] or 0), int(found["moments"] or 0)) == (
        int(orders.time.size),
        customers,
        int(orders.time.sum()),
    )


def history_load(
    *,
    chunk: Chunk,
    ids: IntArray,
    now: datetime,
    kinds: tuple[str, ...],
    needed: frozenset[str],
    median_gap_days: float | None,
    orders: Series | None = None,
    model_known_from: datetime | None = None,
    fact_kinds: Mapping[str, str] | None = None,
    stage_keys: tuple[str, ...] = (),
) -> History:
    """The history of the customers ``ids`` (sorted, all in ``chunk``) up to ``now``: the
    kinds of event in ``kinds``, their records' start, the latest fit's figures when the
    facts read them (known from ``model_known_from``, by default the start of the fit's
    observation end day), and the timeless facts among ``needed`` as they are at ``now``
    (``fact_kinds``: how each attribute is read), and the moves by hand to the stages
    ``stage_keys`` (by code)."""
    parts: dict[str, Any] = {}
    if stage_keys:
        parts |= _manual_moves(chunk, ids, now, stage_keys)
    if "orders" in kinds:
        parts["orders"] = orders if orders is not None else order_series(chunk, ids, now)
    if {"subscription_starts", "subscription_cancels"} & set(kinds):
        parts |= _subscriptions(chunk, ids, now)
    if {"cases_opened", "conversations", "meetings"} & set(kinds):
        parts |= _interactions(chunk, ids, now)
    if "nps" in kinds:
        answers = SurveyResponse.objects.filter(
            chunk.where("customer_id"), kind=SurveyKind.NPS, answered_at__lte=now
        ).order_by("customer_id", "answered_at", "id")
        rows = fetch_numbers(
            answers.values_list("customer_id", EpochMillis("answered_at"), "score"), 3
        )
        parts["nps"] = _series(ids, rows, value=2)
    if "referrals" in kinds:
        referrals = Referral.objects.filter(chunk.where("referrer_id"), referred_at__lte=now)
        rows = fetch_numbers(
            referrals.order_by("referrer_id", "referred_at", "id").values_list(
                "referrer_id", EpochMillis("referred_at")
            ),
            2,
        )
        parts["referrals"] = _series(ids, rows)
    created = fetch_numbers(
        Customer.objects.filter(chunk.where("pk"))
        .order_by("pk")
        .values_list("pk", EpochMillis("created_at")),
        2,
    )
    start = np.full(ids.size, BEFORE, dtype=np.int64)
    found = _series(ids, created)
    start[found.position] = found.time
    history = History(customers=ids.size, created=start, median_gap_days=median_gap_days, **parts)
    if needed & {"p_alive", "expected_purchases_365"}:
        _model_facts(history, chunk, ids, now, model_known_from)
    timeless = needed - set(FACTS)
    if timeless:
        history.timeless = facts_compute(
            chunk=chunk, ids=ids, now=now, needed=timeless, kinds=fact_kinds
        )
    return history


def _manual_moves(
    chunk: Chunk, ids: IntArray, now: datetime, stage_keys: tuple[str, ...]
) -> dict[str, Any]:
    """Moves by hand made by ``now`` to a stage of ``stage_keys``: the series (the stage's
    code as value) and their reasons, in the series' order."""
    moves = (
        ManualMove.objects.filter(chunk.where("customer_id"), at__lte=now, stage__in=stage_keys)
        .order_by("customer_id", "at", "id")
        .values_list("customer_id", "at", "stage", "reason", "by__username")
    )
    rows = [(c, millis(at), stage_keys.index(key), why, who) for c, at, key, why, who in moves]
    if not rows:
        return {}
    numbers = np.array([row[:3] for row in rows], dtype=np.int64).reshape(-1, 3)
    series = _series(ids, numbers, value=2)
    kept = np.isin(numbers[:, 0], ids)
    words = [
        f"Moved by hand{f' by {who}' if who else ''}: {why}"
        for (_, _, _, why, who), keep in zip(rows, kept.tolist(), strict=True)
        if keep
    ]
    return {"manual": series, "manual_reasons": tuple(words)}


def _model_facts(
    history: History, chunk: Chunk, ids: IntArray, now: datetime, known_from: datetime | None
) -> None:
    fit = latest_fit()
    if fit is None or fit.observation_end is None:
        return
    rows = fetch_numbers(
        CustomerPrediction.objects.filter(chunk.where("customer_id"))
        .order_by()
        .values_list("customer_id", "p_alive", "expected_purchases_365"),
        3,
    )
    keys = rows[:, 0].astype(np.int64)
    position = np.searchsorted(ids, keys)
    inside = (position < ids.size) & (ids[np.minimum(position, max(ids.size - 1, 0))] == keys)
    p_alive: FloatArray = np.full(ids.size, np.nan)
    expected: FloatArray = np.full(ids.size, np.nan)
    p_alive[position[inside]] = rows[inside, 1]
    expected[position[inside]] = rows[inside, 2]
    start = day_start(fit.observation_end)
    if known_from is not None:
        start = min(start, known_from)
    history.p_alive, history.expected_purchases_365 = p_alive, expected
    history.model_from = millis(min(start, now))


def _subscriptions(chunk: Chunk, ids: IntArray, now: datetime) -> dict[str, Series]:
    rows = fetch_numbers(
        Subscription.objects.filter(chunk.where("customer_id"), started_at__lte=now)
        .order_by("customer_id", "started_at", "id")
        .values_list("customer_id", EpochMillis("started_at"), EpochMillis("cancelled_at")),
        3,
    )
    starts = _series(ids, rows[:, :2])
    stamp = millis(now)
    cancelled = rows[~np.isnan(rows[:, 2]) & (rows[:, 2] <= stamp)][:, [0, 2]]
    return {"subscription_starts": starts, "subscription_cancels": _sorted(_series(ids, cancelled))}


def _interactions(chunk: Chunk, ids: IntArray, now: datetime) -> dict[str, Series]:
    def flag(condition: Q) -> Case:
        return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())

    rows = fetch_numbers(
        Interaction.objects.filter(chunk.where("customer_id"), occurred_at__lte=now)
        .order_by("customer_id", "occurred_at", "id")
        .values_list(
            "customer_id",
            EpochMillis("occurred_at"),
            flag(Q(kind__in=CASE_KINDS)),
            flag(Q(kind__in=_CONVERSATION)),
            flag(Q(kind__in=_MEETINGS)),
            flag(Q(status=CaseStatus.RESOLVED)),
            EpochMillis(F("resolved_at")),
        ),
        7,
    )
    cases = rows[rows[:, 2] == 1]
    # A case resolved with no moment was never open; none is resolved before it was opened.
    closed = np.where(np.isnan(cases[:, 6]), cases[:, 1], np.maximum(cases[:, 6], cases[:, 1]))
    resolved = cases[cases[:, 5] == 1]
    closed = closed[cases[:, 5] == 1]
    stamp = millis(now)
    resolutions = np.column_stack([resolved[:, 0], closed])[closed <= stamp]
    return {
        "cases_opened": _series(ids, cases[:, :2]),
        "cases_resolved": _sorted(_series(ids, resolutions)),
        "conversations": _series(ids, rows[rows[:, 3] == 1][:, :2]),
        "meetings": _series(ids, rows[rows[:, 4] == 1][:, :2]),
    }
