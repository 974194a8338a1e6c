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
