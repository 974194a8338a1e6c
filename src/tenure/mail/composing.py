"""A message made ready to send: rendered for its customer, headers, unsubscribe links, the
tracking links when switched on, the DKIM signature."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import quote

from django.conf import settings

from tenure.customers.models import Customer
from tenure.mail import tokens
from tenure.mail.models import Message, MessageKind
from tenure.mail.rendering import Rendered, template_render
from tenure.mail.signing import dkim_signer

_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)


def customer_context(customer: Customer) -> dict[str, Any]:
    """What a template may say about its customer: plain values only."""
    return {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "name": f"{customer.first_name} {customer.last_name}".strip(),
        "email": customer.email,
        "external_id": customer.external_id,
        "birthday": customer.birthday.isoformat() if customer.birthday else "",
        "time_zone": customer.time_zone,
        "orders_count": customer.orders_count,
        "first_order_at": customer.first_order_at.isoformat() if customer.first_order_at else "",
        "last_order_at": customer.last_order_at.isoformat() if customer.last_order_at else "",
        "attributes": dict(customer.custom_attributes or {}),
    }


def message_render(message: Message) -> Rendered:
    context = {"customer": customer_context(message.customer), **(message.context or {})}
    source = message.template
    if source is not None:
        return template_render(
            subject=source.subject, text=source.text, html=source.html, context=context
        )
    return template_render(
        subject=message.subject, text=message.text, html=message.html, context=context
    )


def from_domain() -> str:
    address = parseaddr(settings.MAIL_FROM)[1]
    return address.rpartition("@")[2] or "localhost"


def unsubscribe_urls(message: Message) -> tuple[str, str]:
    token = tokens.unsubscribe_token(
        message_id=message.pk, customer_id=message.customer_id, topic=message.topic
    )
    https = f"{settings.BASE_URL}/u/{token}"
    mailbox = settings.MAIL_UNSUBSCRIBE_MAILTO or parseaddr(settings.MAIL_FROM)[1]
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}"
    return https, mailto


def _tracked(message: Message, html: str) -> str:
    def link(match: re.Match[str]) -> str:
        token = tokens.click_token(message.pk, match[1])
        return f'href="{settings.BASE_URL}/m/c/{token}"'

    pixel = (
        f'<img src="{settings.BASE_URL}/m/o/{tokens.open_token(message.pk)}" '
        'width="1" height="1" alt="">'
    )
    html = _HREF.sub(link, html)
    return html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel


@dataclass(frozen=True)
class Composed:
    raw: bytes
    message_id: str
    to_address: str


def message_compose(message: Message, *, address: str, rendered: Rendered, when: float) -> Composed:
    """The bytes to hand to the server, headers included (and signed when DKIM is set up)."""
    email = EmailMessage(policy=SMTP)
    message_id = make_msgid(idstring=str(message.pk), domain=settings.DKIM_DOMAIN or from_domain())
    email["From"] = settings.MAIL_FROM
    email["To"] = address
    email["Subject"] = rendered.subject
    email["Date"] = formatdate(when, usegmt=True)
    email["Message-ID"] = message_id
    email["X-Tenure-Message"] = message.key[:200]
    if message.kind == MessageKind.MARKETING:
        https, mailto = unsubscribe_urls(message)
        email["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text)
    if rendered.html:
        html = _tracked(message, rendered.html) if settings.MAIL_TRACKING else rendered.html
        email.add_alternative(html, subtype="html")
    raw = email.as_bytes(policy=SMTP)
    signer = dkim_signer()
    if signer is not None:
        raw = signer.sign(raw)
    return Composed(raw=raw, message_id=message_id, to_address=address)
