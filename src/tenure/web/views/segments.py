"""Segments: the list, the builder (conditions in rows, or the JSON itself, with a live count
and sample by htmx), a segment's page (its definition in words, its members, their CSV), and
its refresh and deletion. Everything through ``tenure.segments`` selectors and services."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenure.access import get_visible_or_404, may, require
from tenure.domain.access import Action
from tenure.domain.facts import NUMERIC_KINDS
from tenure.segments import selectors, services
from tenure.segments.evaluation import segment_facts
from tenure.segments.models import Segment
from tenure.transfer.services import customers_export_csv
from tenure.users.models import User
from tenure.web.views._render import signed_in_user
from tenure.web.views.exports import _attachment
from tenure.web.views.lifecycle_definition import condition_words
from tenure.web.views.pagination import paginate

ROWS = 5
OPS = [
    ("is", "is"), ("is_not", "is not"), ("in", "is one of"), ("not_in", "is none of"),
    (">=", "≥"), (">", ">"), ("<=", "≤"), ("<", "<"), ("==", "="), ("!=", "≠"),
    ("known", "is known"), ("missing", "is unknown"),
]  # fmt: skip
_YES, _NO = {"yes", "true", "1"}, {"no", "false", "0"}


def _value(kind: str, op: str, text: str) -> Any:
    """A row's value as the grammar wants it: numbers for number facts, yes/no for flags, a
    list for ``in``; text the definition's check then names if it is wrong."""
    text = text.strip()
    if op in ("in", "not_in"):
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind == "flag" and text.lower() in _YES | _NO:
        return text.lower() in _YES
    if kind in NUMERIC_KINDS or (kind == "" and op in (">=", ">", "<=", "<", "==", "!=")):
        try:
            return float(text) if "." in text or "e" in text.lower() else int(text)
        except ValueError:
            return text
    return text


def definition_from_form(data: Any) -> tuple[Any, list[dict[str, str]], str]:
    """The definition a builder form says: the JSON text when given, else its rows (each a
    fact, an operator and a value) joined by ``match``; the rows and the match back for the
    form."""
    facts = segment_facts()
    rows = [
        {"fact": data.get(f"fact_{i}", "").strip(), "op": data.get(f"op_{i}", "").strip(),
         "value": data.get(f"value_{i}", "")}
        for i in range(ROWS)
    ]  # fmt: skip
    match = "any" if data.get("match") == "any" else "all"
    text = data.get("definition", "").strip()
    if text:
        try:
            return json.loads(text), rows, match
        except ValueError as error:
            return {"__json__": f"the JSON cannot be read: {error}"}, rows, match
    conditions = []
    for row in rows:
        if not row["fact"]:
            continue
        condition: dict[str, Any] = {"fact": row["fact"], "op": row["op"]}
        if row["op"] not in ("known", "missing"):
            kind = facts[row["fact"]].kind if row["fact"] in facts else ""
            condition["value"] = _value(kind, row["op"], row["value"])
        conditions.append(condition)
    if not conditions:
        return None, rows, match
    return {"when": {match: conditions}}, rows, match


def _problems(definition: Any, error: ValidationError | None = None) -> list[str]:
    if definition is None:
        return ["Choose a fact for at least one condition."]
    if isinstance(definition, dict) and "__json__" in definition:
        return [definition["__json__"]]
    if error is None:
        return []
    return [m for ms in error.message_dict.values() for m in ms]


def _builder_context(user: User, data: Any, segment: Segment | None) -> dict[str, Any]:
    rows = [{"fact": "", "op": "is", "value": ""} for _ in range(ROWS)]
    context: dict[str, Any] = {
        "facts": list(segment_facts().values()),
        "ops": OPS,
        "rows": rows,
        "match": "all",
        "segment": segment,
        "section": "segments",
        "name": segment.name if segment else "",
        "description": segment.description if segment else "",
        "shared": segment.shared if segment else True,
        "definition_text": json.dumps(segment.definition, indent=2) if segment else "",
    }
    if data is not None:
        _, context["rows"], context["match"] = definition_from_form(data)
        context["name"] = data.get("name", "")
        context["description"] = data.get("description", "")
        context["shared"] = data.get("shared") == "on"
        context["definition_text"] = data.get("definition", "")
    return context


@login_required
@require_GET
def segments(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "segments": selectors.segment_list(user=user),
        "may_change": may(user, Action.CHANGE),
        "section": "segments",
    }
    return render(request, "web/segments/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def segment_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.CHANGE)
    return _builder(request, user, None)


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = signed_in_user(request)
    segment = get_visible_or_404(user, Segment, Action.CHANGE, pk=segment_id)
    return _builder(request, user, segment)


def _builder(request: HttpRequest, user: User, segment: Segment | None) -> HttpResponse:
    if request.method != "POST":
        context = _builder_context(user, None, segment)
        return render(request, "web/segments/builder.html", context)
    definition, _, _ = definition_from_form(request.POST)
    problems = _problems(definition)
    if not problems:
        fields = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "definition": definition,
            "shared": request.POST.get("shared") == "on",
        }
        try:
            if segment is None:
                saved = services.segment_create(by=user, **fields)
            else:
                saved = services.segment_update(by=user, segment_id=segment.pk, changes=fields)
        except ValidationError as error:
            problems = _problems(definition, error)
        else:
            messages.success(request, f"{saved.name}: {saved.members_count:,} members now.")
            return redirect("web:segment", segment_id=saved.pk)
    context = {**_builder_context(user, request.POST, segment), "problems": problems}
    return render(request, "web/segments/builder.html", context, status=422)


@login_required
@require_POST
def segment_preview(request: HttpRequest) -> HttpResponse:
    """The builder's live count and sample (a fragment); nothing is stored."""
    user = signed_in_user(request)
    definition, _, _ = definition_from_form(request.POST)
    context: dict[str, Any] = {"problems": _problems(definition)}
    if not context["problems"]:
        try:
            context["preview"] = selectors.segment_preview(user=user, definition=definition)
        except ValidationError as error:
            context["problems"] = _problems(definition, error)
    return render(request, "web/segments/_preview.html", context)


@login_required
@require_GET
def segment(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = get_visible_or_404(user, Segment.objects.select_related("owner"), pk=segment_id)
    members = selectors.segment_members(user=user, segment=found).order_by("last_name", "id")
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    context = {
        "segment": found,
        "words": condition_words(found.definition.get("when", {})),
        "page": paginate(members, number=number),
        "may_change": Segment.objects.filter(pk=found.pk)
        .filter(pk__in=_changeable(user).values("pk"))
        .exists(),
        "section": "segments",
    }
    return render(request, "web/segments/detail.html", context)


def _changeable(user: User) -> Any:
    from tenure.access import visible

    return visible(user, Segment, Action.CHANGE)


@login_required
@require_POST
def segment_refresh(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = signed_in_user(request)
    change = services.segment_refresh(by=user, segment_id=segment_id)
    messages.success(
        request, f"Refreshed: {change.entered:,} entered, {change.left:,} left, "
        f"{change.members or 0:,} members now."
    )  # fmt: skip
    return redirect("web:segment", segment_id=segment_id)


@login_required
@require_POST
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = signed_in_user(request)
    services.segment_delete(by=user, segment_id=segment_id)
    messages.success(request, "The segment is deleted; its members left it.")
    return redirect("web:segments")


@login_required
@require_GET
def segment_members_csv(request: HttpRequest, segment_id: int) -> StreamingHttpResponse:
    user = signed_in_user(request)
    found = get_visible_or_404(user, Segment, pk=segment_id)
    members = selectors.segment_members(user=user, segment=found).order_by("pk")
    export = customers_export_csv(by=user, customers=members, insights=False)
    return _attachment(export, f"segment-{found.slug}")
