"""The ledger and the sender against a real SMTP server on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenure.customers.models import Consent, ConsentPurpose
from tenure.events.models import Event
from tenure.mail.models import Message, MessageKind, MessageStatus, Template
from tenure.mail.sending import mail_send_due
from tenure.mail.services import NewMessage, message_queue
from tests.factories import make_customer
from tests.mail.conftest import NOW, grant

pytestmark = pytest.mark.django_db(transaction=True)


def welcome(customer, **fields):
    template = Template.objects.get_or_create(
        name="Welcome",
        defaults={
            "subject": "Welcome, {{ customer.first_name }}!",
            "text": "Hello {{ customer.first_name }}, your guide: {{ guide_url }}",
            "html": "<p>Hello {{ customer.first_name }}</p>",
        },
    )[0]
    fields.setdefault("source", "playbook:1")
    fields.setdefault("step", "1")
    fields.setdefault("due_at", NOW)
    return message_queue(
        NewMessage(
            customer_id=customer.pk,
            template_id=template.pk,
            context={"guide_url": "https://example.com/guide"},
            **fields,
        ),
        now=NOW,
    )[0]


def test_a_welcome_arrives_personalised_with_its_headers(smtp):
    customer = make_customer(first_name="Grace", email="grace@example.com")
    grant(customer)
    message = welcome(customer)
    result = mail_send_due(now=NOW)
    assert result.sent == 1
    (received,) = smtp.messages
    assert received["Subject"] == "Welcome, Grace!"
    assert received["To"] == "grace@example.com"
    assert "https://example.com/guide" in received.get_body(("plain",)).get_content()
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [part.strip(" <>") for part in received["List-Unsubscribe"].split(",")]
    assert https.startswith("http") and "/u/" in https
    assert mailto.startswith("mailto:")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.handed_at is not None and message.message_id == received["Message-ID"]
    assert message.to_address == "grace@example.com"
    assert Event.objects.filter(kind="mail.sent", customer_id=customer.pk).count() == 1


def test_the_same_key_is_the_same_message(smtp):
    customer = make_customer()
    grant(customer)
    first = welcome(customer)
    second = welcome(customer)
    assert first.pk == second.pk
    mail_send_due(now=NOW)
    mail_send_due(now=NOW + timedelta(days=30))
    assert len(smtp) == 1


def test_without_an_smtp_url_mail_goes_to_the_outbox(settings):
    settings.SMTP_URL = ""
    customer = make_customer(first_name="Alan")
    grant(customer)
    message = welcome(customer)
    assert mail_send_due(now=NOW).sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert "Subject: Welcome, Alan!" in message.raw
    assert "List-Unsubscribe:" in message.raw


def test_consent_withdrawn_between_queueing_and_sending_suppresses(smtp):
    customer = make_customer()
    grant(customer)
    message = welcome(customer)
    Consent.objects.filter(customer=customer).update(granted=False)
    result = mail_send_due(now=NOW)
    assert result.suppressed == 1 and len(smtp) == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED
    assert message.reason == "marketing emails refused"
    event = Event.objects.get(kind="mail.suppressed", customer_id=customer.pk)
    assert event.data["reason"] == "marketing emails refused"


def test_consent_withdrawn_after_the_claim_stops_what_is_not_yet_handed_over(smtp, monkeypatch):
    # The hand-over re-reads consent in its own statement, after the claim and right before
    # the SMTP call: an unsubscribe committed while the batch is out stops what is left of it.
    from tenure.mail import sending

    kept, withdrawn, offers = make_customer(), make_customer(), make_customer()
    for customer in (kept, withdrawn, offers):
        grant(customer)
    news = welcome(kept)
    stopped = welcome(withdrawn)
    receipt = message_queue(
        NewMessage(
            source="receipt", customer_id=withdrawn.pk, kind=MessageKind.TRANSACTIONAL,
            subject="Your receipt", text="Thanks", due_at=NOW,
        ),
        now=NOW,
    )[0]  # fmt: skip
    offer = welcome(offers, step="offer", topic=ConsentPurpose.OFFERS)
    claim = sending._claim

    def claim_then_unsubscribe(*args, **kwargs):
        claimed = claim(*args, **kwargs)
        assert len(claimed) == 4
        Consent.objects.filter(customer=withdrawn).update(granted=False)
        Consent.objects.create(
            customer=offers, purpose=ConsentPurpose.OFFERS, granted=False, changed_at=NOW
        )
        return claimed

    monkeypatch.setattr(sending, "_claim", claim_then_unsubscribe)
    result = mail_send_due(now=NOW)
    assert (result.sent, result.suppressed, len(smtp)) == (2, 2, 2)
    for message in (news, stopped, receipt, offer):
        message.refresh_from_db()
    assert (news.status, receipt.status) == (MessageStatus.SENT, MessageStatus.SENT)
    assert (stopped.status, stopped.reason, stopped.handed_at) == (
        MessageStatus.SUPPRESSED, "marketing emails refused", None
    )  # fmt: skip
    assert (offer.status, offer.reason) == (
        MessageStatus.SUPPRESSED,
        "Offers and special-day promotions refused",
    )
    reasons = Event.objects.filter(kind="mail.suppressed").values_list("data__reason", flat=True)
    assert sorted(reasons) == [
        "Offers and special-day promotions refused",
        "marketing emails refused",
    ]


def test_a_refused_topic_suppresses_only_that_topic(smtp):
    customer = make_customer()
    grant(customer)
    Consent.objects.create(
        customer=customer, purpose=ConsentPurpose.OFFERS, granted=False, changed_at=NOW
    )
    offer = welcome(customer, step="offer", topic=ConsentPurpose.OFFERS)
    news = welcome(customer, step="news", topic=ConsentPurpose.NEWSLETTER)
    mail_send_due(now=NOW)
    offer.refresh_from_db()
    news.refresh_from_db()
    assert (offer.status, news.status) == (MessageStatus.SUPPRESSED, MessageStatus.SENT)


def test_transactional_mail_needs_no_consent_and_ignores_cap_and_quiet_hours(smtp, settings):
    settings.MAIL_CAP = "1/7d"
    customer = make_customer(time_zone="Europe/Berlin")
    night = NOW.replace(hour=23)
    for n in range(3):
        message_queue(
            NewMessage(
                source="receipt",
                occurrence=str(n),
                customer_id=customer.pk,
                kind=MessageKind.TRANSACTIONAL,
                subject="Your receipt",
                text="Thanks",
                due_at=night,
            ),
            now=night,
        )
    assert mail_send_due(now=night).sent == 3
    assert len(smtp) == 3
    assert "List-Unsubscribe" not in smtp.messages[0]


def test_a_hard_bounced_address_gets_no_mail_at_all(smtp):
    from tenure.mail.models import Suppression

    customer = make_customer(email="gone@example.com")
    Suppression.objects.create(address="gone@example.com", suppressed_at=NOW, reason="hard_bounce")
    message_queue(
        NewMessage(
            source="receipt",
            customer_id=customer.pk,
            kind=MessageKind.TRANSACTIONAL,
            subject="Receipt",
            text="x",
            due_at=NOW,
        ),
        now=NOW,
    )
    assert mail_send_due(now=NOW).suppressed == 1
    assert len(smtp) == 0


def test_a_message_past_its_valid_until_expires_instead_of_going_late(smtp):
    customer = make_customer()
    grant(customer)
    message = welcome(customer, valid_until=NOW + timedelta(hours=1))
    result = mail_send_due(now=NOW + timedelta(hours=2))
    assert result.expired == 1 and len(smtp) == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.EXPIRED


def test_a_server_refusal_fails_the_message_for_good(smtp_server, settings):
    inbox, port = smtp_server

    async def refuse(server, session, envelope):
        return "550 no such user"

    inbox.handle_DATA = refuse
    settings.SMTP_URL = f"smtp://127.0.0.1:{port}"
    customer = make_customer()
    grant(customer)
    message = welcome(customer)
    assert mail_send_due(now=NOW).failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "550" in message.reason


def test_no_server_listening_queues_the_message_again(settings):
    from tests.mail.conftest import free_port

    settings.SMTP_URL = f"smtp://127.0.0.1:{free_port()}"
    customer = make_customer()
    grant(customer)
    message = welcome(customer)
    result = mail_send_due(now=NOW)
    assert result.again == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and message.handed_at is None
    assert message.next_at > NOW


def test_a_stale_lease_handed_over_is_unknown_and_never_resent(smtp):
    customer = make_customer()
    grant(customer)
    handed = welcome(customer, step="a")
    claimed = welcome(customer, step="b")
    Message.objects.filter(pk__in=[handed.pk, claimed.pk]).update(
        status=MessageStatus.SENDING, claimed_at=NOW, lease_until=NOW + timedelta(minutes=5)
    )
    Message.objects.filter(pk=handed.pk).update(handed_at=NOW)
    later = NOW + timedelta(minutes=6)
    result = mail_send_due(now=later)
    handed.refresh_from_db()
    claimed.refresh_from_db()
    assert handed.status == MessageStatus.UNKNOWN
    assert claimed.status == MessageStatus.SENT  # never handed over: claimed again and sent
    assert result.unknown == 1 and len(smtp) == 1


def test_words_beyond_ascii_arrive_intact(smtp):
    customer = make_customer(first_name="Jürgen", email="j@example.com")
    grant(customer)
    message_queue(
        NewMessage(
            source="news",
            customer_id=customer.pk,
            subject="Grüße, {{ customer.first_name }} ✓",
            text="Schöne Grüße\n" * 3,
            html="<p>Schöne Grüße, {{ customer.first_name }}</p>",
            due_at=NOW,
        ),
        now=NOW,
    )
    assert mail_send_due(now=NOW).sent == 1
    (received,) = smtp.messages
    assert received["Subject"] == "Grüße, Jürgen ✓"
    plain = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain.startswith("Schöne Grüße\n")
    assert "Jürgen" in received.get_body(("html",)).get_content()


def test_an_unsubscribe_while_its_batch_is_sent_stops_the_message(smtp):
    from tenure.mail.sending import SendResult, _claim, _deliver
    from tenure.mail.transport import transport_from_settings

    customer = make_customer()
    grant(customer)
    message = welcome(customer)
    result = SendResult()
    claimed = _claim(NOW, 10, result)
    assert [m.pk for m in claimed] == [message.pk]
    Consent.objects.filter(customer=customer).update(granted=False)  # the one-click POST
    _deliver(claimed, transport_from_settings(), lambda: NOW, result)
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED and len(smtp) == 0


def test_a_claim_takes_at_most_a_batch_and_leaves_the_rest_due(smtp):
    from tenure.mail.sending import SendResult, _claim

    customer = make_customer()
    for n in range(5):
        message_queue(
            NewMessage(source="receipt", occurrence=str(n), customer_id=customer.pk,
                       kind=MessageKind.TRANSACTIONAL, subject="r", text="t", due_at=NOW),
            now=NOW,
        )  # fmt: skip
    assert len(_claim(NOW, 3, SendResult())) == 3
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 2
    assert mail_send_due(now=NOW, limit=3).sent == 2  # the two left (the three: leased)
