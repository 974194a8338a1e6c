"""The bell's count for the banner of every page (one indexed count per page view)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def unread_notifications(user: Any) -> int:
    from tenure.notifications.selectors import notifications_unread_count

    if not getattr(user, "is_authenticated", False):
        return 0
    return notifications_unread_count(user=user)


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """``mapping[key]``, or the key itself (a stage renamed away keeps its key)."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key
