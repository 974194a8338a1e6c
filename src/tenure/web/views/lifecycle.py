"""The Lifecycle pages: the funnel and the flow between stages, one stage's customers, the
at-risk list with its one-click follow-up and how well health ranks (its backtest, adopting
fitted weights), and the churn audit (page and CSV).

Every figure comes from `tenure.lifecycle.selectors`, which count only the customers the user
may see (with ``?segment=``: only that segment's members now among them, ``segment_scope``);
every write is a `tenure.lifecycle.services` call, which applies the role policy
(a refused role gets its 403 from the service, as on the Analytics page). The charts read their
numbers from a JSON block (``json_script``), never from markup.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any, Literal

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from tenure.access import may, sees_all, visible
from tenure.analytics.audit import COLUMNS as AUDIT_COLUMNS
from tenure.analytics.audit import bands_in_words
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.periods import period_unfinished
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.domain.health import COMPONENTS, health_config_validate
from tenure.domain.lifecycle import UNSTAGED, LifecycleModel
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
from tenure.lifecycle.models import TransitionCause
from tenure.lifecycle.overview import Overview, overview
from tenure.todos.models import Task, TaskSource, TaskStatus
from tenure.transfer.csv_safety import cell_neutralise
from tenure.users.models import User
from tenure.web.forms import LifecycleForm
from tenure.web.views._render import signed_in_user, wants_fragment
from tenure.web.views.answer import answer_context, money_format
from tenure.web.views.drill_points import audit_links
from tenure.web.views.figures_cache import figures_cached
from tenure.web.views.pagination import page_number, paginate
from tenure.web.views.segment_scope import (
    SegmentRefused,
    SegmentScope,
    segment_refused,
    segment_scope,
)

PERIOD_COUNT = 12
AT_RISK_SHOWN = 100
# Roles a colour tells apart at a glance (the badge classes of tenure.css).
ROLE_BADGES = {
    "at_risk": "badge-amber",
    "lost": "badge-red",
    "won_back": "badge-green",
    "advocate": "badge-violet",
}


def _badge(model: LifecycleModel, key: str | None, default: str = "") -> str:
    return ROLE_BADGES.get(model.role_of(key) or "", default)


@login_required
@require_GET
def lifecycle(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    form = LifecycleForm(request.GET)
    period = form.period_or_default()
    context: dict[str, Any] = {
        "form": form,
        "period": period,
        "section": "lifecycle",
        "scope": scope,
        "sees_all": sees_all(user),
        "may_recompute": sees_all(user, Action.CHANGE),
        "runs": selectors.recompute_runs(),
        **figures_cached(
            "lifecycle",
            user=user,
            scope=scope,
            settings=period,
            compute=lambda: _figures(user, period, scope),
        ),
    }
    return render(request, "web/lifecycle/page.html", context)


def _figures(
    user: User, period: Literal["week", "month", "quarter"], scope: SegmentScope
) -> dict[str, Any]:
    """Every figure of the page (the part ``figures_cached`` keeps)."""
    counts = selectors.stage_counts(user=user, within=scope.within)
    # customers per stage over the whole history (every period since the first move)
    flow = selectors.stage_flow(user=user, period=period, count=None, within=scope.within)
    buckets = selectors.lifecycle_buckets_for(
        user=user,
        period=period,
        count=PERIOD_COUNT,
        within=scope.within,
    )
    names = {row.key: row.name for row in counts}
    total = sum(row.customers for row in counts)
    _definition, model = services.active_model()
    drill = _FlowDrill(period, scope.and_query)
    return {
        "overview": answer_context(_overview(user, period, scope.within)),
        "stages": [
            {
                "key": row.key,
                "name": row.name,
                "description": row.description,
                "customers": row.customers,
                "share": 100 * row.customers / total if total else None,
                "badge": _badge(model, row.key),
            }
            for row in counts
        ],
        "total": total,
        "steps": _steps(flow, names),
        "flow_rows": _flow_rows(flow, names, period, drill)[::-1],
        "bucket_rows": _bucket_rows(buckets, period, drill)[::-1],
        "charts": {
            "funnel": {
                "labels": [row.name for row in counts if row.key != UNSTAGED],
                "keys": [row.key for row in counts if row.key != UNSTAGED],
                "counts": [row.customers for row in counts if row.key != UNSTAGED],
                "url": reverse("web:lifecycle-stage", args=["__key__"]) + scope.query,
            },
            "flow": _flow_chart(flow, names, period, drill),
            "buckets": _buckets_chart(buckets, period, drill),
        },
    }


@login_required
@require_POST
def lifecycle_recompute(request: HttpRequest) -> HttpResponse:
    # Only admins and managers may move the whole base: the service refuses others (403). The
    # worker does it (about a minute at a million customers: too long for a request).
    run, queued = services.lifecycle_recompute_queue(by=signed_in_user(request))
    if queued:
        messages.success(
            request,
            "Recompute queued: the worker places every customer in their stage and rescores "
            "their health; this page shows the new figures when it is done.",
        )
    else:
        messages.info(request, f"A recompute is {run.get_status_display().lower()} already.")
    return redirect("web:lifecycle")


def _steps(flow: selectors.StageFlow, names: dict[str, str]) -> list[dict[str, Any]]:
    """The funnel over the main path with the median time in each of its stages, then the side
    stages' median times (no conversion: they are not steps)."""
    durations = {row.stage: row for row in flow.durations.itertuples(index=False)}
    rows = []
    for step in flow.conversion.itertuples(index=False):
        rows.append(
            {
                "key": step.stage,
                "name": names.get(step.stage, step.stage),
                "reached": int(step.reached),
                "conversion": _number(step.conversion),
                "overall": _number(step.overall),
                **_duration(durations.get(step.stage)),
            }
        )
    for key, duration in durations.items():
        if key not in flow.steps:
            rows.append(
                {"key": key, "name": names.get(key, key), "side": True, **_duration(duration)}
            )
    return rows


def _duration(row: Any) -> dict[str, Any]:
    if row is None:
        return {"median_days": None, "stays": 0, "open": 0}
    return {"median_days": _number(row.median_days), "stays": int(row.stays), "open": int(row.open)}


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


_BUCKETS = ("new", "returning", "resurrecting", "dormant")
_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q-DEC"}


class _FlowDrill:
    """Links to the customers behind a point of the flow and buckets charts
    (``web:analytics-drill``)."""

    def __init__(self, period: str, and_query: str) -> None:
        self.period, self.and_query = period, and_query

    def _url(self, params: dict[str, Any]) -> str:
        return f"{reverse('web:analytics-drill')}?{urlencode(params)}{self.and_query}"

    def stage(self, key: str, start: Any) -> str:
        day = pd.Timestamp(start).date()
        return self._url({"chart": "stage", "period": self.period, "stage": key, "start": day})

    def bucket(self, name: str, start: Any) -> str:
        day = pd.Timestamp(start).date()
        return self._url({"chart": "bucket", "period": self.period, "bucket": name, "start": day})


def _overview(user: User, period: str, within: Any) -> Overview:
    """The answer first: the last whole period of the page's kind against the one before (the
    running one is not compared: its moves are so far)."""
    last = pd.Period(timezone.localdate(), freq=_FREQ[period]) - 1
    before = last - 1

    def bounds(p: pd.Period) -> tuple[Any, Any]:
        return p.start_time.date(), p.end_time.date()

    return overview(
        user=user,
        bounds=bounds(last),
        previous_bounds=bounds(before),
        period=_named(last.start_time, period),
        previous=_named(before.start_time, period),
        within=within,
        money=money_format(),
    )


def _named(start: Any, period: str) -> str:
    """A period in a sentence: "Nov 2026", "2026 Q3", "the week of Nov 23"."""
    return f"the week of {_label(start, period)}" if period == "week" else _label(start, period)


PARTIAL = " (so far)"
"""Said after the label of a period that is not over: its figures are so far."""


def _label(start: Any, period: str, partial: bool = False) -> str:
    stamp = pd.Timestamp(start)
    if period == "quarter":
        text = f"{stamp:%Y} Q{(stamp.month - 1) // 3 + 1}"
    elif period == "week":
        text = f"{stamp:%b %d}"
    else:
        text = f"{stamp:%b %Y}"
    return text + PARTIAL if partial else text


def _flow_chart(
    flow: selectors.StageFlow, names: dict[str, str], period: str, drill: _FlowDrill
) -> dict[str, Any]:
    counts, last = flow.counts, len(flow.counts) - 1
    return {
        "labels": [
            _label(start, period, flow.partial and n == last)
            for n, start in enumerate(counts.index)
        ],
        "series": [
            {
                "key": key,
                "name": names.get(key, key),
                "counts": [int(n) for n in counts[key]],
                "urls": [drill.stage(key, start) for start in counts.index],
            }
            for key in counts.columns
        ],
        "partial": bool(flow.partial and len(counts)),
    }


def _flow_rows(
    flow: selectors.StageFlow, names: dict[str, str], period: str, drill: _FlowDrill
) -> list[dict[str, Any]]:
    last = len(flow.counts) - 1
    return [
        {
            "label": _label(start, period, flow.partial and n == last),
            "partial": flow.partial and n == last,
            "counts": [
                (int(row[key]), names.get(key, key), drill.stage(key, start))
                for key in flow.counts.columns
            ],
        }
        for n, (start, row) in enumerate(flow.counts.iterrows())
    ]


def _bucket_rows(buckets: pd.DataFrame, period: str, drill: _FlowDrill) -> list[dict[str, Any]]:
    today = timezone.localdate()
    rows = []
    for row in buckets.itertuples(index=False):
        start = pd.Timestamp(row.period).date()
        partial = period_unfinished(start, period, data_end=today, today=today)
        rows.append(
            {
                "label": _label(row.period, period, partial),
                "partial": partial,
                "new": int(row.new),
                "returning": int(row.returning),
                "resurrecting": int(row.resurrecting),
                "dormant": int(row.dormant),
                "active": int(row.active),
                "urls": {name: drill.bucket(name, start) for name in _BUCKETS},
            }
        )
    return rows


def _buckets_chart(buckets: pd.DataFrame, period: str, drill: _FlowDrill) -> dict[str, Any]:
    rows = _bucket_rows(buckets, period, drill)
    chart: dict[str, Any] = {"labels": [row["label"] for row in rows]}
    for name in _BUCKETS:
        chart[name] = [row[name] for row in rows]
        chart[f"{name}_urls"] = [row["urls"][name] for row in rows]
    chart["partial"] = [row["partial"] for row in rows]
    return chart


# --- one stage's customers -------------------------------------------------------------------


def _stage_customers(user: User, key: str, scope: SegmentScope) -> QuerySet[Customer]:
    customers = visible(user, Customer).select_related("owner", "lifecycle_stage", "health")
    if scope.within is not None:
        customers = customers.filter(pk__in=scope.within)
    if key == UNSTAGED:
        return customers.filter(lifecycle_stage__isnull=True).order_by("-created_at", "-pk")
    return customers.filter(lifecycle_stage__stage=key).order_by(
        "-lifecycle_stage__entered_at", "-pk"
    )


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def lifecycle_stage(request: HttpRequest, key: str) -> HttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    counts = selectors.stage_counts(user=user, within=scope.within)
    stage = next((row for row in counts if row.key == key), None)
    if stage is None:
        raise Http404("No such stage.")
    page = paginate(_stage_customers(user, key, scope), number=page_number(request.GET.get("page")))
    _definition, model = services.active_model()
    context = {
        "stage": stage,
        "scope": scope,
        "badge": _badge(model, key),
        "page": page,
        "section": "lifecycle",
    }
    if wants_fragment(request, "results"):
        return render(request, "web/lifecycle/_stage_results.html", context)
    return render(request, "web/lifecycle/stage.html", context)


# --- the at-risk list ------------------------------------------------------------------------


def _open_follow_ups(user: User, customer_ids: list[int]) -> dict[int, int]:
    """Customer id -> the id of an open task about them the user may see (the at-risk
    follow-up first)."""
    tasks = (
        visible(user, Task)
        .filter(customer_id__in=customer_ids, status=TaskStatus.OPEN)
        .order_by("customer_id", "-pk")
        .values_list("customer_id", "pk", "source")
    )
    found: dict[int, int] = {}
    for customer_id, task_id, source in tasks:
        if customer_id not in found or source == TaskSource.AT_RISK:
            found[customer_id] = task_id
    return found


@login_required
@require_GET
def at_risk(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    widen = request.GET.get("include") == "churned"
    # The ranking reads every at-risk customer's figures: kept while the data is unchanged
    # (the follow-ups beside it are read on every request, they change from this page).
    rows = figures_cached(
        "at-risk",
        user=user,
        scope=scope,
        settings=widen,
        compute=lambda: selectors.at_risk_list(
            user=user, limit=AT_RISK_SHOWN, include_lost=widen, within=scope.within
        ),
    )
    tasks = _open_follow_ups(user, [row.customer_id for row in rows])
    _definition, model = services.active_model()
    names = {stage.key: stage.name for stage in model.stages}
    context = {
        "rows": [
            {
                "row": row,
                "task_id": tasks.get(row.customer_id),
                "stage_name": names.get(row.stage, row.stage),
            }
            for row in rows
        ],
        "widen": widen,
        "scope": scope,
        "sees_all": sees_all(user),
        "may_change": may(user, Action.CHANGE),
        "at_stake": sum(row.value_at_stake for row in rows),
        "ranking": ranking_backtest(user=user),
        "health": _health_ranks(user),
        "followed": len(tasks),
        "shown": AT_RISK_SHOWN,
        "section": "lifecycle",
    }
    return render(request, "web/lifecycle/at_risk.html", context)


def _health_ranks(user: User) -> dict[str, Any] | None:
    """The latest health backtest and the weights (default, fitted, in use), for the roles that
    see every customer (its figures describe the whole base); None for the others."""
    if not sees_all(user, Action.VIEW):
        return None
    run = health_backtest_latest(user=user)
    in_use, adopted = health_config_active(), health_definition_active()
    defaults = health_config_validate()
    fitted = (run.fitted_weights or {}) if run else {}
    weights = [
        {
            "label": COMPONENTS[key].label,
            "default": defaults.params[key]["weight"],
            "fitted": fitted.get(key),
            "in_use": in_use.params[key]["weight"],
        }
        for key in COMPONENTS
        if defaults.params[key]["weight"] or in_use.params[key]["weight"]
    ]
    return {
        "run": run,
        "rows": run.figures.get("rows", []) if run else [],
        "fit_note": run.figures.get("fit_note", "") if run else "",
        "weights": weights,
        "source": adopted.get_source_display() if adopted else "default weights",
        "adopted": adopted,
        "may_run": sees_all(user, Action.CHANGE),
        "may_adopt": may(user, Action.ADMINISTER),
    }


@login_required
@require_POST
def health_backtest_create(request: HttpRequest) -> HttpResponse:
    """Run the health backtest in the request (seconds for ten thousand customers); admins and
    managers (the service refuses the others with 403)."""
    run = health_backtest_run(by=signed_in_user(request))
    if run.reason:
        messages.warning(request, f"No health backtest could be run: {run.reason}.")
    else:
        messages.success(request, "Health backtest done: its figures are below.")
    return redirect(reverse("web:lifecycle-at-risk") + "#health-backtest")


@login_required
@require_POST
def health_adopt(request: HttpRequest, run_id: int) -> HttpResponse:
    """Use a health backtest's fitted weights and rescore everyone (admins: the service
    refuses the others with 403)."""
    try:
        _adopted, rescored = health_weights_adopt(by=signed_in_user(request), run_id=run_id)
    except InvalidInputError as error:
        messages.error(request, f"The weights were not changed: {error.reason}.")
    else:
        messages.success(
            request,
            f"Health now uses the fitted weights: {rescored.customers:,} customers rescored.",
        )
    return redirect(reverse("web:lifecycle-at-risk") + "#health-backtest")


@login_required
@require_POST
def health_reset(request: HttpRequest) -> HttpResponse:
    """Go back to the default weights and rescore everyone (admins)."""
    _reset, rescored = health_weights_reset(by=signed_in_user(request))
    messages.success(
        request,
        f"Health uses the default weights again: {rescored.customers:,} customers rescored.",
    )
    return redirect(reverse("web:lifecycle-at-risk") + "#health-backtest")


@login_required
@require_POST
@vary_on_headers("HX-Request", "HX-Target")
def follow_up_create(request: HttpRequest, customer_id: int) -> HttpResponse:
    """One click: the customer's open at-risk follow-up, created when there is none (the
    service is idempotent: a double click opens one task). 403 for a role that changes
    nothing, 404 for a customer outside the user's book."""
    task = services.task_from_at_risk(by=signed_in_user(request), customer_id=customer_id)
    if wants_fragment(request, f"follow-up-{customer_id}"):
        context = {"customer_id": customer_id, "task_id": task.pk, "created": True}
        return render(request, "web/lifecycle/_follow_up.html", context)
    messages.success(request, f"Follow-up task “{task.title}” is open, due {task.due:%b %-d}.")
    return redirect(reverse("web:lifecycle-at-risk") + f"#customer-{customer_id}")


# --- churn audit -----------------------------------------------------------------------------

AUDIT_CSV_COLUMNS = AUDIT_COLUMNS


def _audit_rows(result: pd.DataFrame) -> list[dict[str, Any]]:
    frame = result.astype(object).where(result.notna(), None)
    return [dict(row) for row in frame.to_dict(orient="records")]


@login_required
@require_GET
def churn_audit(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    context = {
        "section": "lifecycle",
        "scope": scope,
        "sees_all": sees_all(user),
        **figures_cached(
            "churn-audit",
            user=user,
            scope=scope,
            settings=None,
            compute=lambda: _audit_figures(user, scope),
        ),
    }
    return render(request, "web/lifecycle/churn_audit.html", context)


def _audit_figures(user: User, scope: SegmentScope) -> dict[str, Any]:
    """The audit and its chart (the part ``figures_cached`` keeps)."""
    result = churn_audit_for(user=user, within=scope.within)
    # each tested row (a bar) links the churned customers it stands for
    rows = audit_links(_audit_rows(result), result.attrs["members"], scope.and_query)
    tested = [row for row in rows if row["effect_size"] is not None]
    return {
        "rows": rows,
        "unavailable": result.attrs["note"],
        "churned": result.attrs["churned"],
        "retained": result.attrs["retained"],
        "alpha": result.attrs["alpha"],
        "summary": result.attrs["summary"],
        "left_out": result.attrs["left_out"],
        "significant": sum(1 for row in rows if row["significant"] is True),
        "charts": {
            "audit": {
                "labels": [row["label"] for row in tested],
                "effects": [float(row["effect_size"]) for row in tested],
                "significant": [row["significant"] is True for row in tested],
                "measures": [row["effect_measure"] or "" for row in tested],
                "customers": [row["customers"] for row in tested],
                "urls": [row["url"] for row in tested],
            }
        },
    }


def _csv_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return cell_neutralise(value) if isinstance(value, str) else value


@login_required
@require_GET
def churn_audit_csv(request: HttpRequest) -> HttpResponse:
    """The audit table as CSV, for the page's segment too; text cells formula-safe
    (``tenure.transfer.csv_safety``), as in ``tenure churn audit --csv``."""
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    result = churn_audit_for(user=user, within=scope.within)
    for row in result[AUDIT_CSV_COLUMNS].itertuples(index=False):
        writer.writerow([_csv_cell(bands_in_words(value)) for value in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    named = f"-{scope.chosen.slug}" if scope.chosen else ""
    filename = f"churn-audit{named}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- the customer page's Lifecycle card ------------------------------------------------------

HISTORY_SHOWN = 12
_TRENDS = {1: ("↑", "trend-up", "improving"), -1: ("↓", "trend-down", "worsening")}


def customer_lifecycle_card(*, user: User, customer_id: int) -> dict[str, Any]:
    """What the customer page's Lifecycle card shows: the stage now, since when and why, health
    with its band, trend arrow and drivers, and the moves, newest first, with rule, reason and
    what set them off."""
    found = selectors.customer_stage_history(user=user, customer_id=customer_id)
    _definition, model = services.active_model()
    names = {stage.key: stage.name for stage in model.stages}
    causes = dict(TransitionCause.choices)
    moves = [
        {
            "from": names.get(move.from_stage, move.from_stage) if move.from_stage else "",
            "to": names.get(move.to_stage, move.to_stage),
            "at": move.effective_at,
            "recorded_at": move.recorded_at,
            "rule": move.rule,
            "reason": move.reason,
            "cause": causes.get(move.cause, move.cause),
        }
        for move in reversed(found.transitions[-HISTORY_SHOWN:])
    ]
    health = found.health
    arrow, trend_class, trend_words = _TRENDS.get(
        health.trend if health else 0, ("→", "trend-flat", "steady")
    )
    return {
        "stage": found.stage,
        "stage_name": found.stage_name,
        "badge": _badge(model, found.stage.stage, "badge-blue") if found.stage else "",
        "moves": moves,
        "moves_total": len(found.transitions),
        "health": health,
        "trend": {"arrow": arrow, "class": trend_class, "words": trend_words},
    }
