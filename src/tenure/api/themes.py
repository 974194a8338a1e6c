"""/api/v1/themes: the themes found in what customers wrote, as JSON.

Every role reads them, counted over the customers it sees (a success manager: the themes
holding an answer of their book, the others 404); admins and managers rename, merge, tag and
hide them and ask for a run (``tenure.themes.services``; 403 otherwise). A refused value is a
422 naming its field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import Input
from tenure.api.pagination import LIMIT_DEFAULT, Page, paginate
from tenure.api.types import RecordId
from tenure.themes import selectors, services
from tenure.themes.models import Theme

router = Router(tags=["themes"])


class MonthOut(Schema):
    month: date
    count: int = Field(description="the theme's answers that month")
    answers: int = Field(description="every answer of the month, in a theme or not")
    share: float | None = Field(description="count / answers; null without answers")


class ThemeScoreOut(Schema):
    n: int
    score: float | None
    low: float | None = Field(description="the 95 % interval's lower end")
    high: float | None
    few_answers: bool


class ThemeOut(Schema):
    id: int
    label: str
    terms: list[str] = Field(description="its top words, most characteristic first")
    tags: list[str]
    status: str = Field(description="active, hidden or merged")
    merged_into_id: int | None
    renamed_by_person: bool
    seen_in_last_run: bool
    answers: int = Field(description="its answers among the customers you see")
    customers: int
    trend: list[MonthOut] = Field(description="the last 6 months (12 for one theme)")


class ThemeDetailOut(ThemeOut):
    nps: ThemeScoreOut = Field(description="NPS of the theme's survey answers")
    nps_overall: ThemeScoreOut = Field(description="NPS of every survey answer with a comment")


class AnswerOut(Schema):
    source: str
    source_id: int
    customer_id: int | None
    at: datetime
    weight: float = Field(description="how typical of the theme, 0-1")
    text: str | None = Field(description="null when its source cannot show it")


class RenameIn(Input):
    label: str = Field(min_length=1, max_length=120)


class ThemeMergeIn(Input):
    into_id: RecordId = Field(description="the theme that keeps the answers")


class TagsIn(Input):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class HideIn(Input):
    hidden: bool = True


class RunOut(Schema):
    id: int
    status: str
    started: bool = Field(description="false: a run was queued or running already")


def _months(trend: list[selectors.MonthCount]) -> list[dict[str, Any]]:
    return [
        {"month": m.month, "count": m.count, "answers": m.answers, "share": m.share} for m in trend
    ]


def _theme(theme: Theme, answers: int, customers: int, trend: list[Any]) -> dict[str, Any]:
    return {
        "id": theme.pk, "label": theme.label, "terms": list(theme.terms or []),
        "tags": [t.name for t in theme.tags.all()], "status": theme.status,
        "merged_into_id": theme.merged_into_id, "renamed_by_person": theme.renamed_by_person,
        "seen_in_last_run": theme.seen_in_last_run, "answers": answers, "customers": customers,
        "trend": _months(trend),
    }  # fmt: skip


def _score(score: Any) -> dict[str, Any]:
    return {"n": score.n, "score": score.score, "low": score.low, "high": score.high,
            "few_answers": score.few_answers}  # fmt: skip


def _detail(request: HttpRequest, theme_id: int) -> dict[str, Any]:
    user = caller(request)
    theme = selectors.theme_get(user=user, theme_id=theme_id)
    view = selectors.theme_view(user=user, theme=theme, now=timezone.now())
    out = _theme(theme, view.answers, view.customers, view.trend)
    return {**out, "nps": _score(view.nps), "nps_overall": _score(view.nps_overall)}


@router.get(
    "/themes",
    response={200: list[ThemeOut], **ERROR_RESPONSES},
    summary="The themes, the most answered first, counted over the customers you see",
    operation_id="list_themes",
)
def theme_list(
    request: HttpRequest, hidden: bool = False, tag: str | None = None
) -> list[dict[str, Any]]:
    rows = selectors.theme_rows(
        user=caller(request), now=timezone.now(), include_hidden=hidden, tag=tag
    )
    return [_theme(r.theme, r.answers, r.customers, r.trend) for r in rows]


@router.post(
    "/themes/run",
    response={202: RunOut, **ERROR_RESPONSES},
    summary="Find the themes again now, in the background; admins and managers",
    operation_id="run_themes",
)
def themes_run(request: HttpRequest) -> Status:
    # Declared before /themes/{theme_id}: "run" would be taken for a theme's id.
    run, started = services.themes_run_start(by=caller(request))
    return Status(202, {"id": run.pk, "status": run.status, "started": started})


@router.get(
    "/themes/{theme_id}",
    response={200: ThemeDetailOut, **ERROR_RESPONSES},
    summary="One theme: its words, tags, trend by month and NPS against every answer's",
    operation_id="get_theme",
)
def theme_get(request: HttpRequest, theme_id: RecordId) -> dict[str, Any]:
    return _detail(request, theme_id)


@router.get(
    "/themes/{theme_id}/answers",
    response={200: Page[AnswerOut], **ERROR_RESPONSES},
    summary="The theme's answers among the customers you see, with their texts",
    operation_id="list_theme_answers",
)
def theme_answer_list(
    request: HttpRequest, theme_id: RecordId, cursor: str | None = None, limit: int = LIMIT_DEFAULT
) -> dict[str, Any]:
    user = caller(request)
    theme = selectors.theme_get(user=user, theme_id=theme_id)
    page = paginate(selectors.theme_answers(user=user, theme=theme), cursor=cursor, limit=limit)
    items = [
        {"source": a.assignment.source, "source_id": a.assignment.source_id,
         "customer_id": a.assignment.customer_id, "at": a.assignment.at,
         "weight": a.assignment.weight, "text": a.text}
        for a in selectors.answers_with_texts(page["items"])
    ]  # fmt: skip
    return {"items": items, "next_cursor": page["next_cursor"]}


def _curated(request: HttpRequest, theme_id: int) -> Any:
    """The caller, once they may curate (403) and see the theme (404)."""
    user = caller(request)
    services.curate_require(user)
    selectors.theme_get(user=user, theme_id=theme_id)
    return user


@router.post(
    "/themes/{theme_id}/rename",
    response={200: ThemeDetailOut, **ERROR_RESPONSES},
    summary="Rename a theme (later runs keep the name); admins and managers",
    operation_id="rename_theme",
)
def theme_rename(request: HttpRequest, theme_id: RecordId, payload: RenameIn) -> dict[str, Any]:
    services.theme_rename(by=_curated(request, theme_id), theme_id=theme_id, label=payload.label)
    return _detail(request, theme_id)


@router.post(
    "/themes/{theme_id}/merge",
    response={200: ThemeDetailOut, **ERROR_RESPONSES},
    summary="Merge a theme into another (its answers and tags move); returns the survivor",
    operation_id="merge_theme",
)
def theme_merge(request: HttpRequest, theme_id: RecordId, payload: ThemeMergeIn) -> dict[str, Any]:
    survivor = services.theme_merge(
        by=_curated(request, theme_id), theme_id=theme_id, into_id=payload.into_id
    )
    return _detail(request, survivor.pk)


@router.post(
    "/themes/{theme_id}/tags",
    response={200: ThemeDetailOut, **ERROR_RESPONSES},
    summary="Put tags on a theme and take others off; admins and managers",
    operation_id="tag_theme",
)
def theme_tags(request: HttpRequest, theme_id: RecordId, payload: TagsIn) -> dict[str, Any]:
    by = _curated(request, theme_id)
    for n, name in enumerate(payload.add):
        try:
            services.theme_tag(by=by, theme_id=theme_id, tag=name)
        except ValidationError as error:
            raise ValidationError({f"add[{n}]": error.message_dict.get("tag", [])}) from None
    for name in payload.remove:
        services.theme_untag(by=by, theme_id=theme_id, tag=name)
    return _detail(request, theme_id)


@router.post(
    "/themes/{theme_id}/hide",
    response={200: ThemeDetailOut, **ERROR_RESPONSES},
    summary="Hide a theme from the lists, or show it again (hidden: false)",
    operation_id="hide_theme",
)
def theme_hide(request: HttpRequest, theme_id: RecordId, payload: HideIn) -> dict[str, Any]:
    services.theme_hide(by=_curated(request, theme_id), theme_id=theme_id, hidden=payload.hidden)
    return _detail(request, theme_id)
