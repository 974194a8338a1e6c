"""Events of single-record writes, from the model's own save and delete.

Every path that saves one record (a service called by the API or a page, the admin, a
worker's job) goes through ``Model.save()`` or ``delete()``, so following the model is what
makes them all write the same events for the same change. The rule that turns a change into
events is the app's (``rule(record_id, before, after)``, ``before``/``after`` the followed
fields as dicts, None for a creation or a deletion); bulk writes that bypass save() (imports)
call the same rule themselves (``events_of_changes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from tenure.events.record import NewEvent, events_record

Values = Mapping[str, Any]
Rule = Callable[[int, Values | None, Values | None], Sequence[NewEvent]]

_BEFORE = "_tenure_events_before"
# model -> (fields, rule) of every followed model, for bulk creations (``events_of_created``)
_FOLLOWED: dict[type[models.Model], tuple[tuple[str, ...], Rule]] = {}


def values_of(record: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in fields}


def events_follow(model: type[models.Model], fields: Sequence[str], rule: Rule) -> None:
    """Write ``rule``'s events for every save and delete of ``model``, in its transaction."""
    fields = tuple(fields)
    label = model._meta.label
    _FOLLOWED[model] = (fields, rule)

    def before_save(sender: Any, instance: models.Model, raw: bool = False, **_: Any) -> None:
        if raw or instance._state.adding or instance.pk is None:
            setattr(instance, _BEFORE, None)
            return
        stored = model._default_manager.filter(pk=instance.pk).values(*fields).first()
        setattr(instance, _BEFORE, stored)

    def after_save(sender: Any, instance: models.Model, raw: bool = False, **_: Any) -> None:
        if raw:
            return  # fixtures load rows, not changes
        before = getattr(instance, _BEFORE, None)
        after = values_of(instance, fields)
        if before == after:
            return
        events_record(rule(int(instance.pk), before, after))

    def after_delete(sender: Any, instance: models.Model, **_: Any) -> None:
        events_record(rule(int(instance.pk), values_of(instance, fields), None))

    uid = f"tenure-events-{label}"
    pre_save.connect(before_save, sender=model, weak=False, dispatch_uid=f"{uid}-pre")
    post_save.connect(after_save, sender=model, weak=False, dispatch_uid=f"{uid}-post")
    post_delete.connect(after_delete, sender=model, weak=False, dispatch_uid=f"{uid}-delete")


def events_of_changes(
    rule: Rule, changes: Iterable[tuple[int, Values | None, Values | None]]
) -> list[NewEvent]:
    """The events of many changes (id, before, after) by the model's rule: for bulk writes."""
    return [
        event for record_id, before, after in changes for event in rule(record_id, before, after)
    ]


def events_of_created(records: Sequence[models.Model]) -> list[NewEvent]:
    """The events of records created in bulk (``bulk_create``, their ids set), by their
    model's rule; none for a model that no rule follows."""
    if not records:
        return []
    followed = _FOLLOWED.get(type(records[0]))
    if followed is None:
        return []
    fields, rule = followed
    return events_of_changes(rule, ((int(r.pk), None, values_of(r, fields)) for r in records))


def changed_fields(before: Values | None, after: Values | None) -> list[str]:
    if before is None or after is None:
        return sorted((after or before or {}).keys())
    return sorted(name for name in after if before.get(name) != after[name])
