"""Reads: the endpoints and their delivery logs (admins only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from tenure.access import require
from tenure.domain.access import Action
from tenure.webhooks.models import Delivery, Endpoint


def endpoint_list(*, by: Any) -> QuerySet[Endpoint]:
    require(by, Action.ADMINISTER)
    return Endpoint.objects.select_related("created_by")


def delivery_list(*, by: Any, endpoint_id: int) -> QuerySet[Delivery]:
    """The deliveries to one endpoint, with their events (404 for no such endpoint)."""
    require(by, Action.ADMINISTER)
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    return Delivery.objects.filter(endpoint=endpoint).select_related("event")
