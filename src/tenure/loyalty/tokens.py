"""The signed link of a customer's own points page, ``/p/<token>/``: no login.

Signed with the secret key (``django.core.signing``, a salt of its own, so a survey's or an
unsubscribe token is no points token), timestamped: it is good for
``TENURE_LOYALTY_LINK_DAYS`` days (default 30) from when it was made, and names the customer
only. A token that does not verify, or is past its age, is no token (the page says which, in
words naming no one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.core import signing

_SALT = "tenure.loyalty.points-page"
_MAX_LENGTH = 400  # a real token is about 30 characters; anything much longer is not ours
DEFAULT_DAYS = 30


def link_days() -> int:
    return int(getattr(settings, "LOYALTY_LINK_DAYS", DEFAULT_DAYS))


class _Signer(signing.TimestampSigner):
    """The points link's signer, its timestamp taken at ``at`` when given (a link made at a
    known moment, for the clock the caller holds)."""

    def __init__(self, at: datetime | None = None) -> None:
        super().__init__(salt=_SALT)
        self._at = at

    def timestamp(self) -> str:
        if self._at is None:
            return super().timestamp()
        return signing.b62_encode(int(self._at.timestamp()))


def points_token(customer_id: int, *, at: datetime | None = None) -> str:
    """The token of the customer's points link, made now (or ``at``)."""
    return _Signer(at).sign_object(customer_id)


def points_url(customer_id: int) -> str:
    """The link a customer opens (in an email: ``{{ loyalty_link }}``)."""
    return f"{settings.BASE_URL}/p/{points_token(customer_id)}/"


def points_token_read(
    token: str, *, max_age_days: int | None = None
) -> tuple[int | None, Literal["ok", "invalid", "expired"]]:
    """(the customer id the token was signed for, "ok"), or (None, why it is refused)."""
    if len(token) > _MAX_LENGTH:
        return None, "invalid"
    days = link_days() if max_age_days is None else max_age_days
    try:
        value = _Signer().unsign_object(token, max_age=days * 86400)
    except signing.SignatureExpired:
        return None, "expired"
    except (signing.BadSignature, ValueError, UnicodeError):
        return None, "invalid"
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None, "invalid"
    return value, "ok"
