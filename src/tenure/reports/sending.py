"""Emailing an account's results report to its people, once per (account, period, person).

The people are the account's customers (each with their consents) and its contacts who are no
customer of it (no customer of the account has their address): a contact is mailed only if
they asked for the report (``Contact.receives_reports``, which the report's unsubscribe link
turns off). Each gets one marketing message queued in the ledger under the key
(``report:<account>``, ``results``, the person, the period): on the ``email_marketing`` topic
for a customer, ``service_email`` for a contact. So a playbook step run twice, a retried
request or a second click queues nothing more; the sender checks consent, suppression, quiet
hours and the cap again when it sends. Someone who could not be mailed now (no address, a
suppressed address, no consent, an address already mailed this report) is counted with the
reason. The report is the message's body (HTML and text) and its PDF is attached, rendered
once per call and only when someone is to be mailed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.text import slugify

from tenure.access import require_all
from tenure.customers.models import Consent, ConsentPurpose, Contact, Customer
from tenure.domain.access import Action
from tenure.mail.models import CONTACT_TOPIC, MessageKind, Suppression
from tenure.mail.services import Attachment, NewMessage, message_queue
from tenure.reports.building import AccountReport, account_report
from tenure.reports.events import REPORT_SENT, report_event
from tenure.reports.periods import ReportPeriod
from tenure.reports.rendering import report_html, report_pdf, report_text
from tenure.users.models import User

SEND_WHY = "emailing results reports is for admins and managers"
TOPIC = ConsentPurpose.EMAIL_MARKETING
NO_ADDRESS = "no email address"
SUPPRESSED = "address suppressed"
NO_CONSENT = "no consent to marketing emails"
NO_REPORTS = "contact has not asked for the report"
SAME_ADDRESS = "address mailed this report already (another contact)"


@dataclass
class ReportSendResult:
    queued: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def words(self) -> str:
        parts = [f"{self.queued} queued"]
        if self.already:
            parts.append(f"{self.already} queued before (not again)")
        parts += [f"{n} not sent: {reason}" for reason, n in sorted(self.skipped.items())]
        return "; ".join(parts)


def _reasons(customers: list[Customer]) -> dict[int, str]:
    """Why each person could not be mailed now ('' when they could): the sender's rule."""
    granted = set(
        Consent.objects.filter(
            customer__in=customers, purpose=TOPIC, granted=True
        ).values_list("customer_id", flat=True)
    )  # fmt: skip
    addresses = {c.email.strip().lower() for c in customers if c.email.strip()}
    suppressed = set(
        Suppression.objects.filter(address__in=addresses, suppressed_at__isnull=False)
        .values_list("address", flat=True)
    )  # fmt: skip
    reasons = {}
    for customer in customers:
        address = customer.email.strip().lower()
        reasons[customer.pk] = (
            NO_ADDRESS if not address else SUPPRESSED if address in suppressed
            else NO_CONSENT if customer.pk not in granted else ""
        )  # fmt: skip
    return reasons


def _contacts(account_id: int, customers: list[Customer]) -> list[Contact]:
    """The account's contacts who are no customer of it, one per address (the first)."""
    theirs = {c.email.strip().lower() for c in customers if c.email.strip()}
    return [
        contact for contact in Contact.objects.filter(account_id=account_id).order_by("pk")
        if not contact.email.strip() or contact.email.strip().lower() not in theirs
    ]  # fmt: skip


def _contact_reasons(contacts: list[Contact]) -> dict[int, str]:
    """Why each contact could not be mailed now ('' when they could): the sender's rule."""
    addresses = {c.email.strip().lower() for c in contacts if c.email.strip()}
    suppressed = set(
        Suppression.objects.filter(address__in=addresses, suppressed_at__isnull=False)
        .values_list("address", flat=True)
    )  # fmt: skip
    reasons, seen = {}, set()
    for contact in contacts:
        address = contact.email.strip().lower()
        reasons[contact.pk] = (
            NO_ADDRESS if not address else SUPPRESSED if address in suppressed
            else NO_REPORTS if not contact.receives_reports
            else SAME_ADDRESS if address in seen else ""
        )  # fmt: skip
        if not reasons[contact.pk]:
            seen.add(address)
    return reasons


def _pdf(report: AccountReport) -> Attachment:
    name = slugify(report.account_name) or f"account-{report.account_id}"
    return Attachment(f"{name}-results-{report.period.label}.pdf", "application/pdf",
                      report_pdf(report))  # fmt: skip


def _message(
    report: AccountReport,
    now: datetime,
    pdf: Attachment,
    *,
    customer_id: int | None = None,
    contact_id: int | None = None,
) -> NewMessage:
    subject = f"{report.account_name}: your results for {report.period.words}"
    return NewMessage(
        attachments=(pdf,),
        source=f"report:{report.account_id}", step="results", occurrence=report.period.label,
        customer_id=customer_id, contact_id=contact_id, due_at=now, kind=MessageKind.MARKETING,
        topic=TOPIC if contact_id is None else CONTACT_TOPIC,
        subject="{{ subject }}", text="{{ report_text }}", html="{{ report_html|safe }}",
        context={"subject": subject, "report_text": report_text(report),
                 "report_html": report_html(report)},
    )  # fmt: skip


def report_send(
    *, by: User | None, account_id: int, period: ReportPeriod, now: datetime
) -> ReportSendResult:
    """Queue the account's report for ``period`` to each of its people who may be mailed."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SEND_WHY)
    from tenure.reports.selectors import report_account

    account = report_account(user=by, account_id=account_id)
    report = account_report(account=account, period=period, now=now)
    people = list(Customer.objects.filter(account=account).order_by("pk"))
    contacts = _contacts(account.pk, people)
    reasons = _reasons(people)
    contact_reasons = _contact_reasons(contacts)
    result = ReportSendResult()
    anyone = any(not r for r in [*reasons.values(), *contact_reasons.values()])
    pdf = _pdf(report) if anyone else None
    recipients = [
        *(({"customer_id": p.pk}, reasons[p.pk]) for p in people),
        *(({"contact_id": c.pk}, contact_reasons[c.pk]) for c in contacts),
    ]
    with transaction.atomic():
        for whom, reason in recipients:
            if reason or pdf is None:
                result.skipped[reason] += 1
                continue
            _, new = message_queue(_message(report, now, pdf, **whom), now=now)
            if new:
                result.queued += 1
            else:
                result.already += 1
        if result.queued:
            report_event(
                REPORT_SENT, subject_id=account.pk, period=period.label, queued=result.queued
            )
    return result
