"""`tenure serve --with-worker`, the real server and the real django-q worker: a worker that dies
is started again, and SIGTERM to the server stops it and every process the worker forked."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

STARTED = re.compile(r"background worker (?:started|restarted) \(pid (\d+)\)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive_in_group(pgid: int) -> list[int]:
    """The processes of a process group that still run (zombies waiting to be reaped do not)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        state, _ppid, group = text.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            alive.append(int(stat.parent.name))
    return alive


class _Server:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: re.Pattern[str], seconds: float) -> re.Match[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if found := pattern.search(line):
                return found
        pytest.fail(f"no line matching {pattern.pattern!r} in {seconds} s:\n{''.join(self.seen)}")


@pytest.fixture
def server(database_url, tmp_path) -> Iterator[_Server]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TENURE_")}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(TENURE_DATABASE_URL=database_url, TENURE_DATA_DIR=str(tmp_path))
    env["PYTHONUNBUFFERED"] = "1"
    port = str(_free_port())
    command = [sys.executable, "-m", "tenure", "serve", "--with-worker", "--port", port]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield _Server(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_a_dead_worker_is_restarted_and_sigterm_stops_everything(server):
    first = int(server.wait_for(STARTED, 60).group(1))
    assert _alive_in_group(first), "the worker runs in a process group of its own"

    os.killpg(first, signal.SIGKILL)  # the worker and the processes it forked, at once
    server.wait_for(re.compile(r"background worker stopped \(exit code -9\)"), 15)
    second = int(server.wait_for(STARTED, 15).group(1))
    assert second != first
    assert _alive_in_group(first) == []
    # django-q's cluster forks its workers once it is up: wait until the group has them.
    deadline = time.monotonic() + 30
    while len(_alive_in_group(second)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_alive_in_group(second)) >= 2, "the restarted worker forked its own workers"

    asked = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=15)
    took = time.monotonic() - asked
    assert server.process.returncode == 0
    assert took < 10, f"stopping took {took:.1f} s"
    assert _alive_in_group(second) == [], "no worker process outlives the server"
