"""Stage editing (admins only; 403 for everyone else): the active lifecycle definition shown
readably, its versions, an edit form with the JSON definition, and activating an older version.

The grammar is ``tenure.domain.lifecycle``; ``definition_save`` validates and refuses with one
message per problem, each naming its path (``rules[3].when.all[1].fact: ...``), shown here by
path. An edit is a new version; it takes effect on the next recompute.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tenure.access import require
from tenure.domain.access import Action
from tenure.domain.facts import Fact
from tenure.domain.lifecycle import (
    ANY_STAGE,
    PRESET_NAMES,
    STAGE_ROLES,
    UNSTAGED,
    preset_definition,
)
from tenure.domain.lifecycle.facts import rule_facts
from tenure.lifecycle import services
from tenure.lifecycle.models import LifecycleDefinition
from tenure.web.forms import DefinitionForm
from tenure.web.views._render import signed_in_user

VERSIONS_SHOWN = 30
TIMES, MINUS = "\u00d7", "\u2212"  # the multiplication and minus signs
_OPS = {"==": "is", "!=": "is not", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
_CATEGORY_OPS = {"is": "is", "is_not": "is not", "in": "is one of", "not_in": "is none of"}
ATTRIBUTES = Fact(
    "attribute.<name>",
    "category",
    "An imported attribute, by its name as imported (attribute.plan): read as a number by "
    "==, !=, <, <=, >, >= with a number, as a category by is, is_not, in, not_in.",
)


@login_required
@require_http_methods(["GET", "POST"])
def lifecycle_definition(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    active = services.active_definition()
    preset = request.GET.get("preset", "")
    problems: list[tuple[str, str]] = []
    if request.method == "POST":
        form = DefinitionForm(request.POST)
        if form.is_valid():
            try:
                saved = services.definition_save(
                    by=user,
                    data=form.cleaned_data["definition"],
                    name=form.cleaned_data["name"],
                    preset=form.cleaned_data["preset"],
                )
            except ValidationError as error:
                problems = _problems(error)
            else:
                messages.success(
                    request,
                    f"Version {saved.version} is active; it applies from the next recompute.",
                )
                return redirect("web:lifecycle-definition")
    elif preset in PRESET_NAMES:
        form = DefinitionForm(initial=_initial(preset_definition(preset), preset))
    else:
        preset = ""
        form = DefinitionForm(initial=_initial(active.definition, active.preset, active.name))
    context = {
        "active": active,
        "stages": [
            {**stage.__dict__, "role_words": STAGE_ROLES[stage.role]}
            for stage in services.model_of(active).stages
        ],
        "conditions": [
            {"label": _fact_name(name), "words": condition_words(node)}
            for name, node in active.definition.get("conditions", {}).items()
        ],
        "rules": [_rule_view(rule, active.definition) for rule in active.definition["rules"]],
        "versions": LifecycleDefinition.objects.select_related("created_by")[:VERSIONS_SHOWN],
        "form": form,
        "problems": problems,
        "presets": PRESET_NAMES,
        "preset": preset,
        "facts": [*rule_facts().values(), ATTRIBUTES],
        "section": "lifecycle",
    }
    status = 422 if problems else 200
    return render(request, "web/lifecycle/definition.html", context, status=status)


@login_required
@require_POST
def lifecycle_definition_activate(request: HttpRequest, definition_id: int) -> HttpResponse:
    user = signed_in_user(request)
    require(user, Action.ADMINISTER)
    definition = get_object_or_404(LifecycleDefinition, pk=definition_id)
    services.definition_activate(by=user, version=definition.version)
    messages.success(
        request, f"Version {definition.version} is active; it applies from the next recompute."
    )
    return redirect("web:lifecycle-definition")


def _initial(definition: dict[str, Any], preset: str, name: str = "") -> dict[str, Any]:
    return {
        "definition": json.dumps(definition, indent=2, ensure_ascii=False),
        "preset": preset,
        "name": name or definition.get("name", ""),
    }


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    """(path, message) per problem: the service's messages read ``path: message``."""
    found = []
    for message in error.messages:
        path, sep, rest = message.partition(": ")
        found.append((path, rest) if sep and " " not in path else ("", message))
    return found


def _rule_view(rule: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    names = {stage["key"]: stage.get("name", stage["key"]) for stage in definition["stages"]}
    sources = rule.get("from", [])
    sources = [sources] if isinstance(sources, str) else sources
    shown = [
        "any stage" if key == ANY_STAGE else "no stage yet" if key == UNSTAGED else names.get(key)
        for key in sources
    ]
    return {
        "name": rule.get("name", ""),
        "from": [name or "?" for name in shown],
        "to": names.get(rule.get("to", ""), rule.get("to", "")),
        "when": condition_words(rule.get("when", {})),
        "reason": rule.get("reason", ""),
    }


def _fact_name(name: Any) -> str:
    return str(name).replace("_", " ")


def condition_words(node: Any) -> str:
    """A condition of the grammar in words: ``days since last order ≥ 3 x typical gap days``
    (with the multiplication sign)."""
    if not isinstance(node, dict):
        return str(node)
    if "all" in node or "any" in node:
        joiner = " and " if "all" in node else " or "
        items = node["all"] if "all" in node else node["any"]
        parts = [_grouped(item) for item in items or []]
        return joiner.join(parts)
    if "not" in node:
        return f"not {_grouped(node['not'])}"
    if "condition" in node:
        return f"«{_fact_name(node['condition'])}»"
    fact, op = _fact_name(node.get("fact", "?")), node.get("op", "")
    if op == "missing":
        return f"{fact} is unknown"
    if op == "known":
        return f"{fact} is known"
    value = node.get("value")
    if op in _CATEGORY_OPS:
        texts = value if isinstance(value, list) else [value]
        return f"{fact} {_CATEGORY_OPS[op]} " + ", ".join(f"“{text}”" for text in texts)
    if isinstance(value, bool):
        return f"{fact} {_OPS.get(op, op)} {'yes' if value else 'no'}"
    if isinstance(value, dict):
        times, plus = value.get("times", 1), value.get("plus", 0)
        other = _fact_name(value.get("fact", "?"))
        text = other if times == 1 else f"{times:g} {TIMES} {other}"
        if plus:
            text += f" + {plus:g}" if plus > 0 else f" {MINUS} {-plus:g}"
        return f"{fact} {_OPS.get(op, op)} {text}"
    return f"{fact} {_OPS.get(op, op)} {value}"


def _grouped(node: Any) -> str:
    words = condition_words(node)
    return f"({words})" if isinstance(node, dict) and ("all" in node or "any" in node) else words
