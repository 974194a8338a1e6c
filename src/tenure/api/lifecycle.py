"""/api/v1/lifecycle/... and /api/v1/tasks: stages, the funnel and flow, lifecycle buckets, the
at-risk list, the churn audit, health's backtest and weights, stage definitions, recompute, and
the team's tasks.

The same selectors and services as the Lifecycle and Tasks pages and `tenure lifecycle`: every
figure counts only the customers the caller may see; every write applies the role policy in the
service (403 for a role that may not, 404 for a record outside the caller's book).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tenure.access import get_visible_or_404, require_all
from tenure.access.filtering import sort_choices
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input, QueryInput, filter_values, one_of
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.segment_scope import in_segment_query, within
from tenure.api.types import AnalyticsDay, Money, RecordId, finite_or_none
from tenure.domain.health import health_config_validate
from tenure.insights.ranking import ranking_backtest
from tenure.lifecycle import selectors, services
from tenure.lifecycle.audit import churn_audit_for
from tenure.lifecycle.health import health_config_active, health_definition_active
from tenure.lifecycle.health_tuning import (
    health_backtest_latest,
    health_backtest_run,
    health_weights_adopt,
    health_weights_reset,
)
from tenure.lifecycle.models import (
    HealthBacktestRun,
    LifecycleDefinition,
    RecomputeRun,
)
from tenure.todos import selectors as todo_selectors
from tenure.todos import services as todos
from tenure.todos.filters import TASK_SORTS, TaskFilterSet
from tenure.todos.models import Task, TaskComment, TaskPriority, TaskStatus

router = Router(tags=["lifecycle"])
Period = Literal["week", "month", "quarter"]


def _money(value: float) -> Decimal:
    """An amount the at-risk list computed; finite by construction, so a NaN is a bug to show,
    not a zero to invent."""
    if not math.isfinite(value):
        raise ValueError(f"the at-risk list computed a non-finite amount ({value})")
    return Decimal(f"{value:.2f}")


# --- funnel, flow, buckets -------------------------------------------------------------------


class StageCountOut(Schema):
    key: str
    name: str
    description: str
    customers: int


@router.get(
    "/lifecycle/funnel",
    response={200: list[StageCountOut], **ERROR_RESPONSES},
    summary='Customers per stage now, in the definition\'s order, then "unstaged"',
)
def funnel(request: HttpRequest, in_segment: int | None = in_segment_query()) -> list[Any]:
    return selectors.stage_counts(user=caller(request), within=within(request, in_segment))


class StepOut(Schema):
    stage: str
    reached: int = Field(..., description="customers who ever reached this step or a later one")
    conversion: float | None = Field(..., description="% of the previous step's; null first")
    overall: float | None = Field(..., description="% of the first step's")


class DurationOut(Schema):
    stage: str
    stays: int
    completed: int
    open: int
    median_days: float | None = Field(..., description="Kaplan-Meier median; null if unknown")
    median_days_completed: float | None


class PeriodCountsOut(Schema):
    period: date = Field(..., description="first day of the period; counted at its end")
    counts: dict[str, int]
    partial: bool = Field(
        False, description="the period is not over: counted now, not at its end (so far)"
    )


class FlowOut(Schema):
    steps: list[str]
    periods: list[PeriodCountsOut]
    conversion: list[StepOut]
    durations: list[DurationOut]


@router.get(
    "/lifecycle/flow",
    response={200: FlowOut, **ERROR_RESPONSES},
    summary="Counts per stage over time, conversion between steps, median time in stage",
)
def flow(
    request: HttpRequest,
    period: Period = "month",
    count: int = Query(12, ge=1, le=120),
    in_segment: int | None = in_segment_query(),
) -> dict[str, Any]:
    found = selectors.stage_flow(
        user=caller(request), period=period, count=count, within=within(request, in_segment)
    )
    return {
        "steps": found.steps,
        "periods": [
            {
                "period": pd.Timestamp(start).date(),
                "counts": {k: int(v) for k, v in row.items()},
                "partial": found.partial and n == len(found.counts) - 1,
            }
            for n, (start, row) in enumerate(found.counts.iterrows())
        ],
        "conversion": [
            {
                "stage": r.stage,
                "reached": int(r.reached),
                "conversion": finite_or_none(r.conversion),
                "overall": finite_or_none(r.overall),
            }
            for r in found.conversion.itertuples(index=False)
        ],
        "durations": [
            {
                "stage": r.stage,
                "stays": int(r.stays),
                "completed": int(r.completed),
                "open": int(r.open),
                "median_days": finite_or_none(r.median_days),
                "median_days_completed": finite_or_none(r.median_days_completed),
            }
            for r in found.durations.itertuples(index=False)
        ],
    }


class BucketOut(Schema):
    period: date
    new: int
    returning: int
    resurrecting: int
    dormant: int = Field(..., description="active last period, not in this one (<= 0)")
    active: int


@router.get(
    "/lifecycle/buckets",
    response={200: list[BucketOut], **ERROR_RESPONSES},
    summary="New, returning, resurrecting and dormant buyers per period",
)
def buckets(
    request: HttpRequest,
    period: Period = "month",
    count: int = Query(12, ge=1, le=120),
    end: AnalyticsDay | None = None,
    in_segment: int | None = in_segment_query(),
) -> list[dict[str, Any]]:
    table = selectors.lifecycle_buckets_for(
        user=caller(request),
        period=period,
        count=count,
        end=end,
        within=within(request, in_segment),
    )
    return [
        {"period": pd.Timestamp(r.period).date(), "new": int(r.new),
         "returning": int(r.returning), "resurrecting": int(r.resurrecting),
         "dormant": int(r.dormant), "active": int(r.active)}
        for r in table.itertuples(index=False)
    ]  # fmt: skip


# --- at risk, churn audit ----------------------------------------------------------------------


class AtRiskOut(Schema):
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
    lapse_score: float = Field(
        ..., description="0-1: churn risk from the ranking the fit's backtest chose"
    )
    annual_value: Money = Field(
        ..., description="expected spend over the next year if they stay (the models')"
    )
    value_at_stake: Money = Field(..., description="lapse_score x annual_value: the ranking")
    has_open_task: bool


@router.get(
    "/lifecycle/at-risk",
    response={200: list[AtRiskOut], **ERROR_RESPONSES},
    summary="Customers at risk, ranked by the yearly value that leaves if nobody acts",
)
def at_risk(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=1000),
    include_churned: bool = False,
    in_segment: int | None = in_segment_query(),
) -> list[dict[str, Any]]:
    rows = selectors.at_risk_list(
        user=caller(request),
        limit=limit,
        include_lost=include_churned,
        within=within(request, in_segment),
    )
    return [
        {
            **row.__dict__,
            "annual_value": _money(row.annual_value),
            "value_at_stake": _money(row.value_at_stake),
            "health_score": finite_or_none(row.health_score),
        }
        for row in rows
    ]


class RankingScoreOut(Schema):
    key: str
    label: str
    auc: float | None = Field(..., description="P(a lapsed customer ranks above one who bought)")
    top_decile_lapsed: float | None = Field(..., description="share of its top 10 % that lapsed")
    error: str = Field(..., description="why this ranking could not be scored")
    chosen: bool


class RankingBacktestOut(Schema):
    fit_id: int | None
    observation_end: date | None
    summary: str = Field(..., description="how the churn ranking was chosen, in words")
    chosen: str | None
    chosen_label: str | None
    chosen_auc: float | None
    baseline_auc: float | None = Field(..., description="AUC of days since the last order")
    top_decile_lapsed: float | None
    holdout_days: int | None
    customers: int | None = Field(..., description="whole base: for roles that see everyone")
    lapsed: int | None
    purchase_model: str | None
    candidates: list[RankingScoreOut]


@router.get(
    "/lifecycle/at-risk/backtest",
    response={200: RankingBacktestOut, **ERROR_RESPONSES},
    summary="How the churn ranking was chosen: the latest fit's backtest against the baseline",
)
def at_risk_backtest(request: HttpRequest) -> dict[str, Any]:
    shown = ranking_backtest(user=caller(request))
    if shown is None:
        return {
            "fit_id": None, "observation_end": None, "chosen": None, "chosen_label": None,
            "summary": "No model fit with a backtest yet: run `tenure clv fit` or refit.",
            "chosen_auc": None, "baseline_auc": None, "top_decile_lapsed": None,
            "holdout_days": None, "customers": None, "lapsed": None, "purchase_model": None,
            "candidates": [],
        }  # fmt: skip
    body = dict(shown.__dict__)
    body["candidates"] = [dict(row.__dict__) for row in shown.candidates]
    return body


# --- health: its backtest, and adopting fitted weights -----------------------------------------


class HealthRankingOut(Schema):
    key: str = Field(..., description="health_default, health_fitted, days_since_last_order, "
                     "chosen")  # fmt: skip
    label: str
    auc: float | None = Field(None, description="AUC against who lapsed in the holdout")
    top_decile_lapsed: float | None = Field(None, description="share lapsed of the worst 10 %")
    note: str = Field("", description="why there is no figure, when there is none")


class HealthBacktestOut(Schema):
    id: int | None
    observation_end: date | None
    holdout_days: int | None
    customers: int | None
    lapsed: int | None
    reason: str = Field("", description="why no backtest could be run, when none could")
    rankings: list[HealthRankingOut]
    default_weights: dict[str, float]
    fitted_weights: dict[str, float] | None = Field(
        None, description="fitted out of time on the split one holdout earlier; admins adopt them"
    )
    fit_note: str = ""
    weights_in_use: dict[str, float]
    weights_source: str = Field(..., description="default, or fitted (adopted by an admin)")
    created_at: datetime | None


def _health_backtest_out(run: HealthBacktestRun | None) -> dict[str, Any]:
    config = health_config_active()
    adopted = health_definition_active()
    figures = run.figures if run is not None else {}
    return {
        "id": run.pk if run else None, "observation_end": run.observation_end if run else None,
        "holdout_days": run.holdout_days if run else None,
        "customers": run.customers if run else None, "lapsed": run.lapsed if run else None,
        "reason": run.reason if run else "No health backtest yet: POST to run one.",
        "rankings": figures.get("rows", []),
        "default_weights": figures.get("default_weights") or {
            key: p["weight"] for key, p in health_config_validate().params.items() if p["weight"]
        },
        "fitted_weights": run.fitted_weights if run else None,
        "fit_note": figures.get("fit_note", ""),
        "weights_in_use": {key: config.params[key]["weight"] for key in config.active},
        "weights_source": adopted.source if adopted is not None else "default",
        "created_at": run.created_at if run else None,
    }  # fmt: skip


@router.get(
    "/lifecycle/health/backtest",
    response={200: HealthBacktestOut, **ERROR_RESPONSES},
    summary="How well health ranks who lapses: the latest health backtest (roles that see "
    "every customer)",
)
def health_backtest_read(request: HttpRequest) -> dict[str, Any]:
    return _health_backtest_out(health_backtest_latest(user=caller(request)))


@router.post(
    "/lifecycle/health/backtest",
    response={201: HealthBacktestOut, **ERROR_RESPONSES},
    summary="Run the health backtest on the latest fit's split, with weights fitted to the "
    "history (admins, managers)",
    description="Health with the default weights and with weights fitted out of time, days "
    "since the last order and the chosen churn ranking, each with its AUC on the same "
    "customers. Runs in the request: seconds for ten thousand customers.",
)
def health_backtest_create(request: HttpRequest) -> Status:
    return Status(201, _health_backtest_out(health_backtest_run(by=caller(request))))


class HealthAdoptIn(Schema):
    run_id: RecordId = Field(..., description="the health backtest whose fitted weights to use")


class HealthAdoptOut(Schema):
    weights_in_use: dict[str, float]
    weights_source: str
    adopted_at: datetime
    rescored: int = Field(..., description="customers rescored with the adopted weights")


@router.post(
    "/lifecycle/health/adopt",
    response={200: HealthAdoptOut, **ERROR_RESPONSES},
    summary="Use a health backtest's fitted weights and rescore everyone (admins)",
)
def health_adopt(request: HttpRequest, payload: HealthAdoptIn) -> dict[str, Any]:
    adopted, rescored = health_weights_adopt(by=caller(request), run_id=payload.run_id)
    config = health_config_active()
    return {
        "weights_in_use": {key: config.params[key]["weight"] for key in config.active},
        "weights_source": adopted.source, "adopted_at": adopted.adopted_at,
        "rescored": rescored.customers,
    }  # fmt: skip


@router.post(
    "/lifecycle/health/reset",
    response={200: HealthAdoptOut, **ERROR_RESPONSES},
    summary="Go back to the default health weights and rescore everyone (admins)",
)
def health_reset(request: HttpRequest) -> dict[str, Any]:
    reset, rescored = health_weights_reset(by=caller(request))
    config = health_config_active()
    return {
        "weights_in_use": {key: config.params[key]["weight"] for key in config.active},
        "weights_source": reset.source, "adopted_at": reset.adopted_at,
        "rescored": rescored.customers,
    }  # fmt: skip


class BandOut(Schema):
    band: str = Field(..., description="the range of values, in words")
    n: int
    churn_rate: float


class FindingOut(Schema):
    attribute: str
    label: str
    kind: str | None
    test: str | None
    n: int | None
    effect_size: float | None
    effect_measure: str | None
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None
    significant: bool | None
    finding: str | None
    category: str | None
    churn_rate_in: float | None
    churn_rate_rest: float | None
    lift: float | None
    median_churned: float | None
    median_retained: float | None
    note: str | None
    effect_low: float | None = Field(None, description="95 % interval of the effect size")
    effect_high: float | None = None
    lift_low: float | None = Field(None, description="95 % interval of the lift")
    lift_high: float | None = None
    bands: list[BandOut] | None = Field(None, description="numbers: churn rate per quartile")


class AuditOut(Schema):
    churned: int
    retained: int
    alpha: float
    tested: int = Field(..., description="how many attributes were tested")
    summary: str = Field(..., description="the outcome in one sentence")
    left_out: str = Field(..., description="what is not tested, and why")
    findings: list[FindingOut]
    note: str = Field(..., description="why there are no findings, when there are none")


@router.get(
    "/lifecycle/churn-audit",
    response={200: AuditOut, **ERROR_RESPONSES},
    summary="Churned against retained customers over every attribute, strongest effect first",
)
def churn_audit(
    request: HttpRequest,
    alpha: float = Query(0.05, gt=0, lt=1),
    in_segment: int | None = in_segment_query(),
) -> dict[str, Any]:
    result = churn_audit_for(user=caller(request), alpha=alpha, within=within(request, in_segment))
    frame = result.astype(object).where(result.notna(), None)
    findings = []
    for row in frame.to_dict(orient="records"):
        for name, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[name] = None
            elif name in ("category", "finding", "note", "test", "kind") and value is not None:
                row[name] = str(value)
        findings.append(row)
    return {
        "churned": int(result.attrs.get("churned", 0)),
        "retained": int(result.attrs.get("retained", 0)),
        "alpha": float(result.attrs.get("alpha", alpha)),
        "tested": int(result.attrs.get("tested", 0)),
        "summary": str(result.attrs.get("summary", "")),
        "left_out": str(result.attrs.get("left_out", "")),
        "findings": findings,
        "note": f"nothing to compare yet: {note}" if (note := result.attrs["note"]) else "",
    }


# --- one customer ------------------------------------------------------------------------------


class TransitionOut(Schema):
    from_stage: str
    to_stage: str
    rule: str
    reason: str
    effective_at: datetime = Field(..., description="when it happened in the customer's history")
    recorded_at: datetime = Field(..., description="when tenure recorded it")
    superseded_at: datetime | None = Field(
        ..., description="when a replay of a corrected history replaced it (null: in effect)"
    )
    step: int = Field(..., description="order of the moves made at one moment")
    cause: str


class HealthOut(Schema):
    score: float | None
    band: str
    components: dict[str, Any]
    explanation: str = Field(..., description="the components that drove it, in words")
    trend: int = Field(..., description="-1 worsening, 0 steady, +1 improving (7 days)")
    computed_at: datetime


class HealthPointOut(Schema):
    day: date
    score: float | None
    band: str


class CustomerLifecycleOut(Schema):
    stage: str | None = Field(..., description="null: not placed in a stage yet")
    stage_name: str
    entered_at: datetime | None = Field(
        ..., description="when they entered the stage in their history"
    )
    rule: str
    reason: str
    health: HealthOut | None
    history: list[TransitionOut] = Field(
        ..., description="the effective history: every move in effect, by when it happened"
    )
    superseded: list[TransitionOut] = Field(
        ...,
        description="moves a replay of a corrected history replaced (what was believed "
        "before), by when they were recorded",
    )
    health_history: list[HealthPointOut]


@router.get(
    "/customers/{customer_id}/lifecycle",
    response={200: CustomerLifecycleOut, **ERROR_RESPONSES},
    summary="A customer's stage, health and stage history",
)
def customer_lifecycle(request: HttpRequest, customer_id: RecordId) -> dict[str, Any]:
    found = selectors.customer_stage_history(user=caller(request), customer_id=customer_id)
    stage = found.stage
    return {
        "stage": stage.stage if stage else None,
        "stage_name": found.stage_name,
        "entered_at": stage.entered_at if stage else None,
        "rule": stage.rule if stage else "",
        "reason": stage.reason if stage else "",
        "health": found.health,
        "history": found.transitions,
        "superseded": found.superseded,
        "health_history": found.health_history,
    }


class StageMoveIn(Input):
    stage: str = Field(..., max_length=60, description="a stage key of the active definition")
    reason: str = Field(..., max_length=services.MOVE_REASON_MAX, description="why, in words")


@router.post(
    "/customers/{customer_id}/stage",
    response={200: CustomerLifecycleOut, **ERROR_RESPONSES},
    summary="Put a customer in a stage by hand, saying why; held until something next happens "
    "to them, then the rules take over",
)
def stage_move(request: HttpRequest, customer_id: RecordId, payload: StageMoveIn) -> dict[str, Any]:
    services.customer_stage_move(
        by=caller(request), customer_id=customer_id, stage=payload.stage, reason=payload.reason
    )
    return customer_lifecycle(request, customer_id)


# --- definitions and recompute ---------------------------------------------------------------


class DefinitionOut(Schema):
    id: int
    version: int
    name: str
    preset: str
    is_active: bool
    created_at: datetime
    definition: dict[str, Any]


class DefinitionIn(Input):
    definition: dict[str, Any] = Field(..., description="stages, conditions, rules (grammar 1)")
    name: str = Field("", max_length=200)
    preset: str = Field("", max_length=40, description="the preset it started from")
    activate: bool = True


@router.get(
    "/lifecycle/definitions",
    response={200: list[DefinitionOut], **ERROR_RESPONSES},
    summary="The stage definitions, newest version first (one is active)",
)
def definitions(request: HttpRequest, limit: int = Query(20, ge=1, le=200)) -> list[Any]:
    caller(request)
    services.active_definition()  # version 1 from the default preset on first use
    return list(LifecycleDefinition.objects.order_by("-version")[:limit])


@router.post(
    "/lifecycle/definitions",
    response={201: DefinitionOut, **ERROR_RESPONSES},
    summary="Store an edited definition as a new version (admins); 422 names each path",
)
def definition_create(request: HttpRequest, payload: DefinitionIn) -> Status:
    try:
        saved = services.definition_save(
            by=caller(request),
            data=payload.definition,
            name=payload.name,
            preset=payload.preset,
            activate=payload.activate,
        )
    except ValidationError as error:
        raise _by_path(error) from error
    return Status(201, saved)


def _by_path(error: ValidationError) -> ValidationError:
    """The service's messages (``rules[3].when.fact: unknown fact``) keyed by their path in the
    body (``definition.rules[3].when.fact``)."""
    fields: dict[str, list[str]] = {}
    for message in error.messages:
        path, sep, rest = message.partition(": ")
        key = f"definition.{path}" if sep and path and " " not in path else "definition"
        fields.setdefault(key, []).append(rest if key != "definition" else message)
    return ValidationError(fields)


class RecomputeRunOut(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    error: str = Field(description="why a failed run stopped")
    customers: int
    moved: int
    counts: dict[str, int] = Field(description="customers per stage after the run")
    duration_seconds: float | None
    as_of: datetime | None = Field(description="the clock the run computed on (once running)")
    created_at: datetime
    finished_at: datetime | None
    definition_version: int


def _run_out(run: RecomputeRun) -> dict[str, Any]:
    return {
        "id": run.pk, "status": run.status, "error": run.error, "customers": run.customers,
        "moved": run.moved, "counts": run.counts, "duration_seconds": run.duration_seconds,
        "as_of": run.as_of, "created_at": run.created_at, "finished_at": run.finished_at,
        "definition_version": run.definition.version,
    }  # fmt: skip


@router.post(
    "/lifecycle/recompute",
    response={202: RecomputeRunOut, **ERROR_RESPONSES},
    summary="Queue a recompute of every customer's stage and health (admins, managers)",
    description="The worker does it (about a minute at a million customers). Answers 202 with "
    "the queued run, or the run already queued or running; follow it at "
    "/lifecycle/recompute/{id}.",
)
def recompute(request: HttpRequest) -> Status:
    run, _ = services.lifecycle_recompute_queue(by=caller(request))
    return Status(202, _run_out(run))


@router.get(
    "/lifecycle/recompute/{run_id}",
    response={200: RecomputeRunOut, **ERROR_RESPONSES},
    summary="One whole-base recompute: its status and, once done, its figures (roles that "
    "see every customer)",
)
def recompute_run(request: HttpRequest, run_id: RecordId) -> dict[str, Any]:
    # Its figures count every customer and say how many are in each stage: what a role
    # limited to its own book may not learn (as for model fits), and that role may not start
    # a recompute either.
    require_all(caller(request), why="a recompute's figures count the whole customer base")
    run = RecomputeRun.objects.select_related("definition").filter(pk=run_id).first()
    if run is None:
        raise Http404("No such recompute run.")
    return _run_out(run)


# --- tasks -----------------------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    title: str
    body: str
    owner_id: int
    due: date
    priority: str
    status: str
    customer_id: int | None
    account_id: int | None
    source: str
    rule: str
    created_by_id: int | None
    created_at: datetime
    completed_at: datetime | None


class CommentOut(Schema):
    id: int
    task_id: int
    author_id: int | None
    body: str
    created_at: datetime


class TaskDetailOut(TaskOut):
    comments: list[CommentOut]


class TaskIn(Input):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = ""
    owner_id: RecordId | None = Field(None, description="default: the caller")
    due: date
    priority: TaskPriority = TaskPriority.NORMAL
    customer_id: RecordId | None = None
    account_id: RecordId | None = None


class TaskPatch(Input):
    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = None
    owner_id: RecordId | None = None
    due: date | None = None
    priority: TaskPriority | None = None
    status: TaskStatus | None = Field(None, description="done or cancelled closes; open reopens")


class TaskFilters(QueryInput):
    """The fields of ``TaskFilterSet``, typed."""

    view: Literal["mine", "overdue", "all"] = Field(
        "all", description="mine: the caller's open tasks; overdue: open and past due"
    )
    status: TaskStatus | None = None
    customer_id: RecordId | None = None
    sort: str | None = Field(
        None,
        description="the order, pages following it; `-` first for descending (default: by id)",
        json_schema_extra=one_of(sort_choices(TASK_SORTS)),
    )


class CommentIn(Input):
    body: str = Field(..., min_length=1)


@router.get(
    "/tasks",
    response={200: Page[TaskOut], **ERROR_RESPONSES},
    summary="Tasks the caller may see",
    tags=["tasks"],
)
def task_list(
    request: HttpRequest,
    filters: Query[TaskFilters],
    cursor: str | None = None,
    limit: int = LIMIT_DEFAULT,
) -> dict[str, Any]:
    chosen = TaskFilterSet.of(caller(request), filter_values(filters))
    tasks = todo_selectors.task_list(filters=chosen)
    return paginate(tasks, cursor=cursor, limit=limit, sort=chosen.sort_columns())


@router.post(
    "/tasks",
    response={201: TaskOut, **ERROR_RESPONSES},
    summary="Create a task (about a customer or account the caller may change, or none)",
    tags=["tasks"],
)
def task_create(request: HttpRequest, payload: TaskIn) -> Status:
    user = caller(request)
    task = todos.task_create(
        by=user,
        title=payload.title,
        body=payload.body,
        owner=payload.owner_id or user,
        due=payload.due,
        priority=payload.priority,
        customer_id=payload.customer_id,
        account_id=payload.account_id,
    )
    return Status(201, task)


@router.get(
    "/tasks/{task_id}",
    response={200: TaskDetailOut, **ERROR_RESPONSES},
    summary="One task with its comments",
    tags=["tasks"],
)
def task_detail(request: HttpRequest, task_id: RecordId) -> Task:
    tasks = Task.objects.prefetch_related(
        Prefetch("comments", queryset=TaskComment.objects.order_by("created_at", "id"))
    )
    return get_visible_or_404(caller(request), tasks, pk=task_id)


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, **ERROR_RESPONSES},
    summary="Change a task: complete, cancel or reopen it with status",
    tags=["tasks"],
)
def task_update(request: HttpRequest, task_id: RecordId, payload: TaskPatch) -> Task:
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    for name in ("title", "due", "priority", "status", "owner_id"):
        if name in changes and changes[name] is None:
            raise ValidationError({name: ["may not be null"]})
    if changes.get("body") is None and "body" in changes:
        changes["body"] = ""
    return todos.task_update(by=caller(request), task_id=task_id, changes=changes)


@router.post(
    "/tasks/{task_id}/comments",
    response={201: CommentOut, **ERROR_RESPONSES},
    summary="Comment on a task",
    tags=["tasks"],
)
def task_comment(request: HttpRequest, task_id: RecordId, payload: CommentIn) -> Status:
    comment = todos.task_comment_add(by=caller(request), task_id=task_id, body=payload.body)
    return Status(201, comment)


@router.post(
    "/customers/{customer_id}/follow-up",
    response={200: TaskOut, **ERROR_RESPONSES},
    summary="The customer's open at-risk follow-up task, created when there is none",
    tags=["tasks"],
)
def follow_up(request: HttpRequest, customer_id: RecordId) -> Task:
    return services.task_from_at_risk(by=caller(request), customer_id=customer_id)


# --- account health --------------------------------------------------------------------------


class AccountHealthNowOut(HealthOut):
    customers_score: float | None = Field(
        ..., description="its customers' health scores weighted by their revenue (context only)"
    )
    customers_scored: int = Field(..., description="how many of its customers have a score")


class AccountHealthOut(Schema):
    account_id: int
    health: AccountHealthNowOut | None = Field(..., description="null: not scored yet")
    history: list[HealthPointOut] = Field(..., description="one point per change, oldest first")


@router.get(
    "/accounts/{account_id}/health",
    response={200: AccountHealthOut, **ERROR_RESPONSES},
    summary="An account's health: score, band, drivers in words, trend and history",
)
def account_health(request: HttpRequest, account_id: RecordId) -> dict[str, Any]:
    found = selectors.account_health(user=caller(request), account_id=account_id)
    return {"account_id": found.account.pk, "health": found.health, "history": found.history}
