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
from dataclasses import dataclass, field
from datetime import datetime
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
) -> RecomputeResult:
    """Place customers in their stages as of ``now`` (default: this moment).

    ``customer_ids=None`` recomputes the whole base (admins and managers; ``by=None`` is the
    operator or the nightly job) and records a ``RecomputeRun`` with the population's median
    gap; a list recomputes those customers (of them, the ones ``by`` may change), with the
    latest stored median gap. ``cause`` is stored with every transition it makes.
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
        outcome = _recompute_chunk(part, now, definition, model, median, cause, orders)
        customers += outcome.customers
        moved += outcome.moved
        stored += outcome.transitions
        counts.update(outcome.counts)
        moves.update(outcome.moves)
    order = [*model.stage_keys, UNSTAGED]
    ordered = {key: counts[key] for key in order if counts[key]}
    seconds = time.perf_counter() - began
    run = None
    if whole:
        run = RecomputeRun.objects.create(
            scope="all", cause=cause, as_of=now, definition=definition, customers=customers,
            moved=moved, counts=ordered, median_gap_days=median, duration_seconds=seconds,
            started_by=by,
        )  # fmt: skip
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
) -> _ChunkOutcome:
    needed = set(model.facts_used)
    facts = facts_frame(chunk=chunk, now=now, needed=needed, median_gap_days=median, orders=orders)
    ids = facts.index.to_numpy(dtype=np.int64)
    stored = _current_stages(chunk, ids)
    # A stage the active definition no longer has (after an edit): the customer starts from no
    # stage, and the move records the stage they really left.
    known = np.isin(stored, np.array(model.stage_keys, dtype=object)) | pd.isna(stored)
    current = stored.copy()
    current[~known] = None
    evaluation = lifecycle_evaluate(model, facts, current)
    final = evaluation.stage_keys()
    counts = Counter(UNSTAGED if key is None else key for key in final.tolist())
    moves = evaluation.transitions(reasons=True)
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
    moved = int(evaluation.changed.sum())
    return _ChunkOutcome(len(ids), moved, len(moves), counts, Counter(moves["rule"].tolist()))


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


def lifecycle_recompute_enqueue(*, customer_ids: list[int], cause: str) -> None:
    """Queue one worker job that recomputes these customers (a large import's batch)."""
    ids = sorted({int(i) for i in customer_ids})
    async_task(
        "tenure.lifecycle.tasks.lifecycle_recompute_job",
        ids,
        cause,
        task_name=f"lifecycle-{cause}-{len(ids)}-{ids[0] if ids else 0}",
    )


def lifecycle_update(*, customer_ids: list[int], cause: str) -> RecomputeResult:
    """After an event: recompute these customers now, then their health."""
    result = lifecycle_recompute(customer_ids=customer_ids, cause=cause)
    health_recompute(customer_ids=customer_ids, now=result.as_of)
    return result
