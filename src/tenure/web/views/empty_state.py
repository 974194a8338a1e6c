"""What a list with nothing at all yet offers instead of its rows: the ways in that fit the list
and the person's role (an analyst, who changes nothing, is told how records arrive). A list
whose filters match nothing keeps its "No ... match" and a way to clear them instead; the
template, ``web/_empty_state.html``, is the same for every list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model
from django.urls import reverse

from tenure.access import may, visible
from tenure.customers.models import Account, Customer
from tenure.domain.access import Action
from tenure.orders.models import Order
from tenure.todos.models import Task
from tenure.users.models import User


@dataclass(frozen=True)
class WayIn:
    label: str
    url: str
    icon: str  # an id of web/_icons.html
    opens: str = ""  # the id of a closed ``<details>`` on the page that the link opens


@dataclass(frozen=True)
class EmptyState:
    title: str
    lead: str
    icon: str
    ways: tuple[WayIn, ...] = ()


def _imports(kind: str) -> str:
    return f"{reverse('web:imports')}?kind={kind}"


def _customers() -> EmptyState:
    return EmptyState(
        "No customers yet.",
        "Bring them in from a CSV file, or add them one by one.",
        "i-users",
        (
            WayIn("Import a file", _imports("customers"), "i-upload"),
            WayIn("New customer", reverse("web:customer-new"), "i-plus"),
        ),
    )


def _accounts() -> EmptyState:
    return EmptyState(
        "No accounts yet.",
        "Create one, or import customers with an account column: their accounts come with them.",
        "i-briefcase",
        (
            WayIn("Create account", reverse("web:account-new"), "i-plus"),
            WayIn("Import customers and accounts", _imports("customers"), "i-upload"),
        ),
    )


def _orders() -> EmptyState:
    return EmptyState(
        "No orders yet.",
        "Import them from a CSV file, or open a customer and record one there (New order); "
        "the API takes them too.",
        "i-order",
        (
            WayIn("Import orders", _imports("orders"), "i-upload"),
            WayIn("Record an order", reverse("web:customers"), "i-plus"),
        ),
    )


def _tasks() -> EmptyState:
    return EmptyState(
        "No tasks yet.",
        "Create one for yourself or a colleague; follow-ups from the at-risk list and from "
        "complaints appear here too.",
        "i-check",
        (WayIn("Create a task", "#new-task", "i-plus", opens="new-task"),),
    )


_READER = "{} appear here once your team {}."
_LISTS: dict[str, tuple[type[Model], Callable[[], EmptyState], str]] = {
    "customers": (Customer, _customers, _READER.format("Customers", "imports or adds them")),
    "accounts": (Account, _accounts, _READER.format("Accounts", "creates or imports them")),
    "orders": (Order, _orders, _READER.format("Orders", "imports or records them")),
    "tasks": (Task, _tasks, _READER.format("Tasks", "creates them")),
}


def empty_state(*, user: User, list_name: str) -> EmptyState | None:
    """The list's empty state when ``user`` may see none of its records at all, else None
    (then an empty page means its filters match nothing)."""
    model, offer, reader_lead = _LISTS[list_name]
    if visible(user, model).exists():
        return None
    state = offer()
    if may(user, Action.CHANGE):
        return state
    return EmptyState(state.title, reader_lead, state.icon)
