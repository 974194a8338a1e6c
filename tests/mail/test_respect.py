"""Unsubscribing (RFC 8058 one-click and the preference page) and DKIM, end to end against
the SMTP server on loopback."""

from __future__ import annotations

import base64
from datetime import timedelta

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tenure.customers.models import Consent, ConsentPurpose
from tenure.events.models import Event
from tenure.mail.models import MessageStatus
from tenure.mail.sending import mail_send_due
from tenure.mail.services import NewMessage, message_queue
from tests.factories import make_customer
from tests.mail.conftest import NOW, grant

pytestmark = pytest.mark.django_db(transaction=True)


def queue(customer, step, topic=ConsentPurpose.EMAIL_MARKETING, due=NOW):
    return message_queue(
        NewMessage(
            source="playbook:welcome",
            step=step,
            customer_id=customer.pk,
            topic=topic,
            subject=f"Step {step} for {{{{ customer.first_name }}}}",
            text="Hello",
            due_at=due,
        ),
        now=NOW,
    )[0]


def one_click_url(received) -> str:
    https = received["List-Unsubscribe"].split(",")[0].strip(" <>")
    return https.split("://", 1)[1].split("/", 1)[1]


def test_one_click_unsubscribe_stops_everything_after_it(smtp, client, settings):
    settings.MAIL_QUIET_HOURS = ""
    customer = make_customer(first_name="Ada")
    grant(customer)
    queue(customer, "1")
    mail_send_due(now=NOW)
    (received,) = smtp.messages
    path = "/" + one_click_url(received)
    later = queue(customer, "2", due=NOW + timedelta(days=1))

    response = client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not response.cookies
    assert "Location" not in response

    mail_send_due(now=NOW + timedelta(days=1))
    assert len(smtp) == 1
    later.refresh_from_db()
    assert later.status == MessageStatus.SUPPRESSED
    consent = Consent.objects.get(customer=customer, purpose=ConsentPurpose.EMAIL_MARKETING)
    assert not consent.granted and consent.source == "unsubscribe"
    assert "one-click" in consent.evidence
    changed = Event.objects.filter(kind="consent.changed", customer_id=customer.pk).last()
    assert changed.data == {"purpose": "email_marketing", "granted": False, "source": "unsubscribe"}


def test_the_preference_page_changes_nothing_until_submitted(smtp, client, settings):
    customer = make_customer()
    grant(customer)
    queue(customer, "1", topic=ConsentPurpose.NEWSLETTER)
    mail_send_due(now=NOW)
    path = "/" + one_click_url(smtp.messages[0])
    page = client.get(path)
    assert page.status_code == 200
    assert b"Newsletter" in page.content
    assert Consent.objects.filter(customer=customer).count() == 1  # unchanged by a GET

    response = client.post(path, {"preferences": "1", "email_marketing": "on", "offers": "on"})
    assert response.status_code == 200
    chosen = dict(Consent.objects.filter(customer=customer).values_list("purpose", "granted"))
    assert chosen == {
        "email_marketing": True,
        "newsletter": False,
        "offers": True,
        "loyalty": False,
    }


def test_a_forged_token_is_404(client, smtp):
    customer = make_customer()
    grant(customer)
    queue(customer, "1")
    mail_send_due(now=NOW)
    path = "/" + one_click_url(smtp.messages[0])
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    form = "application/x-www-form-urlencoded"
    answer = client.post(forged, "List-Unsubscribe=One-Click", content_type=form)
    assert answer.status_code == 404
    assert client.get("/u/not-a-token").status_code == 404
    assert Consent.objects.get(customer=customer).granted


def test_dkim_verifies_with_the_unsubscribe_headers_signed(smtp, settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    (tmp_path / "dkim.pem").write_bytes(pem)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    settings.DKIM_SELECTOR = "tenure"
    settings.DKIM_DOMAIN = "example.com"
    settings.DKIM_KEY_FILE = str(tmp_path / "dkim.pem")

    customer = make_customer()
    grant(customer)
    queue(customer, "1")
    mail_send_due(now=NOW)
    (raw,) = smtp.raw

    def dns(name, timeout=5):
        assert name == b"tenure._domainkey.example.com."
        return record

    assert dkim.verify(raw, dnsfunc=dns)
    signature = raw.split(b"DKIM-Signature:", 1)[1].split(b"\r\n\r\n", 1)[0]
    signed = signature.split(b"h=", 1)[1].split(b";", 1)[0].replace(b"\r\n", b"").replace(b" ", b"")
    names = set(signed.lower().split(b":"))
    assert {b"from", b"to", b"subject", b"date", b"message-id"} <= names
    assert {b"list-unsubscribe", b"list-unsubscribe-post"} <= names
    # A changed unsubscribe header breaks the signature.
    tampered = raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                           b"List-Unsubscribe-Post: List-Unsubscribe=Nope")  # fmt: skip
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_openssl_signs_byte_for_byte_as_dkimpy_does():
    import hashlib

    import dkim.crypto

    from tenure.mail.signing import openssl_rsassa_pkcs1_v1_5_sign, pure_python_sign

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    numbers = dkim.crypto.parse_pem_private_key(pem)
    for text in (b"", b"hello", b"x" * 10_000):
        digest = hashlib.sha256(text)
        assert openssl_rsassa_pkcs1_v1_5_sign(digest, numbers) == pure_python_sign(digest, numbers)


def test_headers_written_as_compat32_writes_them():
    # The composer writes a header that fits on its line as it is, past the email package's
    # Header class: the bytes must stay those compat32 writes, folded or not.
    from email.policy import compat32

    from tenure.mail.composing import _WIRE

    reference = compat32.clone(linesep="\r\n", max_line_length=78)
    values = [
        "Welcome, Grace!", "ann@example.com", "Mon, 02 Jun 2025 12:00:00 GMT",
        "<174.1.2@example.com>", "List-Unsubscribe=One-Click", "playbook:1:welcome:7",
        "two  spaces", " leading", "trailing ", "tab\tinside", "=?utf-8?b?w4lsb2TDrWU=?=",
        "<https://crm.example.com/u/" + "x" * 120 + ">, <mailto:u@example.com?subject=u>",
        "a; b, c <d@e>", "", "x" * 78,
    ]  # fmt: skip
    for name in ("Subject", "To", "List-Unsubscribe", "X-Tenure-Message"):
        for value in values:
            assert _WIRE.fold(name, value) == reference.fold(name, value), (name, value)
