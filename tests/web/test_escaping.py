"""User text is shown as text: a stored <script> never runs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenure.customers.models import Contact
from tenure.interactions.models import Interaction
from tests.factories import T0, make_account, make_customer

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile(db):
    account = make_account(name=f"Evil {SCRIPT}", industry=SCRIPT, website="javascript:alert(1)")
    Contact.objects.create(account=account, first_name=SCRIPT, title=SCRIPT)
    customer = make_customer(
        external_id="X-1",
        first_name=SCRIPT,
        last_name="Doe",
        email="x@example.com",
        category=SCRIPT,
        channel=SCRIPT,
        account=account,
        custom_attributes={SCRIPT: SCRIPT},
    )
    Interaction.objects.create(
        customer=customer, kind="note", occurred_at=T0, subject=SCRIPT, body=f"line\n{SCRIPT}"
    )
    return customer


@pytest.mark.parametrize("page", ["customers", "customer", "accounts", "account"])
def test_stored_script_renders_as_text(signed_in, hostile, page):
    urls = {
        "customers": reverse("web:customers"),
        "customer": reverse("web:customer", args=[hostile.pk]),
        "accounts": reverse("web:accounts"),
        "account": reverse("web:account", args=[hostile.account_id]),
    }
    body = signed_in.get(urls[page]).content.decode()
    assert SCRIPT not in body
    assert ESCAPED in body


def test_a_javascript_website_is_not_a_link(signed_in, hostile):
    body = signed_in.get(reverse("web:account", args=[hostile.account_id])).content.decode()
    assert 'href="javascript:' not in body
