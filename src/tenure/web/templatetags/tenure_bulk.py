"""The bulk bar's choices and the Undo offer waiting in the session, for the templates."""

from __future__ import annotations

from typing import Any

from django import template

from tenure.access import may, visible
from tenure.domain.access import Action
from tenure.segments.models import Segment, SegmentKind
from tenure.users.models import User
from tenure.web.views.undo import undo_offer_pop

register = template.Library()


@register.inclusion_tag("web/bulk/_bar.html", takes_context=True)
def bulk_bar(context: template.Context) -> dict[str, Any]:
    """The bar above the customers list: what can be done to the chosen rows."""
    user = context["user"]
    changes = isinstance(user, User) and may(user, Action.CHANGE)
    choices: dict[str, Any] = {}
    if changes:
        # The list's filters offer the owners and accounts already (no second query); the
        # service refuses an account the person may not change, on its field.
        offered = context.get("choices")
        segments = visible(user, Segment, Action.CHANGE).filter(kind=SegmentKind.STATIC)
        choices = {
            "people": [(u.pk, str(u)) for u in getattr(offered, "owners", [])],
            "accounts": list(getattr(offered, "accounts", [])),
            "segments": list(segments.order_by("name").values_list("pk", "name")),
        }
    return {
        "user": user,
        "changes": changes,
        "query": context.get("export_query", ""),
        "csrf_token": context.get("csrf_token"),
        **choices,
    }


@register.inclusion_tag("web/bulk/_account_bar.html", takes_context=True)
def account_bulk_bar(context: template.Context) -> dict[str, Any]:
    """The bar above the accounts list: the owners and bands its filters offer already."""
    user = context["user"]
    changes = isinstance(user, User) and may(user, Action.CHANGE)
    return {
        "user": user,
        "changes": changes,
        "people": [(u.pk, str(u)) for u in context.get("owners") or []] if changes else [],
        "size_bands": context.get("size_bands", []),
        "budget_bands": context.get("budget_bands", []),
        "query": context.get("export_query", ""),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/bulk/_task_bar.html", takes_context=True)
def task_bulk_bar(context: template.Context) -> dict[str, Any]:
    """The bar above the tasks list, for the roles that change (the page leaves it out for
    the others): the team members and statuses the page offers already."""
    return {
        "people": [(u.pk, str(u)) for u in context.get("owners") or []],
        "statuses": context.get("statuses", []),
        "query": context.get("list_query", ""),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/bulk/_order_bar.html", takes_context=True)
def order_bulk_bar(context: template.Context) -> dict[str, Any]:
    """The bar above the orders list: the statuses its filters offer already; the export of
    the chosen rows for every role, the change for those who change records."""
    user = context["user"]
    return {
        "user": user,
        "changes": isinstance(user, User) and may(user, Action.CHANGE),
        "statuses": context.get("statuses", []),
        "query": context.get("export_query", ""),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/bulk/_toast_body.html", takes_context=True)
def undo_offer(context: template.Context) -> dict[str, Any]:
    """The Undo toast of the change made just before this page (a record's Delete)."""
    request = context.get("request")
    change_set = undo_offer_pop(request) if request is not None else None
    message = f"{change_set.label}." if change_set else ""
    return {"change_set": change_set, "message": message, "csrf_token": context.get("csrf_token")}
