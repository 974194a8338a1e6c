"""Reads of saved list views: the menu of a list (one's own and the shared ones), one view,
and the default a role opens a bare list with."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tenure.access import get_visible_or_404, visible
from tenure.users.models import User
from tenure.workspace.models import SavedView


def saved_view_list(*, user: User, list_name: str | None = None) -> QuerySet[SavedView]:
    """One's own views and the shared ones. The roles that see every record could read the
    others' private views (``visible``), but a colleague's private view is no menu entry."""
    views = visible(user, SavedView).filter(Q(owner=user) | Q(shared=True))
    if list_name is not None:
        views = views.filter(list=list_name)
    return views.select_related("owner").order_by("name", "id")


def saved_view_detail(*, user: User, view_id: int) -> SavedView:
    """Http404 for a view the user does not see."""
    return get_visible_or_404(user, saved_view_list(user=user), pk=view_id)


def saved_view_default(*, user: User, list_name: str) -> SavedView | None:
    """The view ``user``'s role opens ``list_name`` with when asked for no query, if any."""
    role = str(getattr(user, "role", ""))
    if not role:
        return None
    return saved_view_list(user=user, list_name=list_name).filter(default_for_role=role).first()
