"""DKIM signatures (RFC 6376) with dkimpy, covering the headers a receiver must trust:
From, To, Subject, Date, Message-ID and the unsubscribe headers (RFC 8058 asks that
List-Unsubscribe and List-Unsubscribe-Post be signed)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import dkim
from django.conf import settings

SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)


class DkimSigner:
    def __init__(self, *, selector: str, domain: str, key_pem: bytes) -> None:
        self.selector = selector.encode()
        self.domain = domain.encode()
        self.key_pem = key_pem

    def sign(self, raw: bytes) -> bytes:
        """``raw`` with its DKIM-Signature header in front. Only the headers present are
        signed (a transactional message has no List-Unsubscribe)."""
        present = _present_headers(raw)
        include = [name for name in SIGNED_HEADERS if name in present]
        signature = dkim.sign(
            raw,
            self.selector,
            self.domain,
            self.key_pem,
            include_headers=include,
            canonicalize=(b"relaxed", b"simple"),
        )
        return signature + raw


def _present_headers(raw: bytes) -> set[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = set()
    for line in head.split(b"\r\n"):
        if line and line[:1] not in (b" ", b"\t") and b":" in line:
            names.add(line.split(b":", 1)[0].strip().lower())
    return names


@lru_cache(maxsize=1)
def _signer(selector: str, domain: str, key_file: str) -> DkimSigner:
    return DkimSigner(selector=selector, domain=domain, key_pem=Path(key_file).read_bytes())


def dkim_signer() -> DkimSigner | None:
    """The configured signer, or None when DKIM is not set up."""
    if not (settings.DKIM_SELECTOR and settings.DKIM_DOMAIN and settings.DKIM_KEY_FILE):
        return None
    return _signer(settings.DKIM_SELECTOR, settings.DKIM_DOMAIN, settings.DKIM_KEY_FILE)
