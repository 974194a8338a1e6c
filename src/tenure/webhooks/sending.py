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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import urllib3
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


# One pool of kept-alive connections per process (urllib3: thread-safe, redirects not followed,
# no retries of its own: the schedule above decides); a new TCP (and TLS) connection per
# delivery had held the sender to about 50 deliveries a second.
_POOL = urllib3.PoolManager(
    num_pools=64,
    maxsize=THREADS,
    retries=False,
    timeout=urllib3.Timeout(total=TIMEOUT_SECONDS),
)
_READ_AT_MOST = 65536


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """One POST; never raises."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    if problem := address_problem(url):
        return Outcome(None, f"not sent: {problem}", 0)
    try:
        response = _POOL.request(
            "POST", url, body=body, headers=headers, redirect=False, preload_content=False
        )
        try:
            read = response.read(_READ_AT_MOST + 1)
        finally:
            if len(read) > _READ_AT_MOST:
                response.close()  # a long answer is not read to its end: drop the connection
            else:
                response.release_conn()
        status = int(response.status)
    except urllib3.exceptions.NewConnectionError as error:  # first: urllib3 makes it a timeout
        return Outcome(None, f"could not connect: {error}", took())
    except (urllib3.exceptions.TimeoutError, TimeoutError):
        return Outcome(None, f"no answer within {TIMEOUT_SECONDS:g} s", took())
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


def _record(
    claimed: list[_Claimed], outcomes: list[Outcome], now: datetime, rng: random.Random
) -> None:
    """Every outcome of a claim in one transaction (one commit, not one per delivery), each
    written only if its delivery is still pending at the attempt this sender claimed."""
    with transaction.atomic():
        rows = Delivery.objects.filter(
            pk__in=[one.delivery_id for one in claimed], status=DeliveryStatus.PENDING
        )
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(of=("self",))
        attempts_now = dict(rows.values_list("pk", "attempts"))
        delivered, retried, failed = [], [], []
        for one, outcome in zip(claimed, outcomes, strict=True):
            if attempts_now.get(one.delivery_id) != one.attempts:
                continue  # claimed again after the lease ended, or made to send again
            row = Delivery(
                pk=one.delivery_id, last_status_code=outcome.status_code, response_ms=outcome.ms
            )
            if not outcome.error:
                row.status, row.delivered_at, row.last_error = DeliveryStatus.DELIVERED, now, ""
                delivered.append(row)
                continue
            delay = retry_delay(one.attempts, rng)
            if delay is None:
                words = f"gave up after {one.attempts} attempts; the last: {outcome.error}"
                row.status, row.last_error = DeliveryStatus.FAILED, words[:2000]
                failed.append(row)
            else:
                row.next_try_at, row.last_error = now + delay, outcome.error[:2000]
                retried.append(row)
        common = ["last_status_code", "response_ms", "last_error"]
        Delivery.objects.bulk_update(delivered, ["status", "delivered_at", *common])
        Delivery.objects.bulk_update(retried, ["next_try_at", *common])
        Delivery.objects.bulk_update(failed, ["status", *common])


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
    _record(claimed, outcomes, now, rng)
    return len(claimed)
