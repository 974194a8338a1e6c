"""The command palette's results (⌘K) and the search page that stands in for it."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tenure.web.palette import QUERY_MAX, palette_find
from tenure.web.views._render import signed_in_user, wants_fragment


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:QUERY_MAX]
    hits = palette_find(user=signed_in_user(request), q=q)
    groups = [(group, list(items)) for group, items in groupby(hits, key=lambda hit: hit.group)]
    context = {"q": q, "groups": groups, "count": len(hits), "section": "search"}
    if wants_fragment(request, "palette-results"):
        return render(request, "web/palette/_results.html", context)
    return render(request, "web/palette/page.html", context)
