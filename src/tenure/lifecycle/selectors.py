"""Reads for the lifecycle pages, the API and the CLI: the funnel, the flow between stages,
lifecycle buckets, a customer's history, the at-risk list and tasks (the churn audit is
``tenure.lifecycle.audit``).

Every selector takes the ``user`` who asks and starts from ``tenure.access.visible``, so a
success manager's funnel, at-risk list and audit count only their own customers. ``user=None``
is the operator at the command line, who sees everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    QuerySet,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from tenure.access import get_visible_or_404, sees_all, visible
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.funnel import funnel_conversion, stage_counts_over_time, stage_durations
from tenure.analytics.lifecycle_buckets import lifecycle_buckets
from tenure.analytics.periods import period_unfinished
from tenure.customers.models import Account, Customer
from tenure.domain.lifecycle import OFF_PATH_ROLES, UNSTAGED
from tenure.domain.lifecycle.presets import CHURN_GAPS
from tenure.insights.reading import (
    EpochSeconds,
    completed_orders,
    day_start,
    visible_customer_ids,
)
from tenure.lifecycle.facts import DAY, fetch_numbers
from tenure.lifecycle.models import (
    AccountHealthScore,
    AccountHealthSnapshot,
    CustomerStage,
    HealthScore,
    HealthSnapshot,
    RecomputeRun,
    RunStatus,
    StageTransition,
)
from tenure.lifecycle.services import active_model
from tenure.lifecycle.timelines import EpochMillis
from tenure.todos.models import Task, TaskStatus
from tenure.users.models import User

Period = Literal["day", "week", "month", "quarter"]
Within = QuerySet[Any, Any] | None
"""A subquery of customer ids (a segment's members now) narrowing a figure, or None."""
_PERIOD_DAYS = {"day": 1, "week": 7, "month": 31, "quarter": 92}
_PERIOD_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q-DEC"}


def _customers(user: User | None, within: Within = None) -> QuerySet[Customer]:
    """The customers ``user`` sees; ``within`` (a subquery of customer ids: a segment's
    members now) narrows them, inside the user's book, never around it."""
    customers = Customer.objects.all() if user is None else visible(user, Customer)
    return customers if within is None else customers.filter(pk__in=within)


def _of(user: User | None, model: Any, within: Within = None) -> QuerySet[Any]:
    rows = model.objects.all() if user is None else visible(user, model)
    return rows if within is None else rows.filter(customer_id__in=within)


@dataclass(frozen=True)
class StageCount:
    key: str
    name: str
    description: str
    customers: int


def stage_counts(*, user: User | None, within: Within = None) -> list[StageCount]:
    """Customers per stage now, in the active definition's order (the funnel today), then
    ``unstaged`` for visible customers in no stage yet (never recomputed)."""
    _definition, model = active_model()
    found = dict(
        _of(user, CustomerStage, within).order_by().values("stage").annotate(n=Count("pk"))
        .values_list("stage", "n")
    )  # fmt: skip
    rows = [
        StageCount(stage.key, stage.name, stage.description, found.pop(stage.key, 0))
        for stage in model.stages
    ]
    for key, n in sorted(found.items()):  # stages of an older definition, not yet moved on
        rows.append(StageCount(key, key.replace("_", " ").capitalize(), "", n))
    staged = sum(row.customers for row in rows)
    rows.append(StageCount(UNSTAGED, "No stage yet", "", _customers(user, within).count() - staged))
    return rows


BOARD_CARDS = 20


@dataclass(frozen=True)
class BoardColumn:
    """One stage of the board: how many customers stand in it and the most valuable of them
    (each with ``lifecycle_stage``, ``health`` and ``owner`` read along)."""

    key: str
    name: str
    role: str
    customers: int
    cards: list[Customer]


@dataclass(frozen=True)
class BoardPlan:
    """What the board shows, as plain data a cache can keep: each stage's count and its
    cards' customer ids, highest revenue first."""

    counts: dict[str, int]
    chosen: dict[str, list[int]]


def stage_board_plan(
    *, user: User | None, within: Within = None, cards: int = BOARD_CARDS
) -> BoardPlan:
    """The counts and the ``cards`` highest-revenue customers of each stage the user sees."""
    _definition, model = active_model()
    counts = {row.key: row.customers for row in stage_counts(user=user, within=within)}
    chosen = _board_ids(
        _customers(user, within),
        model.stage_keys,
        cards,
        by_stage=user is None or (within is None and sees_all(user)),
    )
    return BoardPlan(counts, chosen)


def stage_board(
    *, user: User | None, within: Within = None, cards: int = BOARD_CARDS,
    plan: BoardPlan | None = None,
) -> list[BoardColumn]:  # fmt: skip
    """The board by lifecycle stage: a column per stage of the active definition, in its
    order, with the count and the ``cards`` highest-revenue customers the user sees (``plan``:
    the ``stage_board_plan`` a caller kept; the cards are read fresh, so their stage, health
    and owner are today's)."""
    _definition, model = active_model()
    plan = plan or stage_board_plan(user=user, within=within, cards=cards)
    found = Customer.objects.select_related("lifecycle_stage", "health", "owner").in_bulk(
        [pk for ids in plan.chosen.values() for pk in ids]
    )
    return [
        BoardColumn(
            stage.key,
            stage.name,
            stage.role,
            plan.counts.get(stage.key, 0),
            [found[pk] for pk in plan.chosen.get(stage.key, []) if pk in found],
        )
        for stage in model.stages
    ]


def _board_ids(
    customers: QuerySet[Customer], keys: tuple[str, ...], cards: int, *, by_stage: bool
) -> dict[str, list[int]]:
    """The ``cards`` highest-revenue customer ids of each stage, read narrow (ids, not whole
    rows: sorting whole customers by revenue spilled to disk, 0.5 s at 100,000). The whole
    base (``by_stage``): a query per stage, each a top-N through the stage's index (25 ms);
    a book or a segment: one pass with a row number per stage, since a query per stage would
    evaluate the book's predicate once per stage (60 ms each at 100,000 customers)."""
    chosen: dict[str, list[int]] = {key: [] for key in keys}
    if by_stage:
        for key in keys:
            top = customers.filter(lifecycle_stage__stage=key).order_by("-revenue", "id")
            chosen[key] = list(top.values_list("pk", flat=True)[:cards])
        return chosen
    placed = (
        customers.filter(lifecycle_stage__stage__in=list(keys))
        .values("pk")
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("lifecycle_stage__stage")],
                order_by=[F("revenue").desc(), F("id").asc()],
            )
        )
        .filter(place__lte=cards)
        .values_list("lifecycle_stage__stage", "place", "pk")
    )
    for key, _place, pk in sorted(placed):
        chosen[key].append(pk)
    return chosen


@dataclass(frozen=True)
class StageFlow:
    """Counts per stage at the end of each period (``counts``: indexed by period start, one
    column per stage), the funnel over the main path (``conversion``: stage, reached,
    conversion %, overall %) and time in stage (``durations``: stage, stays, completed, open,
    median_days (Kaplan-Meier), median_days_completed)."""

    counts: pd.DataFrame
    conversion: pd.DataFrame
    durations: pd.DataFrame
    steps: list[str]
    partial: bool = False
    """Whether the last period of ``counts`` is not over at ``end``: its counts are so far."""


def _transitions(user: User | None, within: Within = None) -> pd.DataFrame:
    """The effective history of the visible customers (moves not superseded), each move at
    the moment it happened in the customer's history (``effective_at``)."""
    rows = list(
        _of(user, StageTransition, within)
        .filter(superseded_at__isnull=True)
        .order_by()
        .values_list("customer_id", "to_stage", EpochMillis("effective_at"), "step")
    )
    frame = pd.DataFrame(rows, columns=["customer", "to_stage", "at", "step"])
    frame["at"] = pd.to_datetime(frame["at"].astype("int64"), unit="ms", utc=True)
    return frame.sort_values(["customer", "at", "step"], kind="stable").reset_index(drop=True)


def stage_flow(
    *,
    user: User | None,
    period: Period = "month",
    count: int | None = 12,
    end: datetime | None = None,
    steps: list[str] | None = None,
    within: Within = None,
) -> StageFlow:
    """How customers moved through the stages over the last ``count`` periods to ``end``
    (now), from the effective history: each move at the moment it happened in the customer's
    history (``tenure.analytics.funnel``). ``count=None``: every period from the first move
    (at most 120). ``steps``: the funnel's stages (default: the definition's stages without
    at risk, churned and won back)."""
    if period not in _PERIOD_DAYS:
        raise InvalidInputError("period", f"must be day, week, month or quarter, got {period!r}")
    if count is not None and (
        isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 120
    ):
        raise InvalidInputError("count", "must be a whole number from 1 to 120")
    end = end or timezone.now()
    _definition, model = active_model()
    keys = list(model.stage_keys)
    off_path = set(model.keys_with_role(*OFF_PATH_ROLES))
    steps = steps or [key for key in keys if key not in off_path]
    moves = _transitions(user, within)
    stamp = pd.Timestamp(end)
    moves = moves[moves["at"] <= stamp]
    if count is None:
        freq = _PERIOD_FREQ[period]
        first = moves["at"].min() if len(moves) else stamp
        spanned = pd.Period(stamp.tz_convert(None), freq) - pd.Period(first.tz_convert(None), freq)
        count = min(max(spanned.n + 1, 1), 120)
    start = stamp - pd.Timedelta(days=_PERIOD_DAYS[period] * (count - 1))
    local = timezone.localtime(end)
    partial = period_unfinished(
        pd.Period(local.replace(tzinfo=None), _PERIOD_FREQ[period]).start_time.date(),
        period, data_end=local.date(), today=timezone.localdate(),
    )  # fmt: skip
    durations = stage_durations(moves, observation_end=end, stages=keys)
    if moves.empty:
        conversion = pd.DataFrame(
            {"stage": steps, "reached": 0, "conversion": np.nan, "overall": np.nan}
        )
        empty = pd.DataFrame(columns=keys, dtype=np.int64)
        return StageFlow(empty, conversion, durations, steps, partial)
    counts = stage_counts_over_time(
        moves,
        observation_start=start.tz_convert(None),
        observation_end=stamp.tz_convert(None),
        period=period,
        stages=keys,
    )
    return StageFlow(
        counts=counts.tail(count),
        conversion=funnel_conversion(moves, steps),
        durations=durations,
        steps=steps,
        partial=partial,
    )


def lifecycle_buckets_for(
    *,
    user: User | None,
    period: Period = "month",
    count: int = 12,
    end: date | None = None,
    within: Within = None,
) -> pd.DataFrame:
    """PostHog-style new / returning / resurrecting / dormant buyers per period, from the
    completed orders of the visible customers, the last ``count`` periods to ``end`` (today).
    Columns: ``period`` (start date), ``new``, ``returning``, ``resurrecting``, ``dormant``
    (<= 0), ``active``."""
    if period not in _PERIOD_DAYS:
        raise InvalidInputError("period", f"must be day, week, month or quarter, got {period!r}")
    end = end or timezone.localdate()
    customers = visible_customer_ids(user, within=within)
    orders = completed_orders(customers=customers, before=day_start(end + timedelta(days=1)))
    columns = ["period", "new", "returning", "resurrecting", "dormant", "active"]
    if not len(orders):
        return pd.DataFrame({name: [] for name in columns})
    frame = pd.DataFrame(
        {"customer": orders.customer_id, "date": orders.day.astype("datetime64[D]")}
    )
    freq = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q-DEC"}[period]
    first = (pd.Period(end, freq=freq) - (count - 1)).start_time.date()
    return lifecycle_buckets(
        frame, "customer", "date", period=period, observation_start=first, observation_end=end
    )[columns]


@dataclass(frozen=True)
class CustomerLifecycle:
    """A customer's stage now (None: never placed), their effective history (the moves not
    superseded, oldest first, by when they happened), the moves a replay of a corrected
    history replaced (``superseded``, by when they were recorded), health now and its history
    (one snapshot per change)."""

    stage: CustomerStage | None
    stage_name: str
    transitions: list[StageTransition]
    health: HealthScore | None
    health_history: list[HealthSnapshot]
    superseded: list[StageTransition] = field(default_factory=list)


def customer_stage_history(*, user: User | None, customer_id: int) -> CustomerLifecycle:
    """Http404 for a customer outside the user's scope, never revealing that it exists."""
    if user is None:
        if not Customer.objects.filter(pk=customer_id).exists():
            raise Http404("no such record")
    else:
        get_visible_or_404(user, Customer, pk=customer_id)
    stage = CustomerStage.objects.filter(customer_id=customer_id).first()
    _definition, model = active_model()
    name = ""
    if stage is not None:
        name = model.stage(stage.stage).name if stage.stage in model.stage_keys else stage.stage
    moves = StageTransition.objects.filter(customer_id=customer_id)
    return CustomerLifecycle(
        stage=stage,
        stage_name=name,
        transitions=list(
            moves.filter(superseded_at__isnull=True).order_by("effective_at", "step", "id")
        ),
        health=HealthScore.objects.filter(customer_id=customer_id).first(),
        health_history=list(HealthSnapshot.objects.filter(customer_id=customer_id)),
        superseded=list(
            moves.filter(superseded_at__isnull=False).order_by("recorded_at", "step", "id")
        ),
    )


# --- lapse score and the at-risk list --------------------------------------------------------


def lapse_table(customers: QuerySet[Customer], *, now: datetime | None = None) -> pd.DataFrame:
    """For each buyer among ``customers``: how likely they have lapsed and what it costs.

    - ``lapse_score`` (0-1): the churn risk of the latest model fit, from the ranking its
      backtest chose on the business's own history (never worse there than days since the last
      order); for a customer no fit covers, their silence against ``CHURN_GAPS`` (3) times their
      own typical gap (the base's median gap for one-order customers), capped at 1;
    - ``annual_value``: what they are expected to spend over the next year if they stay: the fit's
      expected purchases of a customer still buying x their expected order value (purchase and
      spend models). Without a fit: what they paid per year since their first order (a year at
      least), never a rate from one short gap;
    - ``value_at_stake`` = ``lapse_score`` x ``annual_value``: the expected yearly revenue that
      leaves if nobody acts. The at-risk list ranks by it: a likely lapse that costs little and
      a valuable customer who is surely staying both rank low; attention goes where both the
      chance and the money are.

    Indexed by customer id; also ``days_since_last_order`` and ``orders_count``.
    """
    stamp = (now or timezone.now()).timestamp()
    table = fetch_numbers(
        customers.filter(orders_count__gt=0).order_by().values_list(
            "pk", "orders_count", EpochSeconds("first_order_at"), EpochSeconds("last_order_at"),
            "revenue", "prediction__churn_risk", "prediction__value_if_stays_365",
        ),
        7,
    )  # fmt: skip
    ids, orders, first, last, revenue, risk, stays = table.T
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(orders >= 2, (last - first) / DAY / (orders - 1), np.nan)
        gap = np.where(gap > 0, gap, np.nan)
        median = float(np.nanmedian(gap)) if np.isfinite(gap).any() else 365.0
        silent = (stamp - last) / DAY
        fallback = np.clip(silent / (CHURN_GAPS * np.where(np.isnan(gap), median, gap)), 0, 1)
        lapse = np.where(np.isnan(risk), fallback, risk)
        years = np.maximum((stamp - first) / DAY / 365.0, 1.0)
        annual = np.where(np.isnan(stays), revenue / years, stays)
    return pd.DataFrame(
        {
            "lapse_score": lapse, "annual_value": annual, "value_at_stake": lapse * annual,
            "days_since_last_order": silent, "orders_count": orders.astype(np.int64),
        },
        index=pd.Index(ids.astype(np.int64), name="customer"),
    )  # fmt: skip


@dataclass(frozen=True)
class AtRiskRow:
    customer_id: int
    external_id: str
    name: str
    owner_id: int | None
    owner_name: str
    stage: str
    reason: str
    entered_at: datetime
    health_score: float | None
    health_band: str
    lapse_score: float
    annual_value: float
    value_at_stake: float
    has_open_task: bool


def at_risk_list(
    *,
    user: User | None,
    limit: int = 50,
    include_lost: bool = False,
    now: datetime | None = None,
    within: Within = None,
) -> list[AtRiskRow]:
    """The visible customers in the stages whose role is at risk (and lost, with
    ``include_lost``), ranked by value at stake (``lapse_table``), most first, with the reason
    of their move, owner, health and whether an open task exists for them."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidInputError("limit", "must be a whole number from 1 to 1000")
    _definition, model = active_model()
    stages = model.keys_with_role("at_risk", *(("lost",) if include_lost else ()))
    candidates = _customers(user, within).filter(lifecycle_stage__stage__in=stages)
    table = lapse_table(candidates, now=now).sort_values(
        ["value_at_stake", "lapse_score"], ascending=False, kind="stable"
    )
    top = table.head(limit)
    open_task = Task.objects.filter(customer_id=OuterRef("pk"), status=TaskStatus.OPEN)
    found = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=top.index.tolist())
        .select_related("owner", "lifecycle_stage", "health")
        .annotate(has_task=Exists(open_task))
    }
    rows = []
    for customer_id, figures in top.iterrows():
        c = found[int(customer_id)]
        stage, health = c.lifecycle_stage, getattr(c, "health", None)
        rows.append(
            AtRiskRow(
                customer_id=c.pk, external_id=c.external_id, name=c.name or c.external_id,
                owner_id=c.owner_id,
                owner_name=(c.owner.get_full_name() or c.owner.username) if c.owner else "",
                stage=stage.stage, reason=stage.reason, entered_at=stage.entered_at,
                health_score=health.score if health else None,
                health_band=health.band if health else "",
                lapse_score=float(figures["lapse_score"]),
                annual_value=float(figures["annual_value"]),
                value_at_stake=float(figures["value_at_stake"]),
                has_open_task=bool(c.has_task),
            )
        )  # fmt: skip
    return rows


@dataclass(frozen=True)
class RecomputeRuns:
    """The latest finished whole-base recompute, and the one queued or running, if any."""

    last_done: RecomputeRun | None
    pending: RecomputeRun | None


def recompute_runs() -> RecomputeRuns:
    """What the Lifecycle page says about recomputes (figures of the whole base's runs, no
    customer in them: every role may read them)."""
    runs = RecomputeRun.objects.filter(scope="all").select_related("started_by")
    # A run whose worker died is ended by the sweep (``tenure.jobs``), so it is pending no more.
    pending = runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
    return RecomputeRuns(runs.filter(status=RunStatus.DONE).first(), pending)


# --- account health ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountHealth:
    """An account's health now (None: not scored yet) and its history, oldest first (one
    snapshot per change; the latest ``history_limit``)."""

    account: Account
    health: AccountHealthScore | None
    history: list[AccountHealthSnapshot]


def account_health(*, user: User | None, account_id: int, history_limit: int = 90) -> AccountHealth:
    """Whoever may see the account sees its health (Http404 otherwise, never revealing that it
    exists); ``user=None`` is the operator."""
    if user is None:
        account = Account.objects.filter(pk=account_id).first()
        if account is None:
            raise Http404("no such record")
    else:
        account = get_visible_or_404(user, Account, pk=account_id)
    latest = AccountHealthSnapshot.objects.filter(account_id=account_id).order_by("-day")
    return AccountHealth(
        account=account,
        health=AccountHealthScore.objects.filter(account_id=account_id).first(),
        history=list(reversed(latest[:history_limit])),
    )
