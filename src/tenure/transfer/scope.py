"""Who an import runs as, and which rows of a batch that person may not write.

An import is one more write path, under the same rule as the API, the pages and the admin
(``tenure.access.visible``): it runs as a user (the uploader on the web; ``--as USER`` at the
command line), or as the operator at the command line, who may change everything and is
recorded as such. A row naming a customer, account or order that exists outside the importer's
scope is rejected with its line and column, in the words of any value in use
(``tenure.access.records.TAKEN``): whether the record exists is not told.

The check is set-wise, one query per kind of key and batch, inside the batch's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from tenure.access import may, sees_all, visible
from tenure.access.records import TAKEN
from tenure.customers.models import Account, Customer
from tenure.domain.access import Action
from tenure.domain.records import CustomerRecord, ImportRowError, OrderRecord
from tenure.history.bulk import Author
from tenure.orders.models import Order
from tenure.transfer.bulk import rows_by_keys
from tenure.users.models import User


class ImportNotAllowed(Exception):
    """The user an import would run as may not change records (or is no longer active)."""


@dataclass(frozen=True, slots=True)
class Importer:
    """Who an import runs as (``user``; None: the operator) and what names it in the history
    (``label``: the web job or the file)."""

    user: User | None
    label: str | int
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def restricted(self) -> bool:
        """Whether the importer's scope is their own records only (a success manager)."""
        return self.user is not None and not sees_all(self.user, Action.CHANGE)

    @property
    def owner_id(self) -> int | None:
        """The owner of the customers and accounts the import creates: a success manager
        importing owns them (otherwise they could not see what they created)."""
        return self.user.pk if self.restricted and self.user is not None else None

    @property
    def author(self) -> Author:
        who = self.user.get_username() if self.user is not None else "operator"
        return Author(
            actor_id=self.user.pk if self.user is not None else None,
            data={"import": self.label, "by": who, **self.extra},
        )


OPERATOR = Importer(user=None, label="command line")


def importer_for(user: User | None, label: str | int, **extra: Any) -> Importer:
    """The importer ``user`` (None: the operator); raises ``ImportNotAllowed`` for a user whose
    role may not change records, or who is not active."""
    if user is not None and not may(user, Action.CHANGE):
        raise ImportNotAllowed(
            f"{user.get_username()} may not import: "
            + (
                "the account is not active"
                if not user.is_active
                else "their role may not change records"
            )
        )
    return Importer(user=user, label=label, extra=extra)


def foreign_keys(
    user: User, model: type[models.Model], name: str, keys: Collection[Any]
) -> set[Any]:
    """The ``keys`` (values of the unique field ``name``) of records that exist but that
    ``user`` may not change; one query."""
    if not keys:
        return set()
    existing = rows_by_keys(model, name, keys, values=("pk", name))
    if not existing:
        return set()
    mine = set(
        visible(user, model, Action.CHANGE)
        .filter(pk__in=[pk for pk, _ in existing])
        .values_list("pk", flat=True)
    )
    return {key for pk, key in existing if pk not in mine}


def _refusals(
    records: Iterable[Any], checks: Sequence[tuple[str, Any, set[Any]]]
) -> list[ImportRowError]:
    refused: list[ImportRowError] = []
    for record in records:
        for column, key_of, foreign in checks:
            if foreign and key_of(record) in foreign:
                refused.append(ImportRowError(line=record.line, column=column, reason=TAKEN))
                break
    return refused


def customer_rows_refused(
    importer: Importer, records: Sequence[CustomerRecord]
) -> list[ImportRowError]:
    """The customer rows that would change a customer or join an account outside the
    importer's scope (a name in use is no account to join)."""
    if not importer.restricted or importer.user is None:
        return []
    user = importer.user
    customers = foreign_keys(user, Customer, "external_id", {r.external_id for r in records})
    names = {r.values["account"] for r in records if r.values.get("account")}
    accounts = foreign_keys(user, Account, "name", names)
    return _refusals(
        records,
        [
            ("customer_id", lambda r: r.external_id, customers),
            ("account", lambda r: r.values.get("account"), accounts),
        ],
    )


def order_rows_refused(importer: Importer, records: Sequence[OrderRecord]) -> list[ImportRowError]:
    """The order rows that would change an order, or add one to a customer, outside the
    importer's scope."""
    if not importer.restricted or importer.user is None:
        return []
    user = importer.user
    orders = foreign_keys(user, Order, "external_id", {r.external_id for r in records})
    customers = foreign_keys(
        user, Customer, "external_id", {r.customer_external_id for r in records}
    )
    return _refusals(
        records,
        [
            ("order_id", lambda r: r.external_id, orders),
            ("customer_id", lambda r: r.customer_external_id, customers),
        ],
    )
