"""Writes of playbooks: create, update, enable, disable (admins and managers: a playbook acts
on every customer). Every definition is checked by ``tenure.domain.playbooks``; enabling also
checks that something runs each of its steps ("email steps need the mail app")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from tenure.access import AccessDenied, require, sees_all
from tenure.domain.access import Action
from tenure.domain.lifecycle import Problem
from tenure.domain.lifecycle.parse import did_you_mean
from tenure.domain.playbooks import PlaybookDefinition, PlaybookError, definition_parse
from tenure.events.kinds import UnknownEventKind, event_kind, event_kinds
from tenure.playbooks.models import Playbook
from tenure.playbooks.steps import executable_kinds, step_check
from tenure.users.models import User

COLUMNS = ("name", "slug", "enabled", "priority")


def playbook_require(by: User | None) -> None:
    """Raise ``AccessDenied`` unless ``by`` may change playbooks (admins, managers)."""
    if by is None:
        return
    require(by, Action.CHANGE)
    if not sees_all(by, Action.CHANGE):
        raise AccessDenied("only admins and managers may change playbooks: they reach everyone")


def _refusal(error: PlaybookError) -> ValidationError:
    """One message per problem, keyed by its field (``steps[2].days``)."""
    fields: dict[str, list[str]] = {}
    for problem in error.problems:
        fields.setdefault(problem.path or "definition", []).append(problem.message)
    return ValidationError(fields)


def _unknown_kinds(parsed: PlaybookDefinition) -> list[Problem]:
    """An event trigger's kinds no app registers (``segment.entered`` before the segments
    app): such a playbook may be stored, not switched on."""
    raw = parsed.raw.get("trigger", {})
    paths = (
        [f"trigger.events[{i}].kind" for i in range(len(raw.get("events", [])))]
        if "events" in raw
        else ["trigger.kind"]
    )
    problems = []
    for path, match in zip(paths, parsed.trigger.events, strict=False):
        try:
            event_kind(match.kind)
        except UnknownEventKind:
            names = [kind.name for kind in event_kinds()]
            problems.append(
                Problem(
                    path, f'no app records "{match.kind}" events{did_you_mean(match.kind, names)}'
                )
            )
    return problems


def _unready_steps(parsed: PlaybookDefinition) -> list[Problem]:
    """Steps naming what is not there (an email template, a static segment): the field and
    the reason, so a playbook that would fail at its first customer is not switched on."""
    problems = []
    for index, step in enumerate(parsed.steps):
        check = step_check(step.kind)
        reason = check(step.params) if check is not None else None
        if reason is not None:
            field = next(iter(step.spec.params), "kind")
            problems.append(Problem(f"steps[{index}].{field}", reason))
    return problems


def definition_check(data: Any) -> PlaybookDefinition:
    """Parse a definition; an enabled one only with steps something runs and event kinds some
    app records. Raises ``ValidationError`` keyed by field."""
    try:
        parsed = definition_parse(data)
        if parsed.enabled:
            parsed = definition_parse(data, executable=executable_kinds())
            unknown = _unknown_kinds(parsed) + _unready_steps(parsed)
            if unknown:
                raise PlaybookError(unknown)
    except PlaybookError as error:
        raise _refusal(error) from error
    return parsed


def definition_of(playbook: Playbook) -> PlaybookDefinition:
    """The stored playbook, parsed (its columns win over the JSON's copies)."""
    data = {**playbook.definition, **{name: getattr(playbook, name) for name in COLUMNS}}
    return definition_parse(data)


def _store(playbook: Playbook, parsed: PlaybookDefinition) -> None:
    playbook.definition = dict(parsed.raw)
    playbook.name, playbook.slug = parsed.name, parsed.slug
    playbook.enabled, playbook.priority = parsed.enabled, parsed.priority
    if Playbook.objects.filter(slug=parsed.slug).exclude(pk=playbook.pk).exists():
        raise ValidationError({"slug": ["already taken"]})
    playbook.save()


@transaction.atomic
def playbook_create(*, by: User | None, data: Any, builtin: str = "") -> Playbook:
    """A new playbook from its definition (off unless it says ``"enabled": true``)."""
    playbook_require(by)
    parsed = definition_check(data)
    playbook = Playbook(created_by=by, builtin=builtin)
    _store(playbook, parsed)
    return playbook


@transaction.atomic
def playbook_update(*, by: User | None, playbook_id: int, data: Any) -> Playbook:
    """Replace a playbook's definition. Customers enrolled go on with the new steps from the
    step they are at (a step removed: they complete)."""
    playbook_require(by)
    playbook = _locked(playbook_id)
    _store(playbook, definition_check(data))
    return playbook


def _locked(playbook_id: int) -> Playbook:
    found = Playbook.objects.select_for_update().filter(pk=playbook_id).first()
    if found is None:
        raise Http404(f"no playbook with id {playbook_id}")
    return found


def playbook_enable(*, by: User | None, playbook_id: int) -> Playbook:
    return _switch(by, playbook_id, enabled=True)


def playbook_disable(*, by: User | None, playbook_id: int) -> Playbook:
    """Switch a playbook off: it enrols nobody more and its due steps wait (they go on when it
    is switched on again)."""
    return _switch(by, playbook_id, enabled=False)


@transaction.atomic
def _switch(by: User | None, playbook_id: int, *, enabled: bool) -> Playbook:
    playbook_require(by)
    playbook = _locked(playbook_id)
    data = {**playbook.definition, **{name: getattr(playbook, name) for name in COLUMNS}}
    _store(playbook, definition_check({**data, "enabled": enabled}))
    return playbook
