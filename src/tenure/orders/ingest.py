"""A batch of orders from the API (``POST /api/v1/orders/bulk``): up to 1,000 orders upserted by
``external_id``, with a result for each, whatever happens to the others.

- **Each order whole or not at all.** The batch is one transaction and every order its own
  savepoint: an order the database refuses (a constraint, a concurrent writer, a value it
  cannot store) is rolled back alone and reported as that order's error; the others keep
  their result. The answer goes out once the batch has committed, so what it reports is
  what is stored. A retry with the same ``Idempotency-Key`` replays the answer (the API's
  middleware); a retry without one finds every stored order ``unchanged``.
- **Scope.** An order is written only for a customer the caller may change (else "no
  customer with id N", the words for an unknown customer). An external id held by an order
  outside the caller's scope is refused with ``TAKEN``, the words of any unique value in use
  (``tenure.access.records``): neither its id, its customer nor any field of it shows, and
  nothing of it is compared with the request (an ``unchanged`` would confirm its values).
- **New orders set-wise.** Orders whose external id is not stored yet (the common case) are
  checked in Python, their customers read in one query, inserted in one statement with their
  change-history entries in another, and added to their customers' figures at once; the
  customers are locked before their figures change, in id order, so that concurrent batches
  neither deadlock nor lose an update of the figures. Orders that exist, or appear twice in
  the batch, go one by one; so do all of them if the set-wise insert fails (another request
  stored one of them meanwhile, or the database refused one).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from auditlog import get_logentry_model
from auditlog.cid import get_cid
from auditlog.diff import model_instance_diff
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from tenure.access import visible
from tenure.access.records import TAKEN, reject_unknown_fields, require_change
from tenure.customers.models import Customer
from tenure.domain.access import Action
from tenure.events.record import events_record
from tenure.events.tracking import events_of_changes, values_of
from tenure.orders import events
from tenure.orders.events import order_events
from tenure.orders.models import Order
from tenure.orders.services import (
    ORDER_FIELDS,
    customer_stats_add,
    customers_lock,
    order_create,
    order_update,
)
from tenure.users.models import User

logger = logging.getLogger(__name__)

BULK_MAX = 1000
ID_END = 2**63  # ids are 64-bit integers
UNSTORED = "this order could not be stored; nothing of it was kept"
"""An order that failed for a reason no rule foresaw (logged with its traceback)."""
NUL = "contains a NUL character, which cannot be stored"


def _ingest_error(index: int, error: ValidationError) -> dict[str, Any]:
    """The result of an order refused with ``error``."""
    fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return {"index": index, "status": "error", "id": None, "errors": fields}


def _unknown_customer(customer_id: Any) -> ValidationError:
    return ValidationError({"customer_id": [f"no customer with id {customer_id}"]})


@transaction.atomic
def orders_ingest(*, by: User | None = None, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Upsert up to 1,000 orders by ``external_id``, each on its own: one bad order does not
    stop the others. Returns one result per order, in order: ``created``, ``updated``,
    ``unchanged`` (an identical retry) or ``error`` with the field errors.

    Raises only for the batch as a whole: ``AccessDenied`` (a role that may not change
    records) and ``ValidationError`` (more than ``BULK_MAX`` orders).
    """
    require_change(by)
    if len(orders) > BULK_MAX:
        raise ValidationError({"orders": [f"at most {BULK_MAX} orders per request"]})
    results: list[dict[str, Any] | None] = [None] * len(orders)
    checked: list[tuple[int, Order]] = []
    for index, fields in enumerate(orders):
        try:
            checked.append((index, _order_checked(fields)))
        except ValidationError as error:
            results[index] = _ingest_error(index, error)
        except Exception:
            logger.exception("bulk order %s could not be checked", index)
            results[index] = _ingest_error(index, ValidationError(UNSTORED))

    new, one_by_one, refused, locked = _sorted_out(by, checked)
    for index, refusal in refused.items():
        results[index] = _ingest_error(index, refusal)
    if not new or not _orders_insert(by, [order for _, order in new], lock=locked):
        customers_lock(locked)
        one_by_one = sorted(one_by_one + [index for index, _ in new])
        new = []
    for index, order in new:
        results[index] = {"index": index, "status": "created", "id": order.pk, "errors": {}}
    for index in one_by_one:
        results[index] = _ingest_one(by, index, orders[index])
    return [result for result in results if result is not None]


def _order_checked(fields: dict[str, Any]) -> Order:
    """The order the fields describe, its field rules checked in Python (the check constraints
    repeat them; the database enforces uniqueness and the customer reference)."""
    reject_unknown_fields(fields, ORDER_FIELDS)
    customer_id = fields.get("customer_id")
    if customer_id is None:
        raise ValidationError({"customer_id": ["an order belongs to a customer"]})
    if (
        isinstance(customer_id, bool)
        or not isinstance(customer_id, int)
        or not 0 < customer_id < ID_END
    ):
        raise _unknown_customer(customer_id)  # no such id can exist, nor reach the database
    nul = {
        name: [NUL] for name, value in fields.items() if isinstance(value, str) and "\x00" in value
    }
    if nul:
        raise ValidationError(nul)  # PostgreSQL cannot store it, nor even look it up
    order = Order(**fields)
    order.full_clean(exclude=["customer"], validate_unique=False, validate_constraints=False)
    return order


def _sorted_out(
    by: User | None, checked: list[tuple[int, Order]]
) -> tuple[list[tuple[int, Order]], list[int], dict[int, ValidationError], set[int]]:
    """Which orders are new (set-wise), which go one by one, which are refused outright, and
    the customers to lock (every customer whose figures the batch may change)."""
    customer_ids = {order.customer_id for _, order in checked}
    allowed = _changeable(by, Customer, pk__in=customer_ids).values_list("pk", flat=True)
    allowed_ids = set(allowed)
    external_ids = [order.external_id for _, order in checked]
    stored = set(
        Order.objects.filter(external_id__in=external_ids).values_list("external_id", flat=True)
    )
    yours: dict[str, int] = {}
    if stored:
        orders = _changeable(by, Order, external_id__in=stored)
        yours = dict(orders.values_list("external_id", "customer_id"))
    repeated = {eid for eid, n in Counter(external_ids).items() if n > 1}
    new: list[tuple[int, Order]] = []
    one_by_one: list[int] = []
    refused: dict[int, ValidationError] = {}
    for index, order in checked:
        if order.customer_id not in allowed_ids:
            refused[index] = _unknown_customer(order.customer_id)
        elif order.external_id in stored and order.external_id not in yours:
            refused[index] = ValidationError({"external_id": [TAKEN]})
        elif order.external_id in stored or order.external_id in repeated:
            one_by_one.append(index)
        else:
            new.append((index, order))
    locked = {order.customer_id for index, order in checked if index not in refused}
    return new, one_by_one, refused, locked | set(yours.values())


def _changeable(by: User | None, model: type[Any], **lookup: Any) -> Any:
    records = model._default_manager.all() if by is None else visible(by, model, Action.CHANGE)
    return records.filter(**lookup)


def _orders_insert(by: User | None, new: list[Order], *, lock: set[int]) -> bool:
    """Insert the orders in one statement, lock the customers ``lock`` (in id order), write
    the orders' creation in the change history in one statement and add them to their
    customers' figures; False, with nothing of it stored and no lock kept, when any of it
    failed (another request stored one of them meanwhile, the database refused a value, a date
    has no UTC equivalent): the orders then go one by one, and only the culprit fails.

    The insert comes before the lock, as it may: it takes only a key-share lock on each
    customer, which the figures' lock (no key update) does not wait for. Concurrent batches over
    the same customers then insert side by side and wait for each other only for the figures;
    locked first, the second would wait for the first's commit before inserting anything. The
    lock is taken inside the savepoint: if anything fails it goes with the rest, and the caller
    takes it again, in id order, before the orders go one by one."""
    try:
        with transaction.atomic():
            Order.objects.bulk_create(new)
            events_record(
                events_of_changes(
                    order_events, ((o.pk, None, values_of(o, events.FIELDS)) for o in new)
                )
            )
            customers_lock(lock)
            _created_history(by, new)
            customer_stats_add(
                new_orders=[(o.customer_id, o.placed_at, o.amount, o.status) for o in new]
            )
    except Exception:  # whatever it was, the orders one by one find the culprit,
        return False  # starting again from the request's fields
    return True


def _created_history(by: User | None, new: list[Order]) -> None:
    """One change-history entry per order created, as django-auditlog writes for a save."""
    LogEntry = get_logentry_model()
    content_type = ContentType.objects.get_for_model(Order)
    now = timezone.now()
    cid = get_cid()
    json_changes = settings.AUDITLOG_STORE_JSON_CHANGES
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=content_type,
            object_pk=str(order.pk),
            object_id=order.pk,
            object_repr=str(order),
            action=LogEntry.Action.CREATE,
            changes=model_instance_diff(None, order, use_json_for_changes=json_changes),
            actor=by,
            timestamp=now,
            cid=cid,
        )
        for order in new
    )


def _ingest_one(by: User | None, index: int, fields: dict[str, Any]) -> dict[str, Any]:
    """Store one order in a savepoint of its own: its result, an error if anything failed."""
    try:
        with transaction.atomic():
            return {"index": index, **_upsert(by, fields)}
    except ValidationError as error:
        return _ingest_error(index, error)
    except Http404:
        # Left the caller's scope after the batch was sorted out (a concurrent change).
        return _ingest_error(index, ValidationError({"external_id": [TAKEN]}))
    except Exception:
        logger.exception("bulk order %s could not be stored", index)
        return _ingest_error(index, ValidationError(UNSTORED))


def _upsert(by: User | None, fields: dict[str, Any]) -> dict[str, Any]:
    external_id = fields["external_id"]
    existing = Order.objects.select_for_update().filter(external_id=external_id).first()
    if existing is None:
        try:
            order = order_create(by=by, **fields)
        except ValidationError:
            # Another request may have stored this external id since the batch was sorted
            # out: then this is an update of it (or a refusal, if it is not the caller's).
            existing = Order.objects.select_for_update().filter(external_id=external_id).first()
            if existing is None:
                raise
        else:
            return {"status": "created", "id": order.pk, "errors": {}}
    if not _changeable(by, Order, pk=existing.pk).exists():
        raise ValidationError({"external_id": [TAKEN]})
    changes = {name: value for name, value in fields.items() if getattr(existing, name) != value}
    if not changes:
        return {"status": "unchanged", "id": existing.pk, "errors": {}}
    order = order_update(by=by, order_id=existing.pk, changes=changes)
    return {"status": "updated", "id": order.pk, "errors": {}}
