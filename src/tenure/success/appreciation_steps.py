"""The playbook step "record appreciation", run by ``tenure.playbooks.app_steps`` (playbooks
sit above this app): a gift, note or invitation recorded for the enrolled customer's account,
once per enrolment and step (its key), however often the step runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from tenure.customers.models import Customer
from tenure.domain.playbook_steps import Param, StepKind
from tenure.success.appreciation import appreciation_record
from tenure.success.models import AppreciationKind

RECORD_APPRECIATION = StepKind(
    "record_appreciation",
    "Record appreciation",
    {
        "what": Param("choice", choices=tuple(AppreciationKind.values), default="thank_you_note"),
        "description": Param("text", max_length=500, default=""),
        "cost": Param("number", minimum=0, maximum=1_000_000, default=0),
    },
    "Record a thank-you note, gift or invitation for the customer's account (what the team "
    "sends, with its cost), once per enrolment.",
    needs="the success app",
)


def record_appreciation_run(
    params: Mapping[str, Any], customer_id: int, key: str, now: datetime
) -> tuple[str, str]:
    """(status, detail) for the playbook's outcome."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or customer.account_id is None:
        return "skipped", "the customer belongs to no account"
    cost = params.get("cost") or 0
    data = {
        "kind": str(params.get("what") or AppreciationKind.THANK_YOU_NOTE),
        "description": str(params.get("description") or ""),
        "cost": f"{float(cost):.2f}", "customer_id": customer.pk, "key": key,
    }  # fmt: skip
    try:
        found, new = appreciation_record(
            by=None, account_id=customer.account_id, data=data, now=now
        )
    except ValidationError as error:
        return "failed", "; ".join(error.messages)[:400]
    return "done", f"appreciation {found.pk} {'recorded' if new else 'recorded already'}"
