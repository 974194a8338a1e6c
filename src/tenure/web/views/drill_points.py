"""The drill-down's charts of the models and the churn audit: a point of the renewal survival
curve, a bar of the model check (customers by repeat purchases) and a bar of the churn audit.

``drill.py`` parses the link; here each point's customers come from the selector that applies
the figure's own rule to the same reads (``insights.drill``, ``lifecycle.drill``), with the
title and the description the drill-down page shows; and the links the pages give each point.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from django.urls import reverse
from django.utils.http import urlencode

from tenure.analytics.drill_figures import audit_bar_words
from tenure.insights.drill import repeat_purchase_members, survival_members
from tenure.lifecycle.audit import FIELD_LABELS
from tenure.lifecycle.drill import audit_members
from tenure.users.models import User

IntArray = npt.NDArray[np.int64]
CHARTS = [
    ("survival", "a point of the renewal survival curve"),
    ("repeat", "a bar of the model check (customers by repeat purchases)"),
    ("audit", "a bar of the churn audit"),
]
NEEDS = {
    "survival": ("interval", "renewals", "as_of"),
    "repeat": ("repeat",),
    "audit": ("attribute",),
}
MODEL_CHECK_TOP = 7
"""The model check's last bar: this many repeat purchases or more (``selectors.fit_check``)."""
SURVIVAL_WORDS = (
    "Subscriptions renewed at least this many times, in the start cohorts observed that long: "
    "the customers the observed survival's point counts (a customer with two is listed once)."
)


def point_members(user: User, data: dict[str, Any], within: Any) -> tuple[IntArray, str, str]:
    """The ids behind the point ``data`` names (``chart`` one of ``CHARTS``), its title and its
    description in words."""
    chart = data["chart"]
    if chart == "survival":
        renewals, interval = data["renewals"], data["interval"]
        ids = survival_members(
            user=user, interval=interval, renewals=renewals, as_of=data["as_of"], within=within
        )
        times = "time" if renewals == 1 else "times"
        title = f"{interval.capitalize()}ly subscribers who renewed {renewals} {times} or more"
        return ids, f"{title}, as of {_day(data['as_of'])}", SURVIVAL_WORDS
    if chart == "repeat":
        top = data.get("top") or MODEL_CHECK_TOP
        repeat = data["repeat"]
        ids = repeat_purchase_members(user=user, repeat=repeat, top=top, within=within)
        count = f"{repeat} or more" if repeat == top else str(repeat)
        return (
            ids,
            f"Customers with {count} repeat purchases",
            "Repeat purchases up to the end of the data the models were fitted on: the actual "
            "bar of the model check, beside what BG/NBD expected.",
        )
    category = data.get("category") or None
    attribute = data["attribute"]
    ids = audit_members(user=user, attribute=attribute, category=category, within=within)
    return (
        ids,
        audit_bar_words(_audit_labels(attribute), attribute, category),
        "Churned customers among the buyers the churn audit compares (churned against "
        "retained): what the attribute's bar stands for.",
    )


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _audit_labels(attribute: str) -> dict[str, str]:
    """The audit's label of ``attribute``: a field's, or an imported attribute's key (the
    account's said so), as ``lifecycle.audit.churn_audit_frame`` labels them."""
    if attribute in FIELD_LABELS:
        return FIELD_LABELS
    if attribute.startswith("custom__"):
        return {attribute: attribute.removeprefix("custom__")}
    if attribute.startswith("account__"):
        return {attribute: f"Account: {attribute.removeprefix('account__')}"}
    return {}


# --- the links the pages give each point -----------------------------------------------------


def drill_url(params: dict[str, Any], and_query: str) -> str:
    """``web:analytics-drill`` for the point ``params`` names, in the page's segment."""
    return f"{reverse('web:analytics-drill')}?{urlencode(params)}{and_query}"


def audit_links(
    rows: list[dict[str, Any]], members: dict[str, int], and_query: str
) -> list[dict[str, Any]]:
    """The churn audit's rows, each tested one with the link to its bar's customers (``url``)
    and how many they are (``customers``)."""
    for row in rows:
        attribute = row["attribute"]
        if attribute not in members:
            row.update(url="", customers=None)
            continue
        params = {"chart": "audit", "attribute": attribute}
        if row.get("kind") == "categorical" and row.get("category") is not None:
            params["category"] = str(row["category"])
        row.update(url=drill_url(params, and_query), customers=members[attribute])
    return rows
