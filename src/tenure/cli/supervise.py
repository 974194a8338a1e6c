"""One background worker kept alive beside the web server, and stopped with it.

`tenure serve --with-worker` and `tenure demo` run the web server and a `tenure worker` (django-q's
cluster, which forks its own processes). Without a supervisor a worker that died stayed dead
(imports queued for ever), and SIGTERM to the server left the worker and its children running.

The worker starts in a session of its own, so it and every process it forks share one process
group that can be signalled as a whole: on stop, SIGTERM to the group (django-q finishes what it
can), then SIGKILL to whatever is left. A worker that dies is restarted after a pause that
doubles while it keeps dying soon after starting (1 s, 2 s, ... up to a minute), so a worker
that cannot start does not spin.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

STOP_GRACE_SECONDS = 8.0  # SIGTERM to the group, then SIGKILL: all gone within 10 s
HEALTHY_AFTER_SECONDS = 60.0  # a worker up this long that dies is restarted at once (1 s)
MAX_PAUSE_SECONDS = 60.0


class WorkerSupervisor:
    def __init__(
        self,
        command: Sequence[str],
        *,
        echo: Callable[[str], None],
        poll_seconds: float = 0.5,
    ) -> None:
        self.command = list(command)
        self.echo = echo
        self.poll_seconds = poll_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._pause = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        with self._lock:
            self._spawn()
        self.echo(f"background worker started (pid {self._pid()})")
        self._watcher.start()

    def stop(self) -> None:
        """Stop the worker and everything it forked; returns within STOP_GRACE_SECONDS + 1."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE_SECONDS)
        _signal_group(process.pid, signal.SIGKILL)  # its children, if it left any behind
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=1)
        self._watcher.join(timeout=1)

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.command, start_new_session=True)
        self._started_at = time.monotonic()

    def _pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            process = self.process
            if process is None or process.poll() is None:
                continue
            if self._stopping.is_set():
                return  # stopped on purpose
            # Its forked children may outlive it (a SIGKILL reaches only the worker itself).
            _signal_group(process.pid, signal.SIGKILL)
            lived = time.monotonic() - self._started_at
            doubled = min(max(self._pause * 2, 1.0), MAX_PAUSE_SECONDS)
            self._pause = 1.0 if lived >= HEALTHY_AFTER_SECONDS else doubled
            self.echo(
                f"background worker stopped (exit code {process.returncode}); "
                f"restarting in {self._pause:g} s"
            )
            if self._stopping.wait(self._pause):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()
            self.echo(f"background worker restarted (pid {self._pid()})")


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
        os.killpg(pgid, signum)


def stop_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl+C, so the server's ``finally`` stops the worker (by default
    SIGTERM ends Python at once, leaving the worker running)."""

    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)
