"""The reports' fixtures: the playbooks' trigger consumer placed before the test's events (as
on a real upgrade), a real SMTP server on loopback, and the hand-worked account of
``tests/reports/acme.py``."""

from __future__ import annotations

import pytest

from tenure.events.consumers import consumer_position
from tenure.playbooks.triggers import TRIGGERS
from tests.mail.conftest import smtp, smtp_server  # noqa: F401  (a real SMTP server)
from tests.reports.acme import Acme, acme_build


@pytest.fixture(autouse=True)
def _triggers_from_the_start(request):
    if not request.node.get_closest_marker("django_db"):
        return
    consumer_position(TRIGGERS)


@pytest.fixture
def acme(db) -> Acme:
    return acme_build()
