"""Playbooks' pages: the list, one playbook's steps drawn as a flow (a card per step with how
many entered, were done, wait and left there), the JSON editor (each refusal shown by its
field) and the switch. Every role reads; admins and managers change (the services say so)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tenure.domain.playbook_steps import step_kinds
from tenure.playbooks import selectors, services
from tenure.playbooks.builtin import BUILTIN
from tenure.playbooks.models import Playbook
from tenure.web.views._render import signed_in_user

ENROLLMENTS_SHOWN = 50
NEW = {
    "name": "",
    "slug": "",
    "enabled": False,
    "priority": 100,
    "trigger": {"type": "event", "kind": "stage.entered", "match": {"role": "at_risk"}},
    "steps": [{"kind": "task", "title": "Call {customer}", "due_days": 2}],
    "reentry": "once",
}


@login_required
def playbooks(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    rows = [
        {"playbook": playbook, "totals": selectors.enrollment_totals(by=user, playbook=playbook)}
        for playbook in selectors.playbook_list(by=user)
    ]
    return render(request, "web/playbooks/list.html", {"rows": rows, "section": "playbooks"})


def _step_words(step: dict[str, Any]) -> str:
    kind = step.get("kind")
    if kind == "wait":
        days = step.get("days")
        return f"Wait {days:g} days" if isinstance(days, int | float) else "Wait"
    if kind == "task":
        return (
            f"Task for the owner: “{step.get('title', '')}”, due in {step.get('due_days', 1)} days"
        )
    if kind == "email":
        promotion = " (an offer)" if step.get("promotion") else ""
        return f"Email “{step.get('template', '')}”{promotion}"
    if kind == "branch":
        fallback = step.get("else")
        then = f", else to step {fallback + 1}" if isinstance(fallback, int) else ""
        return (
            f"If {step.get('on')} within {step.get('within_days')} days, go to step "
            f"{int(step.get('goto', 0)) + 1}{then}"
        )
    params = ", ".join(f"{k}: {v}" for k, v in step.items() if k != "kind")
    return f"{kind} {params}".strip()


@login_required
def playbook(request: HttpRequest, playbook_id: int) -> HttpResponse:
    user = signed_in_user(request)
    found = selectors.playbook_get(by=user, playbook_id=playbook_id)
    steps = found.definition.get("steps", [])
    counts = selectors.step_counts(by=user, playbook=found, kinds=[s.get("kind") for s in steps])
    labels = {kind.name: kind.label for kind in step_kinds()}
    context = {
        "playbook": found,
        "steps": [
            {
                "number": i + 1,
                "kind": s.get("kind"),
                "label": labels.get(s.get("kind"), ""),
                "words": _step_words(s),
                "count": counts[i],
            }
            for i, s in enumerate(steps)
        ],
        "trigger": json.dumps(found.definition.get("trigger"), ensure_ascii=False),
        "conditions": json.dumps(found.definition.get("conditions"), ensure_ascii=False)
        if found.definition.get("conditions") is not None
        else "",
        "reentry": json.dumps(found.definition.get("reentry", "once")),
        "totals": selectors.enrollment_totals(by=user, playbook=found),
        "enrollments": selectors.enrollment_list(by=user, playbook_id=found.pk)[:ENROLLMENTS_SHOWN],
        "section": "playbooks",
    }
    return render(request, "web/playbooks/detail.html", context)


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    return [
        (field, message) for field, messages_ in error.message_dict.items() for message in messages_
    ]


def _new_for(user: Any, segment_slug: str) -> dict[str, Any]:
    """A new playbook's starting JSON; from a segment's page, triggered by entering it."""
    from tenure.access import visible
    from tenure.segments.models import Segment

    segment = visible(user, Segment).filter(slug=segment_slug).first() if segment_slug else None
    if segment is None:
        return dict(NEW)
    return {
        **NEW,
        "name": f"When a customer enters {segment.name}",
        "slug": f"enters-{segment.slug}"[:60],
        "trigger": {"type": "event", "kind": "segment.entered", "match": {"slug": segment.slug}},
        "steps": [{"kind": "email", "template": "welcome-introduction", "class": "marketing"}],
    }


@login_required
@require_http_methods(["GET", "POST"])
def playbook_edit(request: HttpRequest, playbook_id: int | None = None) -> HttpResponse:
    user = signed_in_user(request)
    services.playbook_require(user)
    found = (
        None if playbook_id is None else selectors.playbook_get(by=user, playbook_id=playbook_id)
    )
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        text = request.POST.get("definition", "")
        try:
            data = json.loads(text)
        except ValueError as error:
            problems = [("definition", f"is not JSON: {error}")]
        else:
            try:
                if found is None:
                    saved = services.playbook_create(by=user, data=data)
                else:
                    saved = services.playbook_update(by=user, playbook_id=found.pk, data=data)
            except ValidationError as error:
                problems = _problems(error)
            else:
                messages.success(request, f"Playbook “{saved.name}” saved.")
                return redirect("web:playbook", saved.pk)
    else:
        base = _new_for(user, request.GET.get("segment", "")) if found is None else {
            **found.definition, "name": found.name, "slug": found.slug,
            "enabled": found.enabled, "priority": found.priority,
        }  # fmt: skip
        text = json.dumps(base, indent=2, ensure_ascii=False)
    context = {
        "playbook": found,
        "text": text,
        "problems": problems,
        "kinds": step_kinds(),
        "builtin": sorted(BUILTIN),
        "section": "playbooks",
    }
    return render(request, "web/playbooks/edit.html", context, status=422 if problems else 200)


@login_required
@require_POST
def playbook_switch(request: HttpRequest, playbook_id: int) -> HttpResponse:
    user = signed_in_user(request)
    services.playbook_require(user)
    found = selectors.playbook_get(by=user, playbook_id=playbook_id)
    switch = services.playbook_disable if found.enabled else services.playbook_enable
    try:
        saved: Playbook = switch(by=user, playbook_id=found.pk)
    except ValidationError as error:
        for field, message in _problems(error):
            messages.error(request, f"Not switched on: {field}: {message}")
    else:
        messages.success(request, f"“{saved.name}” is {'on' if saved.enabled else 'off'}.")
    return redirect("web:playbook", found.pk)
