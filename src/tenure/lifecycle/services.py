"""Writes of the lifecycle engine: recompute stages (the whole base or a few customers),
store and activate definitions; health scores (``tenure.lifecycle.health``) and tasks
(``tenure.lifecycle.followups``) are re-exported here, so every write is a
``tenure.lifecycle.services`` function.

One function places customers in their stages, whichever set of them: the nightly (or on
demand) recompute of the whole base and the update after an event run the same
``_recompute_chunk`` over different ids, with the same facts (``tenure.lifecycle.facts``) and
the same engine (``tenure.domain.lifecycle``), so they agree by construction. Each chunk of up
to 100,000 customers is written in one transaction: the stages that changed (an upsert) and
every move (COPY on PostgreSQL).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django_q.tasks import async_task

from tenure.access import AccessDenied, require, sees_all, visible
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.domain.lifecycle import (
    UNSTAGED,
    DefinitionError,
    LifecycleModel,
    definition_validate,
    lifecycle_evaluate,
    preset_definition,
)
from tenure.lifecycle.facts import (
    Chunk,
    OrderFigures,
    all_customer_ids,
    chunks,
    facts_frame,
    median_gap,
    order_figures,
    stored_median_gap,
)
from tenure.lifecycle.followups import (
    complaint_follow_up,
    task_comment_add,
    task_complete,
    task_create,
    task_from_at_risk,
    task_update,
)
from tenure.lifecycle.health import HealthResult, health_recompute
from tenure.lifecycle.models import (
    CustomerStage,
    LifecycleDefinition,
    RecomputeRun,
    RunStatus,
    StageTransition,
    TransitionCause,
)
from tenure.lifecycle.storage import stages_upsert, transitions_append
from tenure.users.models import User

__all__ = [
    "HealthResult",
    "RecomputeResult",
    "active_definition",
    "active_model",
    "complaint_follow_up",
    "definition_activate",
    "definition_save",
    "definitions_ensure_default",
    "health_recompute",
    "lifecycle_recompute",
    "lifecycle_recompute_enqueue",
    "lifecycle_recompute_queue",
    "lifecycle_recompute_run",
    "task_comment_add",
    "task_complete",
    "task_create",
    "task_from_at_risk",
    "task_update",
]

logger = logging.getLogger(__name__)


# --- definitions ------------------------------------------------------------------------------


def definitions_ensure_default(*, using: str = "default") -> LifecycleDefinition | None:
    """Store version 1 from the default preset, active, unless a definition exists already
    (run after every ``migrate`` and on first use). None when the table is not there yet."""
    try:
        manager = LifecycleDefinition.objects.using(using)
        if manager.exists():
            return None
        definition = definition_validate(preset_definition("default")).definition
        return manager.create(
            version=1,
            name=definition.get("name", "Default lifecycle"),
            preset="default",
            definition=definition,
            is_active=True,
        )
    except IntegrityError:  # another process stored it meanwhile
        return None


def active_definition() -> LifecycleDefinition:
    """The active definition (the default preset's version 1 on first use)."""
    found = LifecycleDefinition.objects.filter(is_active=True).first()
    if found is None:
        definitions_ensure_default()
        found = LifecycleDefinition.objects.filter(is_active=True).first()
        if found is None:  # definitions exist, none active: the latest is
            found = LifecycleDefinition.objects.order_by("-version").first()
    assert found is not None
    return found


_MODELS: dict[str, LifecycleModel] = {}


def model_of(definition: LifecycleDefinition) -> LifecycleModel:
    """The validated model of a stored definition (cached by its text: validating runs the
    cycle probe, and stored versions never change)."""
    key = json.dumps(definition.definition, sort_keys=True)
    if key not in _MODELS:
        _MODELS[key] = definition_validate(definition.definition)
    return _MODELS[key]


def active_model() -> tuple[LifecycleDefinition, LifecycleModel]:
    definition = active_definition()
    return definition, model_of(definition)


def _refusal(error: DefinitionError) -> ValidationError:
    return ValidationError(
        {"definition": [str(problem) for problem in error.problems]}, code="invalid"
    )


@transaction.atomic
def definition_save(
    *,
    by: User | None,
    data: dict[str, Any],
    name: str = "",
    preset: str = "",
    activate: bool = True,
) -> LifecycleDefinition:
    """Store an edited definition as a new version (admins only; ``by=None``: the operator).

    Raises ``ValidationError`` on ``definition`` with one message per problem, each naming its
    path (``rules[3].when.all[1].fact: unknown fact "orders_cnt" (did you mean
    "orders_count"?)``). The new version is active unless ``activate=False``; it takes effect
    on the next recompute.
    """
    if by is not None:
        require(by, Action.ADMINISTER)
    try:
        model = definition_validate(data)
    except DefinitionError as error:
        raise _refusal(error) from error
    top = LifecycleDefinition.objects.select_for_update().aggregate(top=Max("version"))["top"]
    definition = LifecycleDefinition(
        version=(top or 0) + 1,
        name=(name or model.definition.get("name") or "Lifecycle")[:200],
        preset=preset,
        definition=model.definition,
        is_active=False,
        created_by=by,
    )
    definition.save()
    if activate:
        return definition_activate(by=by, version=definition.version)
    return definition


@transaction.atomic
def definition_activate(*, by: User | None, version: int) -> LifecycleDefinition:
    """Make ``version`` the active definition (admins only); the next recompute uses it."""
    if by is not None:
        require(by, Action.ADMINISTER)
    definition = LifecycleDefinition.objects.select_for_update().get(version=version)
    LifecycleDefinition.objects.filter(is_active=True).exclude(pk=definition.pk).update(
        is_active=False
    )
    if not definition.is_active:
        definition.is_active = True
        definition.save(update_fields=["is_active"])
    return definition


# --- recompute --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    """What a recompute did. ``counts``: customers per stage key after it, among the customers
    it evaluated (all of them for a whole-base run; ``"unstaged"`` for those in no stage),
    in the definition's stage order; ``moved``: customers whose stage changed;
    ``transitions``: moves stored (a customer may move several times in one run)."""

    customers: int
    moved: int
    transitions: int
    counts: dict[str, int]
    seconds: float
    as_of: datetime
    definition_version: int
    cause: str
    run_id: int | None = None
    moves: dict[str, int] = field(default_factory=dict)


def _require_recompute(by: User | None, whole_base: bool) -> None:
    if by is None:
        return
    require(by, Action.CHANGE)
    if whole_base and not sees_all(by, Action.CHANGE):
        raise AccessDenied("only admins and managers may recompute the whole customer base")


def lifecycle_recompute(
    *,
    by: User | None = None,
    now: datetime | None = None,
    customer_ids: Any = None,
    cause: str = TransitionCause.RECOMPUTE,
    since: Mapping[int, datetime] | None = None,
    run: RecomputeRun | None = None,
) -> RecomputeResult:
    """Place customers in their stages as of ``now`` (default: this moment).

    ``customer_ids=None`` recomputes the whole base (admins and managers; ``by=None`` is the
    operator or the nightly job) and records a ``RecomputeRun`` with the population's median
    gap; a list recomputes those customers (of them, the ones ``by`` may change), with the
    latest stored median gap. ``cause`` is stored with every transition it makes.

    ``since`` (customer id -> datetime) marks customers whose history changed from that moment
    on (a back-dated order): each is evaluated from the stage they stood in at ``since``
    (none if they were placed only later), not from the stage decided without that history,
    and the correction is stored as one move (see ``_rewound``). Without this, a customer
    whose order log arrives newest-first, or in import batches, would be judged on each part
    as it lands (churned on a three-year-old first order) and end in a stage that a recompute
    of the same history would not give.

    ``run``: the queued ``RecomputeRun`` a worker is doing (``lifecycle_recompute_queue``),
    filled in instead of a new one.
    """
    began = time.perf_counter()
    now = now or timezone.now()
    if cause not in TransitionCause.values:
        raise ValueError(f"unknown cause {cause!r}: one of {', '.join(TransitionCause.values)}")
    whole = customer_ids is None
    _require_recompute(by, whole)
    definition, model = active_model()
    figures: list[OrderFigures | None]
    if whole:
        parts = list(chunks(all_customer_ids()))
        figures = [order_figures(part, now) for part in parts]
        median = median_gap([f for f in figures if f is not None])
    else:
        ids = np.asarray(list(customer_ids), dtype=np.int64)
        if by is not None and not sees_all(by, Action.CHANGE):
            allowed = visible(by, Customer, Action.CHANGE).filter(pk__in=ids.tolist())
            ids = np.asarray(list(allowed.values_list("pk", flat=True)), dtype=np.int64)
        parts = list(chunks(ids))
        figures = [None] * len(parts)
        median = stored_median_gap(now) if parts else None
    counts: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    customers = moved = stored = 0
    for part, orders in zip(parts, figures, strict=True):
        outcome = _recompute_chunk(part, now, definition, model, median, cause, orders, since or {})
        customers += outcome.customers
        moved += outcome.moved
        stored += outcome.transitions
        counts.update(outcome.counts)
        moves.update(outcome.moves)
    order = [*model.stage_keys, UNSTAGED]
    ordered = {key: counts[key] for key in order if counts[key]}
    seconds = time.perf_counter() - began
    if whole:
        figures_of_run = {
            "scope": "all", "cause": cause, "as_of": now, "definition": definition,
            "customers": customers, "moved": moved, "counts": ordered, "median_gap_days": median,
            "duration_seconds": seconds, "status": RunStatus.DONE, "finished_at": timezone.now(),
        }  # fmt: skip
        if run is None:
            run = RecomputeRun.objects.create(started_by=by, **figures_of_run)
        else:
            for name, value in figures_of_run.items():
                setattr(run, name, value)
            run.save()
    return RecomputeResult(
        customers=customers, moved=moved, transitions=stored, counts=ordered, seconds=seconds,
        as_of=now, definition_version=definition.version, cause=cause,
        run_id=run.pk if run else None, moves=dict(moves),
    )  # fmt: skip


@dataclass(frozen=True)
class _ChunkOutcome:
    customers: int
    moved: int
    transitions: int
    counts: Counter[str]
    moves: Counter[str]


def _current_stages(chunk: Chunk, ids: np.ndarray) -> np.ndarray:
    rows = CustomerStage.objects.filter(chunk.where("customer_id")).values_list(
        "customer_id", "stage"
    )
    stored = dict(rows.order_by())
    return np.array([stored.get(i) for i in ids.tolist()], dtype=object)


def _recompute_chunk(
    chunk: Chunk,
    now: datetime,
    definition: LifecycleDefinition,
    model: LifecycleModel,
    median: float | None,
    cause: str,
    orders: OrderFigures | None,
    since: Mapping[int, datetime],
) -> _ChunkOutcome:
    needed = set(model.facts_used)
    facts = facts_frame(chunk=chunk, now=now, needed=needed, median_gap_days=median, orders=orders)
    ids = facts.index.to_numpy(dtype=np.int64)
    stored = _current_stages(chunk, ids)
    current = stored.copy()
    rewound = _rewind(ids, since, now, current, facts)
    # A stage the active definition no longer has (after an edit): the customer starts from no
    # stage, and the move records the stage they really left.
    known = np.isin(current, np.array(model.stage_keys, dtype=object)) | pd.isna(current)
    current[~known] = None
    evaluation = lifecycle_evaluate(model, facts, current)
    final = evaluation.stage_keys()
    counts = Counter(UNSTAGED if key is None else key for key in final.tolist())
    moves = evaluation.transitions(reasons=True)
    if rewound.any():
        moves = _rewound(moves, ids, rewound, stored, final, since, cause)
    if moves.empty:
        return _ChunkOutcome(len(ids), 0, 0, counts, Counter())
    position = pd.Index(ids).get_indexer(moves["customer"])
    first = moves["step"].to_numpy() == 0
    left = stored[position]
    moves["from_stage"] = np.where(first, left, moves["from_stage"].to_numpy())
    last = moves.drop_duplicates("customer", keep="last")
    new = pd.isna(stored[pd.Index(ids).get_indexer(last["customer"])])
    try:
        _store(moves, last, now, definition.pk, cause, new)
    except IntegrityError:  # an event placed one of them meanwhile: upsert them all
        _store(moves, last, now, definition.pk, cause, None)
    moved = int((final != stored).sum()) if rewound.any() else int(evaluation.changed.sum())
    return _ChunkOutcome(len(ids), moved, len(moves), counts, Counter(moves["rule"].tolist()))


HISTORY_CHANGED = "history_changed"
"""The rule name of a move that corrects a stage after an earlier-dated change (``_rewound``)."""


def _rewind(
    ids: np.ndarray,
    since: Mapping[int, datetime],
    now: datetime,
    current: np.ndarray,
    facts: pd.DataFrame,
) -> np.ndarray:
    """Put the customers whose history changed from ``since[id]`` back in the stage they stood
    in at that moment (the last move at or before it; none before their first move), with
    ``days_in_stage`` counted from that move, in ``current`` and ``facts`` (changed in place).
    A customer whose ``since`` is after their latest move is where they were. Returns which
    customers were rewound."""
    rewound = np.zeros(ids.size, dtype=bool)
    dated = {i: since[i] for i in ids.tolist() if i in since and since[i] < now}
    if not dated:
        return rewound
    moves = (
        StageTransition.objects.filter(customer_id__in=list(dated))
        .order_by("customer_id", "at", "step", "id")
        .values_list("customer_id", "at", "to_stage")
    )
    history: dict[int, list[tuple[datetime, str]]] = {}
    for customer_id, at, stage in moves:
        history.setdefault(customer_id, []).append((at, stage))
    position = {customer: n for n, customer in enumerate(ids.tolist())}
    clock = "days_in_stage" in facts.columns
    for customer_id, moment in dated.items():
        past = history.get(customer_id, [])
        if past and past[-1][0] <= moment:
            continue  # placed before the change: their stage already saw the history before it
        before = [(at, stage) for at, stage in past if at <= moment]
        n = position[customer_id]
        rewound[n] = True
        current[n] = before[-1][1] if before else None
        if clock:
            days = (now - before[-1][0]).total_seconds() / 86_400 if before else np.nan
            facts.iat[n, facts.columns.get_loc("days_in_stage")] = days
    return rewound


def _rewound(
    moves: pd.DataFrame,
    ids: np.ndarray,
    rewound: np.ndarray,
    stored: np.ndarray,
    final: np.ndarray,
    since: Mapping[int, datetime],
    cause: str,
) -> pd.DataFrame:
    """The moves to store when some customers were evaluated from a rewound stage: the
    others' moves as they are; for each rewound customer whose stage differs from the stored
    one, a single move from the stored stage to the new one, with the rule and reason of the
    engine's last move (``history_changed`` when the rewound stage itself stands). Their moves
    stored before stay: they were right on what was known then."""
    redone = set(ids[rewound].tolist())
    kept = moves[~moves["customer"].isin(redone)]
    last = moves[moves["customer"].isin(redone)].drop_duplicates("customer", keep="last")
    last = last.set_index("customer")
    rows = []
    for n in np.flatnonzero(rewound & (final != stored)).tolist():
        customer = int(ids[n])
        if customer in last.index:
            rule, reason = last.at[customer, "rule"], last.at[customer, "reason"]
        else:
            rule = HISTORY_CHANGED
            reason = (
                f"Re-evaluated from {since[customer]:%Y-%m-%d}: an earlier-dated {cause} "
                "changed their history"
            )
        rows.append(
            {"customer": customer, "step": 0, "from_stage": stored[n], "to_stage": final[n],
             "rule": rule, "reason": reason}
        )  # fmt: skip
    if not rows:
        return kept
    return pd.concat([kept, pd.DataFrame(rows)], ignore_index=True)


def _store(
    moves: pd.DataFrame,
    last: pd.DataFrame,
    now: datetime,
    definition_id: int,
    cause: str,
    new: Any,
) -> None:
    with transaction.atomic():
        stages_upsert(
            last.rename(columns={"to_stage": "stage"}),
            entered_at=now,
            definition_id=definition_id,
            new=new,
        )
        transitions_append(moves, at=now, definition_id=definition_id, cause=cause)


STALE_RUN = timedelta(hours=2)
"""A queued or running whole-base recompute older than this no longer blocks a new one (its
worker died); a real one takes about a minute at a million customers."""


def lifecycle_recompute_queue(*, by: User | None) -> tuple[RecomputeRun, bool]:
    """Ask the worker to recompute the whole base and rescore health (admins and managers).

    Returns the ``queued`` run to follow and True, or the run already queued or running and
    False (a second click, a retried request): two whole-base runs at once would do the same
    work twice."""
    _require_recompute(by, True)
    with transaction.atomic():
        pending = (
            RecomputeRun.objects.select_for_update()
            .filter(
                scope="all",
                status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
                created_at__gte=timezone.now() - STALE_RUN,
            )
            .first()
        )
        if pending is not None:
            return pending, False
        run = RecomputeRun.objects.create(
            scope="all", status=RunStatus.QUEUED, definition=active_definition(), started_by=by
        )
        transaction.on_commit(
            lambda: async_task(
                "tenure.lifecycle.tasks.lifecycle_recompute_run",
                run.pk,
                task_name=f"lifecycle-recompute-{run.pk}",
            )
        )
    return run, True


def lifecycle_recompute_run(*, run_id: int) -> RecomputeRun | None:
    """Do a queued whole-base run: stages, then health, on one clock. None when another
    delivery of the job took it already; a failure is stored on the run with its reason."""
    claimed = RecomputeRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    )
    run = RecomputeRun.objects.filter(pk=run_id).first()
    if not claimed or run is None:
        return None
    try:
        result = lifecycle_recompute(run=run)
        health_recompute(now=result.as_of)
    except Exception as failure:  # a run must end, and say why
        logger.exception("lifecycle recompute run %s failed", run_id)
        run.status, run.error = RunStatus.FAILED, f"stopped on an error: {failure!r}"
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
    run.refresh_from_db()
    return run


def lifecycle_recompute_enqueue(
    *, customer_ids: list[int], cause: str, since: Mapping[int, datetime] | None = None
) -> None:
    """Queue one worker job that recomputes these customers (a large import's batch)."""
    ids = sorted({int(i) for i in customer_ids})
    async_task(
        "tenure.lifecycle.tasks.lifecycle_recompute_job",
        ids,
        cause,
        dict(since or {}),
        task_name=f"lifecycle-{cause}-{len(ids)}-{ids[0] if ids else 0}",
    )


def lifecycle_update(
    *, customer_ids: list[int], cause: str, since: Mapping[int, datetime] | None = None
) -> RecomputeResult:
    """After an event: recompute these customers now (from their stage as of ``since``, for
    those whose history changed in the past), then their health."""
    result = lifecycle_recompute(customer_ids=customer_ids, cause=cause, since=since)
    health_recompute(customer_ids=customer_ids, now=result.as_of)
    return result
