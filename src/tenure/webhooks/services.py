"""Writes: make and delete endpoints, send failed deliveries again. Admins only (``by=None``
is the operator at the command line)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from tenure.access import require
from tenure.domain.access import Action
from tenure.events.kinds import event_kinds
from tenure.events.models import ConsumerPosition
from tenure.events.reading import end_position
from tenure.webhooks.addresses import address_problem, url_problem
from tenure.webhooks.following import DELIVERIES
from tenure.webhooks.models import Delivery, DeliveryStatus, Endpoint
from tenure.webhooks.signing import secret_new


def _administers(by: Any) -> None:
    if by is not None:
        require(by, Action.ADMINISTER)


def kinds_problem(kinds: Iterable[str]) -> str | None:
    known = {kind.name for kind in event_kinds()}
    unknown = sorted(set(kinds) - known)
    if unknown:
        return f"no such event kind: {', '.join(unknown)} (GET /api/v1/events/kinds lists them)"
    return None


def endpoint_create(
    *, by: Any, url: str, description: str = "", kinds: Sequence[str] = ()
) -> tuple[Endpoint, str]:
    """A new endpoint, receiving the events recorded from now on, and its secret: the only
    time the secret is given (keep it; it cannot be shown again)."""
    _administers(by)
    problems: dict[str, list[str]] = {}
    if problem := url_problem(url) or address_problem(url):
        problems["url"] = [problem]
    if problem := kinds_problem(kinds):
        problems["kinds"] = [problem]
    if len(description) > 200:
        problems["description"] = ["at most 200 characters"]
    if problems:
        raise ValidationError(problems)
    secret = secret_new()
    with transaction.atomic():
        # Hold the consumer while the start is read: it cannot pass events after the start
        # before this endpoint is there to be delivered them.
        ConsumerPosition.objects.select_for_update().filter(name=DELIVERIES.name).first()
        start = end_position()
        endpoint = Endpoint.objects.create(
            url=url,
            description=description,
            kinds=sorted(set(kinds)),
            secret=secret,
            created_by=by,
            start_tx=start.tx,
            start_event_id=start.event_id,
        )
    return endpoint, secret


def endpoint_delete(*, by: Any, endpoint_id: int) -> None:
    """Delete an endpoint and its delivery log; nothing more is sent to it."""
    _administers(by)
    deleted, _ = Endpoint.objects.filter(pk=endpoint_id).delete()
    if not deleted:
        raise Http404("no such endpoint")


def deliveries_send_again(*, by: Any, delivery_ids: Iterable[int]) -> int:
    """Failed deliveries due again now, with a fresh schedule of attempts; how many."""
    _administers(by)
    return Delivery.objects.filter(pk__in=list(delivery_ids), status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, next_try_at=timezone.now()
    )
