"""Background work of the API."""

from __future__ import annotations

from django.utils import timezone

from tenure.api.models import IdempotencyKey


def idempotency_keys_purge() -> int:
    """Delete stored responses whose 24 hours are over. Safe to run twice."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
