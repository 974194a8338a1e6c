"""Signed tokens in the links of a message: unsubscribe, open and click.

Signed with the secret key (``django.core.signing``), never expiring: an unsubscribe link in a
years-old message must still work. A token that does not verify is no token (the views 404).
"""

from __future__ import annotations

from typing import Any

from django.core import signing

_UNSUBSCRIBE = "tenure.mail.unsubscribe"
_OPEN = "tenure.mail.open"
_CLICK = "tenure.mail.click"


def _dumps(value: Any, salt: str) -> str:
    return signing.dumps(value, salt=salt, compress=True)


def _loads(token: str, salt: str) -> Any:
    if len(token) > 4000:
        return None
    try:
        return signing.loads(token, salt=salt)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None


def unsubscribe_token(*, message_id: int, customer_id: int, topic: str) -> str:
    return _dumps([message_id, customer_id, topic], _UNSUBSCRIBE)


def unsubscribe_read(token: str) -> tuple[int, int, str] | None:
    value = _loads(token, _UNSUBSCRIBE)
    if not (isinstance(value, list) and len(value) == 3):
        return None
    message_id, customer_id, topic = value
    if not (isinstance(message_id, int) and isinstance(customer_id, int)):
        return None
    return message_id, customer_id, str(topic)


def open_token(message_id: int) -> str:
    return _dumps(message_id, _OPEN)


def open_read(token: str) -> int | None:
    value = _loads(token, _OPEN)
    return value if isinstance(value, int) else None


def click_token(message_id: int, url: str) -> str:
    return _dumps([message_id, url], _CLICK)


def click_read(token: str) -> tuple[int, str] | None:
    value = _loads(token, _CLICK)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        return None
    return value[0], str(value[1])
