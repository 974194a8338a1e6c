"""Apply the role policy of `tenure.domain.access` to querysets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from tenure.domain.access import Action, Scope, scope_of

M = TypeVar("M", bound=Model)


class AccessDenied(PermissionDenied):
    """The user's role may not do this at all (not a matter of which record)."""


# Each "own" rule is an OR of id lookups that indexes answer (owner_id, the team tables, the
# account's), never a join through the team tables: such a join repeats rows, which then need
# DISTINCT, and makes the database scan every customer with four joins to find a user's few
# hundred (a success manager's list at 100,000 customers: p50 328 -> 54 ms on SQLite, 302 -> 76
# ms on PostgreSQL; benchmarks/pages.py). Models by label, not import: no import cycles.
def _team_ids(label: str, user: Any) -> QuerySet[Any]:
    model = apps.get_model(label)
    through = model._meta.get_field("team").remote_field.through
    column = f"{model._meta.model_name}_id"
    return through._default_manager.filter(user=user).values(column)


def _account_is_own(user: Any) -> Q:
    return Q(owner=user) | Q(pk__in=_team_ids("customers.Account", user))


def _own_account_ids(user: Any) -> QuerySet[Any]:
    account = apps.get_model("customers.Account")
    return account._default_manager.filter(_account_is_own(user)).values("pk")


def _customer_is_own(user: Any) -> Q:
    # A customer is someone's own when they own it or are on its team, or on its account's.
    return (
        Q(owner=user)
        | Q(pk__in=_team_ids("customers.Customer", user))
        | Q(account_id__in=_own_account_ids(user))
    )


def _own_customer_ids(user: Any) -> QuerySet[Any]:
    customer = apps.get_model("customers.Customer")
    return customer._default_manager.filter(_customer_is_own(user)).values("pk")


def _of_own_customer(user: Any) -> Q:
    return Q(customer_id__in=_own_customer_ids(user))


# How to tell a user's own records, per model label. A model missing here is visible only to
# roles whose scope is ALL: new models are closed until someone decides.
_OWN: dict[str, Callable[[Any], Q]] = {
    "customers.Account": _account_is_own,
    "customers.Customer": _customer_is_own,
    "customers.Contact": lambda user: Q(account_id__in=_own_account_ids(user)),
    "customers.Subscription": _of_own_customer,
    "customers.SpecialDate": _of_own_customer,
    "customers.Consent": _of_own_customer,
    "orders.Order": _of_own_customer,
    "orders.OrderLine": lambda user: Q(order__customer_id__in=_own_customer_ids(user)),
    "interactions.Interaction": lambda user: (
        _of_own_customer(user) | Q(account_id__in=_own_account_ids(user))
    ),
    "feedback.SurveyResponse": _of_own_customer,
    # A comment or review is its customer's; one not matched to a customer is no one's own.
    "voices.Voice": _of_own_customer,
    # A referral is the book's of either side: the customer who referred or the one referred.
    "feedback.Referral": lambda user: (
        Q(referrer_id__in=_own_customer_ids(user))
        | Q(referred_customer_id__in=_own_customer_ids(user))
    ),
    "lifecycle.CustomerStage": _of_own_customer,
    "lifecycle.StageTransition": _of_own_customer,
    "lifecycle.HealthScore": _of_own_customer,
    "lifecycle.HealthSnapshot": _of_own_customer,
    "todos.Task": lambda user: _task_is_own(user),
    # An event is its customer's (an event of no customer, an import's, is no one's own).
    "events.Event": _of_own_customer,
    # A message is its customer's, or its contact's account's.
    "mail.Message": lambda user: (
        _of_own_customer(user) | Q(contact__account_id__in=_own_account_ids(user))
    ),
    "todos.TaskComment": lambda user: Q(task_id__in=_own_task_ids(user)),
    # A segment is a saved filter: its owner's, and the team's when shared. Its members are
    # seen through their customers.
    "segments.Segment": lambda user: Q(owner=user) | Q(shared=True),
    "segments.SegmentMembership": _of_own_customer,
    "playbooks.Enrollment": _of_own_customer,
    # A saved list view, like a segment: its owner's, and the team's when shared.
    "workspace.SavedView": lambda user: Q(owner=user) | Q(shared=True),
    "playbooks.StepRun": lambda user: Q(enrollment__customer_id__in=_own_customer_ids(user)),
    # The ideas board is the whole team's; a request is its customer's.
    "ideas.Idea": lambda user: Q(),
    "ideas.IdeaRequest": _of_own_customer,
    # A gift, a thank-you note, an invitation: the account's.
    "success.Appreciation": lambda user: Q(account_id__in=_own_account_ids(user)),
    # A feedback form speaks for the business: the whole team reads it (to link to it).
    "voices.FeedbackForm": lambda user: Q(),
}


# Where changing a record is narrower than seeing it. A referral is seen from both sides but
# made by its referrer: the book of the customer referred may not rewrite or delete it.
_OWN_TO_CHANGE: dict[str, Callable[[Any], Q]] = {
    "feedback.Referral": lambda user: Q(referrer_id__in=_own_customer_ids(user)),
    # A shared segment is seen by the team but changed by its owner (or a role over all).
    "segments.Segment": lambda user: Q(owner=user),
    "workspace.SavedView": lambda user: Q(owner=user),
    # An idea is seen by the team but edited by its author (or a role over all).
    "ideas.Idea": lambda user: Q(created_by=user),
    # A feedback form is changed by a role over all only (FORMS_WHY).
    "voices.FeedbackForm": lambda user: Q(pk__in=[]),
}


def _task_is_own(user: Any) -> Q:
    # A task is one's own when it is assigned to them or is about their customers or accounts.
    return Q(owner=user) | _of_own_customer(user) | Q(account_id__in=_own_account_ids(user))


def _own_task_ids(user: Any) -> QuerySet[Any]:
    task = apps.get_model("todos.Task")
    return task._default_manager.filter(_task_is_own(user)).values("pk")


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


def sees_all(user: Any, action: Action = Action.VIEW) -> bool:
    """Whether the user's role reaches every record for ``action``, not only its own."""
    return scope_of(_role(user), action) is Scope.ALL


def require_all(user: Any, action: Action = Action.VIEW, *, why: str) -> None:
    """Raise AccessDenied unless the role reaches every record: for figures about the whole
    customer base (a model fit's counts), which a role limited to its own must not learn."""
    if not sees_all(user, action):
        raise AccessDenied(why)


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
    label = queryset.model._meta.label
    own = (_OWN_TO_CHANGE.get(label) if action is not Action.VIEW else None) or _OWN.get(label)
    if scope is Scope.OWN and own is not None:
        # No multi-valued joins in the rule: rows never repeat, no DISTINCT needed.
        return queryset.filter(own(user))
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
