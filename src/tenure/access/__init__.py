"""The one permission mechanism: the web app, the API, the CLI and the admin all ask here.

``visible(user, Model)`` is the queryset of records of ``Model`` the user may see (or change, with
``action=Action.CHANGE``); lists, detail pages, searches, exports and aggregates all start from
it, so nothing leaks through a count or a search. ``require(user, action)`` refuses a role that
may not act at all (403); a record outside the user's scope is simply not found (404), so its
existence is not revealed.
"""

from tenure.access.scopes import (
    AccessDenied,
    get_visible_or_404,
    may,
    require,
    require_all,
    sees_all,
    visible,
)

__all__ = [
    "AccessDenied",
    "get_visible_or_404",
    "may",
    "require",
    "require_all",
    "sees_all",
    "visible",
]
