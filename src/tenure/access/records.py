"""The steps every write service repeats: find the record the user may change, refuse unknown
fields, validate, save without leaking an IntegrityError."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet

from tenure.access.scopes import get_visible_or_404, require
from tenure.domain.access import Action

M = TypeVar("M", bound=Model)


def record_for_change(by: Any, model_or_queryset: type[M] | QuerySet[M], pk: int) -> M:
    """The record ``pk`` locked for update, if ``by`` may change it (403 / 404 otherwise).

    ``by=None`` is the operator at the command line, who may change everything.
    """
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    ).select_for_update()
    if by is None:
        return queryset.get(pk=pk)
    return get_visible_or_404(by, queryset, Action.CHANGE, pk=pk)


def require_change(by: Any) -> None:
    if by is not None:
        require(by, Action.CHANGE)


def reject_unknown_fields(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: ["unknown field"] for name in sorted(unknown)})


def record_save(instance: Model, *, unique_fields: Iterable[str] = ()) -> None:
    """Validate (model and database rules) and save; a race on a unique value is a field error."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        fields = list(unique_fields) or ["__all__"]
        raise ValidationError(
            {name: ["a record with this value already exists"] for name in fields}
        ) from error
