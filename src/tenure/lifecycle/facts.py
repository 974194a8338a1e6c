"""The per-customer facts the lifecycle rules and the health score read, from the database.

``facts_frame`` computes the facts of ``tenure.domain.lifecycle.FACTS`` (and the health
components' facts, ``HEALTH_FACTS``) that a caller needs, for the given customers or all of
them, set-wise: one aggregate query per source table and chunk of customers (completed orders;
subscriptions; interactions; the stored predictions; the stored stage), never a query per
customer. Every fact uses the same clock ``now``; days are fractional days before ``now``,
except the typical gap, which counts local purchase days (as ``tenure.analytics.activity``).

Where a fact comes from:

- orders: ``orders_count``, ``first_order_days_ago``, ``days_since_last_order`` (completed
  orders placed up to ``now``), ``typical_gap_days`` (first to last purchase day over the gaps
  between purchase days; with a single purchase day, the median gap of the base's repeat
  buyers, ``median_gap_days``: see below);
- subscriptions started up to ``now``: ``has_active_subscription`` (not cancelled by ``now``),
  ``subscription_cancelled`` (cancelled one, none active), ``days_since_cancellation``;
- interactions up to ``now`` with the customer: ``open_complaints`` (complaints and tickets
  not resolved by ``now``), ``interactions_count`` (calls, meetings, emails, notes),
  ``meetings_count`` (calls and meetings);
- the latest model fit (``insights.CustomerPrediction``): ``p_alive`` and
  ``expected_purchases_365``, as of that fit's observation end; NaN for a customer the fit
  does not cover, and for everyone before the first fit;
- the stored stage: ``days_in_stage`` (NaN: in no stage yet);
- feedback up to ``now``: ``latest_nps`` and ``latest_csat`` (the customer's latest answer of
  each kind answered by ``now``, not a later one; NaN: none yet) and ``referrals_count``
  (referrals the customer made by ``now``, whatever became of them);
- ``is_lead``: no completed order and no subscription started.

Not there yet: ``emails_engaged_90d`` and ``emails_sent_90d`` are NaN for everyone until
email sends are stored (so the health score leaves email engagement out).

The median gap is a figure of the whole base, so an update of a few customers cannot compute
it from those few: the bulk recompute stores it with its ``RecomputeRun`` and the incremental
updates reuse the latest stored one (computing it over the whole base when none is stored),
which makes the two agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db import connection
from django.db.models import Case, Count, F, Max, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate

from tenure.customers.models import Customer, Subscription
from tenure.domain.lifecycle import FACTS
from tenure.feedback.models import Referral, SurveyKind, SurveyResponse
from tenure.feedback.selectors import answers_latest
from tenure.insights.models import CustomerPrediction
from tenure.insights.reading import EpochSeconds, local_days
from tenure.interactions.models import CASE_KINDS, CaseStatus, Interaction, InteractionKind
from tenure.orders.models import Order, OrderStatus

IntArray = npt.NDArray[np.int64]
DAY = 86_400.0
CHUNK = 100_000
LIST_CHUNK = 10_000
HEALTH_FACTS = (
    "orders_last_90d", "orders_prior_90d", "spend_last_90d", "spend_prior_90d", "latest_csat",
    "emails_engaged_90d", "emails_sent_90d", "contacts_engaged_90d", "days_to_renewal",
)  # fmt: skip
"""Facts of the health components (``tenure.domain.health``) beyond the lifecycle ones.
The email figures are NaN until email sends exist."""

CEILING_ONLY_FACTS = ("days_since_csat", "days_since_nps", "churn_risk", "in_at_risk_stage")
"""Facts only the health ceilings read (``tenure.domain.health_ceilings``): how long ago the
latest CSAT and NPS answers were given, the latest fit's churn risk, whether the customer stands
in the at-risk stage."""

_ORDER_FACTS = {
    "orders_count", "first_order_days_ago", "days_since_last_order", "typical_gap_days",
    "is_lead", "orders_last_90d", "orders_prior_90d", "spend_last_90d", "spend_prior_90d",
}  # fmt: skip
_SUBSCRIPTION_FACTS = {
    "has_active_subscription", "subscription_cancelled", "days_since_cancellation", "is_lead",
    "days_to_renewal",
}  # fmt: skip
_INTERACTION_FACTS = {
    "open_complaints", "interactions_count", "meetings_count", "contacts_engaged_90d",
}  # fmt: skip
_FEEDBACK_FACTS = {
    "referrals_count", "latest_nps", "latest_csat", "days_since_csat", "days_since_nps",
}  # fmt: skip
_CONVERSATION = (InteractionKind.CALL, InteractionKind.MEETING, InteractionKind.EMAIL,
                 InteractionKind.NOTE)  # fmt: skip
_MEETINGS = (InteractionKind.CALL, InteractionKind.MEETING)


@dataclass(frozen=True)
class Chunk:
    """Customer ids to compute together, and how SQL selects them: an id range (then the
    result is cut down to ``ids``) when they are dense, an id list otherwise."""

    ids: IntArray
    dense: bool

    def where(self, field: str) -> Q:
        if self.dense:
            return Q(**{f"{field}__gte": int(self.ids[0]), f"{field}__lte": int(self.ids[-1])})
        return Q(**{f"{field}__in": self.ids.tolist()})


def chunks(ids: npt.ArrayLike, size: int = CHUNK) -> Iterator[Chunk]:
    """Sorted unique ids in chunks of ``size``: ranges where at least half the ids in the range
    are wanted (a whole-base recompute), lists of ``LIST_CHUNK`` otherwise."""
    ids = np.unique(np.asarray(ids, dtype=np.int64))
    for start in range(0, ids.size, size):
        part = ids[start : start + size]
        if part.size and (part[-1] - part[0] + 1) <= 2 * part.size:
            yield Chunk(part, dense=True)
            continue
        for low in range(0, part.size, LIST_CHUNK):
            yield Chunk(part[low : low + LIST_CHUNK], dense=False)


def all_customer_ids() -> IntArray:
    return _column(Customer.objects.order_by("pk").values_list("pk")).astype(np.int64)


def fetch_numbers(queryset: QuerySet[Any], width: int) -> npt.NDArray[np.float64]:
    """A ``values_list`` of numbers (None -> NaN) as a float array, through the raw cursor."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return np.empty((0, width))
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def _column(queryset: QuerySet[Any]) -> npt.NDArray[np.float64]:
    return fetch_numbers(queryset, 1)[:, 0]


@dataclass(frozen=True)
class OrderFigures:
    """Completed orders per customer up to ``now``: count, first and last epoch seconds,
    first and last local purchase day, number of purchase days; 90-day windows for health."""

    customer_id: IntArray
    table: npt.NDArray[np.float64]
    windows: bool = False

    def gaps(self) -> npt.NDArray[np.float64]:
        """The mean gap between purchase days of each customer (NaN with one day)."""
        first_day, last_day, days = self.table[:, 3], self.table[:, 4], self.table[:, 5]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(days >= 2, (last_day - first_day) / (days - 1), np.nan)


def order_figures(chunk: Chunk, now: datetime, *, windows: bool = False) -> OrderFigures:
    orders = Order.objects.filter(
        chunk.where("customer_id"), status=OrderStatus.COMPLETED, placed_at__lte=now
    )
    values: dict[str, Any] = {
        "n": Count("id"),
        "first": Min(EpochSeconds("placed_at")),
        "last": Max(EpochSeconds("placed_at")),
        "days": Count(TruncDate("placed_at"), distinct=True),
    }
    if windows:
        recent, prior = now - timedelta(days=90), now - timedelta(days=180)
        last90, prior90 = Q(placed_at__gt=recent), Q(placed_at__gt=prior, placed_at__lte=recent)
        values |= {
            "o90": Count("id", filter=last90),
            "op90": Count("id", filter=prior90),
            "s90": Sum(F("amount") * 100, filter=last90),
            "sp90": Sum(F("amount") * 100, filter=prior90),
        }
    query = orders.order_by().values("customer_id").annotate(**values)
    raw = fetch_numbers(query.values_list("customer_id", *values), len(values) + 1)
    table = np.full((raw.shape[0], 10), np.nan)
    table[:, 0:3] = raw[:, 1:4]  # n, first, last
    if raw.shape[0]:
        table[:, 3] = local_days(raw[:, 2])
        table[:, 4] = local_days(raw[:, 3])
    table[:, 5] = raw[:, 4]
    if windows:
        table[:, 6:8] = raw[:, 5:7]
        table[:, 8:10] = np.nan_to_num(raw[:, 7:9]) / 100.0
    return OrderFigures(raw[:, 0].astype(np.int64), table, windows)


def median_gap(figures: Sequence[OrderFigures]) -> float | None:
    """The median of the repeat buyers' mean gaps (None: nobody bought on two days)."""
    return median_of_gaps([f.gaps() for f in figures])


def median_of_gaps(parts: Sequence[npt.NDArray[np.float64]]) -> float | None:
    """The median of the gaps of every part (non-positive and missing ones left out)."""
    gaps = np.concatenate(parts) if parts else np.empty(0)
    gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
    return float(np.median(gaps)) if gaps.size else None


def median_gap_of_base(now: datetime) -> float | None:
    """The median gap over the whole base, read chunk by chunk (the bulk recompute's way)."""
    return median_gap([order_figures(chunk, now) for chunk in chunks(all_customer_ids())])


def _lookup(ids: IntArray, keys: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Positions of ``keys`` in the sorted ``ids`` and whether each key is one of them."""
    pos = np.searchsorted(ids, keys)
    pos = np.minimum(pos, max(ids.size - 1, 0))
    found = ids[pos] == keys if ids.size else np.zeros(keys.size, dtype=bool)
    return pos, found


def _scatter(ids: IntArray, keys: IntArray, values: npt.ArrayLike, fill: float) -> Any:
    out = np.full(ids.size, fill, dtype=np.float64)
    pos, found = _lookup(ids, keys)
    out[pos[found]] = np.asarray(values, dtype=np.float64)[found]
    return out


def facts_frame(
    *,
    customer_ids: npt.ArrayLike | None = None,
    now: datetime,
    needed: set[str] | frozenset[str],
    median_gap_days: float | None = None,
    orders: OrderFigures | None = None,
    chunk: Chunk | None = None,
) -> pd.DataFrame:
    """The ``needed`` facts of the customers (None: all), indexed by customer id (sorted).

    Ids of customers that do not exist are left out. ``median_gap_days`` is the single-day
    customers' typical gap (None: the latest stored one, or the whole base's now). ``orders``
    and ``chunk`` let the recompute pass figures it read already.
    """
    unknown = set(needed) - set(FACTS) - set(HEALTH_FACTS) - set(CEILING_ONLY_FACTS)
    if unknown:
        raise ValueError(f"unknown facts: {', '.join(sorted(unknown))}")
    if chunk is None:
        ids = all_customer_ids() if customer_ids is None else customer_ids
        parts = [
            _chunk_facts(part, now, set(needed), median_gap_days, None) for part in chunks(ids)
        ]
        if not parts:
            return pd.DataFrame({name: pd.Series(dtype=float) for name in sorted(needed)})
        return pd.concat(parts)
    return _chunk_facts(chunk, now, set(needed), median_gap_days, orders)


def stored_median_gap(now: datetime) -> float | None:
    from tenure.lifecycle.models import RecomputeRun

    done = RecomputeRun.objects.filter(scope="all", status="done")
    run = done.order_by("-created_at", "-id").first()
    return run.median_gap_days if run is not None else median_gap_of_base(now)


def _chunk_facts(
    chunk: Chunk,
    now: datetime,
    needed: set[str],
    median: float | None,
    orders: OrderFigures | None,
) -> pd.DataFrame:
    existing = _column(
        Customer.objects.filter(chunk.where("pk")).order_by("pk").values_list("pk")
    ).astype(np.int64)
    ids = existing[np.isin(existing, chunk.ids)] if chunk.dense else existing
    facts: dict[str, Any] = {}
    stamp = now.timestamp()
    if needed & _ORDER_FACTS or "typical_gap_days" in needed:
        windows = bool(needed & set(HEALTH_FACTS))
        if orders is None or (windows and not orders.windows):
            orders = order_figures(chunk, now, windows=windows)
        t, keys = orders.table, orders.customer_id
        count = _scatter(ids, keys, t[:, 0], 0.0)
        facts["orders_count"] = count
        facts["first_order_days_ago"] = (stamp - _scatter(ids, keys, t[:, 1], np.nan)) / DAY
        facts["days_since_last_order"] = (stamp - _scatter(ids, keys, t[:, 2], np.nan)) / DAY
        if "typical_gap_days" in needed and median is None:
            median = stored_median_gap(now)
        gap = _scatter(ids, keys, orders.gaps(), np.nan)
        single = (count > 0) & np.isnan(gap)
        gap[single] = np.nan if median is None else median
        facts["typical_gap_days"] = gap
        for column, name in enumerate(HEALTH_FACTS[:4], start=6):
            facts[name] = _scatter(ids, keys, t[:, column], 0.0)
    if needed & _SUBSCRIPTION_FACTS:
        facts |= _subscription_facts(chunk, ids, now)
    if "is_lead" in needed:
        facts["is_lead"] = (facts["orders_count"] == 0) & ~facts.pop("_subscribed_ever")
    if needed & _INTERACTION_FACTS:
        facts |= _interaction_facts(chunk, ids, now)
    if needed & {"p_alive", "expected_purchases_365", "churn_risk"}:
        rows = fetch_numbers(
            CustomerPrediction.objects.filter(chunk.where("customer_id"))
            .order_by()
            .values_list("customer_id", "p_alive", "expected_purchases_365", "churn_risk"),
            4,
        )
        keys = rows[:, 0].astype(np.int64)
        facts["p_alive"] = _scatter(ids, keys, rows[:, 1], np.nan)
        facts["expected_purchases_365"] = _scatter(ids, keys, rows[:, 2], np.nan)
        facts["churn_risk"] = _scatter(ids, keys, rows[:, 3], np.nan)
    if needed & {"days_in_stage", "in_at_risk_stage"}:
        from tenure.lifecycle.models import CustomerStage
        from tenure.lifecycle.services import active_model  # services read these facts

        at_risk_keys = active_model()[1].keys_with_role("at_risk")
        at_risk = Case(When(stage__in=at_risk_keys, then=Value(1)), default=Value(0))
        rows = fetch_numbers(
            CustomerStage.objects.filter(chunk.where("customer_id"))
            .order_by()
            .values_list("customer_id", EpochSeconds("entered_at"), at_risk),
            3,
        )
        keys = rows[:, 0].astype(np.int64)
        facts["days_in_stage"] = (stamp - _scatter(ids, keys, rows[:, 1], np.nan)) / DAY
        facts["in_at_risk_stage"] = _scatter(ids, keys, rows[:, 2], 0.0)
    if needed & _FEEDBACK_FACTS:
        facts |= _feedback_facts(chunk, ids, now, needed)
    for name in ("emails_engaged_90d", "emails_sent_90d"):
        facts[name] = np.full(ids.size, np.nan)
    return pd.DataFrame(
        {name: facts[name] for name in sorted(needed)}, index=pd.Index(ids, name="customer")
    )


def _feedback_facts(chunk: Chunk, ids: IntArray, now: datetime, needed: set[str]) -> dict:
    """``latest_nps``, ``latest_csat`` (one query: each customer's latest answer of each kind
    answered by ``now``) and ``referrals_count`` (one query: referrals made by ``now``)."""
    facts: dict[str, Any] = {}
    kinds = {
        SurveyKind.NPS: ("latest_nps", "days_since_nps"),
        SurveyKind.CSAT: ("latest_csat", "days_since_csat"),
    }
    wanted = [kind for kind, names in kinds.items() if set(names) & needed]
    if wanted:
        answers = SurveyResponse.objects.filter(chunk.where("customer_id"), kind__in=wanted)
        is_nps = Case(When(kind=SurveyKind.NPS, then=Value(1)), default=Value(0))
        rows = fetch_numbers(
            answers_latest(answers, as_of=now).values_list(
                "customer_id", is_nps, "score", EpochSeconds("answered_at")
            ),
            4,
        )
        for kind in wanted:
            mine = rows[rows[:, 1] == (1.0 if kind == SurveyKind.NPS else 0.0)]
            keys = mine[:, 0].astype(np.int64)
            score, since = kinds[kind]
            facts[score] = _scatter(ids, keys, mine[:, 2], np.nan)
            facts[since] = (now.timestamp() - _scatter(ids, keys, mine[:, 3], np.nan)) / DAY
    if "referrals_count" in needed:
        rows = fetch_numbers(
            Referral.objects.filter(chunk.where("referrer_id"), referred_at__lte=now)
            .order_by()
            .values("referrer_id")
            .annotate(n=Count("id"))
            .values_list("referrer_id", "n"),
            2,
        )
        facts["referrals_count"] = _scatter(ids, rows[:, 0].astype(np.int64), rows[:, 1], 0.0)
    return facts


def _subscription_facts(chunk: Chunk, ids: IntArray, now: datetime) -> dict[str, Any]:
    active = Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=now)
    query = (
        Subscription.objects.filter(chunk.where("customer_id"), started_at__lte=now)
        .order_by()
        .values("customer_id")
        .annotate(
            n=Count("id"),
            active=Count("id", filter=active),
            cancelled=Max(EpochSeconds("cancelled_at"), filter=Q(cancelled_at__lte=now)),
            renews=Min(EpochSeconds("renews_at"), filter=active),
        )
        .values_list("customer_id", "n", "active", "cancelled", "renews")
    )
    rows = fetch_numbers(query, 5)
    keys = rows[:, 0].astype(np.int64)
    ever = _scatter(ids, keys, rows[:, 1], 0.0) > 0
    on = _scatter(ids, keys, rows[:, 2], 0.0) > 0
    cancelled_at = _scatter(ids, keys, rows[:, 3], np.nan)
    stamp = now.timestamp()
    return {
        "_subscribed_ever": ever,
        "has_active_subscription": on,
        "subscription_cancelled": ~on & ~np.isnan(cancelled_at),
        "days_since_cancellation": (stamp - cancelled_at) / DAY,
        "days_to_renewal": (_scatter(ids, keys, rows[:, 4], np.nan) - stamp) / DAY,
    }


def _interaction_facts(chunk: Chunk, ids: IntArray, now: datetime) -> dict[str, Any]:
    open_case = Q(kind__in=CASE_KINDS) & (~Q(status=CaseStatus.RESOLVED) | Q(resolved_at__gt=now))
    query = (
        Interaction.objects.filter(chunk.where("customer_id"), occurred_at__lte=now)
        .order_by()
        .values("customer_id")
        .annotate(
            complaints=Count("id", filter=open_case),
            talks=Count("id", filter=Q(kind__in=_CONVERSATION)),
            meetings=Count("id", filter=Q(kind__in=_MEETINGS)),
            contacts=Count(
                "contact_id", filter=Q(occurred_at__gt=now - timedelta(days=90)), distinct=True
            ),
        )
        .values_list("customer_id", "complaints", "talks", "meetings", "contacts")
    )
    rows = fetch_numbers(query, 5)
    keys = rows[:, 0].astype(np.int64)
    return {
        "open_complaints": _scatter(ids, keys, rows[:, 1], 0.0),
        "interactions_count": _scatter(ids, keys, rows[:, 2], 0.0),
        "meetings_count": _scatter(ids, keys, rows[:, 3], 0.0),
        # Contacts engaged with this customer in 90 days; NaN (no data) when none were named.
        "contacts_engaged_90d": np.where(
            (c := _scatter(ids, keys, rows[:, 4], 0.0)) > 0, c, np.nan
        ),
    }
