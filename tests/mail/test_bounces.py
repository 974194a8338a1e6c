"""Bounces read by flufl.bounce from an mbox or a folder, complaints (ARF), and the CLI."""

from __future__ import annotations

import mailbox

import pytest
from click.testing import CliRunner

from tenure.cli.main import register_commands
from tenure.customers.models import Consent, ConsentPurpose
from tenure.mail.models import Suppression, SuppressionReason
from tests.factories import make_customer
from tests.mail.conftest import grant

pytestmark = pytest.mark.django_db(transaction=True)


def dsn(address: str, *, action: str = "failed", status: str = "5.1.1") -> str:
    return f"""From: MAILER-DAEMON@mx.example.net
To: mail@localhost
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822; {address}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--B--
"""


def arf(address: str) -> str:
    return f"""From: feedback@isp.example
To: mail@localhost
Subject: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: isp/1.0
Version: 1
Original-Rcpt-To: {address}

--F
Content-Type: message/rfc822

From: mail@localhost
To: {address}
Subject: News

Hello
--F--
"""


def ingest(path) -> str:
    result = CliRunner().invoke(register_commands(), ["mail", "bounces", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_hard_bounce_suppresses_at_once(tmp_path):
    (tmp_path / "1.eml").write_text(dsn("Gone@Example.com"))
    assert "1 hard" in ingest(tmp_path)
    row = Suppression.objects.get(address="gone@example.com")
    assert row.suppressed_at is not None and row.reason == SuppressionReason.HARD_BOUNCE


def test_soft_bounces_suppress_after_the_configured_count(tmp_path, settings):
    settings.MAIL_SOFT_BOUNCES = 3
    box = mailbox.mbox(str(tmp_path / "bounces.mbox"))
    for _ in range(2):
        box.add(dsn("busy@example.com", action="delayed", status="4.2.2"))
    box.flush()
    ingest(tmp_path / "bounces.mbox")
    row = Suppression.objects.get(address="busy@example.com")
    assert row.soft_bounces == 2 and row.suppressed_at is None
    box.add(dsn("busy@example.com", action="delayed", status="4.2.2"))
    box.flush()
    box.close()
    (tmp_path / "third").mkdir()
    (tmp_path / "third" / "m").write_text(dsn("busy@example.com", action="delayed", status="4.2.2"))
    ingest(tmp_path / "third")
    row.refresh_from_db()
    assert row.soft_bounces == 3 and row.reason == SuppressionReason.SOFT_BOUNCES


def test_a_complaint_refuses_all_marketing(tmp_path):
    customer = make_customer(email="annoyed@example.com")
    grant(customer, ConsentPurpose.EMAIL_MARKETING, ConsentPurpose.NEWSLETTER)
    (tmp_path / "arf.eml").write_text(arf("annoyed@example.com"))
    assert "1 complaints" in ingest(tmp_path)
    consent = Consent.objects.get(customer=customer, purpose=ConsentPurpose.EMAIL_MARKETING)
    assert not consent.granted and consent.source == "complaint"


def test_a_message_that_is_no_bounce_changes_nothing(tmp_path):
    (tmp_path / "hello.eml").write_text("From: a@b.c\nTo: d@e.f\nSubject: hi\n\nhello\n")
    assert "1 not bounces" in ingest(tmp_path)
    assert not Suppression.objects.exists()
