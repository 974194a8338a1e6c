"""The survey Trends page: NPS, CSAT or CES per account, person, project, owner or segment and
calendar period, each group's latest score with its interval, n, the change against the period
before and the response rate, a sparkline and a table per period. Every role reads it over its
own book (``tenure.feedback.trend_selectors``); a choice it does not know is a 400 in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tenure.analytics.errors import InvalidInputError
from tenure.feedback.trend_selectors import (
    GROUPS,
    MAX_GROUPS,
    PERIODS,
    TrendGroup,
    TrendPoint,
    survey_trend_groups,
    trend_query,
)
from tenure.web.views._render import signed_in_user
from tenure.web.views.segment_scope import SegmentRefused, segment_refused, segment_scope

KIND_CHOICES = [("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES")]
# The sparkline's box (SVG user units) and each kind's score range.
WIDTH, HEIGHT, PAD = 120, 32, 3
RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (0.0, 100.0)}


@dataclass(frozen=True)
class Sparkline:
    points: str  # "x,y x,y ..." for a <polyline>
    dots: list[tuple[float, float]]
    words: str  # the line in words, for screen readers


def sparkline(points: list[TrendPoint], kind: str) -> Sparkline | None:
    """The scores of the periods with answers as a small line (None with fewer than two)."""
    scores = [p.score for p in points if p.score is not None]
    if len(scores) < 2:
        return None
    low, high = RANGES[kind]
    step = (WIDTH - 2 * PAD) / (len(scores) - 1)
    dots = [
        (
            round(PAD + i * step, 1),
            round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * (score - low) / (high - low), 1),
        )
        for i, score in enumerate(scores)
    ]
    words = ", ".join(f"{score:.0f}" for score in scores)
    return Sparkline(" ".join(f"{x},{y}" for x, y in dots), dots, f"Scores, oldest first: {words}")


def period_label(day: date, period: str) -> str:
    """A period in words: "2025-Q1", "Mar 2025" or "Week of Mar 3, 2025"."""
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "month":
        return day.strftime("%b %Y")
    return f"Week of {day.strftime('%b')} {day.day}, {day.year}"


def _rows(groups: list[TrendGroup], kind: str, period: str) -> list[dict[str, Any]]:
    return [
        {
            "group": g,
            "line": sparkline(g.points, kind),
            "latest_label": period_label(g.latest.period, period),
            "points": [(period_label(p.period, period), p) for p in g.points],
        }
        for g in groups
    ]


@login_required
@require_GET
def survey_trends_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        scope = segment_scope(request, user)
    except SegmentRefused as refused:
        return segment_refused(request, refused)
    chosen = {
        "kind": request.GET.get("kind", "nps").strip(),
        "by": request.GET.get("by", "account").strip(),
        "period": request.GET.get("period", "quarter").strip(),
    }
    context: dict[str, Any] = {
        "chosen": chosen,
        "kinds": KIND_CHOICES,
        "groups_choices": list(GROUPS.items()),
        "periods": [(p, p.capitalize()) for p in PERIODS],
        "scope": scope,
        "section": "surveys",
        "max_groups": MAX_GROUPS,
    }
    try:
        query = trend_query(**chosen)
    except InvalidInputError as error:
        context["error"] = f"{error.name}: {error.reason}"
        return render(request, "web/surveys/trends.html", context, status=400)
    groups, total = survey_trend_groups(
        user=user,
        query=query,
        now=timezone.now(),
        within=scope.within,
        segment=scope.chosen.name if scope.chosen else "Every customer you see",
    )
    context |= {"rows": _rows(groups, query.kind, query.period), "total": total, "query": query}
    return render(request, "web/surveys/trends.html", context)
