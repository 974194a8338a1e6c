"""The success app's fixtures: the playbooks' trigger consumer placed before the test's
events (as on a real upgrade), the built-in checklist, and a small book of accounts."""

from __future__ import annotations

import pytest

from tenure.events.consumers import consumer_position
from tenure.playbooks.triggers import TRIGGERS


@pytest.fixture(autouse=True)
def _triggers_from_the_start(request):
    if not request.node.get_closest_marker("django_db"):
        return
    consumer_position(TRIGGERS)
