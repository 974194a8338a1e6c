"""Drill-downs: the customers behind one point of a chart on the Analytics and Lifecycle pages,
paged, as CSV, and saved as a static segment.

The query says which point (``chart`` and its settings: a retention period's lost, a cohort
cell, a lifecycle bucket, a stage at a period's end, a bar of CLV or recency; and in
``drill_points``: a point of the renewal survival, a bar of the model check or of the churn
audit); the ids come from the selector that applies that figure's own rule to the same reads
(``tenure.insights.drill``, ``tenure.lifecycle.drill``), so the list holds as many customers as
the point counts. Nothing is signed: the ids are computed again under ``visible(user)`` on
every request, so a link shared with a success manager shows only their own customers among
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from tenure.access import may
from tenure.analytics.activity import ActivityRule
from tenure.analytics.errors import InvalidInputError
from tenure.domain.access import Action
from tenure.insights.drill import (
    clv_bar_members,
    cohort_members,
    recency_bucket_members,
    retention_members,
)
from tenure.insights.selectors import RECENCY_BUCKETS, clv_distribution
from tenure.lifecycle.drill import bucket_members_for, drilled_customers, stage_members_at_end
from tenure.lifecycle.selectors import _PERIOD_FREQ
from tenure.lifecycle.services import active_model
from tenure.segments.models import SegmentKind
from tenure.segments.services import segment_create, segment_members_add
from tenure.transfer.services import customers_export_csv
from tenure.users.models import User
from tenure.web.forms import LimitedForm
from tenure.web.views import drill_points
from tenure.web.views._render import signed_in_user
from tenure.web.views.figures_cache import figures_cached
from tenure.web.views.pagination import PER_PAGE, ListPage, page_number
from tenure.web.views.segment_scope import (
    SegmentRefused,
    SegmentScope,
    segment_refused,
    segment_scope,
)

IntArray = npt.NDArray[np.int64]
CHARTS = [
    ("retention", "a retention period"),
    ("cohort", "a cohort cell"),
    ("bucket", "a lifecycle bucket"),
    ("stage", "a stage at a period's end"),
    ("clv", "a bar of the predicted CLV histogram"),
    ("recency", "a bar of P(alive) by days since the last order"),
    *drill_points.CHARTS,
]
PARTS = {
    "retained": "stayed active",
    "lost": "were lost",
    "joined": "joined the active base",
    "active_end": "were active at the end",
}
BUCKET_WORDS = {
    "new": "bought for the first time",
    "returning": "bought again after buying in the period before",
    "resurrecting": "came back after a period or more without buying",
    "dormant": "bought in the period before, not in this one",
}


class DrillForm(LimitedForm):
    """Which point of which chart. Each chart reads its own fields; a field it needs and lacks
    is refused by name (``_required``)."""

    chart = forms.ChoiceField(choices=CHARTS)
    # a retention period: its days, the part, and the page's activity rule
    part = forms.ChoiceField(required=False, choices=[(k, k) for k in PARTS])
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    rule = forms.ChoiceField(
        required=False, choices=[(k, k) for k in ("gap_multiple", "p_alive", "fixed_days")]
    )
    gap_multiple = forms.FloatField(required=False, min_value=0.5, max_value=100)
    p_alive_threshold = forms.FloatField(required=False, min_value=0.01, max_value=0.99)
    days = forms.IntegerField(required=False, min_value=1, max_value=3650)
    # a cohort cell
    cohort = forms.DateField(required=False)
    k = forms.IntegerField(required=False, min_value=-1, max_value=120)
    cohort_period = forms.ChoiceField(
        required=False, choices=[(k, k) for k in ("week", "month", "quarter")]
    )
    cohort_kind = forms.ChoiceField(required=False, choices=[(k, k) for k in ("on", "on_or_after")])
    retention_type = forms.ChoiceField(
        required=False, choices=[(k, k) for k in ("first_time", "recurring")]
    )
    # a lifecycle bucket or a stage at a period's end
    period = forms.ChoiceField(
        required=False, choices=[(k, k) for k in ("day", "week", "month", "quarter")]
    )
    bucket = forms.ChoiceField(required=False, choices=[(k, k) for k in BUCKET_WORDS])
    stage = forms.SlugField(required=False, max_length=64)
    # a bar of the CLV histogram (``bar == bins``: those above the last one), of P(alive)
    bins = forms.IntegerField(required=False, min_value=1, max_value=200)
    bar = forms.IntegerField(required=False, min_value=0, max_value=200)
    low_days = forms.IntegerField(required=False, min_value=0, max_value=3650)
    # a point of the renewal survival: the subscriptions' interval, renewals, the day seen on
    interval = forms.ChoiceField(
        required=False, choices=[(k, k) for k in ("month", "quarter", "year")]
    )
    renewals = forms.IntegerField(required=False, min_value=0, max_value=120)
    as_of = forms.DateField(required=False)
    # a bar of the model check: repeat purchases (``top``: that many or more)
    repeat = forms.IntegerField(required=False, min_value=0, max_value=50)
    top = forms.IntegerField(required=False, min_value=1, max_value=50)
    # a bar of the churn audit: the attribute (its column) and, for categories, the finding's
    attribute = forms.CharField(required=False, max_length=200)
    category = forms.CharField(required=False, max_length=2000, strip=False)

    NEEDS = {
        "retention": ("part", "start", "end"),
        "cohort": ("cohort", "k", "end"),
        "bucket": ("period", "bucket", "start"),
        "stage": ("period", "stage", "start"),
        "clv": ("bar",),
        "recency": ("low_days",),
        **drill_points.NEEDS,
    }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chart = data.get("chart")
        what = dict(CHARTS).get(str(chart), "")
        for name in self.NEEDS.get(chart or "", ()):
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, f"is needed to list the customers of {what}")
        return data


@dataclass(frozen=True)
class Drill:
    """The customers of one point: ``ids`` (sorted), what they are in words, and the query
    that names the point (for the pages, the export and the segment's description)."""

    ids: IntArray
    title: str
    description: str
    query: str


class DrillRefused(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _drill(user: User, params: QueryDict, scope: SegmentScope) -> Drill:
    form = DrillForm(params)
    if not form.is_valid():
        raise DrillRefused({name: [str(e) for e in errors] for name, errors in form.errors.items()})
    data = form.cleaned_data
    query = urlencode(
        [(k, str(params.get(k))) for k in params if k in form.fields or k == "segment"]
    )
    try:
        # kept while the data is unchanged, like the figures the point comes from
        return figures_cached(
            "drill",
            user=user,
            scope=scope,
            settings=query,
            compute=lambda: _members(user, data, scope.within, query),
        )
    except InvalidInputError as error:
        raise DrillRefused({error.name: [error.reason]}) from None


def _rule(data: dict[str, Any]) -> ActivityRule:
    defaults: dict[str, Any] = {
        "rule": "gap_multiple",
        "gap_multiple": 3.0,
        "p_alive_threshold": 0.3,
        "days": 365,
    }
    value = {
        k: default if data.get(k) in (None, "") else data[k] for k, default in defaults.items()
    }
    return ActivityRule(
        kind=value["rule"], gap_multiple=value["gap_multiple"],
        p_alive_threshold=value["p_alive_threshold"], days=value["days"],
    )  # fmt: skip


def _days(start: date, end: date) -> str:
    return f"{start:%b} {start.day}, {start.year} to {end:%b} {end.day}, {end.year}"


def _members(user: User, data: dict[str, Any], within: Any, query: str) -> Drill:
    chart = data["chart"]
    if chart == "retention":
        rule = _rule(data)
        ids = retention_members(
            user=user, start=data["start"], end=data["end"], rule=rule, part=data["part"],
            within=within,
        )  # fmt: skip
        title = f"Customers who {PARTS[data['part']]}, {_days(data['start'], data['end'])}"
        return Drill(np.sort(ids), title, rule.describe(), query)
    if chart == "cohort":
        period: Any = data.get("cohort_period") or "month"
        kind: Any = data.get("cohort_kind") or "on"
        ids = cohort_members(
            user=user, cohort=data["cohort"], k=data["k"], period=period, kind=kind,
            retention_type=data.get("retention_type") or "first_time", end=data["end"],
            within=within,
        )  # fmt: skip
        which = (
            "the whole cohort"
            if data["k"] < 0
            else f"who bought {'in' if kind == 'on' else 'in or after'} {period} {data['k']}"
        )
        title = (
            f"Cohort of {data['cohort']:%b} {data['cohort'].day}, {data['cohort'].year}: {which}"
        )
        return Drill(
            np.sort(ids), title, f"Periods of a {period}, counted from the cohort's.", query
        )
    if chart == "bucket":
        ids = bucket_members_for(
            user=user, period=data["period"], bucket=data["bucket"], start=data["start"],
            within=within,
        )  # fmt: skip
        title = (
            f"{data['bucket'].capitalize()} buyers, "
            f"the {data['period']} of {data['start']:%b %d, %Y}"
        )
        return Drill(np.sort(ids), title, f"Customers who {BUCKET_WORDS[data['bucket']]}.", query)
    if chart == "clv":
        bins = data.get("bins") or CLV_BINS
        ids = clv_bar_members(user=user, bar=data["bar"], bins=bins, within=within)
        return Drill(np.sort(ids), _clv_title(user, data["bar"], bins, within), CLV_WORDS, query)
    if chart == "recency":
        low = data["low_days"]
        ids = recency_bucket_members(user=user, low_days=low, within=within)
        high = dict(pairwise(RECENCY_BUCKETS)).get(low)
        days = f"{low} to {high - 1} days" if high else f"{low} days or more"
        return Drill(
            np.sort(ids),
            f"Last order {days} before the models' fit",
            "Days between the last order and the end of the data the models were fitted on.",
            query,
        )
    if chart in drill_points.NEEDS:
        ids, title, description = drill_points.point_members(user, data, within)
        return Drill(np.sort(ids), title, description, query)
    _definition, model = active_model()
    key = data["stage"]
    name = model.stage(key).name if key in model.stage_keys else key
    ids = stage_members_at_end(
        user=user, stage=key, period=data["period"], start=data["start"], within=within
    )
    last = pd.Period(data["start"], freq=_PERIOD_FREQ[data["period"]]).end_time.date()
    so_far = last >= timezone.localdate()
    title = f"In “{name}” at the end of the {data['period']} of {data['start']:%b %d, %Y}"
    return Drill(
        np.sort(ids),
        title + (" (so far: now)" if so_far else ""),
        "Every move at the date it happened in the customer's history.",
        query,
    )


CLV_BINS = 20
"""Bars of the Analytics page's CLV histogram."""
CLV_WORDS = "Predicted value over the next 365 days, from the latest fit of the models."


def _clv_title(user: User, bar: int, bins: int, within: Any) -> str:
    distribution = clv_distribution(user=user, bins=bins, within=within)
    edges = distribution.edges
    if bar == bins:
        return f"Predicted CLV above {edges[-1]:,.0f} (the top 1 %)"
    return f"Predicted CLV {edges[bar]:,.0f} to {edges[bar + 1]:,.0f}"


def _page(user: User, drill: Drill, number: int, within: Any) -> ListPage:
    pages = max(1, -(-drill.ids.size // PER_PAGE))
    chunk = drill.ids[(number - 1) * PER_PAGE : number * PER_PAGE]
    items = list(
        drilled_customers(user=user, ids=chunk, within=within).select_related(
            "owner", "lifecycle_stage", "health"
        )
    )
    return ListPage(items, number, PER_PAGE, number < pages, int(drill.ids.size), False)


def _refused(request: HttpRequest, refused: DrillRefused) -> HttpResponse:
    return render(
        request, "web/analytics/drill_refused.html",
        {"errors": refused.errors, "section": "analytics"}, status=400,
    )  # fmt: skip


@login_required
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
        found = _drill(user, request.GET, scope)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    except DrillRefused as refused:
        return _refused(request, refused)
    context = {
        "drill": found,
        "scope": scope,
        "page": _page(user, found, page_number(request.GET.get("page")), scope.within),
        "may_save": may(user, Action.CHANGE),
        "default_name": found.title[:120],
        "section": "lifecycle"
        if request.GET.get("chart") in ("bucket", "stage", "audit")
        else "analytics",
    }
    return render(request, "web/analytics/drill.html", context)


@login_required
@require_GET
def drill_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
        found = _drill(user, request.GET, scope)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    except DrillRefused as refused:
        return _refused(request, refused)
    customers = drilled_customers(user=user, ids=found.ids, within=scope.within)
    response = StreamingHttpResponse(
        customers_export_csv(by=user, customers=customers), content_type="text/csv; charset=utf-8"
    )
    filename = f"customers-drill-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: not for shared caches
    return response


@login_required
@require_POST
def drill_save(request: HttpRequest) -> HttpResponse:
    """Save the drill-down's customers as a static segment the user owns (a role that may not
    change anything, the analyst, gets the services' 403)."""
    user = signed_in_user(request)
    params = QueryDict(request.POST.get("query", ""))
    try:
        scope = segment_scope(_as_get(request, params), user)
        found = _drill(user, params, scope)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    except DrillRefused as refused:
        return _refused(request, refused)
    name = request.POST.get("name", "").strip() or found.title[:120]
    try:
        with transaction.atomic():
            segment = segment_create(
                by=user, name=name, description=found.title, kind=SegmentKind.STATIC,
                shared=False,
            )  # fmt: skip
            segment_members_add(by=user, segment_id=segment.pk, customer_ids=found.ids)
    except ValidationError as error:
        return _refused(request, DrillRefused(error.message_dict))
    messages.success(
        request, f"Saved {found.ids.size:,} customers as the static segment “{segment.name}”."
    )
    return redirect("web:segment", segment.pk)


def _as_get(request: HttpRequest, params: QueryDict) -> HttpRequest:
    """The request with the drill's own query as its GET, for ``segment_scope``."""
    request.GET = params  # type: ignore[assignment]  # read-only in the stubs, not in Django
    return request
