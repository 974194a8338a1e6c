"""Playbooks' fixtures: the trigger consumer placed before the test's events (it starts after
the events already there, as on a real upgrade), and a maker of playbooks."""

from __future__ import annotations

import pytest

from tenure.events.consumers import consumer_position
from tenure.playbooks.services import playbook_create
from tenure.playbooks.triggers import TRIGGERS
from tests.mail.conftest import smtp, smtp_server  # noqa: F401  (a real SMTP server, for email steps)


@pytest.fixture(autouse=True)
def _triggers_from_the_start(request):
    if "database_url" in request.fixturenames:
        request.getfixturevalue("database_url")
    elif not request.node.get_closest_marker("django_db"):
        return
    consumer_position(TRIGGERS)


def make_playbook(**changes):
    definition = {
        "name": "Win-back",
        "slug": "x",
        "enabled": True,
        "trigger": {"type": "event", "kind": "stage.entered", "match": {"role": "at_risk"}},
        "steps": [{"kind": "task", "title": "Call {customer}"}],
        **changes,
    }
    return playbook_create(by=None, data=definition)
