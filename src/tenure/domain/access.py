"""Who may do what: the role policy, as data. One table decides for the web app, the API, the
CLI and the admin; `tenure.access` applies it to querysets.

| role | view | change (create, update, delete) | administer (users, roles, settings, erase) |
|---|---|---|---|
| admin | all | all | yes |
| manager | all | all | no |
| success manager | own | own | no |
| analyst | all | nothing | no |

"own" means the records of the accounts and customers the user owns or is on the team of, and
everything hanging from them (orders, interactions, contacts, subscriptions).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SUCCESS_MANAGER = "success_manager"
    ANALYST = "analyst"


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    ADMINISTER = "administer"


class Scope(StrEnum):
    ALL = "all"
    OWN = "own"


POLICY: dict[Role, dict[Action, Scope]] = {
    Role.ADMIN: {Action.VIEW: Scope.ALL, Action.CHANGE: Scope.ALL, Action.ADMINISTER: Scope.ALL},
    Role.MANAGER: {Action.VIEW: Scope.ALL, Action.CHANGE: Scope.ALL},
    Role.SUCCESS_MANAGER: {Action.VIEW: Scope.OWN, Action.CHANGE: Scope.OWN},
    Role.ANALYST: {Action.VIEW: Scope.ALL},
}


def scope_of(role: str, action: Action) -> Scope | None:
    """The records ``role`` may apply ``action`` to, or None when it may not at all.

    An unknown role may do nothing: a typo must never widen access.
    """
    try:
        return POLICY[Role(role)].get(action)
    except ValueError:
        return None


def may(role: str, action: Action) -> bool:
    return scope_of(role, action) is not None
