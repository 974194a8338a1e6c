"""Export everything tenure holds about a person; erase (anonymise) a person.

Erasure keeps the orders, subscriptions, the kinds and dates of interactions, the scores of
survey answers and the referrals as anonymous figures, so that revenue, retention, churn and NPS
stay right, and removes every trace of who the person was: names, email, phone, birthday, free
text (answer comments too), special dates, consents, custom attributes, the emails of
referrals they made or received, and the change-history entries that held any of them. Both
acts are themselves recorded in the history (who, when), without personal data.
"""

from __future__ import annotations

from typing import Any, cast

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.module_loading import import_string

from tenure.access import require
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.feedback.selectors import person_feedback
from tenure.feedback.services import person_feedback_erase
from tenure.history.models import TrashItem
from tenure.history.selectors import history_entry_view, history_of
from tenure.history.trash import trash_items_about
from tenure.interactions.models import Interaction
from tenure.privacy.signals import person_erasing, person_exporting
from tenure.users.models import User
from tenure.voices.services import person_voices, person_voices_erase

ERASED = "[erased]"
JSON_ENCODER = DjangoJSONEncoder


def _customer_for(by: User | None, customer_id: int) -> Customer:
    if by is not None:
        require(by, Action.ADMINISTER)
    return Customer.objects.select_for_update().get(pk=customer_id)


def _record(instance: Model, event: str, by: User | None) -> None:
    LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_pk=str(instance.pk),
        object_id=instance.pk,
        object_repr=f"{instance._meta.verbose_name} {instance.pk}",
        action=LogEntry.Action.ACCESS if event == "export" else LogEntry.Action.UPDATE,
        changes={"personal data": ["", event]},
        additional_data={"event": event},
        actor=by,
        timestamp=timezone.now(),
    )


def _plain(instance: Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    data = model_to_dict(instance, exclude=list(exclude))
    data["id"] = instance.pk
    return data


def _prediction(customer: Customer) -> dict[str, Any] | None:
    """The models' profile of the person (P(alive), predicted value): profiling is personal data
    too. Read through the reverse relation: insights is a sibling app this one does not import."""
    try:
        return _plain(customer.prediction)
    except ObjectDoesNotExist:
        return None


@transaction.atomic
def person_export(*, by: User | None = None, customer_id: int) -> dict[str, Any]:
    """Everything tenure holds about the customer, as JSON-ready data (DjangoJSONEncoder)."""
    customer = _customer_for(by, customer_id)
    orders = customer.orders.prefetch_related("lines").order_by("placed_at", "id")
    data = {
        "exported_at": timezone.now(),
        "customer": _plain(customer, exclude=("team",)),
        "account": customer.account.name if customer.account else None,
        "owner": customer.owner.get_username() if customer.owner else None,
        "team": [member.get_username() for member in customer.team.all()],
        "consents": [_plain(c) for c in customer.consents.all()],
        "special_dates": [_plain(d) for d in customer.special_dates.all()],
        "subscriptions": [_plain(s) for s in customer.subscriptions.all()],
        "orders": [
            {**_plain(order), "lines": [_plain(line) for line in order.lines.all()]}
            for order in orders
        ],
        "interactions": [_plain(i) for i in customer.interactions.order_by("occurred_at", "id")],
        **person_feedback(customer=customer),
        "voices": person_voices(customer=customer),
        "history": [history_entry_view(entry) for entry in history_of(record=customer)],
        "prediction": _prediction(customer),
    }
    for _, sections in person_exporting.send(sender=Customer, customer=customer, by=by):
        data.update(cast("dict[str, Any]", sections or {}))
    _record(customer, "export", by)
    return data


def _forget_history(records: list[Model]) -> int:
    """Delete the history entries of these records: their diffs hold the erased values."""
    deleted = 0
    for model in {type(record) for record in records}:
        ids = [record.pk for record in records if type(record) is model]
        deleted += LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids
        ).delete()[0]
    return deleted


def _forget_trashed_history(items: list[TrashItem]) -> int:
    """Delete the history entries of the rows in these trash items (a deleted note's entry
    holds its words): by model and id, since the rows are no longer stored."""
    deleted = 0
    for item in items:
        for row in item.rows:
            model = apps.get_model(row["model"])
            deleted += LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model), object_id=row["pk"]
            ).delete()[0]
    return deleted


@transaction.atomic
def person_erase(*, by: User | None = None, customer_id: int) -> dict[str, int]:
    """Anonymise the customer in place. Returns how many records of each kind were touched."""
    customer = _customer_for(by, customer_id)
    identifiers = [customer.external_id, customer.email]  # before they go
    interactions = list(customer.interactions.all())
    related: list[Model] = [customer, *interactions]
    related += list(customer.special_dates.all())
    related += list(customer.consents.all())
    related += list(customer.subscriptions.all())
    with disable_auditlog():
        # Before the email goes: invitations sent to it are found by it.
        feedback, feedback_records = person_feedback_erase(customer=customer)
        related += feedback_records
        voices, voice_records = person_voices_erase(customer=customer)
        related += voice_records
        customer.first_name = ""
        customer.last_name = ""
        customer.email = ""
        customer.phone = ""
        customer.birthday = None
        customer.custom_attributes = {}
        customer.external_id = f"erased-{customer.pk}"
        customer.save()
        customer.team.clear()
        special_dates = customer.special_dates.all().delete()[0]
        consents = customer.consents.all().delete()[0]
        for interaction in interactions:
            interaction.subject = ERASED if interaction.subject else ""
            interaction.body = ERASED if interaction.body else ""
            interaction.resolution = ERASED if interaction.resolution else ""
        Interaction.objects.bulk_update(interactions, ["subject", "body", "resolution"])
        # Apps above this one (tasks and their comments, say) forget their part, and hand back
        # the records whose change history holds the old text.
        elsewhere: dict[str, int] = {}
        for _, outcome in person_erasing.send(sender=Customer, customer=customer, by=by):
            counts, records = cast("tuple[dict[str, int], list[Model]]", outcome or ({}, []))
            elsewhere.update(counts)
            related += records
    # Their records in the trash (an order, a note deleted last week) go for good: a restore
    # would bring back what the erasure removed.
    trashed = trash_items_about(customer_id=customer.pk)
    history = _forget_history(related) + _forget_trashed_history(trashed)
    for item in trashed:
        item.delete()
    # Apps beside this one (uploaded import files) forget the person too, by name.
    for hook in settings.PERSON_ERASE_HOOKS:
        elsewhere.update(import_string(hook)(identifiers=identifiers))
    _record(customer, "erase", by)
    return {
        "interactions": len(interactions),
        "special_dates": special_dates,
        "consents": consents,
        **feedback,
        **voices,
        **elsewhere,
        "trash_items": len(trashed),
        "history_entries": history,
    }
