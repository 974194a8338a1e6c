"""Fixtures of the demo tests: a fixed `today`, the default business generated once."""

from __future__ import annotations

from datetime import date

import pytest

from tenure.demo.generator import generate_business
from tenure.demo.records import DemoBusiness

TODAY = date(2026, 3, 15)


@pytest.fixture(scope="session")
def business() -> DemoBusiness:
    """The default demo business (seed, size) as of TODAY; pure, so it can be shared."""
    return generate_business(today=TODAY)
