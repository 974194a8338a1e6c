"""/api/v1/interactions: calls, meetings, emails, notes, complaints and tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema

from tenure.access.records import require_change
from tenure.api.crud import Resource, add_crud
from tenure.api.inputs import Input, QueryInput
from tenure.api.types import RecordId
from tenure.customers.models import Account, Contact, Customer
from tenure.customers.services import check_references
from tenure.interactions import services
from tenure.interactions.filters import InteractionFilterSet
from tenure.interactions.models import CaseStatus, Interaction, InteractionKind

router = Router(tags=["interactions"])


class InteractionIn(Input):
    customer_id: RecordId | None = None
    account_id: RecordId | None = None
    contact_id: RecordId | None = None
    kind: InteractionKind
    occurred_at: datetime
    subject: str = Field("", max_length=200)
    body: str = ""
    status: CaseStatus | None = Field(None, description="complaints and tickets only")


class InteractionPatch(Input):
    subject: str | None = Field(None, max_length=200)
    body: str | None = None
    status: CaseStatus | None = None
    resolution: str | None = None
    occurred_at: datetime | None = None


class InteractionOut(Schema):
    id: int
    customer_id: int | None
    account_id: int | None
    contact_id: int | None
    author_id: int | None
    kind: str
    occurred_at: datetime
    subject: str
    body: str
    status: str
    resolution: str
    resolved_at: datetime | None


class InteractionFilters(QueryInput):
    """The fields of ``InteractionFilterSet``, typed."""

    customer_id: RecordId | None = None
    account_id: RecordId | None = None
    kind: InteractionKind | None = None
    status: CaseStatus | None = None


def _create(by: Any, data: dict[str, Any]) -> Interaction:
    require_change(by)  # a role that may not write at all: 403 before anything else
    # Records the caller may not change read as "no such record" on their field (never 403),
    # a contact too: "belongs to another account" would tell that a foreign contact exists.
    names = ("customer_id", "account_id", "contact_id")
    check_references(by, {k: data[k] for k in names if data.get(k) is not None})
    contact = Contact.objects.filter(pk=data["contact_id"]).first() if data["contact_id"] else None
    return services.interaction_log(
        author=by,
        customer=Customer.objects.filter(pk=data["customer_id"]).first(),
        account=Account.objects.filter(pk=data["account_id"]).first(),
        contact=contact,
        kind=data["kind"],
        occurred_at=data["occurred_at"],
        subject=data["subject"],
        body=data["body"],
        status=data["status"],
    )


add_crud(
    router,
    Resource(
        path="/interactions",
        label="interaction",
        model=Interaction,
        schema_in=InteractionIn,
        schema_patch=InteractionPatch,
        schema_out=InteractionOut,
        filters=InteractionFilters,
        filterset=InteractionFilterSet,
        create=_create,
        update=lambda by, pk, changes: services.interaction_update(
            by=by, interaction_id=pk, changes=changes
        ),
        delete=lambda by, pk: services.interaction_delete(by=by, interaction_id=pk),
    ),
)
