"""Events that other apps may react to, sent after the transaction that caused them commits.

The lower apps (customers, orders, interactions) send them; apps above them (the lifecycle
engine) connect receivers in their ``AppConfig.ready()``. The senders never import their
listeners, so the layering holds (``pyproject.toml``'s import-linter contract).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

customers_changed = Signal()
"""Something a customer's lifecycle depends on changed: sent with ``customer_ids`` (a sorted
list of ints) and ``cause`` (``"customer"``, ``"order"``, ``"subscription"``,
``"interaction"``), after the commit."""


def send_after_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside a transaction).

    A receiver that fails is logged, not raised: the write it reacts to is committed already,
    and the nightly recompute repairs whatever the receiver missed.
    """

    def send() -> None:
        for receiver, outcome in signal.send_robust(sender, **kwargs):
            if isinstance(outcome, Exception):
                logger.error("receiver %r of %s failed", receiver, sender, exc_info=outcome)

    transaction.on_commit(send)


def customers_changed_after_commit(customer_ids: Iterable[int | None], cause: str) -> None:
    """Announce, after the commit, that these customers' lifecycle facts changed."""
    ids = sorted({int(i) for i in customer_ids if i is not None})
    if ids:
        send_after_commit(customers_changed, "tenure", customer_ids=ids, cause=cause)
