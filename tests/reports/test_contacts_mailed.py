"""The results report reaches the account's contacts who are no customers: only those who asked
for it (``receives_reports``), one message per address and period, through the real SMTP
server on loopback with its PDF; their one-click unsubscribe stops the next report, and a
message already queued when they unsubscribed is not sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from tenure.customers.models import Contact
from tenure.customers.services import contact_create
from tenure.mail.models import CONTACT_TOPIC, Message, MessageStatus
from tenure.mail.selectors import message_list
from tenure.mail.sending import NO_REPORTS, mail_send_due
from tenure.mail.services import NewMessage, message_queue
from tenure.reports.periods import report_period
from tenure.reports.sending import report_send
from tests.factories import make_account, make_user
from tests.mail.test_respect import one_click_url
from tests.reports.acme import NOW

pytestmark = pytest.mark.django_db

NOON = datetime(2025, 10, 7, 12, tzinfo=UTC)  # the next day, outside quiet hours


def _contact(account, first_name: str, email: str, *, receives: bool = True) -> Contact:
    return contact_create(
        account_id=account.pk, first_name=first_name, email=email, receives_reports=receives
    )


def _send(acme, label: str):
    period = report_period(label, today=NOW.date())
    return report_send(by=None, account_id=acme.account.pk, period=period, now=NOW)


def test_the_contacts_who_asked_get_the_report_once_per_address(acme, smtp):
    cleo = _contact(acme.account, "Cleo", "cleo@acme.example")
    _contact(acme.account, "Dan", "dan@acme.example", receives=False)
    _contact(acme.account, "Ada again", "ADA@acme.example")  # Ada is a customer: hers only
    _contact(acme.account, "Cleo's twin", "Cleo@Acme.example")  # the same mailbox
    _contact(acme.account, "Eve", "")
    result = _send(acme, "2025-Q3")
    assert result.queued == 2  # Ada (a consenting customer) and Cleo
    assert dict(result.skipped) == {
        "no consent to marketing emails": 1,  # Bob, a customer
        "contact has not asked for the report": 1,  # Dan
        "address mailed this report already (another contact)": 1,
        "no email address": 1,  # Eve
    }
    message = Message.objects.get(contact=cleo)
    assert message.customer_id is None
    assert message.topic == CONTACT_TOPIC
    assert message.key == f"report:{acme.account.pk}:results:contact-{cleo.pk}:2025-Q3"
    again = _send(acme, "2025-Q3")
    assert (again.queued, again.already) == (0, 2)

    mail_send_due(now=NOON)
    assert sorted(m["To"] for m in smtp.messages) == ["ada@acme.example", "cleo@acme.example"]
    (received,) = [m for m in smtp.messages if m["To"] == "cleo@acme.example"]
    assert received["Subject"].startswith("Acme Rockets: your results for")
    (attached,) = received.iter_attachments()
    assert attached.get_content().startswith(b"%PDF")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.to_address == "cleo@acme.example"


def test_a_contact_unsubscribes_with_one_click_and_gets_no_more_reports(acme, smtp, client):
    cleo = _contact(acme.account, "Cleo", "cleo@acme.example")
    _send(acme, "2025-Q2")
    mail_send_due(now=NOON)
    (received,) = [m for m in smtp.messages if m["To"] == "cleo@acme.example"]
    queued_later = _send(acme, "2025-Q3")  # the next quarter's, queued before the click
    assert queued_later.queued == 2

    page = client.get("/" + one_click_url(received))
    assert page.status_code == 200
    assert b"Results reports by email" in page.content
    answer = client.post(
        "/" + one_click_url(received),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    cleo.refresh_from_db()
    assert cleo.receives_reports is False

    mail_send_due(now=NOON + timedelta(days=1))
    waiting = Message.objects.get(contact=cleo, occurrence="2025-Q3")
    assert (waiting.status, waiting.reason) == (MessageStatus.SUPPRESSED, NO_REPORTS)
    assert [m["To"] for m in smtp.messages].count("cleo@acme.example") == 1
    later = _send(acme, "2025-Q4")
    assert later.skipped["contact has not asked for the report"] == 1
    assert not Message.objects.filter(contact=cleo, occurrence="2025-Q4").exists()


def test_a_forged_contact_link_is_refused(acme, smtp, client):
    _contact(acme.account, "Cleo", "cleo@acme.example")
    _send(acme, "2025-Q2")
    mail_send_due(now=NOON)
    (received,) = [m for m in smtp.messages if m["To"] == "cleo@acme.example"]
    path = "/" + one_click_url(received)
    assert client.get(path[:-3] + "abc").status_code == 404


def test_a_message_goes_to_a_customer_or_a_contact_never_both(acme):
    cleo = _contact(acme.account, "Cleo", "cleo@acme.example")
    base = {"source": "manual", "due_at": NOW, "subject": "Hi", "text": "Hello"}
    with pytest.raises(ValidationError, match="a customer or to a contact"):
        message_queue(NewMessage(customer_id=acme.ada.pk, contact_id=cleo.pk, **base), now=NOW)
    with pytest.raises(ValidationError, match="a customer or to a contact"):
        message_queue(NewMessage(customer_id=None, **base), now=NOW)
    with pytest.raises(ValidationError, match="service_email only"):
        message_queue(NewMessage(customer_id=None, contact_id=cleo.pk, **base), now=NOW)
    assert not Message.objects.exists()


def test_a_success_manager_sees_the_messages_to_their_accounts_contacts_only(acme):
    owner = make_user(role="success_manager")
    acme.account.owner = owner
    acme.account.save()
    cleo = _contact(acme.account, "Cleo", "cleo@acme.example")
    elsewhere = _contact(make_account(name="Else"), "Fay", "fay@else.example")
    for contact in (cleo, elsewhere):
        message_queue(
            NewMessage(source="manual", customer_id=None, contact_id=contact.pk, due_at=NOW,
                       subject="Hi", text="Hello", topic=CONTACT_TOPIC),
            now=NOW,
        )  # fmt: skip
    seen = message_list(user=owner).filter(contact__isnull=False)
    assert [m.contact_id for m in seen] == [cleo.pk]
    assert message_list(user=make_user(role="analyst")).filter(contact__isnull=False).count() == 2


def test_the_team_records_who_asked_for_the_report_by_api_and_page(acme, client):
    from tests.api.helpers import Api

    dan = _contact(acme.account, "Dan", "dan@acme.example", receives=False)
    api = Api(client, role="manager")
    answer = api.patch(f"/contacts/{dan.pk}", {"receives_reports": True})
    assert answer.status_code == 200, answer.content
    assert answer.json()["receives_reports"] is True
    dan.refresh_from_db()
    assert dan.receives_reports is True
    client.force_login(make_user(role="manager"))
    page = client.get(f"/contacts/{dan.pk}/edit/")
    assert page.status_code == 200
    assert b"Receives results reports" in page.content
