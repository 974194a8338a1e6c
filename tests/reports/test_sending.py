"""The playbook step "Email the results report": the account's report reaches the people of
the account who may be mailed, through a real SMTP server on loopback, once per account,
period and person however often the step runs or customers of the account enrol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pypdfium2 as pdfium
import pytest
from django.utils import timezone

from tenure.access import AccessDenied
from tenure.events.consumers import consumer_drain
from tenure.events.models import ConsumerPosition
from tenure.events.record import acting_via, event_record
from tenure.mail.models import Message
from tenure.mail.sending import mail_send_due
from tenure.playbooks.advance import enrollments_advance
from tenure.playbooks.models import Enrollment, StepRun
from tenure.playbooks.triggers import TRIGGERS
from tenure.reports.periods import report_period
from tenure.reports.sending import report_send
from tests.factories import make_user
from tests.playbooks.conftest import make_playbook
from tests.reports.acme import NOW

pytestmark = pytest.mark.django_db


def _entered(customer) -> None:
    with acting_via("worker"):
        event_record(
            "stage.entered", subject="customer", subject_id=customer.pk, customer_id=customer.pk,
            data={"stage": "active", "role": "active"},
        )  # fmt: skip


def _advance_all(now: datetime) -> None:
    while enrollments_advance(now=now):
        pass


def test_the_step_emails_the_report_once_per_person(acme, smtp):
    playbook = make_playbook(
        name="Quarterly results", slug="quarterly-results",
        trigger={"type": "event", "kind": "stage.entered", "match": {"role": "active"}},
        steps=[{"kind": "results_report", "period": "quarter"}],
    )  # fmt: skip
    _entered(acme.ada)
    _entered(acme.bob)  # a second customer of the same account enrols too
    consumer_drain(TRIGGERS)
    now = timezone.now()
    _advance_all(now + timedelta(minutes=1))
    # The worker delivers the same events again (it died before saving its place).
    ConsumerPosition.objects.filter(name=TRIGGERS.name).update(tx=0, event_id=0)
    consumer_drain(TRIGGERS)
    _advance_all(now + timedelta(minutes=2))
    noon = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    noon = noon.replace(hour=12)  # outside quiet hours
    mail_send_due(now=noon)
    mail_send_due(now=noon)  # a second pass sends nothing again

    assert len(smtp) == 1  # Ada; Bob gave no consent to marketing email
    (received,) = smtp.messages
    assert received["To"] == "ada@acme.example"
    assert received["Subject"].startswith("Acme Rockets: your results for Q")
    html = received.get_body(("html",)).get_content()
    assert "Acme Rockets" in html and "<article" in html
    assert "RESULTS" in received.get_body(("plain",)).get_content()
    # The report's PDF rides along, read back by PDFium.
    label = report_period(None, today=timezone.localdate(now)).label
    (attached,) = received.iter_attachments()
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == f"acme-rockets-results-{label}.pdf"
    data = attached.get_content()
    assert data.startswith(b"%PDF")
    page = pdfium.PdfDocument(data)[0]
    assert "Acme Rockets" in page.get_textpage().get_text_range()
    assert max(len(line) for line in received.as_bytes().splitlines()) <= 998  # SMTP's limit
    assert Enrollment.objects.filter(playbook=playbook).count() == 2
    details = sorted(run.detail for run in StepRun.objects.filter(enrollment__playbook=playbook))
    assert details == [
        f"{label}: 0 queued; 1 queued before (not again); 1 not sent: no consent to marketing "
        "emails",
        f"{label}: 1 queued; 1 not sent: no consent to marketing emails",
    ]
    assert Message.objects.get().key.startswith(f"report:{acme.account.pk}:results:")


def test_sent_by_hand_once_per_period_and_only_by_admins_and_managers(acme):
    period = report_period("2025-Q3", today=NOW.date())
    first = report_send(by=make_user(role="manager"), account_id=acme.account.pk, period=period,
                        now=NOW)  # fmt: skip
    again = report_send(by=None, account_id=acme.account.pk, period=period, now=NOW)
    assert (first.queued, again.queued, again.already) == (1, 0, 1)
    other = report_send(
        by=None, account_id=acme.account.pk, period=report_period("2025-08", today=NOW.date()),
        now=NOW,
    )  # fmt: skip
    assert other.queued == 1  # another period is another report
    message = Message.objects.get(occurrence="2025-Q3")
    assert "$199.75" in message.context["report_html"]
    for role in ("analyst", "success_manager"):
        with pytest.raises(AccessDenied):
            report_send(by=make_user(role=role), account_id=acme.account.pk, period=period,
                        now=NOW)  # fmt: skip
    assert Message.objects.count() == 2


def test_an_erased_person_keeps_no_copy_of_the_report_sent_to_them(acme):
    from tenure.privacy.services import person_erase

    result = report_send(
        by=None,
        account_id=acme.account.pk,
        period=report_period("2025-Q1", today=NOW.date()),
        now=NOW,
    )
    assert result.queued == 1
    message = Message.objects.get(customer=acme.ada)
    assert message.attachments[0]["content_type"] == "application/pdf"
    person_erase(customer_id=acme.ada.pk)
    message.refresh_from_db()
    assert message.attachments == [] and message.html == ""
