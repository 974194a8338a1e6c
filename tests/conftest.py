"""Shared fixtures. The suite runs on whichever database TENURE_DATABASE_URL names (SQLite when
unset); `make test` runs it on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.conf import global_settings
from django.db import connection


def pytest_report_header() -> str:
    try:
        return f"tenure database: {connection.vendor}"
    except Exception:  # settings not configured (e.g. -p no:django)
        return "tenure database: none"


@pytest.fixture
def database_url(transactional_db: None) -> str:
    """A TENURE_DATABASE_URL that points subprocesses (CLI, worker) at this test's database."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    return f"postgresql://{user}@{host}:{port}/{settings['NAME']}"


@pytest.fixture(autouse=True)
def _events_on_commit(request: pytest.FixtureRequest) -> None:
    """The consumers of the events (the lifecycle engine, ...) run after each commit in the
    test's process, as without a worker; the tests of the worker's way set "worker" back."""
    if not request.config.pluginmanager.hasplugin("django"):
        return
    request.getfixturevalue("settings").EVENTS_DELIVERY = "on_commit"


@pytest.fixture
def announced():
    """What the lifecycle engine was told, drain by drain, as (sorted customer ids, cause,
    since): read from the events by the same rule the engine's consumer reads them with
    (``tenure.lifecycle.following``). With the on-commit delivery, one drain per commit.
    ``announced.skip()``: forget the events written so far (the test's own setting up)."""
    from tenure.events.consumers import _CONSUMERS as registered
    from tenure.events.consumers import Consumer, consumer_position, consumer_register
    from tenure.lifecycle.following import _touched

    class Told(list):
        def skip(self) -> None:
            from tenure.events.models import ConsumerPosition
            from tenure.events.reading import end_position

            end = end_position()
            ConsumerPosition.objects.filter(name="test.announced").update(
                tx=end.tx, event_id=end.event_id
            )
            self.clear()

    told = Told()

    def handle(events):
        for cause, (ids, since) in _touched(events).items():
            told.append((sorted(ids), cause, since))

    consumer = Consumer("test.announced", handle, from_now=True)
    consumer_register(consumer)
    consumer_position(consumer)
    yield told
    registered.pop("test.announced", None)


@pytest.fixture(autouse=True)
def _figures_forgotten(request: pytest.FixtureRequest) -> None:
    """Each test starts with an empty cache: the analytics pages keep figures by the data's
    version (``tenure.web.views.figures_cache``), and a rolled-back test may reuse ids."""
    if not request.config.pluginmanager.hasplugin("django"):
        return
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> None:
    """Factories hash with MD5 (`tests.factories`): the production hasher is slow by design.

    MD5 comes last, so it verifies those hashes without ever being preferred: a real login
    never rewrites a password hash that a subprocess (the CLI) must still read.
    """
    if not request.config.pluginmanager.hasplugin("django"):
        return  # the pure analytics tests may run with -p no:django
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = [
        *global_settings.PASSWORD_HASHERS,
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
