"""The landing page after login: a success manager's day starts on "My day"; everyone else's
on a dashboard: the Analytics page's answer (its headline sentence and KPI strip, taken from
the very figures that page keeps, so never computed twice), the five customers at risk worth
the most, the overdue tasks, the latest imports, each linking to its page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tenure.access import visible
from tenure.customers.models import Customer
from tenure.domain.access import Role
from tenure.lifecycle.selectors import at_risk_list
from tenure.todos.models import Task, TaskStatus
from tenure.transfer.selectors import import_job_list
from tenure.web.forms import AnalyticsForm
from tenure.web.views._render import signed_in_user
from tenure.web.views.analytics import analytics_figures
from tenure.web.views.figures_cache import figures_cached
from tenure.web.views.segment_scope import SegmentScope


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if user.role == Role.SUCCESS_MANAGER:
        return redirect("web:my-day")
    context = {"section": "home", "book_empty": not visible(user, Customer).exists()}
    if not context["book_empty"]:
        # The Analytics page's default settings and whole-book scope: the same cache key, so
        # whichever of the two pages is opened first computes the figures for both.
        settings = AnalyticsForm({}).settings()
        scope = SegmentScope(segments=[])
        figures = figures_cached(
            "analytics",
            user=user,
            scope=scope,
            settings=settings,
            compute=lambda: analytics_figures(user, settings, scope),
        )
        today = timezone.localdate()
        overdue = visible(user, Task).filter(status=TaskStatus.OPEN, due__lt=today)
        context.update(
            overview=figures["overview"],
            scope=scope,
            at_risk=at_risk_list(user=user, limit=5),
            my_overdue=list(overdue.filter(owner=user).select_related("customer")[:5]),
            my_overdue_count=overdue.filter(owner=user).count(),
            # A manager answers for the team: every overdue task they may see.
            team_overdue_count=overdue.count() if user.role == Role.MANAGER else None,
        )
    context["imports"] = import_job_list(user=user, limit=5)
    return render(request, "web/home/dashboard.html", context)
