"""The worker's loop runs the webhooks' sender as a follower, in a thread of its own beside
the consumers (``tenure.events.consumers.consumers_follow``)."""

from __future__ import annotations

import threading
import time

import pytest

from tenure.events import consumers


def test_the_sender_is_registered_as_a_follower():
    assert "webhooks.send" in consumers._FOLLOWERS
    assert "webhooks.deliveries" in {consumer.name for consumer in consumers.consumers()}


@pytest.mark.django_db
def test_followers_run_in_their_own_threads_until_stopped(monkeypatch):
    calls: list[str] = []

    def step() -> int:
        calls.append(threading.current_thread().name)
        return 0

    monkeypatch.setattr(consumers, "_FOLLOWERS", {"test.follower": step})
    deadline = time.monotonic() + 10
    consumers.consumers_follow(
        stop=lambda: len(calls) >= 3 or time.monotonic() > deadline, poll_seconds=0.01
    )
    assert len(calls) >= 3
    assert set(calls) == {"test.follower"}  # not the loop's own thread
