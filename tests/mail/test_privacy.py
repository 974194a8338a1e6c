"""A person's export lists the messages to them; erasure removes the address and the copy."""

from __future__ import annotations

import pytest

from tenure.mail.models import Message
from tenure.mail.sending import mail_send_due
from tenure.mail.services import NewMessage, message_queue
from tenure.privacy.services import person_erase, person_export
from tests.factories import make_customer
from tests.mail.conftest import NOW, grant

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_lists_the_messages_and_erasure_forgets_their_words(settings):
    settings.SMTP_URL = ""
    customer = make_customer(email="ada@example.com")
    grant(customer)
    message_queue(
        NewMessage(source="news", customer_id=customer.pk, subject="Hi", text="t", due_at=NOW),
        now=NOW,
    )
    mail_send_due(now=NOW)
    exported = person_export(customer_id=customer.pk)
    assert exported["messages"][0]["to_address"] == "ada@example.com"
    person_erase(customer_id=customer.pk)
    message = Message.objects.get()
    assert (message.to_address, message.raw, message.subject) == ("", "", "")
    assert message.status == "sent"
