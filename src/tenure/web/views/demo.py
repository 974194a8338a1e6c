"""The empty installation's offer: an admin loads the demo business in the background."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from tenure.demo.tasks import DEMO_LOAD_RUN
from tenure.jobs.services import run_start
from tenure.web.views._render import signed_in_user


@login_required
@require_POST
def demo_load_start(request: HttpRequest) -> HttpResponse:
    """Queue the load (once: a second click finds the run queued) and go back to the list."""
    _run, started = run_start(kind=DEMO_LOAD_RUN, by=signed_in_user(request), exclusive=True)
    messages.success(
        request,
        "Loading the demo business in the background (about a minute with the worker running):"
        " its customers appear here when it is done."
        if started
        else "The demo business is loading already.",
    )
    return redirect("web:customers")
