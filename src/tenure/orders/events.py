"""The orders' events: placed, changed, refunded, cancelled, deleted; dated by ``placed_at``.

``order_events`` turns one change of an order into its events; the model's save and delete
(``tenure.events.tracking``) and the bulk writes (the API's batches, imports) all use it, so
every path writes the same events for the same change.
"""

from __future__ import annotations

from decimal import Decimal

from tenure.events.kinds import EventKind, event_kinds_register
from tenure.events.record import NewEvent
from tenure.events.tracking import Values, changed_fields
from tenure.orders.models import OrderStatus

FIELDS = ("external_id", "customer_id", "placed_at", "amount", "currency", "status")

PLACED = EventKind("order.placed", "An order was placed (or first recorded).", dated=True)
CHANGED = EventKind("order.changed", "An order's fields changed.", dated=True)
REFUNDED = EventKind("order.refunded", "An order was refunded.", dated=True)
CANCELLED = EventKind("order.cancelled", "An order was cancelled.", dated=True)
DELETED = EventKind("order.deleted", "An order was deleted.", dated=True)
event_kinds_register(PLACED, CHANGED, REFUNDED, CANCELLED, DELETED)

_BY_STATUS = {OrderStatus.REFUNDED: REFUNDED, OrderStatus.CANCELLED: CANCELLED}


def _figures(values: Values) -> dict[str, str]:
    # The amount as stored (two places), whichever way it came: "12.30", never "12.3".
    return {
        "status": str(values["status"]),
        "amount": format(Decimal(values["amount"]), ".2f"),
        "currency": str(values["currency"]),
    }


def order_events(order_id: int, before: Values | None, after: Values | None) -> list[NewEvent]:
    if after is None:
        assert before is not None
        return [
            NewEvent(
                DELETED.name, "order", order_id, before["customer_id"], before["placed_at"],
                _figures(before), key=f"{DELETED.name}:{order_id}",
            )
        ]  # fmt: skip
    if before is None:
        return [
            NewEvent(
                PLACED.name, "order", order_id, after["customer_id"], after["placed_at"],
                _figures(after), key=f"{PLACED.name}:{order_id}",
            )
        ]  # fmt: skip
    fields = changed_fields(before, after)
    at = min(before["placed_at"], after["placed_at"])
    events = []
    status_kind = _BY_STATUS.get(after["status"]) if "status" in fields else None
    if status_kind is not None:
        events.append(
            NewEvent(status_kind.name, "order", order_id, after["customer_id"], at, _figures(after))
        )
    rest = [name for name in fields if status_kind is None or name != "status"]
    if rest:
        data: dict[str, object] = {"fields": rest, **_figures(after)}
        if before["customer_id"] != after["customer_id"]:
            data["customer_before"] = before["customer_id"]
        events.append(NewEvent(CHANGED.name, "order", order_id, after["customer_id"], at, data))
    return events


def placed_events_select(order_table: str, runs: list[tuple[int, int]]) -> tuple[str, list]:
    """``order_events``' "placed" events of the orders with ids in ``runs`` (first, last), as
    one SELECT for ``tenure.events.bulk.events_insert_select`` (PostgreSQL: a million orders'
    events in one statement). The same events as the rule writes, field for field."""
    ranges = " OR ".join(["id BETWEEN %s AND %s"] * len(runs))
    select = (
        f"SELECT %s, %s::text || id, customer_id, 'order', id, placed_at, "  # noqa: S608 -- model names
        f"jsonb_build_object('status', status, 'amount', amount::text, 'currency', currency) "
        f"FROM {order_table} WHERE {ranges}"
    )
    return select, [PLACED.name, f"{PLACED.name}:", *(i for run in runs for i in run)]
