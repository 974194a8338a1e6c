"""Writes of the lifecycle engine: recompute stages (the whole base or a few customers),
store and activate definitions; health scores (``tenure.lifecycle.health``) and tasks
(``tenure.lifecycle.followups``) are re-exported here, so every write is a
``tenure.lifecycle.services`` function.

One function places customers in their stages, whichever set of them: the nightly (or on
demand) recompute of the whole base and the update after an event run the same replay
(``tenure.lifecycle.replaying.chunk_replay``: the history from ``tenure.lifecycle.timelines``,
the engine run at every moment a stage could change, ``tenure.domain.lifecycle.replay``) over
different ids, so they agree by construction, and every move is dated when it happened in the
customer's history. Each chunk of up to 100,000 customers is written in one transaction: the
moves a corrected history no longer gives (superseded, kept), the new moves (COPY on
PostgreSQL) and the stages that changed (an upsert).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django_q.tasks import async_task

from tenure.access import AccessDenied, get_visible_or_404, require, sees_all, visible
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.domain.lifecycle import (
    UNSTAGED,
    DefinitionError,
    LifecycleModel,
    definition_validate,
    preset_definition,
)
from tenure.domain.lifecycle.timeline import Series, purchase_gaps
from tenure.domain.limits import text_problem
from tenure.events.reading import end_position
from tenure.jobs.services import run_start
from tenure.lifecycle.facts import (
    all_customer_ids,
    chunks,
    median_of_gaps,
    stored_median_gap,
)
from tenure.lifecycle.followups import complaint_follow_up, task_from_at_risk
from tenure.lifecycle.health import HealthResult, health_recompute
from tenure.lifecycle.models import (
    RECOMPUTE_RUN,
    CustomerStage,
    LifecycleDefinition,
    ManualMove,
    RecomputeRun,
    RunStatus,
    TransitionCause,
)
from tenure.lifecycle.pipeline import chunks_replay, pipelined
from tenure.lifecycle.replaying import ChunkOutcome, Plan, chunk_replay
from tenure.lifecycle.timelines import order_series
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
    "task_from_at_risk",
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
    ``transitions``: moves stored (a customer may move several times in one run);
    ``superseded``: stored moves a replay replaced; ``checkpoints``: the moments the engine
    was run at, over all customers (what a replay costs)."""

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
    superseded: int = 0
    checkpoints: int = 0


def recompute_require(by: User | None, whole_base: bool) -> None:
    """Raise ``AccessDenied`` unless ``by`` may recompute (the whole base: admins, managers)."""
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
    from_scratch: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> RecomputeResult:
    """Place customers in their stages as of ``now`` (default: this moment), every move dated
    when it happened in the customer's history.

    Each customer is replayed (``tenure.domain.lifecycle.replay``) from where they were last
    evaluated to ``now``: the rules are tried at every event and at every moment a rule on the
    clock comes true, and each move is stored with that moment (``effective_at``) and ``now``
    (``recorded_at``). See ``tenure.lifecycle.replaying`` for where a replay starts.

    ``customer_ids=None`` recomputes the whole base (admins and managers; ``by=None`` is the
    operator or the nightly job) and records a ``RecomputeRun`` with the population's median
    gap; a list recomputes those customers (of them, the ones ``by`` may change), with the
    latest stored median gap. ``cause`` is stored with every transition it makes.

    ``since`` (customer id -> datetime) marks customers whose history changed from that moment
    on (a back-dated order, an import batch): they are replayed from the stage they stood in
    then, and their stored moves after it that the replay does not give again are superseded
    (kept, marked), so the effective history never depends on the order in which the history
    arrived. ``from_scratch``: replay every customer from the start of their history.

    ``run``: the queued ``RecomputeRun`` a worker is doing (``lifecycle_recompute_queue``),
    filled in instead of a new one. ``on_progress(customers done, customers in all)`` after
    each chunk.
    """
    began = time.perf_counter()
    now = now or timezone.now()
    if cause not in TransitionCause.values:
        raise ValueError(f"unknown cause {cause!r}: one of {', '.join(TransitionCause.values)}")
    whole = customer_ids is None
    recompute_require(by, whole)
    definition, model = active_model()
    last = RecomputeRun.objects.filter(scope="all", status=RunStatus.DONE, as_of__isnull=False)
    last_run = last.order_by("-created_at", "-id").values_list("as_of", flat=True).first()
    orders: list[Series | None]
    if whole:
        parts = list(chunks(all_customer_ids()))
        read_at = end_position()  # what the follower may place customers on after the read
        read = [order_series(part, part.ids, now) for part in parts]
        median = median_of_gaps(
            [purchase_gaps(series, part.ids.size) for series, part in zip(read, parts, strict=True)]
        )
        orders = list(read)
    else:
        ids = np.asarray(list(customer_ids), dtype=np.int64)
        if by is not None and not sees_all(by, Action.CHANGE):
            allowed = visible(by, Customer, Action.CHANGE).filter(pk__in=ids.tolist())
            ids = np.asarray(list(allowed.values_list("pk", flat=True)), dtype=np.int64)
        parts = list(chunks(ids))
        orders = [None] * len(parts)
        read_at = None
        median = stored_median_gap(now) if parts else None
    plan = Plan(
        now=now, model=model, definition_id=definition.pk, cause=cause, median_gap_days=median,
        since=since or {}, last_run=None if from_scratch else last_run,
        from_scratch=from_scratch, lock=not whole, orders_read_at=read_at,
    )  # fmt: skip
    counts: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    customers = moved = stored = superseded = checkpoints = 0
    everyone = sum(part.ids.size for part in parts)

    def report(outcome: ChunkOutcome) -> None:
        nonlocal customers, moved, stored, superseded, checkpoints
        customers += outcome.customers
        moved += outcome.moved
        stored += outcome.transitions
        superseded += outcome.superseded
        checkpoints += outcome.checkpoints
        counts.update(outcome.counts)
        moves.update(outcome.moves)
        if on_progress is not None:
            on_progress(customers, everyone)

    if whole and pipelined(len(parts)):
        chunks_replay(plan, parts, orders, report)
    else:
        for part, series in zip(parts, orders, strict=True):
            report(chunk_replay(plan, part, series))
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
        run_id=run.pk if run else None, moves=dict(moves), superseded=superseded,
        checkpoints=checkpoints,
    )  # fmt: skip


def lifecycle_recompute_queue(*, by: User | None) -> tuple[RecomputeRun, bool]:
    """Ask the worker to recompute the whole base and rescore health (admins and managers).

    Returns the ``queued`` run to follow and True, or the run already queued or running and
    False (a second click, a retried request): two whole-base runs at once would do the same
    work twice. A run whose worker died is ended first (``tenure.jobs``), never answered."""
    recompute_require(by, True)
    with transaction.atomic():
        run, new = run_start(kind=RECOMPUTE_RUN, by=by, args={"health": True}, exclusive=True)
        if not new:
            return RecomputeRun.objects.get(run=run), False
        recompute = RecomputeRun.objects.create(
            run=run,
            scope="all",
            status=RunStatus.QUEUED,
            definition=active_definition(),
            started_by=by,
        )
    return recompute, True


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


MOVE_REASON_MAX = 500


def customer_stage_move(
    *, by: User, customer_id: int, stage: str, reason: str, now: datetime | None = None
) -> CustomerStage | None:
    """Put a customer in ``stage`` by hand, saying why (the board's drag, the API).

    The move is an event of the customer's history (``ManualMove``): it is replayed at once
    and by every later replay, so it holds until something next happens to the customer, and
    the rules take over from there. Stored as a move by the rule "by-hand" with the reason and
    who made it, announced as ``stage.left``/``stage.entered`` like any move. A customer the
    user may not change is a 404, as one that does not exist; a stage the active definition
    lacks or a missing reason is a ``ValidationError`` on its field.
    """
    customer = get_visible_or_404(by, Customer, Action.CHANGE, pk=customer_id)
    _, model = active_model()
    errors: dict[str, str] = {}
    if stage not in model.stage_keys:
        errors["stage"] = f"no stage {stage!r} in the active definition: one of " + ", ".join(
            model.stage_keys
        )
    reason = reason.strip()
    problem = text_problem(reason, max_length=MOVE_REASON_MAX) if reason else "say why"
    if problem:
        errors["reason"] = problem
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        ManualMove.objects.create(customer=customer, stage=stage, at=now, reason=reason, by=by)
        lifecycle_update(
            customer_ids=[customer.pk], cause=TransitionCause.MANUAL, since={customer.pk: now}
        )
    return CustomerStage.objects.filter(customer=customer).first()
