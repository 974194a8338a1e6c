"""Open and click tracking: off by default; on, signed links record mail.opened and
mail.clicked."""

from __future__ import annotations

import re

import pytest

from tenure.events.models import Event
from tenure.mail.sending import mail_send_due
from tenure.mail.services import NewMessage, message_queue
from tests.factories import make_customer
from tests.mail.conftest import NOW, grant

pytestmark = pytest.mark.django_db(transaction=True)


def send_one(customer) -> str:
    message_queue(
        NewMessage(
            source="news",
            customer_id=customer.pk,
            subject="News",
            text="Read https://shop.example/news",
            html='<html><body><a href="https://shop.example/news">Read</a></body></html>',
            due_at=NOW,
        ),
        now=NOW,
    )
    mail_send_due(now=NOW)
    return customer.messages.get().raw


def test_tracking_is_off_by_default(client, settings):
    settings.SMTP_URL = ""
    customer = make_customer()
    grant(customer)
    raw = send_one(customer)
    assert "/m/o/" not in raw and "/m/c/" not in raw
    assert client.get("/m/o/anything").status_code == 404


def test_tracked_opens_and_clicks_are_events(client, settings):
    settings.SMTP_URL = ""
    settings.MAIL_TRACKING = True
    customer = make_customer()
    grant(customer)
    raw = send_one(customer).replace("=\r\n", "").replace("=3D", "=")
    opened = re.search(r"/m/o/([^\"]+)\"", raw)[1]
    clicked = re.search(r"/m/c/([^\"]+)\"", raw)[1]
    response = client.get(f"/m/o/{opened}")
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    response = client.get(f"/m/c/{clicked}")
    assert response.status_code == 302 and response["Location"] == "https://shop.example/news"
    kinds = list(Event.objects.filter(customer_id=customer.pk, kind__startswith="mail.")
                 .values_list("kind", flat=True))  # fmt: skip
    assert {"mail.sent", "mail.opened", "mail.clicked"} <= set(kinds)
    assert client.get(f"/m/c/{clicked[:-2]}xx").status_code == 404
