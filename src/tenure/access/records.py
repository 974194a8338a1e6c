"""The steps every write service repeats: find the record the user may change, refuse unknown
fields, validate, save without leaking an IntegrityError, and never reveal a record outside the
user's scope through an error.

A unique value (an external id, an account's name) is unique across the whole business, so
a create or a change that reuses one is refused whoever holds it. The refusal is one sentence,
``TAKEN``, whether the record that holds the value is in the caller's scope or not: nothing in
it (no id, no field, no other wording) tells the two apart. That the value is taken is all
it can tell, and the refusal itself tells that much (see the API's description).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import Model, QuerySet, UniqueConstraint

from tenure.access.scopes import get_visible_or_404, require
from tenure.domain.access import Action

M = TypeVar("M", bound=Model)

TAKEN = "already taken: it must be unique among all records, including those you cannot see"
"""The one answer to a unique value in use, wherever the record holding it is."""
REFUSED = "the database refused this record; nothing of it was stored"
"""A save the database refused for a reason validation did not foresee."""


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


def _taken(errors: dict[str, list[Any]], name: str) -> None:
    found = errors.setdefault(name, [])
    if TAKEN not in found:
        found.append(TAKEN)


def record_validate(instance: Model) -> None:
    """``full_clean``, with every unique value in use answered by ``TAKEN`` on its field.

    Django's own words ("Customer with this External id already exists.", a constraint's
    message) would do as well today, but one sentence for every model is what a test can hold
    the whole API to. A constraint over several fields (``kind, external_id``) names its last:
    the fields before it say within what the last must be unique.
    """
    errors: dict[str, list[Any]] = {}
    for step in (instance.clean_fields, instance.clean):
        try:
            step()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    exclude = {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        instance.validate_unique(exclude=exclude)
    except ValidationError as error:
        for name in error.update_error_dict({}):
            _taken(errors, name)
    using = router.db_for_write(type(instance), instance=instance)
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as error:
                if isinstance(constraint, UniqueConstraint):
                    _taken(errors, constraint.fields[-1] if constraint.fields else NON_FIELD_ERRORS)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def record_save(instance: Model) -> None:
    """Validate (model and database rules) and save; never an IntegrityError.

    A concurrent writer may take a unique value between the check and the insert: the save
    then fails, its savepoint rolls back, and validating again (the other row is committed by
    then: the insert waited for it) names the field with ``TAKEN``. Anything else the database
    refuses is ``REFUSED``, a validation error too: the request was refused, not broken.
    """
    record_validate(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        record_validate(instance)
        raise ValidationError({NON_FIELD_ERRORS: [REFUSED]}) from error
