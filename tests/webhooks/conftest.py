import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def _private_addresses_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on loopback


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running
