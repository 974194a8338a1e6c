"""A bulk change of orders: mark many orders cancelled, refunded or completed at once, from the
orders list or the API, as a background run like the customers', accounts' and tasks'
(``services``, ``task_bulk``); and the orders list's cells (status, amount).

Each order goes through ``tenure.orders.services.order_update`` as a single edit does (roles,
scope, validation, the customers' figures recounted, history, and the order's own events: a
refund is ``order.refunded``, which the lifecycle follows); what changed is logged as a
``ChangeSet``, so its author (or an admin) can undo it. Orders are not deleted in bulk: an
order is history, so a wrong order is refunded or cancelled instead (one order's page may
delete it, into the trash: ``order_delete``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access import require
from tenure.bulk.models import ChangeKind, ChangeSet
from tenure.bulk.services import (
    BulkOutcome,
    _targets,
    bulk_result,
    bulk_run_start,
    bulk_set_each,
    record_cell_set,
)
from tenure.domain.access import Action
from tenure.jobs.models import Run
from tenure.orders import services as orders
from tenure.orders.filters import OrderFilterSet
from tenure.orders.models import Order, OrderStatus
from tenure.users.models import User

ORDER_BULK_FIELDS = ("status",)
"""What a bulk change of orders may set: whether it stands, was refunded or cancelled."""
ORDER_CELL_FIELDS = ("status", "amount")
"""What an orders list cell edits in place."""
_CENT = Decimal("0.01")


def orders_bulk_request_check(
    *, by: User, action: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The action and its value, checked before a run is asked for: a role that may not
    change is refused (``AccessDenied``), a wrong value is a ``ValidationError`` on its
    field."""
    require(by, Action.CHANGE)
    if action != "set":
        raise ValidationError({"action": ["set (orders are refunded or cancelled, not deleted)"]})
    name, value = params.get("field"), params.get("value")
    if name not in ORDER_BULK_FIELDS:
        raise ValidationError({"field": [f"one of {', '.join(ORDER_BULK_FIELDS)}"]})
    if value not in OrderStatus.values:
        raise ValidationError({"value": [f"one of {', '.join(OrderStatus.values)}"]})
    return {"field": name, "value": OrderStatus(value).value}  # as the run keeps it: text


def orders_bulk_start(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    via: str,
) -> Run:
    """Ask for a bulk change of orders as a ``bulk.orders`` run, its request checked now (the
    same refusals the run would give, said on their fields)."""
    from tenure.bulk.tasks import BULK_ORDERS

    params = orders_bulk_request_check(by=by, action=action, params=params)
    return bulk_run_start(
        by=by, kind=BULK_ORDERS, filterset=OrderFilterSet, action=action, params=params,
        filters=filters, ids=ids, via=via,
    )  # fmt: skip


def order_targets(
    *, by: User, filters: Mapping[str, Any], ids: list[int] | None
) -> tuple[list[int], list[dict[str, Any]]]:
    """The orders a bulk change works on, decided again at run time: the orders list's
    filters over what ``by`` sees, narrowed to ``ids``, kept where ``by`` may change them."""
    return _targets(by, OrderFilterSet, filters, ids)


def orders_bulk_apply(
    *,
    by: User,
    action: str,
    params: Mapping[str, Any],
    filters: Mapping[str, Any],
    ids: list[int] | None,
    now: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, Any]:
    """Set the status of the orders ``order_targets`` finds, one order per transaction
    through ``order_update``: changed, unchanged, refused with the reason per order, and the
    change set Undo puts back."""
    params = orders_bulk_request_check(by=by, action=action, params=params)
    name, value = params["field"], params["value"]
    targets, refused = order_targets(by=by, filters=filters, ids=ids)
    outcome = BulkOutcome(refused=refused)
    many = f"{len(targets)} order{'s' if len(targets) != 1 else ''}"
    change_set = ChangeSet.objects.create(
        author=by, kind=ChangeKind.BULK, label=f"{name} set on {many}", created_at=now
    )
    bulk_set_each(
        by=by, model=Order, targets=targets, name=name, value=value,
        update=lambda pk, changes: orders.order_update(by=by, order_id=pk, changes=changes),
        outcome=outcome, change_set=change_set, progress=progress,
    )  # fmt: skip
    return bulk_result(change_set, outcome)


@transaction.atomic
def order_cell_set(
    *, by: User, order_id: int, field: str, value: Any, now: datetime
) -> tuple[Order, ChangeSet | None]:
    """Set one field of an order from the orders list (``ORDER_CELL_FIELDS``) through
    ``order_update``; the change set to undo it, None when nothing changed. An amount is kept
    to the cent as stored (12.5 is 12.50), so Undo compares it with what the database gives
    back; one finer than a cent goes to the service as it came, which refuses it."""
    if field == "amount" and isinstance(value, Decimal) and value.is_finite():
        value = value.quantize(_CENT) if value == value.quantize(_CENT) else value
    return record_cell_set(
        by=by, model=Order, pk=order_id, field=field, value=value, allowed=ORDER_CELL_FIELDS,
        update=lambda pk, changes: orders.order_update(by=by, order_id=pk, changes=changes),
        now=now,
    )  # fmt: skip
