"""What the API must remember between requests: the outcome of each idempotent POST."""

from __future__ import annotations

from django.db import models


class IdempotencyKey(models.Model):
    """The stored response of a POST sent with an ``Idempotency-Key`` header, for 24 hours.

    ``scope`` is a digest of the caller's token, so two callers may use the same key and neither
    ever gets the answer made for the other (nor does a token once revoked).
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="digest of method, path and body")
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return self.key
