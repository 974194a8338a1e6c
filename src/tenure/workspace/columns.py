"""The columns each list offers, in their default order, and which a role sees by default.

A list's columns are chosen in its URL (``?cols=name,stage,health``) so that a link, or a
saved view, reproduces them; the pages render exactly these, one cell each. Kept beside the
saved views (which validate a view's ``cols``) rather than in the pages, so the API checks a
view's columns by the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenure.domain.access import Role


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str = ""  # the list's sort key when the column sorts, else ""
    numeric: bool = False


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("name", "Customer", sort="name"),
    Column("stage", "Stage"),
    Column("health", "Health", sort="health"),
    Column("clv", "Predicted CLV", sort="clv", numeric=True),
    Column("churn_risk", "Churn risk", sort="churn_risk", numeric=True),
    Column("last_order", "Last order", sort="last_order"),
    Column("owner", "Owner"),
    Column("account", "Account"),
    Column("category", "Category · channel"),
    Column("orders", "Orders", sort="orders", numeric=True),
    Column("revenue", "Revenue", sort="revenue", numeric=True),
    Column("since", "Since", sort="since"),
)
ACCOUNT_COLUMNS: tuple[Column, ...] = (
    Column("name", "Account", sort="name"),
    Column("health", "Health", sort="health"),
    Column("industry", "Industry"),
    Column("size", "Employees"),
    Column("budget", "Budget"),
    Column("owner", "Owner"),
    Column("customers", "Customers", numeric=True),
    Column("revenue", "Revenue", numeric=True),
    Column("since", "Since", sort="since"),
)
ORDER_COLUMNS: tuple[Column, ...] = (
    Column("order", "Order", sort="order"),
    Column("customer", "Customer"),
    Column("placed", "Placed", sort="placed"),
    Column("status", "Status"),
    Column("amount", "Amount", sort="amount", numeric=True),
    Column("currency", "Currency"),
)
TASK_COLUMNS: tuple[Column, ...] = (
    Column("title", "Task", sort="title"),
    Column("about", "About"),
    Column("owner", "Owner", sort="owner"),
    Column("due", "Due", sort="due"),
    Column("priority", "Priority"),
    Column("status", "Status"),
    Column("source", "Source"),
    Column("created", "Created", sort="created"),
    Column("completed", "Completed", sort="completed"),
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    "customers": CUSTOMER_COLUMNS,
    "accounts": ACCOUNT_COLUMNS,
    "orders": ORDER_COLUMNS,
    "tasks": TASK_COLUMNS,
}

# Who looks at a list for what: a success manager at their own book (the owner is them), a
# manager at who holds which red customer, an analyst at the figures.
_CUSTOMER_DEFAULTS: dict[str, tuple[str, ...]] = {
    Role.SUCCESS_MANAGER: ("name", "stage", "health", "churn_risk", "clv", "last_order"),
    Role.MANAGER: (
        "name",
        "stage",
        "health",
        "churn_risk",
        "clv",
        "revenue",
        "last_order",
        "owner",
    ),
    Role.ADMIN: ("name", "stage", "health", "churn_risk", "clv", "revenue", "last_order", "owner"),
    Role.ANALYST: ("name", "stage", "health", "clv", "churn_risk", "orders", "revenue"),
}
_ACCOUNT_DEFAULTS: dict[str, tuple[str, ...]] = {
    Role.SUCCESS_MANAGER: ("name", "health", "industry", "customers", "revenue", "since"),
}
_ORDERS_SEEN = ("order", "customer", "placed", "status", "amount")
_ORDER_DEFAULTS: dict[str, tuple[str, ...]] = {
    **{role: _ORDERS_SEEN for role in Role},
    Role.ANALYST: ("order", "placed", "status", "amount", "currency"),  # the figures
}
# A success manager's tasks are mostly their own: no owner column; an analyst reads how the
# team's work goes (who, due, opened and done when) rather than its priorities.
_TASKS_SEEN = ("title", "about", "owner", "due", "priority", "status")
_TASK_DEFAULTS: dict[str, tuple[str, ...]] = {
    **{role: _TASKS_SEEN for role in Role},
    Role.SUCCESS_MANAGER: ("title", "about", "due", "priority", "status"),
    Role.ANALYST: ("title", "about", "owner", "due", "status", "created", "completed"),
}
DEFAULTS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": _CUSTOMER_DEFAULTS,
    "accounts": _ACCOUNT_DEFAULTS,
    "orders": _ORDER_DEFAULTS,
    "tasks": _TASK_DEFAULTS,
}
COLUMNS_PARAM = "cols"


def default_columns(list_name: str, role: str) -> tuple[str, ...]:
    """The columns ``role`` sees on ``list_name`` when the URL names none."""
    everything = tuple(column.key for column in COLUMNS.get(list_name, ()))
    return DEFAULTS.get(list_name, {}).get(role, everything)


class ColumnsRefused(ValueError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def columns_chosen(list_name: str, text: str) -> tuple[Column, ...]:
    """The columns ``?cols=`` names, in its order; ``ColumnsRefused`` naming an unknown one."""
    offered = {column.key: column for column in COLUMNS.get(list_name, ())}
    keys = [key.strip() for key in text.split(",") if key.strip()]
    unknown = [key for key in keys if key not in offered]
    if not offered and keys:
        raise ColumnsRefused("this list has no columns to choose")
    if unknown:
        raise ColumnsRefused(
            f"no column {', '.join(repr(key[:40]) for key in unknown[:3])}; "
            f"choose among {', '.join(offered)}"
        )
    if not keys:
        raise ColumnsRefused("name at least one column")
    return tuple(offered[key] for key in dict.fromkeys(keys))  # a column once, first place
