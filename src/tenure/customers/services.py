"""Writes for accounts, contacts, customers and subscriptions."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from tenure.customers.models import Customer


def customer_create(
    *, external_id: str, created_at: datetime | None = None, **fields: object
) -> Customer:
    """Create a customer; ``created_at`` defaults to now (the moment they became known)."""
    customer = Customer(external_id=external_id, created_at=created_at or timezone.now(), **fields)
    customer.full_clean()
    customer.save()
    return customer
