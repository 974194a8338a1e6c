"""The sender: due deliveries are claimed, POSTed, and marked delivered or tried again later.

- **Claim.** A short transaction picks due deliveries (``SELECT ... FOR UPDATE SKIP LOCKED`` on
  PostgreSQL; SQLite has one writer), counts the attempt and leases them (``next_try_at`` moves
  ``LEASE`` ahead), then commits; the requests go out after, outside any transaction. A sender
  killed mid-request leaves its deliveries to be claimed again when the lease ends (deliveries
  are at least once: receivers de-duplicate by ``Tenure-Event-Key``); a result is written only
  if the delivery is still at the attempt this sender claimed.
- **In order per customer and endpoint.** A delivery is not due while an earlier one (by id,
  which is the events' order, see ``following``) to the same endpoint for the same customer is
  still pending, so a receiver sees each customer's events in order; a delivery that gave up no
  longer holds the next. Events of no customer are not held.
- **Outcome.** A 2xx answer is delivered. Anything else (another status, a redirect, which is
  not followed, no answer within ``TIMEOUT_SECONDS``, a refused connection) is tried again
  after ``RETRY_DELAYS[attempts - 1]``, each with +-10 % jitter (so receivers that failed
  together are not all retried in the same second); after the last, about three days after the
  first, the delivery has failed, and says why.
"""

from __future__ import annotations

import random
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from tenure.events.models import Event
from tenure.webhooks.addresses import address_problem
from tenure.webhooks.models import Delivery, DeliveryStatus
from tenure.webhooks.signing import body_of, signature

TIMEOUT_SECONDS = 10.0
LEASE = timedelta(minutes=2)  # longer than a request can take
THREADS = 8
RETRY_DELAYS = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
"""The pause after each failed attempt; 70 h 12 min 40 s in all (+-10 %)."""
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.10


def retry_delay(attempts: int, rng: random.Random) -> timedelta | None:
    """The pause after the ``attempts``-th failed attempt, jittered; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts - 1] * settings.WEBHOOKS_RETRY_SCALE
    return base * (1 + JITTER * (2 * rng.random() - 1))


def payload_of(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "key": event.key,
        "kind": event.kind,
        "customer_id": event.customer_id,
        "subject": event.subject,
        "subject_id": event.subject_id,
        "at": event.at.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "data": event.data,
    }


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    event: Event


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str  # empty: delivered
    ms: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is an answer like any other non-2xx: tried again later


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """One POST; never raises."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    if problem := address_problem(url):
        return Outcome(None, f"not sent: {problem}", 0)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(65536)
            status = int(response.status)
    except urllib.error.HTTPError as error:
        status = int(error.code)
        error.close()
    except TimeoutError:
        return Outcome(None, f"no answer within {TIMEOUT_SECONDS:g} s", took())
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return Outcome(None, f"no answer within {TIMEOUT_SECONDS:g} s", took())
        return Outcome(None, f"could not connect: {reason}", took())
    except Exception as error:  # a broken answer (the connection dropped, a bad status line)
        return Outcome(None, f"no valid answer: {type(error).__name__}: {error}", took())
    if 200 <= status < 300:
        return Outcome(status, "", took())
    return Outcome(status, f"the endpoint answered {status}", took())


def _send(claimed: _Claimed, now: datetime) -> Outcome:
    body = body_of(payload_of(claimed.event))
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "tenure-webhooks/1",
        "Tenure-Event-Key": claimed.event.key,
        "Tenure-Event-Id": str(claimed.event.pk),
        "Tenure-Timestamp": str(timestamp),
        "Tenure-Signature": signature(claimed.secret, timestamp, body),
    }
    return _post(claimed.url, body, headers)


def _claim(now: datetime, limit: int) -> list[_Claimed]:
    earlier_pending = Delivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        customer_id=OuterRef("customer_id"),
        status=DeliveryStatus.PENDING,
        id__lt=OuterRef("id"),
    )
    with transaction.atomic():
        due = (
            Delivery.objects.filter(
                status=DeliveryStatus.PENDING, next_try_at__lte=now, endpoint__active=True
            )
            .filter(~Exists(earlier_pending))
            .order_by("next_try_at", "id")
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(
            attempts=F("attempts") + 1, next_try_at=now + LEASE
        )
        rows = Delivery.objects.filter(pk__in=ids).select_related("endpoint", "event")
        return [
            _Claimed(row.pk, row.attempts, row.endpoint.url, row.endpoint.secret, row.event)
            for row in sorted(rows, key=lambda row: row.pk)
        ]


def _record(claimed: _Claimed, outcome: Outcome, now: datetime, rng: random.Random) -> None:
    mine = Delivery.objects.filter(
        pk=claimed.delivery_id, attempts=claimed.attempts, status=DeliveryStatus.PENDING
    )
    common: dict[str, Any] = {"last_status_code": outcome.status_code, "response_ms": outcome.ms}
    if not outcome.error:
        mine.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_error="", **common)
        return
    delay = retry_delay(claimed.attempts, rng)
    if delay is None:
        words = f"gave up after {claimed.attempts} attempts; the last: {outcome.error}"
        mine.update(status=DeliveryStatus.FAILED, last_error=words[:2000], **common)
    else:
        mine.update(next_try_at=now + delay, last_error=outcome.error[:2000], **common)


def deliveries_send(
    *, now: datetime | None = None, limit: int = 100, rng: random.Random | None = None
) -> int:
    """Send the deliveries due at ``now`` (at most ``limit``); how many were tried."""
    now = now or timezone.now()
    rng = rng or random.Random()
    claimed = _claim(now, limit)
    if not claimed:
        return 0
    with ThreadPoolExecutor(max_workers=min(THREADS, len(claimed))) as pool:
        outcomes = list(pool.map(lambda one: _send(one, now), claimed))
    for one, outcome in zip(claimed, outcomes, strict=True):
        _record(one, outcome, now, rng)
    return len(claimed)
