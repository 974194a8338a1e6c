"""SIGTERM to the worker's whole process group (as systemd, a supervisor or Ctrl-C send it)
stops the worker and every process of its cluster within seconds; django-q's own handler could
block for good there (its stop event's notify waited on a process the same signal had ended)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tenure.cli.system import descendants
from tests.cli.test_worker_supervision import _alive_in_group
from tests.jobs.workers import wait_until

pytestmark = [pytest.mark.slow]


def test_sigterm_to_the_group_stops_the_started_cluster(database_url):
    env = {**os.environ, "TENURE_DATABASE_URL": database_url, "TENURE_WORKERS": "2"}
    for _ in range(3):
        worker = subprocess.Popen(
            [sys.executable, "-m", "tenure", "worker"], env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            # the sentinel, its two workers, the monitor and the pusher: the cluster is up
            wait_until(lambda w=worker: len(descendants(w.pid)) >= 5, seconds=60, what="up")
            time.sleep(3)
            began = time.monotonic()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
            assert time.monotonic() - began < 15
            wait_until(lambda w=worker: not _alive_in_group(w.pid), seconds=5, what="all gone")
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
