"""A 30-day trash for deleted records (customers, accounts, contacts, subscriptions, orders),
by serialization rather than soft delete.

Deleting moves the record and everything that goes with it (Django's ``Collector``, the same
walk ``delete()`` does, with no fast deletes so every row is seen) into one ``TrashItem`` as
JSON, then deletes them for real: every list, API, export and analytics read forgets them with
no filter anyone could miss. The deletion goes through the models' ``delete()`` signals, so its
history entries and events are written as for any delete. A restore loads the same rows with
the same ids (raw saves: the fixtures' path) in reverse deletion order and sets back the
references the delete had cleared; a purge removes items older than ``TRASH_DAYS``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models.deletion import Collector

from tenure.history.models import TrashItem

TRASH_DAYS = 30


class _EveryRow(Collector):
    # Fast deletes skip loading the rows; the trash must see each one to keep it.
    def can_fast_delete(self, *args: Any, **kwargs: Any) -> bool:
        return False


def trash_put(*, record: models.Model, by: Any, now: datetime) -> TrashItem:
    """Keep ``record`` and its dependents in the trash, then delete them (in the caller's
    transaction). The caller has checked that ``by`` may delete it."""
    collector = _EveryRow(using=router.db_for_write(type(record), instance=record))
    collector.collect([record])
    collector.sort()
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for model, instances in collector.data.items():
        found = sorted(instances, key=lambda r: r.pk)
        if not found:
            continue
        rows.extend(json.loads(serializers.serialize("json", found)))
        counts[model._meta.verbose_name_plural.__str__()] = len(found)
    cleared = [
        [
            field.model._meta.label,
            field.name,
            sorted({r.pk for objs in batches for r in objs}),  # type: ignore[attr-defined]
        ]
        for (field, _value), batches in collector.field_updates.items()
    ]
    item = TrashItem.objects.create(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        label=str(record)[:300],
        rows=rows,
        cleared=[entry for entry in cleared if entry[2]],
        counts=counts,
        deleted_by=by,
        deleted_at=now,
        owner_id=getattr(record, "owner_id", None),
    )
    collector.delete()
    return item


class RestoreRefused(Exception):
    """A trashed record cannot come back as it was; ``field`` and ``reason`` say why."""

    def __init__(self, *, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


def _restorable(row: models.Model) -> None:
    """The checks a row kept as it was must still pass: the records it references exist, its
    unique values are free. Not the fields' rules: it was stored, and comes back as it was."""
    plain = [f.name for f in row._meta.concrete_fields if not f.is_relation]
    try:
        row.clean_fields(exclude=plain)
    except ValidationError as error:
        raise ValidationError(
            {name: [_gone(row, name, errors)] for name, errors in error.error_dict.items()}
        ) from error
    row.validate_unique()
    row.validate_constraints()


def _gone(row: models.Model, name: str, errors: list[ValidationError]) -> str:
    """A reference whose record is gone, in words (an order whose customer was deleted since:
    that record comes back first); any other refusal in Django's."""
    if all(error.code == "invalid" for error in errors):
        field: Any = row._meta.get_field(name)
        return (
            f"its {field.verbose_name} (id {getattr(row, field.attname)}) no longer exists: "
            f"restore that {field.verbose_name} first"
        )
    return " ".join(message for error in errors for message in error.messages)


@transaction.atomic
def trash_unpack(*, item: TrashItem) -> models.Model:
    """Load ``item``'s rows back with their ids, set back the cleared references, and drop
    the item; returns the record. ``RestoreRefused`` when a row cannot come back (a unique
    value taken since, a referenced record gone)."""
    text = json.dumps(list(reversed(item.rows)))
    try:
        with transaction.atomic():
            for loaded in serializers.deserialize("json", text):
                _restorable(loaded.object)
                loaded.m2m_data = {}  # the link rows were kept, and come back as rows
                loaded.save()
    except ValidationError as error:
        name, reasons = next(iter(error.message_dict.items()))
        field = "record" if name == NON_FIELD_ERRORS else name  # a constraint over fields
        raise RestoreRefused(field=field, reason=" ".join(reasons)) from error
    except IntegrityError as error:
        # A unique value (an external id, an account's name) was taken since the delete.
        raise RestoreRefused(
            field="record", reason="a value of it is now used by another record"
        ) from error
    model = item.content_type.model_class()
    assert model is not None
    record = model._default_manager.get(pk=item.object_id)
    for label, field, ids in item.cleared:
        holders = apps.get_model(label)._default_manager.filter(pk__in=ids, **{field: None})
        for holder in holders:  # saves, so each reference set back is a change in the history
            setattr(holder, field, record)
            holder.save()
    item.delete()
    return record


def trash_expired(*, now: datetime) -> models.QuerySet[TrashItem]:
    return TrashItem.objects.filter(deleted_at__lt=now - timedelta(days=TRASH_DAYS))


def trash_purge(*, now: datetime) -> int:
    """Remove the items deleted more than ``TRASH_DAYS`` days before ``now``; how many."""
    purged, _ = trash_expired(now=now).delete()
    return purged


def trash_items_about(*, customer_id: int) -> list[TrashItem]:
    """The trash items holding a row of this customer (an order, an interaction, a
    subscription deleted within 30 days: each row's ``customer`` is theirs): what a person's
    erasure must remove too, since a restore would bring their words and figures back. Read
    in Python: the trash holds 30 days of deletes, and its rows are JSON on every database."""
    return [
        item
        for item in TrashItem.objects.order_by("pk")
        if any(row.get("fields", {}).get("customer") == customer_id for row in item.rows)
    ]
