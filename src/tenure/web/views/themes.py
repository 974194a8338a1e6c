"""The Themes pages: the themes found in what customers wrote, each with its answers,
customers and trend by month; "Find themes now", and renaming, merging, tagging and hiding a
theme (admins and managers, ``tenure.themes.services``). Every role reads them, counted over
the customers it sees (``tenure.themes.selectors``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tenure.access import sees_all
from tenure.domain.access import Action
from tenure.themes import selectors, services
from tenure.themes.models import Theme, ThemeStatus, ThemeTag
from tenure.web.views._render import recent_history, signed_in_user
from tenure.web.views.pagination import page_number, paginate

TAG_MAX = 60


def _curates(user: Any) -> bool:
    return sees_all(user, Action.CHANGE)


@login_required
@require_GET
def themes(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    hidden = request.GET.get("hidden") == "1"
    tag = " ".join(request.GET.get("tag", "").split())[:TAG_MAX]
    context = {
        "rows": selectors.theme_rows(
            user=user, now=timezone.now(), include_hidden=hidden, tag=tag or None
        ),
        "hidden": hidden,
        "tag": tag,
        "tags": ThemeTag.objects.order_by("name"),
        "last_run": selectors.themes_last_run(),
        "last_done": selectors.themes_last_done(),
        "curates": _curates(user),
        "own_book": not sees_all(user),
        "section": "themes",
    }
    return render(request, "web/themes/list.html", context)


def _detail(
    request: HttpRequest, theme: Theme, *, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    user = signed_in_user(request)
    page = paginate(
        selectors.theme_answers(user=user, theme=theme),
        number=page_number(request.GET.get("page")),
    )
    context = {
        "view": selectors.theme_view(user=user, theme=theme, now=timezone.now()),
        "page": page,
        "answers": selectors.answers_with_texts(page.items),
        "typical": selectors.answers_with_texts(selectors.theme_typical(user=user, theme=theme)),
        "customers": selectors.theme_customers(user=user, theme=theme),
        "merge_choices": selectors.merge_choices(theme=theme) if _curates(user) else [],
        "curates": _curates(user),
        "own_book": not sees_all(user),
        "errors": errors or {},
        "history": recent_history(theme),
        "section": "themes",
    }
    status = 422 if errors else 200
    return render(request, "web/themes/detail.html", context, status=status)


@login_required
@require_GET
def theme(request: HttpRequest, theme_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = selectors.theme_get(user=user, theme_id=theme_id)
    if found.status == ThemeStatus.MERGED and found.merged_into_id is not None:
        messages.info(request, f"“{found.label}” was merged into this theme.")
        return redirect("web:theme", theme_id=found.merged_into_id)
    return _detail(request, found)


def _curated(request: HttpRequest, theme_id: int, write: Any, done: str) -> HttpResponse:
    """Run a curation ``write(user, theme)`` for the POST of a theme page: the role first (403),
    then the theme (404); a refusal is shown on the page by field (422)."""
    user = signed_in_user(request)
    services.curate_require(user)
    found = selectors.theme_get(user=user, theme_id=theme_id)
    try:
        write(user, found)
    except ValidationError as error:
        return _detail(request, found, errors=error.message_dict)
    messages.success(request, done)
    return redirect("web:theme", theme_id=found.pk)


@login_required
@require_POST
def theme_rename(request: HttpRequest, theme_id: int) -> HttpResponse:
    def write(user: Any, found: Theme) -> None:
        services.theme_rename(by=user, theme_id=found.pk, label=request.POST.get("label", ""))

    return _curated(request, theme_id, write, "Theme renamed; later runs keep the name.")


@login_required
@require_POST
def theme_merge(request: HttpRequest, theme_id: int) -> HttpResponse:
    user = signed_in_user(request)
    services.curate_require(user)
    found = selectors.theme_get(user=user, theme_id=theme_id)
    raw = request.POST.get("into", "").strip()
    try:
        if not (raw.isdigit() and len(raw) < 19):
            raise ValidationError({"into_id": ["choose the theme to merge it into"]})
        survivor = services.theme_merge(by=user, theme_id=found.pk, into_id=int(raw))
    except ValidationError as error:
        return _detail(request, found, errors=error.message_dict)
    messages.success(request, f"“{found.label}” merged into this theme, with its answers.")
    return redirect("web:theme", theme_id=survivor.pk)


@login_required
@require_POST
def theme_tag(request: HttpRequest, theme_id: int) -> HttpResponse:
    def write(user: Any, found: Theme) -> None:
        services.theme_tag(by=user, theme_id=found.pk, tag=request.POST.get("tag", ""))

    return _curated(request, theme_id, write, "Tag added.")


@login_required
@require_POST
def theme_untag(request: HttpRequest, theme_id: int) -> HttpResponse:
    def write(user: Any, found: Theme) -> None:
        services.theme_untag(by=user, theme_id=found.pk, tag=request.POST.get("tag", ""))

    return _curated(request, theme_id, write, "Tag removed.")


@login_required
@require_POST
def theme_hide(request: HttpRequest, theme_id: int) -> HttpResponse:
    hide = request.POST.get("hidden", "1") == "1"

    def write(user: Any, found: Theme) -> None:
        services.theme_hide(by=user, theme_id=found.pk, hidden=hide)

    return _curated(
        request, theme_id, write, "Theme hidden from the list." if hide else "Theme shown again."
    )


@login_required
@require_POST
def themes_run(request: HttpRequest) -> HttpResponse:
    """Queue a run (once: a second click finds it queued) and go back to the list."""
    run, started = services.themes_run_start(by=signed_in_user(request))
    messages.success(
        request,
        "Finding the themes in the background (a few seconds with the worker running): "
        "reload this page to see them."
        if started
        else f"A run is {run.status} already.",
    )
    return redirect("web:themes")
