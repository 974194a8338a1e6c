"""Real `tenure worker` processes for the tests: started in a session of their own, so a test can
kill a worker and every process it forked at once, as an out-of-memory killer or a power cut
would."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

HEARTBEAT_TIMEOUT = 3.0
PR_SET_PDEATHSIG = 1  # prctl(2)
"""The tests' heartbeat timeout (seconds): the workers beat every half second."""


def _ends_with_its_parent() -> None:
    """Linux: the worker gets SIGTERM when the test process dies (a pytest killed by hand left
    its workers running for good, burning CPU beside the next runs)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def worker_start(database_url: str, **env: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "TENURE_DATABASE_URL": database_url,
        "TENURE_WORKERS": "1",
        "TENURE_RUN_HEARTBEAT_TIMEOUT_SECONDS": str(HEARTBEAT_TIMEOUT),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tenure", "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_ends_with_its_parent if sys.platform == "linux" else None,
    )


def worker_kill(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its children: nothing of it runs a line more."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def worker_stop(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as an operator stops it; killed if it has not stopped within 30 s."""
    worker.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        worker.wait(timeout=30)
    worker_kill(worker)


def wait_until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll often: a test that kills a run in the middle must see it start at once."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"not within {seconds} s: {what}")
