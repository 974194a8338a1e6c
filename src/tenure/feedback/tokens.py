"""The signed token in a survey invitation's link.

Signed with the secret key (``django.core.signing``, a salt of its own), as the mail app's
links are. It names the invitation only; when it expires is the invitation's
``expires_at``, read from the database, so a survey's validity can be shortened after sending.
A token that does not verify is no token.
"""

from __future__ import annotations

from django.core import signing

_SURVEY = "tenure.feedback.survey"
# A real token is about 40 characters; anything much longer is not ours.
_MAX_LENGTH = 400


def survey_token(invitation_id: int) -> str:
    return signing.dumps(invitation_id, salt=_SURVEY)


def survey_token_read(token: str) -> int | None:
    """The invitation id a token was signed for; None when tenure did not sign it."""
    if len(token) > _MAX_LENGTH:
        return None
    try:
        value = signing.loads(token, salt=_SURVEY)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
