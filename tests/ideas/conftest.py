"""The ideas board's fixtures: a real SMTP server on loopback (the mail tests' own) and the
playbooks' trigger consumer placed before the test's events."""

from __future__ import annotations

import pytest

from tenure.events.consumers import consumer_position
from tenure.playbooks.triggers import TRIGGERS
from tests.mail.conftest import smtp, smtp_server  # noqa: F401  (a real SMTP server)


@pytest.fixture(autouse=True)
def _triggers_from_the_start(request):
    if not request.node.get_closest_marker("django_db"):
        return
    consumer_position(TRIGGERS)
