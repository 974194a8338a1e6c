"""Apply the role policy of `tenure.domain.access` to querysets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from tenure.domain.access import Action, Scope, scope_of

M = TypeVar("M", bound=Model)


class AccessDenied(PermissionDenied):
    """The user's role may not do this at all (not a matter of which record)."""


def _account_is_own(user: Any, prefix: str = "") -> Q:
    return Q(**{f"{prefix}owner": user}) | Q(**{f"{prefix}team": user})


def _customer_is_own(user: Any, prefix: str = "") -> Q:
    # A customer is someone's own when they own it or are on its team, or on its account's.
    return (
        Q(**{f"{prefix}owner": user})
        | Q(**{f"{prefix}team": user})
        | Q(**{f"{prefix}account__owner": user})
        | Q(**{f"{prefix}account__team": user})
    )


# How to tell a user's own records, per model label. A model missing here is visible only to
# roles whose scope is ALL: new models are closed until someone decides. Labels and lookups, not
# model imports, so that every app can ask here without an import cycle.
_OWN: dict[str, Callable[[Any], Q]] = {
    "customers.Account": _account_is_own,
    "customers.Customer": _customer_is_own,
    "customers.Contact": lambda user: _account_is_own(user, "account__"),
    "customers.Subscription": lambda user: _customer_is_own(user, "customer__"),
    "customers.SpecialDate": lambda user: _customer_is_own(user, "customer__"),
    "customers.Consent": lambda user: _customer_is_own(user, "customer__"),
    "orders.Order": lambda user: _customer_is_own(user, "customer__"),
    "orders.OrderLine": lambda user: _customer_is_own(user, "order__customer__"),
    "interactions.Interaction": lambda user: (
        _customer_is_own(user, "customer__") | _account_is_own(user, "account__")
    ),
}


def _role(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    return str(getattr(user, "role", ""))


def may(user: Any, action: Action) -> bool:
    return scope_of(_role(user), action) is not None


def require(user: Any, action: Action) -> None:
    """Raise AccessDenied (403) unless the user's role may ``action`` some records."""
    if not may(user, action):
        raise AccessDenied(f"your role may not {action.value} records")


def visible(
    user: Any, model_or_queryset: type[M] | QuerySet[M], action: Action = Action.VIEW
) -> QuerySet[M]:
    """The records the user may ``action``; empty for a role that may not act at all."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    scope = scope_of(_role(user), action)
    if scope is Scope.ALL:
        return queryset
    if scope is Scope.OWN and (own := _OWN.get(queryset.model._meta.label)) is not None:
        # Team joins can repeat a row; filtering on ids keeps the queryset free of duplicates
        # and of DISTINCT, so ordering and pagination behave as usual.
        ids = queryset.model._default_manager.filter(own(user)).values("pk")
        return queryset.filter(pk__in=ids)
    return queryset.none()


def get_visible_or_404(
    user: Any, model_or_queryset: type[M] | QuerySet[M], action: Action = Action.VIEW, **lookup: Any
) -> M:
    """The record the user may ``action``, or 404 (never revealing that it exists)."""
    if action is not Action.VIEW:
        require(user, action)
    try:
        return visible(user, model_or_queryset, action).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as error:
        raise Http404("no such record") from error
