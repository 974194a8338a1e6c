"""The playbook step "start onboarding", run by ``tenure.playbooks.app_steps`` (playbooks sit
above this app). It starts the template's onboarding for the enrolled customer's account (or
the customer): once per account, however many of its customers enrol, and only for an account
created lately (``new_within_days``), so an old account's new contact onboards no one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError

from tenure.customers.models import Customer
from tenure.domain.playbook_steps import Param, StepKind
from tenure.success.models import ChecklistTemplate
from tenure.success.onboarding import onboarding_start

START_ONBOARDING = StepKind(
    "start_onboarding",
    "Start onboarding",
    {
        "template": Param("text", required=True, max_length=120, help="the checklist's name"),
        "for": Param("choice", choices=("account", "customer"), default="account"),
        "new_within_days": Param("int", minimum=0, maximum=3650, default=30),
    },
    "Start a checklist for the customer's account (or the customer): its steps become tasks "
    "for their owners, once per account or customer.",
    needs="the success app",
)


def _template(params: Mapping[str, Any]) -> ChecklistTemplate | None:
    return ChecklistTemplate.objects.filter(name=str(params["template"]), active=True).first()


def start_onboarding_check(params: Mapping[str, Any]) -> str | None:
    """Why the step cannot run (checked when its playbook is switched on)."""
    template = _template(params)
    if template is None:
        return f"no active checklist {params['template']!r} (the admin lists them)"
    if template.applies_to != str(params.get("for") or "account"):
        return f"the checklist “{template.name}” is for {template.applies_to}s"
    return None


def start_onboarding_run(
    params: Mapping[str, Any], customer_id: int, now: datetime
) -> tuple[str, str]:
    """(status, detail) for the playbook's outcome."""
    problem = start_onboarding_check(params)
    template = _template(params)
    if problem is not None or template is None:
        return "failed", problem or "no such checklist"
    customer = Customer.objects.select_related("account").get(pk=customer_id)
    subject: Any = customer
    if str(params.get("for") or "account") == "account":
        if customer.account is None:
            return "skipped", "the customer belongs to no account"
        subject = customer.account
    days = params.get("new_within_days")
    days = 30 if days is None else int(days)
    if subject.created_at < now - timedelta(days=days):
        return "skipped", f"created more than {days} days ago: not new"
    ids = {"account_id": subject.pk} if subject is not customer else {"customer_id": customer.pk}
    try:
        onboarding, new = onboarding_start(by=None, template_id=template.pk, now=now, **ids)
    except ValidationError as error:
        return "failed", "; ".join(error.messages)[:400]
    return "done", f"onboarding {onboarding.pk} {'started' if new else 'started already'}"
