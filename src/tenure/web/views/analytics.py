"""The Analytics page: retention over time, cohorts, CLV and the models' fit; and the refit button.

Every figure comes from `tenure.insights.selectors`, which count only the customers the user may
see, and with ``?segment=`` only that segment's members now among them (``segment_scope``). The
charts read their numbers from a JSON block (``json_script``), never from markup.
"""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter
from typing import Any

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tenure.access import sees_all
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.periods import period_unfinished
from tenure.insights import selectors, services
from tenure.insights.contracts import SurvivalProjection, contract_figures, renewal_survival
from tenure.insights.models import FitStatus, ModelFit
from tenure.insights.reading import orders_read_once
from tenure.lifecycle.overview import Overview, overview
from tenure.users.models import User
from tenure.web.forms import AnalyticsForm, AnalyticsSettings
from tenure.web.views._render import signed_in_user
from tenure.web.views.answer import answer_context, money_format
from tenure.web.views.drill import CLV_BINS
from tenure.web.views.drill_points import MODEL_CHECK_TOP, drill_url
from tenure.web.views.figures_cache import figures_cached
from tenure.web.views.segment_scope import (
    SegmentRefused,
    SegmentScope,
    segment_refused,
    segment_scope,
)

# Cohort cells shaded in ten steps of retention rate (CSS classes heat-0 .. heat-10).
_HEAT_STEPS = 10


@login_required
@require_GET
def analytics(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    form = AnalyticsForm(request.GET)
    settings = form.settings()
    latest = selectors.latest_fit()
    context: dict[str, Any] = {
        "form": form,
        "section": "analytics",
        "settings": settings,
        "scope": scope,
        "latest_fit": latest,
        "models": _models(latest) if latest and sees_all(user) else [],
        "fits": selectors.fits_recent(limit=5) if sees_all(user) else [],
        "sees_all": sees_all(user),
        "may_fit": services.may_fit(user),
        "fit_pending": any(
            fit.status in (FitStatus.QUEUED, FitStatus.RUNNING)
            for fit in selectors.fits_recent(limit=3)
        ),
    }
    context.update(
        figures_cached(
            "analytics",
            user=user,
            scope=scope,
            settings=settings,
            compute=lambda: analytics_figures(user, settings, scope),
        )
    )
    return render(request, "web/analytics/page.html", context)


def analytics_figures(
    user: User, settings: AnalyticsSettings, scope: SegmentScope
) -> dict[str, Any]:
    """Every figure of the page (the part ``figures_cached`` keeps): the same for any request
    of this book, settings, day and data. The home dashboard shows some of them, from the same
    cache entry. The figures share one read of the orders."""
    with orders_read_once():
        return _figures(user, settings, scope)


def _figures(user: User, settings: AnalyticsSettings, scope: SegmentScope) -> dict[str, Any]:
    within = scope.within
    figures: dict[str, Any] = {}
    try:
        shown = selectors.retention_series(
            user=user,
            period=settings.period,
            count=settings.count,
            end=settings.end,
            rule=settings.rule,
            within=within,
            so_far=True,
        )
    except InvalidInputError as error:  # a P(alive) rule before any fit, say
        figures["rule_error"] = error.reason
        shown = []
    # The whole periods are the figures; the running one is drawn dashed, "so far".
    series = [one for one in shown if not one.partial]
    cohorts = selectors.cohort_table(
        user=user,
        period=settings.cohort_period,
        kind=settings.cohort_kind,
        count_periods=12,
        end=settings.end,
        retention_type=settings.retention_type,
        within=within,
    )
    orders = selectors.order_metrics(
        user=user, period=settings.cohort_period, count=12, end=settings.end, within=within
    )
    distribution = selectors.clv_distribution(user=user, bins=CLV_BINS, within=within)
    recency = selectors.p_alive_by_recency(user=user, within=within)
    check = selectors.fit_check(user=user, top=MODEL_CHECK_TOP, within=within)
    current = series[-1] if series else None
    contracts = (
        contract_figures(user=user, start=current.start, end=current.end, within=within)
        if current
        else None
    )
    survival = _survival(user, settings.end, within)
    drill = _Drill(settings, scope.and_query)
    charts = {
        **_chart_data(settings.period, shown, distribution, recency, check, drill),
        "survival": _survival_chart(survival, drill),
    }
    figures.update(
        overview=answer_context(_overview(user, settings, series, within)),
        series=series,
        series_rows=[
            (_period_label(f.start, settings.period, f.partial), f, drill.retention(f))
            for f in reversed(shown)
        ],
        current=current,
        contracts=contracts,
        survival=survival,
        cohort_rows=_cohort_rows(cohorts, settings.cohort_period, settings.end, drill),
        order_rows=_order_rows(orders, settings.cohort_period, settings.end),
        cohort_periods=list(range(12)),
        top=selectors.clv_top(user=user, n=20, within=within),
        distribution=distribution,
        clv_above_url=drill.clv(CLV_BINS),
        charts=charts,
        # the bars' customers as links, for keyboards and screen readers (the canvas is an image)
        clv_bars=_bars(charts["clv"], "counts"),
        recency_bars=_bars(charts["recency"], "customers"),
        fit_bars=_bars(charts["fit"], "actual") if charts["fit"] else [],
        survival_points=_bars(charts["survival"], "customers") if charts["survival"] else [],
    )
    return figures


def _bars(chart: dict[str, Any], counts: str) -> list[dict[str, Any]]:
    # as many as there are links: the survival's projected points open nobody (the model's)
    labels = chart["labels"][: len(chart["urls"])]
    return [
        {"label": label, "customers": customers, "url": url}
        for label, customers, url in zip(labels, chart[counts], chart["urls"], strict=True)
    ]


@login_required
@require_POST
def analytics_refit(request: HttpRequest) -> HttpResponse:
    # Another role gets a 403 (AccessDenied) from the service, as everywhere else.
    fit = services.clv_fit_enqueue(by=signed_in_user(request))
    messages.success(
        request, f"Refit #{fit.pk} is queued; the worker will replace the predictions."
    )
    return redirect("web:analytics")


def _models(fit: ModelFit) -> list[tuple[str, list[selectors.FitParameter]]]:
    """The fit's parameters grouped by model, in the papers' order."""
    rows = selectors.fit_parameters(fit)
    return [(model, list(group)) for model, group in groupby(rows, key=attrgetter("model"))]


def _unfinished(start: Any, period: str, end: Any) -> bool:
    """Whether the period starting on ``start`` is not over in figures that end on ``end``
    (None: today): shown as partial, its figures so far."""
    today = timezone.localdate()
    return period_unfinished(pd.Timestamp(start).date(), period, data_end=end or today, today=today)


def _order_rows(orders: pd.DataFrame, period: str, end: Any) -> list[dict[str, Any]]:
    rows = orders.iloc[::-1].to_dict("records")
    for row in rows:
        row["partial"] = _unfinished(row["period"], period, end)
    return rows


def _cohort_rows(table: pd.DataFrame, period: str, end: Any, drill: _Drill) -> list[dict[str, Any]]:
    """One row per cohort: its size and, per period since acquisition, the rate and its shade
    (``partial``: that period is not over, the rate is so far)."""
    freq = {"week": "W-SUN", "month": "M", "quarter": "Q-DEC"}[period]
    rows: list[dict[str, Any]] = []
    for cohort, cells in table.groupby("cohort", sort=True):
        by_period = {int(cell.period): cell for cell in cells.itertuples(index=False)}
        first = next(iter(by_period.values()))
        start = pd.Period(pd.Timestamp(str(cohort)), freq=freq)
        day = pd.Timestamp(str(cohort)).date()
        rows.append(
            {
                "cohort": day,
                "customers": int(first.customers),
                "url": drill.cohort(day, -1),
                "cells": [
                    {
                        "rate": float(by_period[k].rate),
                        "active": int(by_period[k].active),
                        "heat": round(float(by_period[k].rate) / 100 * _HEAT_STEPS),
                        "partial": _unfinished((start + k).start_time, period, end),
                        "url": drill.cohort(day, k),
                    }
                    if k in by_period
                    else None
                    for k in range(12)
                ],
            }
        )
    return rows


def _survival(user: Any, as_of: Any, within: Any) -> SurvivalProjection:
    """Renewal cohorts by year, or by quarter or month when yearly renewals are too few yet
    to fit (a young business, or monthly plans): the first interval that fits."""
    for interval in ("year", "quarter", "month"):
        tried = renewal_survival(user=user, as_of=as_of, interval=interval, within=within)
        if tried.pooled is not None and tried.pooled.fitted:
            return tried
    return renewal_survival(user=user, as_of=as_of, interval="year", within=within)


def _survival_chart(survival: SurvivalProjection, drill: _Drill) -> dict[str, Any] | None:
    """Observed (pooled cohorts) and sBG-projected share still subscribed, per renewal; each
    observed point opens the subscribers it counts (the cohorts' survivors at that renewal)."""
    pooled = survival.pooled
    if pooled is None or not pooled.fitted:
        return None
    observed = range(len(pooled.observed_pct))
    survivors = [sum(row.survivors for row in survival.rows if row.period == t) for t in observed]
    return {
        "labels": [str(t) for t in range(len(pooled.survival_pct))],
        "observed": list(pooled.observed_pct),
        "projected": list(pooled.survival_pct),
        "customers": survivors,
        "urls": [drill.survival(survival.interval, t, survival.as_of) for t in observed],
    }


SO_FAR = " (so far)"
"""Said after the label of a period that is not over: its figures are so far."""


def _period_label(start: Any, period: str, partial: bool = False) -> str:
    if period == "year":
        text = f"{start:%Y}"
    elif period == "quarter":
        text = f"{start:%Y} Q{(start.month - 1) // 3 + 1}"
    else:
        text = f"{start:%b %Y}"
    return text + SO_FAR if partial else text


class _Drill:
    """Links to the customers behind a point (``web:analytics-drill``), with the page's
    settings, so the list is the figure's own."""

    def __init__(self, settings: AnalyticsSettings, and_query: str) -> None:
        self.settings, self.and_query = settings, and_query
        rule = settings.rule
        self.rule = {
            "rule": rule.kind, "gap_multiple": rule.gap_multiple,
            "p_alive_threshold": rule.p_alive_threshold, "days": rule.days,
        }  # fmt: skip

    def _url(self, params: dict[str, Any]) -> str:
        return drill_url(params, self.and_query)

    def retention(self, figures: selectors.RetentionFigures) -> dict[str, str]:
        days = {"chart": "retention", "start": figures.start, "end": figures.end, **self.rule}
        return {part: self._url({**days, "part": part}) for part in ("retained", "lost", "joined")}

    def clv(self, bar: int) -> str:
        """A bar of the CLV histogram (``CLV_BINS``: those above the last one)."""
        return self._url({"chart": "clv", "bar": bar, "bins": CLV_BINS})

    def recency(self, low_days: int) -> str:
        return self._url({"chart": "recency", "low_days": low_days})

    def repeat(self, repeat: int, top: int) -> str:
        """An "actual" bar of the model check (``top``: that many repeat purchases or more)."""
        return self._url({"chart": "repeat", "repeat": repeat, "top": top})

    def survival(self, interval: str, renewals: int, as_of: Any) -> str:
        """A point of the observed renewal survival."""
        params = {"chart": "survival", "interval": interval, "renewals": renewals}
        return self._url({**params, "as_of": as_of})

    def cohort(self, cohort: Any, k: int) -> str:
        settings = self.settings
        return self._url(
            {
                "chart": "cohort",
                "cohort": cohort,
                "k": k,
                "cohort_period": settings.cohort_period,
                "cohort_kind": settings.cohort_kind,
                "retention_type": settings.retention_type,
                "end": settings.end or timezone.localdate(),
            }
        )


def _overview(
    user: Any, settings: AnalyticsSettings, series: list[selectors.RetentionFigures], within: Any
) -> Overview | None:
    """The answer first: the last whole period against the one before, from the series shown."""
    if len(series) < 2:
        return None
    old, new = series[-2], series[-1]
    return overview(
        user=user,
        bounds=(new.start, new.end),
        previous_bounds=(old.start, old.end),
        period=_period_label(new.start, settings.period),
        previous=_period_label(old.start, settings.period),
        retention=(old, new),
        within=within,
        money=money_format(),
    )


def _chart_data(
    period: str,
    series: list[selectors.RetentionFigures],
    distribution: selectors.ClvDistribution,
    recency: list[selectors.RecencyBucket],
    check: Any,
    drill: _Drill,
) -> dict[str, Any]:
    links = [drill.retention(figures) for figures in series]
    return {
        "retention": {
            "labels": [_period_label(f.start, period, f.partial) for f in series],
            "retention": [figures.retention_rate for figures in series],
            "churn": [figures.churn_rate for figures in series],
            "partial": [figures.partial for figures in series],
            # a Retention point opens who stayed, a Churn point who was lost
            "retained_urls": [link["retained"] for link in links],
            "lost_urls": [link["lost"] for link in links],
        },
        "clv": {
            "labels": [
                f"{low:,.0f} to {high:,.0f}"
                for low, high in zip(distribution.edges, distribution.edges[1:], strict=False)
            ],
            "counts": distribution.counts,
            "urls": [drill.clv(bar) for bar in range(len(distribution.counts))],
        },
        "recency": {
            "labels": [
                f"{bucket.low_days} to {bucket.high_days - 1} d"
                if bucket.high_days
                else f"{bucket.low_days}+ d"
                for bucket in recency
            ],
            "p_alive": [bucket.mean_p_alive for bucket in recency],
            "customers": [bucket.customers for bucket in recency],
            "urls": [drill.recency(bucket.low_days) for bucket in recency],
        },
        "fit": None
        if check is None
        else {
            "labels": [f"{k}+" if k == check.top else str(k) for k in check.frequency],
            "actual": check.actual,
            "expected": check.expected,
            # an Actual bar opens its customers; the Expected one is the model's
            "urls": [drill.repeat(k, check.top) for k in check.frequency],
        },
    }
