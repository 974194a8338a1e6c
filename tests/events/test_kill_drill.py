"""The web server and the worker SIGKILLed together, 20 times, while a client ingests orders in
bulk through the API and whole-base recomputes are queued: every order stored once, every event
handled once, no run left running, the stages what the whole history says."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tenure.events.models import ConsumerPosition, Event
from tenure.jobs.models import Run, RunStatus
from tenure.lifecycle.models import CustomerStage, RecomputeRun
from tenure.lifecycle.services import lifecycle_recompute
from tenure.orders.models import Order
from tenure.users.services import api_token_create
from tests.events.test_worker_follows import _caught_up
from tests.factories import make_customer, make_user
from tests.jobs.workers import wait_until, worker_kill, worker_start, worker_stop

pytestmark = [pytest.mark.slow]

ROUNDS = 20
BATCH = 100  # orders per POST /orders/bulk


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_start(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "tenure", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def _post(port: int, token: str, path: str, body: object, key: str) -> int:
    """One POST; the status, or 0 when the server went away before answering."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Idempotency-Key": key}  # fmt: skip
    try:
        connection.request("POST", f"/api/v1{path}", body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


class Client(threading.Thread):
    """Posts the batches still unanswered, in order, each with its own Idempotency-Key, and a
    recompute between batches; stops at the first request the server did not answer."""

    def __init__(self, port: int, token: str, batches: dict[str, list[dict]], round_: int):
        super().__init__(daemon=True)
        self.port, self.token, self.batches, self.round = port, token, batches, round_
        self.recomputes = 0
        self.answered = threading.Event()  # the server answered once this round

    def run(self) -> None:
        for key in list(self.batches):
            orders = {"orders": self.batches[key]}
            status = _post(self.port, self.token, "/orders/bulk", orders, key)
            if status == 0:
                return
            assert status == 200, status
            self.answered.set()
            del self.batches[key]
            if _post(self.port, self.token, "/lifecycle/recompute", {}, f"r{self.round}-{key}"):
                self.recomputes += 1


def test_web_server_and_worker_killed_during_bulk_ingest_and_recompute(database_url, settings):
    settings.EVENTS_DELIVERY = "worker"  # the server and the workers are other processes
    rng = random.Random(20261205)
    _, token = api_token_create(user=make_user(role="admin"))
    customers = [make_customer() for _ in range(40)]
    batches: dict[str, list[dict]] = {}
    sent = 0
    for b in range(ROUNDS * 2):
        batches[f"bulk-{b}"] = [
            {"external_id": f"B{b}-{n}", "customer_id": customers[rng.randrange(40)].pk,
             "currency": "EUR", "amount": f"{rng.randrange(1, 400)}.00",
             "placed_at": (timezone.now() - timedelta(days=rng.randrange(900))).isoformat()}
            for n in range(BATCH)
        ]  # fmt: skip
        sent += BATCH
    recomputes = 0
    for round_ in range(ROUNDS):
        port = _free_port()
        server, worker = _server_start(database_url, port), worker_start(database_url)
        wait_until(lambda port=port: _listening(port), seconds=60, what="the server listens")
        client = Client(port, token, batches, round_)
        client.start()
        # Killed at a random moment once the server has answered once: on a loaded machine
        # its first answer can take seconds, and a kill before it would test nothing.
        waited = time.monotonic()
        while client.is_alive() and not client.answered.wait(timeout=0.1):
            if time.monotonic() - waited > 60:
                break
        time.sleep(rng.uniform(0.2, 2.5))
        os.killpg(server.pid, signal.SIGKILL)
        worker_kill(worker)
        server.wait()
        client.join(timeout=60)
        recomputes += client.recomputes
    assert recomputes > 0

    # Everything restarted: the client sends what was never answered, the worker catches up.
    port = _free_port()
    server, worker = _server_start(database_url, port), worker_start(database_url)
    try:
        wait_until(lambda: _listening(port), seconds=60, what="the server listens")
        client = Client(port, token, batches, ROUNDS)
        client.run()
        assert not batches
        wait_until(_caught_up, seconds=180, what="the last worker caught up")
        wait_until(
            lambda: (
                not Run.objects.filter(status__in=(RunStatus.QUEUED, RunStatus.RUNNING)).exists()
            ),
            seconds=180,
            what="every queued run ended",
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        worker_stop(worker)

    # Every order once, and one "placed" event each.
    assert Order.objects.count() == sent
    placed = Event.objects.filter(kind="order.placed")
    assert placed.count() == sent
    assert placed.values("subject_id").distinct().count() == sent
    # Every event handled, each batch once.
    stages = ConsumerPosition.objects.get(name="lifecycle.stages")
    assert stages.handled == Event.objects.count()
    assert stages.failures == 0
    # No run left running; every recompute run ended in words.
    assert not Run.objects.filter(status=RunStatus.RUNNING).exists()
    assert RecomputeRun.objects.exists()
    assert not RecomputeRun.objects.filter(status__in=("queued", "running")).exists()
    # The stages are what the whole history says.
    placed_stages = dict(CustomerStage.objects.values_list("customer_id", "stage"))
    assert len(placed_stages) == len(customers)
    lifecycle_recompute(customer_ids=[c.pk for c in customers], from_scratch=True)
    assert dict(CustomerStage.objects.values_list("customer_id", "stage")) == placed_stages
