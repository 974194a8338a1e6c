"""Reads of themes, counted over what the reader may see.

Themes themselves (names, words, tags) are the team's vocabulary; what they hold is customers'
writing, so every count, trend, score, answer and customer is read from the assignments of the
customers the reader sees (``visible(user, Customer)``; ``user=None``: everything). Roles that
see every customer also see the texts of no customer. A success manager is shown only the themes
that hold at least one answer of their book (another theme's page is 404 to them, as a record
outside their book is), counted over their book alone: the pages say so.

Trends are per calendar month in the business's time zone, through
``tenure.analytics.themes.themes_trend``; NPS with its interval through
``tenure.analytics.feedback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404

from tenure.access import require, sees_all, visible
from tenure.analytics.feedback import SurveyScore, survey_score
from tenure.analytics.themes import NO_THEME, themes_trend
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.feedback.models import SurveyKind, SurveyResponse
from tenure.jobs.models import Run
from tenure.themes.models import Theme, ThemeAssignment, ThemeStatus
from tenure.themes.sources import SURVEY, text_source
from tenure.themes.tasks import THEMES_RUN

TREND_MONTHS = 12
SPARK_MONTHS = 6


@dataclass(frozen=True)
class MonthCount:
    month: date
    count: int
    answers: int  # every text of the month (in a theme or not), of the reader's customers

    @property
    def share(self) -> float | None:
        return self.count / self.answers if self.answers else None


@dataclass(frozen=True)
class ThemeRow:
    theme: Theme
    answers: int
    customers: int
    trend: list[MonthCount]
    tags: list[str]

    @property
    def spark_points(self) -> str:
        """The months' counts as an SVG polyline in a 96 x 24 box (highest month at the top)."""
        top = max((m.count for m in self.trend), default=0) or 1
        step = 96 / max(len(self.trend) - 1, 1)
        return " ".join(
            f"{n * step:.1f},{22 - 20 * m.count / top:.1f}" for n, m in enumerate(self.trend)
        )

    @property
    def trend_words(self) -> str:
        """The sparkline in words, for screen readers and the title."""
        counts = ", ".join(f"{m.month:%b %Y} {m.count}" for m in self.trend)
        return f"Answers per month: {counts}"


def assignments_visible(user: Any) -> QuerySet[ThemeAssignment]:
    """The assignments of the texts ``user`` may read (None: all)."""
    rows = ThemeAssignment.objects.all()
    if user is None:
        return rows
    require(user, Action.VIEW)
    if sees_all(user):
        return rows
    return rows.filter(customer_id__in=visible(user, Customer).values("pk"))


def _months(now: datetime, count: int) -> list[date]:
    """The ``count`` calendar months up to ``now``'s (in the business's time zone), oldest first."""
    local = pd.Timestamp(now).tz_convert(settings.TIME_ZONE)
    last = pd.Period(local.tz_localize(None), freq="M")
    return [(last - n).start_time.date() for n in range(count - 1, -1, -1)]


def _trends(
    rows: QuerySet[ThemeAssignment], months: list[date], themes: list[int] | None = None
) -> dict[int, list[MonthCount]]:
    """Each theme's counts per month (of ``months``), with the month's texts of any theme."""
    start = pd.Timestamp(months[0]).tz_localize(settings.TIME_ZONE)
    in_window = rows.filter(at__gte=start.to_pydatetime()).order_by()
    frame = pd.DataFrame(list(in_window.values_list("theme_id", "at")), columns=["theme", "at"])
    counts: dict[tuple[int, date], int] = {}
    totals: dict[date, int] = {}
    if not frame.empty:
        frame["theme"] = frame["theme"].fillna(NO_THEME).astype("int64")
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        trend = themes_trend(frame, theme="theme", at="at", tz=settings.TIME_ZONE)
        for row in trend.itertuples(index=False):
            counts[(int(row.theme), pd.Timestamp(row.month).date())] = int(row.count)
        # Every text of the month, in a theme or not (a month of texts without a theme has no
        # row in the trend).
        local = frame["at"].dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)
        for month, n in local.dt.to_period("M").value_counts().items():
            totals[month.start_time.date()] = int(n)
    wanted = themes if themes is not None else sorted({theme for theme, _ in counts})
    return {
        theme: [MonthCount(m, counts.get((theme, m), 0), totals.get(m, 0)) for m in months]
        for theme in wanted
    }


def _listed(include_hidden: bool) -> QuerySet[Theme]:
    statuses = [ThemeStatus.ACTIVE, ThemeStatus.HIDDEN] if include_hidden else [ThemeStatus.ACTIVE]
    return Theme.objects.filter(status__in=statuses).prefetch_related("tags")


def theme_rows(
    *,
    user: Any,
    now: datetime,
    include_hidden: bool = False,
    tag: str | None = None,
    months: int = SPARK_MONTHS,
) -> list[ThemeRow]:
    """The themes with their answers, customers and the last ``months`` months' counts, the
    most answered first; ``tag`` narrows them to a tag (by name)."""
    rows = assignments_visible(user)
    stats: dict[int, tuple[int, int]] = {
        row["theme_id"]: (row["answers"], row["customers"])
        for row in rows.filter(theme__isnull=False)
        .order_by()
        .values("theme_id")
        .annotate(answers=Count("pk"), customers=Count("customer_id", distinct=True))
    }
    themes = _listed(include_hidden)
    if tag:
        themes = themes.filter(tags__name__iexact=tag).distinct()
    if user is not None and not sees_all(user):
        themes = themes.filter(pk__in=list(stats))
    found = list(themes)
    trends = _trends(rows, _months(now, months), [t.pk for t in found])
    out = [
        ThemeRow(
            theme=theme,
            answers=stats.get(theme.pk, (0, 0))[0],
            customers=stats.get(theme.pk, (0, 0))[1],
            trend=trends[theme.pk],
            tags=[t.name for t in theme.tags.all()],
        )
        for theme in found
    ]
    return sorted(out, key=lambda r: (-r.answers, r.theme.pk))


def theme_get(*, user: Any, theme_id: int) -> Theme:
    """The theme, if the reader may open it (404 otherwise: a success manager's book holds none
    of its answers). A merged theme is returned as it is (the page sends to its survivor)."""
    theme = Theme.objects.filter(pk=theme_id).prefetch_related("tags").first()
    if theme is None:
        raise Http404("no such theme")
    if user is not None and not sees_all(user):
        held = assignments_visible(user).filter(theme=theme).exists()
        if not held:
            raise Http404("no such theme")
    return theme


@dataclass(frozen=True)
class ThemeView:
    theme: Theme
    answers: int
    customers: int
    trend: list[MonthCount]
    nps: SurveyScore
    nps_overall: SurveyScore
    merged_from: list[Theme]


def _nps(rows: QuerySet[ThemeAssignment]) -> SurveyScore:
    ids = rows.filter(source=SURVEY).values("source_id")
    scores = SurveyResponse.objects.filter(kind=SurveyKind.NPS, pk__in=ids).values_list(
        "score", flat=True
    )
    return survey_score("nps", list(scores))


def theme_view(*, user: Any, theme: Theme, now: datetime, months: int = TREND_MONTHS) -> ThemeView:
    """One theme's figures: answers, customers, its trend per month with its share of all
    texts, and the NPS of its survey answers against every NPS answer with a comment."""
    rows = assignments_visible(user)
    mine = rows.filter(theme=theme)
    counted = mine.aggregate(answers=Count("pk"), customers=Count("customer_id", distinct=True))
    return ThemeView(
        theme=theme,
        answers=counted["answers"],
        customers=counted["customers"],
        trend=_trends(rows, _months(now, months), [theme.pk])[theme.pk],
        nps=_nps(mine),
        nps_overall=_nps(rows),
        merged_from=list(theme.merged_from.order_by("pk")),
    )


def theme_answers(*, user: Any, theme: Theme) -> QuerySet[ThemeAssignment]:
    """The theme's texts the reader may read, newest first."""
    return (
        assignments_visible(user)
        .filter(theme=theme)
        .select_related("customer")
        .order_by("-at", "-pk")
    )


def theme_typical(*, user: Any, theme: Theme, count: int = 3) -> list[ThemeAssignment]:
    """The texts most typical of the theme (by their weight)."""
    return list(theme_answers(user=user, theme=theme).order_by("-weight", "-at", "-pk")[:count])


@dataclass(frozen=True)
class Answer:
    assignment: ThemeAssignment
    text: str | None  # None: its source cannot show it (or it is gone)
    source_label: str


def answers_with_texts(rows: list[ThemeAssignment]) -> list[Answer]:
    """The rows with their texts, read from their sources (the themes app keeps no copy)."""
    by_source: dict[str, list[int]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row.source_id)
    texts: dict[tuple[str, int], str] = {}
    labels: dict[str, str] = {}
    for name, ids in by_source.items():
        source = text_source(name)
        labels[name] = source.title if source is not None else name
        if source is not None and source.fetch is not None:
            texts.update({(name, pk): text for pk, text in source.fetch(ids).items()})
    return [
        Answer(row, texts.get((row.source, row.source_id)), labels.get(row.source, row.source))
        for row in rows
    ]


@dataclass(frozen=True)
class CustomerCount:
    customer: Customer
    answers: int


def theme_customers(*, user: Any, theme: Theme, limit: int = 50) -> list[CustomerCount]:
    """The customers behind the theme (those the reader sees), the most answers first."""
    counted = list(
        assignments_visible(user)
        .filter(theme=theme, customer__isnull=False)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "customer_id")[:limit]
    )
    customers = Customer.objects.in_bulk([row["customer_id"] for row in counted])
    return [
        CustomerCount(customers[row["customer_id"]], row["n"])
        for row in counted
        if row["customer_id"] in customers
    ]


def themes_last_run() -> Run | None:
    """The latest themes run, whatever its state (queued, running, done, failed)."""
    return Run.objects.filter(kind=THEMES_RUN).order_by("-created_at", "-id").first()


def themes_last_done() -> Run | None:
    return (
        Run.objects.filter(kind=THEMES_RUN, status="done").order_by("-finished_at", "-id").first()
    )


def merge_choices(*, theme: Theme) -> QuerySet[Theme]:
    """The themes ``theme`` may be merged into: every other theme not merged itself."""
    statuses = [ThemeStatus.ACTIVE, ThemeStatus.HIDDEN]
    return Theme.objects.exclude(pk=theme.pk).filter(status__in=statuses).order_by("label", "pk")
