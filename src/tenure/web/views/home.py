"""The landing page after login: a success manager's day starts on "My day"; everyone else's
on the customers list, as before."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tenure.domain.access import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", None) == Role.SUCCESS_MANAGER:
        return redirect("web:my-day")
    return redirect("web:customers")
